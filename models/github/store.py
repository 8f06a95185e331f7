"""The GitHub write path: repositories, one snapshot per repository per run, renames, links.

Identity: a repository is its GitHub id once known; before that (a link not fetched yet) its
lower-cased ``owner/name``. A rename keeps the row (and its history) and stores the old name
as an alias, so a later link to the old URL finds the same row. Callers own the
transaction: nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from harvesters.records import QuarantinedInput
from models.base import utcnow
from models.dialect import insert_for
from models.github.tables import (
    GitHubAuthorRepository,
    GitHubRepository,
    GitHubRepositoryAlias,
    GitHubRepositorySnapshot,
    GitHubWorkRepository,
)
from models.loader import LoadCounts, content_hash, upsert_source_records
from models.provenance import SourceRecord
from models.runs import quarantine_inputs
from models.sanitize import RowRejected, check_row, strip_nul_record
from models.works import WorkIdentifier, WorkLink

logger = logging.getLogger(__name__)

SOURCE = "github"


class RepositoryData(Protocol):
    """What the store reads from a harvested repository (``harvesters.github.harvester``'s
    RepositoryRecord has these attributes)."""

    full_name: str
    raw: str
    raw_format: str
    via: str
    github_id: int | None
    node_id: str | None
    description: str | None
    html_url: str | None
    stars: int | None
    forks: int | None
    watchers: int | None
    open_issues: int | None
    language: str | None
    topics: tuple[str, ...]
    license: str | None
    created_at: datetime | None
    pushed_at: datetime | None
    archived: bool
    fork: bool
    etag: str | None
    requested_name: str | None

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RefreshTarget:
    """A known repository to refresh."""

    id: int
    full_name: str
    etag: str | None


def name_key(full_name: str) -> str:
    """The case-insensitive key of ``owner/name``."""
    return full_name.strip().lower()


def find_repository(session: Session, full_name: str) -> GitHubRepository | None:
    """The repository called ``full_name`` now or formerly (alias), or None."""
    key = name_key(full_name)
    row = session.scalar(select(GitHubRepository).where(GitHubRepository.name_key == key))
    if row is not None:
        return row
    repo_id = session.scalar(
        select(GitHubRepositoryAlias.repository_id).where(GitHubRepositoryAlias.name_key == key)
    )
    return session.get(GitHubRepository, repo_id) if repo_id is not None else None


def ensure_repositories(session: Session, full_names: Iterable[str]) -> dict[str, int]:
    """Ids of the repositories named (current or former names), inserting unknown ones as
    ``pending``. Keyed by :func:`name_key`. Flushes."""
    ids: dict[str, int] = {}
    for full_name in dict.fromkeys(full_names):
        key = name_key(full_name)
        if key in ids:
            continue
        row = find_repository(session, full_name)
        if row is None:
            row = GitHubRepository(
                full_name=full_name,
                name_key=key,
                owner=full_name.split("/", 1)[0],
                status="pending",
                first_seen=utcnow(),
                topics=[],
            )
            session.add(row)
            session.flush()
        ids[key] = row.id
    return ids


def link_works(session: Session, links: Iterable[tuple[int, str, str]], source: str) -> int:
    """Link works to repositories: ``(work_id, full_name, url)`` each. Returns how many
    links were given; existing ones are kept."""
    links = list(links)
    if not links:
        return 0
    ids = ensure_repositories(session, (name for _, name, _ in links))
    stmt = insert_for(session, GitHubWorkRepository).on_conflict_do_nothing(
        index_elements=["work_id", "repository_id"]
    )
    session.execute(
        stmt,
        [
            {"work_id": w, "repository_id": ids[name_key(n)], "url": url[:1024], "source": source}
            for w, n, url in links
        ],
    )
    return len(links)


def link_author(session: Session, author_id: int, login: str, full_names: Iterable[str]) -> int:
    """Link an author to the repositories of their login. Returns how many were given."""
    ids = ensure_repositories(session, full_names)
    if not ids:
        return 0
    stmt = insert_for(session, GitHubAuthorRepository).on_conflict_do_nothing(
        index_elements=["author_id", "repository_id"]
    )
    session.execute(
        stmt, [{"author_id": author_id, "repository_id": i, "login": login} for i in ids.values()]
    )
    return len(ids)


def code_links(session: Session) -> list[tuple[int, str]]:
    """``(work_id, url)`` of every ``code`` link of a work (from any source)."""
    return list(
        session.execute(
            select(WorkLink.work_id, WorkLink.url)
            .where(WorkLink.kind == "code")
            .order_by(WorkLink.work_id, WorkLink.id)
        ).tuples()
    )


def add_code_link(session: Session, scheme: str, value: str, url: str) -> int:
    """Attach code ``url`` to the work with identifier ``scheme:value`` (operator input).

    Returns the work id. Raises LookupError when no work has that identifier.
    """
    work_id = session.scalar(
        select(WorkIdentifier.work_id).where(
            WorkIdentifier.scheme == scheme, WorkIdentifier.value == value
        )
    )
    if work_id is None:
        raise LookupError(f"no work with identifier {scheme}:{value}")
    stmt = insert_for(session, WorkLink).on_conflict_do_nothing(index_elements=["work_id", "url"])
    session.execute(stmt, [{"work_id": work_id, "kind": "code", "url": url, "source": "operator"}])
    return work_id


def refresh_targets(
    session: Session, exclude: Iterable[int] = (), include_gone: bool = False
) -> list[RefreshTarget]:
    """Repositories to refresh, least recently refreshed first (so a run stopped by the rate
    limit is resumed by the next one where it stopped)."""
    stmt = select(GitHubRepository.id, GitHubRepository.full_name, GitHubRepository.etag)
    if not include_gone:
        stmt = stmt.where(GitHubRepository.status != "gone")
    stmt = stmt.order_by(
        GitHubRepository.last_refreshed.asc().nulls_first(), GitHubRepository.name_key
    )
    skip = set(exclude)
    return [RefreshTarget(i, n, e) for i, n, e in session.execute(stmt) if i not in skip]


def store_records(
    session: Session, run_id: int, records: Sequence[RepositoryData]
) -> tuple[LoadCounts, list[int]]:
    """Upsert repositories from ``records`` and add this run's snapshot of each.

    A second record of the same repository in the same run keeps the first snapshot.
    Counts compare each raw payload with the stored one (inserted/updated/unchanged).
    NUL bytes are dropped; a record with a value its column cannot hold (a 10**12 star
    count, a too-long language) is quarantined with the reason (counted ``quarantined``)
    and the others are stored. Returns the counts and the repository ids. Flushes, does not
    commit.
    """
    counts = LoadCounts(fetched=len(records))
    now = utcnow()
    ids: list[int] = []
    refused: list[QuarantinedInput] = []
    for record in records:
        record = strip_nul_record(record)
        try:
            _check_record(record)
            with session.begin_nested():  # a refused record leaves the others intact
                row = _resolve(session, record)
                _apply(row, record, run_id, now)
                session.flush()
                _snapshot(session, row, run_id, now, via=record.via, carried=False, record=record)
                outcome = _store_source_record(session, record, row, run_id, now)
        except (RowRejected, DataError) as exc:
            detail = exc.orig if isinstance(exc, DataError) else exc
            reason = f"GitHub repository {record.full_name}: rejected: {detail}".strip()
            logger.warning("%s", reason)
            refused.append(QuarantinedInput(SOURCE, reason, record.raw, record.full_name))
            counts.fetched -= 1
            continue
        ids.append(row.id)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    if refused:
        counts.quarantined += quarantine_inputs(session, refused, run_id)
        counts.fetched += len(refused)
    session.flush()
    return counts, ids


def _check_record(record: RepositoryData) -> None:
    """Raise RowRejected when a value of ``record`` does not fit its column."""
    values = {
        "github_id": record.github_id,
        "node_id": record.node_id,
        "full_name": record.full_name,
        "name_key": name_key(record.full_name),
        "owner": record.full_name.split("/", 1)[0],
        "description": record.description,
        "html_url": record.html_url,
        "language": record.language,
        "license": record.license,
        "stars": record.stars,
        "forks": record.forks,
        "watchers": record.watchers,
        "open_issues": record.open_issues,
        "etag": record.etag,
    }
    check_row(GitHubRepository.__table__, values)  # type: ignore[arg-type]
    check_row(GitHubRepositorySnapshot.__table__, {"via": record.via})  # type: ignore[arg-type]


def store_unchanged(
    session: Session, run_id: int, full_names: Iterable[str], via: str
) -> tuple[int, list[int]]:
    """A snapshot carried over from the stored values for each repository GitHub reported
    unchanged (304). Unknown or never-fetched names are skipped. Returns (count, ids)."""
    now = utcnow()
    done: list[int] = []
    for full_name in dict.fromkeys(full_names):
        row = find_repository(session, full_name)
        if row is None or row.status != "active":
            continue
        _snapshot(session, row, run_id, now, via=via, carried=True, record=None)
        row.last_refreshed = now
        row.last_run_id = run_id
        done.append(row.id)
    if done:
        source_ids = [_source_id_for(session, i) for i in done]
        session.execute(
            update(SourceRecord)
            .where(SourceRecord.source == SOURCE, SourceRecord.source_id.in_(source_ids))
            .values(last_seen=now, last_run_id=run_id)
        )
    session.flush()
    return len(done), done


def mark_gone(session: Session, run_id: int, full_names: Iterable[str], reason: str) -> int:
    """Mark the named repositories gone (kept with their history, never deleted). Returns
    how many were not gone before."""
    newly = 0
    for full_name in full_names:
        row = find_repository(session, full_name)
        if row is None:
            continue
        if row.status != "gone":
            newly += 1
            row.gone_at = utcnow()
            logger.warning("GitHub: %s is gone (%s)", row.full_name, reason)
        row.status = "gone"
        row.last_run_id = run_id
    session.flush()
    return newly


# --------------------------------------------------------------------------- internals


def _resolve(session: Session, record: RepositoryData) -> GitHubRepository:
    """The row ``record`` describes: by GitHub id, else by the name asked for or reported;
    applies a rename (alias for the old name) and merges a row already holding the new name."""
    row = None
    if record.github_id is not None:
        row = session.scalar(
            select(GitHubRepository).where(GitHubRepository.github_id == record.github_id)
        )
    for name in (record.requested_name, record.full_name):
        if row is None and name:
            row = find_repository(session, name)
    new_key = name_key(record.full_name)
    if row is None:
        row = GitHubRepository(
            full_name=record.full_name,
            name_key=new_key,
            owner=record.full_name.split("/", 1)[0],
            first_seen=utcnow(),
            topics=[],
        )
        session.add(row)
        session.flush()
        return row
    if row.name_key != new_key:
        holder = session.scalar(
            select(GitHubRepository).where(GitHubRepository.name_key == new_key)
        )
        if holder is not None and holder.id != row.id:
            _merge(session, keep=row, drop=holder)
        logger.info("GitHub: %s is now %s", row.full_name, record.full_name)
        _add_alias(session, row.id, row.full_name)
        row.name_key = new_key
    if record.requested_name and name_key(record.requested_name) != new_key:
        _add_alias(session, row.id, record.requested_name)
    row.full_name = record.full_name
    row.owner = record.full_name.split("/", 1)[0]
    return row


def _add_alias(session: Session, repository_id: int, full_name: str) -> None:
    session.flush()
    stmt = insert_for(session, GitHubRepositoryAlias).on_conflict_do_nothing(
        index_elements=["name_key"]
    )
    session.execute(
        stmt,
        [
            {
                "repository_id": repository_id,
                "full_name": full_name,
                "name_key": name_key(full_name),
                "created_at": utcnow(),
            }
        ],
    )


def _merge(session: Session, keep: GitHubRepository, drop: GitHubRepository) -> None:
    """Move ``drop``'s links, aliases and snapshots to ``keep`` and delete ``drop`` (both
    rows turned out to be one repository)."""
    logger.info("GitHub: merging repository row %s into %s", drop.id, keep.id)
    for model, unique in (
        (GitHubWorkRepository, "work_id"),
        (GitHubAuthorRepository, "author_id"),
        (GitHubRepositorySnapshot, "run_id"),
    ):
        column = getattr(model, unique)
        taken = set(session.scalars(select(column).where(model.repository_id == keep.id)))
        for item in session.scalars(select(model).where(model.repository_id == drop.id)):
            if getattr(item, unique) in taken:
                session.delete(item)
            else:
                item.repository_id = keep.id
    session.execute(
        update(GitHubRepositoryAlias)
        .where(GitHubRepositoryAlias.repository_id == drop.id)
        .values(repository_id=keep.id)
    )
    drop_name = drop.full_name
    session.delete(drop)
    session.flush()
    _add_alias(session, keep.id, drop_name)


def _apply(row: GitHubRepository, record: RepositoryData, run_id: int, now: datetime) -> None:
    if record.github_id is not None:
        row.github_id = record.github_id
    row.node_id = record.node_id or row.node_id
    row.description = record.description
    row.html_url = record.html_url or row.html_url
    row.language = record.language
    row.topics = list(record.topics)
    row.license = record.license
    row.created_on_github = record.created_at
    row.pushed_at = record.pushed_at
    row.archived = record.archived
    row.fork = record.fork
    row.stars = record.stars
    row.forks = record.forks
    if record.watchers is not None:
        row.watchers = record.watchers
    row.open_issues = record.open_issues
    row.status = "active"
    row.gone_at = None
    if record.etag:
        row.etag = record.etag
    row.last_refreshed = now
    row.last_run_id = run_id


def _snapshot(
    session: Session,
    row: GitHubRepository,
    run_id: int,
    now: datetime,
    *,
    via: str,
    carried: bool,
    record: RepositoryData | None,
) -> None:
    values = {
        "repository_id": row.id,
        "run_id": run_id,
        "observed_at": now,
        "stars": row.stars,
        "forks": row.forks,
        # A snapshot states only what this answer said; REST listings omit watchers.
        "watchers": record.watchers if record is not None else row.watchers,
        "open_issues": row.open_issues,
        "pushed_at": row.pushed_at,
        "archived": row.archived,
        "via": via,
        "carried": carried,
    }
    stmt = insert_for(session, GitHubRepositorySnapshot).on_conflict_do_nothing(
        index_elements=["repository_id", "run_id"]
    )
    session.execute(stmt, [values])


def _source_id(record: RepositoryData) -> str:
    return (
        f"repo:{record.github_id}" if record.github_id is not None else f"repo:{record.full_name}"
    )


def _source_id_for(session: Session, repository_id: int) -> str:
    row = session.get_one(GitHubRepository, repository_id)
    return f"repo:{row.github_id}" if row.github_id is not None else f"repo:{row.full_name}"


def _store_source_record(
    session: Session, record: RepositoryData, row: GitHubRepository, run_id: int, now: datetime
) -> str:
    """Keep the raw payload in ``source_record``; returns inserted, updated or unchanged."""
    source_id = _source_id(record)
    digest = content_hash(record.raw)
    known = session.execute(
        select(SourceRecord.id, SourceRecord.content_hash).where(
            SourceRecord.source == SOURCE, SourceRecord.source_id == source_id
        )
    ).first()
    if known is not None and known[1] == digest:
        session.execute(
            update(SourceRecord)
            .where(SourceRecord.id == known[0])
            .values(last_seen=now, last_run_id=run_id)
        )
        return "unchanged"
    values = {
        "source": SOURCE,
        "source_id": source_id,
        "kind": "repository",
        "payload": record.raw,
        "payload_format": record.raw_format,
        "content_hash": digest,
        "parsed": record.to_json(),
        "work_id": None,
        "first_seen": now,
        "last_seen": now,
        "changed_at": now,
        "first_run_id": run_id,
        "last_run_id": run_id,
    }
    values = check_row(SourceRecord.__table__, values)  # type: ignore[arg-type]
    upsert_source_records(session, [values], keep_work=True)
    return "inserted" if known is None else "updated"


def repository_ids_for(session: Session, full_names: Iterable[str]) -> list[int]:
    """Ids of the named repositories that exist (current or former names)."""
    found = []
    for full_name in full_names:
        row = find_repository(session, full_name)
        if row is not None:
            found.append(row.id)
    return found


__all__ = [
    "RefreshTarget",
    "RepositoryData",
    "add_code_link",
    "code_links",
    "ensure_repositories",
    "find_repository",
    "link_author",
    "link_works",
    "mark_gone",
    "name_key",
    "refresh_targets",
    "repository_ids_for",
    "store_records",
    "store_unchanged",
]
