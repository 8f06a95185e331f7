"""The GitHub harvest as a plain function; the CLI and the Prefect flow call it.

One run: (1) list each tracked login's repositories (REST, conditional per page: a 304 page
means its repositories are unchanged and their snapshot is carried over at no rate cost);
(2) link works to the repositories their ``code`` links name, and follow operator-given
repositories; (3) refresh every other known repository through GraphQL batches (or REST
conditional GETs without a token). Each step commits with its counts; every repository
reached gets one snapshot for this run.

When the rate budget runs out and the client is set to stop, the run ends ``blocked`` with
what it committed; the next run starts with the repositories refreshed least recently, so it
resumes where this one stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.runs import HarvestSummary, Progress, RunTracker, log_progress
from harvesters.github.client import GitHubRateLimitError
from harvesters.github.harvester import (
    SOURCE,
    GitHubHarvester,
    ListingPage,
    RepositoryGone,
    RepositoryRecord,
    RepositoryRef,
    RepositoryResult,
    RepositoryUnchanged,
    parse_repo,
)
from harvesters.records import QuarantinedInput
from models.github import store
from models.loader import LoadCounts
from models.runs import get_cursor, quarantine_inputs, set_cursor

logger = logging.getLogger(__name__)

RefreshMode = Literal["auto", "graphql", "rest"]


@dataclass(frozen=True)
class GitHubLogin:
    """A tracked author's GitHub login and the canonical author it belongs to."""

    name: str
    login: str
    author_id: int | None = None


def listing_cursor_key(page_url: str) -> str:
    """The cursor key under which one listing page's ETag and names are stored."""
    return f"listing:{page_url}"[:255]


def harvest_github(
    sessions: sessionmaker[Session],
    harvester: GitHubHarvester,
    *,
    logins: Sequence[GitHubLogin] = (),
    repos: Sequence[str] = (),
    work_links: bool = True,
    refresh: RefreshMode = "auto",
    progress: Progress | None = None,
) -> HarvestSummary:
    """Harvest the repositories of ``logins``, of works' code links and ``repos``
    (``owner/name`` or URLs), then refresh every known repository once.

    ``refresh="auto"`` uses GraphQL when the client has a token, else REST. Returns the run's
    summary (status ``blocked`` when the rate budget ran out with ``on_exhausted="stop"``).
    Raises ValueError for a malformed repository name; raises what the harvester raises
    otherwise, after marking the run failed (committed steps stay).
    """
    mode = _mode(refresh, harvester)
    wanted = []
    for text in repos:
        name = parse_repo(text)
        if name is None:
            raise ValueError(f"not a GitHub repository: {text!r}")
        wanted.append(name)
    params: dict[str, Any] = {
        "logins": [lg.login for lg in logins],
        "repos": wanted,
        "work_links": work_links,
        "refresh": mode,
        "authenticated": harvester.client.has_token,
    }
    run = RunTracker(sessions, SOURCE, "repositories", params)
    run_id = run.run.id
    # REST answers received but not yet committed: kept when the budget runs out mid-batch.
    answered: list[RepositoryResult] = []
    try:
        covered: set[int] = set()
        for login in logins:
            covered |= _harvest_login(run, harvester, login, progress)
        linked = link_work_repositories(run.session) if work_links else 0
        if wanted:
            store.ensure_repositories(run.session, wanted)
        run.session.commit()
        log_progress(progress, "GitHub: %d work link(s), %d repo(s) asked", linked, len(wanted))

        targets = store.refresh_targets(run.session, exclude=covered)
        log_progress(progress, "GitHub: refreshing %d repositories via %s", len(targets), mode)
        if mode == "graphql":
            for batch in harvester.refresh_graphql([t.full_name for t in targets]):
                run.commit_batch(_store_results(run.session, run_id, batch, via="graphql"))
        else:
            refs = [RepositoryRef(t.full_name, t.etag) for t in targets]
            for result in harvester.refresh_rest(refs):
                answered.append(result)
                if len(answered) >= 100:
                    run.commit_batch(_store_results(run.session, run_id, answered, via="rest"))
                    answered = []
            run.commit_batch(_store_results(run.session, run_id, answered, via="rest"))
            answered = []
    except GitHubRateLimitError as exc:
        run.session.rollback()
        if answered:
            # The README promises a blocked run keeps what it fetched: store those answers.
            run.commit_batch(_store_results(run.session, run_id, answered, via="rest"))
        log_progress(progress, "GitHub: rate budget spent; stopping (the next run resumes)")
        return run.finish("blocked", f"{type(exc).__name__}: {exc}")
    except BaseException as exc:
        run.fail(exc)
        raise
    counts = harvester.client.counts
    log_progress(
        progress,
        "GitHub: %d request(s), %d answered 304",
        counts.requests,
        counts.not_modified,
    )
    return run.finish()


def _mode(refresh: RefreshMode, harvester: GitHubHarvester) -> str:
    if refresh == "auto":
        return "graphql" if harvester.client.has_token else "rest"
    if refresh not in ("graphql", "rest"):
        raise ValueError(f"refresh must be auto, graphql or rest, not {refresh!r}")
    return refresh


