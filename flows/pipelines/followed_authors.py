"""The shared loop of tracked authors followed on an open scholarly graph (Semantic Scholar,
OpenAlex), as plain functions: one run, every author's listed works page by page.

Each listed work is loaded as the source's record and mention (the same record the citation
look-ups store), with a dated citation observation; the author's entry on each work carries the
tracked id, so the merge links the tracked person as an author of every work. Each work also
counts as looked up by the source today, so the citation refresh does not ask about it again.
Each page commits with the run's counts.

An author the source does not know (S2: a 404; OpenAlex: no listed work) is reported by id and
the other authors still run; a run where every author was unknown ends ``failed``, one where
some were ``partial``. A spent request budget, or 429s that persist after the client's retries,
end the run ``blocked``: what was committed stays, and the next run lists again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.citations import answer_items
from flows.pipelines.runs import HarvestSummary, Progress, RunTracker, load_items, log_progress
from harvesters.citations import BudgetSpentError, CitationAnswer
from harvesters.records import WorkRecord
from models.authors import TrackedAuthor
from models.citations.store import record_lookups, store_observations
from models.loader import LoadCounts

MODE = "authors"


@dataclass(frozen=True)
class FollowedAuthor:
    """A tracked author followed on a graph by one handle: ``(scheme, value)``, e.g.
    ``("s2", "1723755")``, ``("openalex", "A5036846358")`` or ``("orcid", "0000-…")``."""

    name: str
    scheme: str
    value: str
    tracked_id: int | None = None


@dataclass(frozen=True)
class Following:
    """What differs between the graphs: the source name, the label of progress lines, and the
    errors that mean "this author id is unknown" (the run goes on with the others)."""

    source: str
    label: str
    unknown: tuple[type[BaseException], ...]


ListWorks = Callable[[FollowedAuthor], Iterator[list[CitationAnswer]]]
"""The pages of one author's works, as the graph's harvester lists them."""


def tracked_authors_with(
    sessions: sessionmaker[Session],
    handles: Sequence[tuple[str, str]],
    names: Sequence[str] | None = None,
) -> list[FollowedAuthor]:
    """Active tracked authors having one of ``handles`` (``(scheme, column)`` pairs, the first
    filled one wins), by name; only ``names`` when given (compared case-insensitively; a named
    author without any of the handles is left out)."""
    wanted = {n.strip().lower() for n in names or ()}
    columns = [getattr(TrackedAuthor, column) for _, column in handles]
    with sessions() as session:
        rows = session.scalars(
            select(TrackedAuthor)
            .where(TrackedAuthor.active.is_(True), or_(*(c.is_not(None) for c in columns)))
            .order_by(TrackedAuthor.name)
        )
        found = []
        for tracked in rows:
            if wanted and tracked.name.lower() not in wanted:
                continue
            scheme, column = next((s, c) for s, c in handles if getattr(tracked, c))
            found.append(FollowedAuthor(tracked.name, scheme, getattr(tracked, column), tracked.id))
        return found


def harvest_followed_authors(
    sessions: sessionmaker[Session],
    following: Following,
    client: Any,
    authors: Sequence[FollowedAuthor],
    list_works: ListWorks,
    *,
    today: date,
    params: dict[str, Any],
    before_each: Callable[[Session, int, FollowedAuthor], dict[str, int]] | None = None,
    progress: Progress | None = None,
) -> HarvestSummary:
    """One run storing every work ``list_works`` gives for each of ``authors`` with its
    citation count of ``today``; ``before_each(session, run_id, author)`` runs first for each
    author (e.g. S2's own numbers; it may raise the unknown-author errors too) and returns
    counts added to the run's tally (e.g. ``{"reports": 1}``). ``params`` are
    the run's stored parameters (never a secret). Returns the run's summary; raises what the
    harvester raises, other than an unknown author or a spent budget, after marking the run
    failed."""
    run = RunTracker(sessions, following.source, MODE, params)
    tally: dict[str, Any] = {"authors": 0, "works": 0, "observations": 0, "requests": 0}
    unknown: list[str] = []
    label = following.label
    try:
        for author in authors:
            try:
                if before_each is not None:
                    for key, added in before_each(run.session, run.run.id, author).items():
                        tally[key] = tally.get(key, 0) + added
                for answers in list_works(author):
                    counts = _store(
                        run.session, run.run.id, following.source, answers, today, tally
                    )
                    tally["requests"] = client.requests_made
                    run.commit_batch(counts, cursor=dict(tally))
            except following.unknown as exc:
                run.session.rollback()
                unknown.append(f"{author.name}: {exc}")
                log_progress(progress, "%s: %s", label, unknown[-1])
                continue
            tally["authors"] += 1
            log_progress(
                progress, "%s: %s, %d listed record(s) so far", label, author.name, tally["works"]
            )
    except BudgetSpentError as exc:
        run.session.rollback()
        tally["requests"] = client.requests_made
        run.run.cursor = {**tally, "unknown": unknown}
        log_progress(progress, "%s: budget spent after %d request(s)", label, tally["requests"])
        return run.finish("blocked", f"{type(exc).__name__}: {exc}")
    except BaseException as exc:
        run.fail(exc)
        raise
    tally["requests"] = client.requests_made
    run.run.cursor = {**tally, "unknown": unknown}
    if unknown:
        status = "failed" if len(unknown) == len(authors) else "partial"
        return run.finish(status, "; ".join(unknown))
    return run.finish()


def observed_today(today: date | None) -> date:
    """``today``, or the current UTC date."""
    return today or datetime.now(UTC).date()


def _store(
    session: Session,
    run_id: int,
    source: str,
    answers: list[CitationAnswer],
    today: date,
    tally: dict[str, Any],
) -> LoadCounts:
    """Load one page: records + mentions (merged), then their observations of ``today``."""
    items = answer_items(answers)
    counts = load_items(session, run_id, items)
    stored = {r.source_id for r in items if isinstance(r, WorkRecord)}
    observations = [
        a.observation
        for a in answers
        if a.observation is not None and a.observation.source_id in stored
    ]
    inserted, _ = store_observations(session, observations, run_id=run_id)
    # Counted today: the citation look-ups (the nightly's next stage) skip them.
    asked = [(source, i, i) for i in sorted(stored)]
    record_lookups(session, source, asked, today=today, run_id=run_id)
    tally["works"] += len(stored)
    tally["observations"] += inserted
    return counts