def _harvest_login(
    run: RunTracker, harvester: GitHubHarvester, login: GitHubLogin, progress: Progress | None
) -> set[int]:
    """List one login's repositories page by page (each page committed with its ETag);
    returns the ids of the repositories this listing covered (snapshotted)."""
    session, run_id = run.session, run.run.id
    covered: set[int] = set()

    def stored(page_url: str) -> dict[str, Any] | None:
        return get_cursor(session, SOURCE, listing_cursor_key(page_url))

    for page in harvester.list_user_repositories(login.login, stored):
        counts = _store_listing_page(session, run_id, page, covered)
        if login.author_id is not None and page.names:
            store.link_author(session, login.author_id, login.login, page.names)
        if page.state:
            set_cursor(session, SOURCE, listing_cursor_key(page.url), page.state, run_id)
        run.commit_batch(counts)
        log_progress(
            progress,
            "GitHub: %s: %d repositories%s",
            login.login,
            len(page.names),
            " (unchanged, 304)" if page.not_modified else "",
        )
    return covered


def _store_listing_page(
    session: Session, run_id: int, page: ListingPage, covered: set[int]
) -> LoadCounts:
    if page.not_modified:
        count, ids = store.store_unchanged(session, run_id, page.names, via="listing")
        covered.update(ids)
        missing = len(page.names) - count
        if missing:
            # Names stored for the page but never fetched: the refresh step gets them.
            store.ensure_repositories(session, page.names)
        return LoadCounts(fetched=len(page.names), unchanged=count)
    return _store_results(session, run_id, page.records, via="listing", covered=covered)


def _store_results(
    session: Session,
    run_id: int,
    results: Sequence[RepositoryResult],
    *,
    via: str,
    covered: set[int] | None = None,
) -> LoadCounts:
    """Store one batch of results; flushes, the caller commits."""
    records = [r for r in results if isinstance(r, RepositoryRecord)]
    counts, ids = store.store_records(session, run_id, records)
    if covered is not None:
        covered.update(ids)
    unchanged = [r.full_name for r in results if isinstance(r, RepositoryUnchanged)]
    if unchanged:
        carried, _ = store.store_unchanged(session, run_id, unchanged, via=via)
        counts.fetched += len(unchanged)
        counts.unchanged += carried
    gone = [r for r in results if isinstance(r, RepositoryGone)]
    for item in gone:
        newly = store.mark_gone(session, run_id, [item.full_name], item.reason)
        counts.fetched += 1
        counts.updated += newly
        counts.unchanged += 1 - newly
    bad = [r for r in results if isinstance(r, QuarantinedInput)]
    if bad:
        counts.quarantined += quarantine_inputs(session, bad, run_id)
        counts.fetched += len(bad)
    return counts


def link_work_repositories(session: Session) -> int:
    """Link every work to the GitHub repositories its ``code`` links name (links from any
    source: arXiv abstracts/comments, ACL attachments, Scholar, operators). Returns how many
    links name a repository. Flushes, does not commit."""
    links = []
    for work_id, url in store.code_links(session):
        name = parse_repo(url)
        if name is not None:
            links.append((work_id, name, url))
    return store.link_works(session, links, source="work_link")


def add_code_link(sessions: sessionmaker[Session], identifier: str, url: str) -> int:
    """Attach repository ``url`` to the work ``scheme:value`` (e.g. ``arxiv:1605.08386``)
    as an operator's code link, committed. Returns the work id. Raises ValueError for a
    malformed identifier or URL and LookupError when no work has that identifier."""
    scheme, sep, value = identifier.partition(":")
    if not sep or not scheme or not value:
        raise ValueError(f"expected SCHEME:VALUE (e.g. arxiv:1605.08386), got {identifier!r}")
    name = parse_repo(url)
    if name is None:
        raise ValueError(f"not a GitHub repository: {url!r}")
    with sessions() as session:
        work_id = store.add_code_link(session, scheme.lower(), value.strip(), url.strip())
        session.commit()
    return work_id


def github_harvester(
    *,
    token: str | None = None,
    replay: bool = False,
    on_exhausted: Literal["wait", "stop"] = "wait",
    max_wait: float = 3600.0,
) -> GitHubHarvester:
    """The GitHub harvester; ``token`` None means unauthenticated (60 requests an hour, REST
    only). With ``replay`` nothing goes out, so retries and limits never sleep."""
    from harvesters.github.client import GitHubClient

    client = GitHubClient(
        token=token,
        on_exhausted=on_exhausted,
        max_wait=max_wait,
        sleep=(lambda _s: None) if replay else _sleep,
    )
    return GitHubHarvester(client)


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def tracked_github_logins(
    sessions: sessionmaker[Session], names: Sequence[str] | None = None
) -> list[GitHubLogin]:
    """GitHub logins of the active tracked authors (or of those named, case-insensitive).

    Authors without a login are skipped. Raises UnknownAuthorError for an untracked name.
    """
    from models.queries import UnknownAuthorError, list_tracked_authors

    with sessions() as session:
        tracked = list_tracked_authors(session, active_only=not names)
    if names:
        by_name = {t.name.lower(): t for t in tracked}
        missing = [n for n in names if n.lower() not in by_name]
        if missing:
            raise UnknownAuthorError(missing[0])
        tracked = [by_name[n.lower()] for n in names]
    return [
        GitHubLogin(name=t.name, login=t.github_login, author_id=t.author_id)
        for t in tracked
        if t.github_login
    ]
