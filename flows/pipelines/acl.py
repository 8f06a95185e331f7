"""ACL Anthology pipelines: sync the data, parse the changed collection files, load the papers.

Plain functions (the CLI and the Prefect flow call them), in the pattern of flows.pipelines.arxiv:
each opens a harvest run, commits its batches, and closes the run with its counts; on failure
the run is marked failed, what was committed stays, and the error is raised again.

Incremental by file: every harvest scope (a tracked author, a venue + year range) keeps a
cursor ``{"files": {collection_id: blob_sha}}`` of the collection files it has parsed. A run
parses only files whose blob SHA differs from that cursor, so a nightly run after one file
changed parses that one file. The cursor is written together with the records it covers
(every ``cursor_every`` files and at the end); a killed run parses the uncommitted files again
and the loader finds them unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.runs import (
    HarvestSummary,
    Progress,
    RunTracker,
    batches,
    load_items,
    log_progress,
)
from harvesters.acl.data import CollectionFile, GitHubAnthologySync, LocalAnthology, Select
from harvesters.acl.parse import SOURCE, collection_venue, collection_year, parse_collection
from harvesters.errors import SourceResponseError
from harvesters.normalize import fold, name_key
from harvesters.records import AuthorName, QuarantinedInput, WorkRecord
from models.loader import LoadCounts
from models.runs import get_cursor, resolve_quarantined, set_cursor

logger = logging.getLogger(__name__)

Parse = Callable[..., Iterable[WorkRecord | QuarantinedInput]]
Keep = Callable[[WorkRecord, str], WorkRecord | None]


# --------------------------------------------------------------------------- tracked authors


@dataclass(frozen=True)
class AclAuthor:
    """A tracked author as the ACL harvest matches them: ACL person id, ORCID, name.

    ``cursor_key`` names their file cursor; ``signature`` is stored with it, so changing the
    handles re-parses every file for them.
    """

    name: str
    tracked_id: int | None = None
    acl_id: str | None = None
    orcid: str | None = None

    @property
    def cursor_key(self) -> str:
        return f"author:{self.tracked_id if self.tracked_id is not None else name_key(self.name)}"

    @property
    def signature(self) -> dict[str, str | None]:
        return {"name": self.name, "acl": self.acl_id, "orcid": self.orcid}

    def matches(self, person: AuthorName) -> bool:
        """Whether ``person`` (an author as printed on a paper) is this tracked author.

        An ORCID on both sides decides. Else, with a tracked ACL person id: the printed
        explicit id, or for a name printed without one, its implicit id (the Anthology's slug
        of the name, e.g. ``noah-a-smith``), must equal it. Without a tracked ACL id: the
        folded names are equal, or share first and last word (a middle name or initial
        added or left out). A printed explicit id never matches a different tracked id.
        """
        orcid = person.ids.get("orcid")
        if orcid and self.orcid:
            return orcid == self.orcid
        printed_id = person.ids.get("acl")
        if self.acl_id:
            return (printed_id or implicit_person_id(person.name)) == self.acl_id
        return names_match(person.name, self.name)


def implicit_person_id(name: str) -> str:
    """The person id the Anthology gives a name printed without an explicit id."""
    return "-".join(fold(name).split())


def names_match(printed: str, tracked: str) -> bool:
    """Same folded name, or the same first and last word (``Noah A. Smith``/``Noah Smith``)."""
    p, t = fold(printed).split(), fold(tracked).split()
    if not p or not t:
        return False
    if p == t:
        return True
    return len(p) >= 2 and len(t) >= 2 and p[0] == t[0] and p[-1] == t[-1]


def attribute(record: WorkRecord, authors: Iterable[AclAuthor]) -> WorkRecord | None:
    """``record`` with each tracked author marked (``ids["tracked"]``) among its authors, or
    None when none of ``authors`` wrote it."""
    names = list(record.authors)
    found = False
    for tracked in authors:
        for index, person in enumerate(names):
            if tracked.tracked_id is not None and "tracked" in person.ids:
                continue
            if tracked.matches(person):
                found = True
                if tracked.tracked_id is not None:
                    names[index] = dataclasses.replace(
                        person, ids={**person.ids, "tracked": str(tracked.tracked_id)}
                    )
                break
    return dataclasses.replace(record, authors=tuple(names)) if found else None


# --------------------------------------------------------------------------- sync


def sync_acl_data(
    sessions: sessionmaker[Session],
    syncer: GitHubAnthologySync,
    *,
    select: Select | None = None,
    progress: Progress | None = None,
) -> HarvestSummary:
    """Bring the local copy up to date with GitHub, fetching only changed files.

    A harvest run of mode ``sync`` whose counts are files: fetched = files listed (that
    ``select`` accepts), inserted = new files, updated = changed files, unchanged = files
    already current. The commit reached is stored as cursor ``sync:<repo>@<branch>``.
    Raises what the syncer raises, after marking the run failed.
    """
    params = {"repo": syncer.repo, "branch": syncer.branch, "dest": str(syncer.dest)}
    params["selection"] = "all" if select is None else "selected"
    run = RunTracker(sessions, SOURCE, "sync", params)
    try:
        log_progress(
            progress, "ACL: syncing %s@%s into %s", syncer.repo, syncer.branch, syncer.dest
        )
        result = syncer.sync(select)
        changed = len(result.fetched)
        counts = LoadCounts(
            fetched=changed + result.unchanged,
            inserted=len(result.added),
            updated=changed - len(result.added),
            unchanged=result.unchanged,
        )
        cursor = result.as_cursor()
        set_cursor(
            run.session,
            SOURCE,
            f"sync:{syncer.repo}@{syncer.branch}",
            {"commit": result.commit},
            run.run.id,
        )
        run.commit_batch(counts, cursor)
        log_progress(
            progress,
            "ACL: at commit %s: %d file(s) fetched, %d unchanged",
            result.commit[:12],
            changed,
            result.unchanged,
        )
    except BaseException as exc:
        run.fail(exc)
        raise
    return run.finish()


# --------------------------------------------------------------------------- harvests


def harvest_acl_authors(
    sessions: sessionmaker[Session],
    data: LocalAnthology,
    authors: list[AclAuthor],
    *,
    batch_size: int = 500,
    cursor_every: int = 100,
    parse: Parse = parse_collection,
    progress: Progress | None = None,
) -> HarvestSummary:
    """Load the papers of the tracked ``authors`` from the collection files changed since
    each author's cursor (all files for an author seen for the first time).

    Raises what reading the data raises, after marking the run failed. A collection file that
    is not well-formed XML is quarantined whole and parsed again next time.
    """
    params = {"authors": [a.name for a in authors], "data_dir": str(data.data_dir)}
    run = RunTracker(sessions, SOURCE, "authors", params)
    log_progress(progress, "ACL: %d tracked author(s) in %s", len(authors), data.data_dir)
    return _harvest_files(
        run,
        data,
        lambda: data.collections(),
        lambda session: [_Scope.load(session, a.cursor_key, a.signature) for a in authors],
        lambda record, _cid: attribute(record, authors),
        batch_size=batch_size,
        cursor_every=cursor_every,
        parse=parse,
        progress=progress,
    )


def harvest_acl_venue(
    sessions: sessionmaker[Session],
    data: LocalAnthology,
    venue: str | None,
    *,
    year_from: int | None = None,
    year_to: int | None = None,
    batch_size: int = 500,
    cursor_every: int = 100,
    parse: Parse = parse_collection,
    progress: Progress | None = None,
) -> HarvestSummary:
    """Backfill every paper of ``venue`` (an Anthology venue id such as ``acl``, ``emnlp``,
    ``insights``; None: every venue) published from ``year_from`` to ``year_to``.

    A volume belongs to the venue when its ``<venue>`` elements or its collection id name it.
    Files already parsed for the same venue and years, and unchanged since, are skipped.
    Raises ValueError when neither a venue nor a year is given, and what reading the data
    raises, after marking the run failed.
    """
    if venue is None and year_from is None and year_to is None:
        raise ValueError("an ACL backfill needs a venue, a year range, or both")
    wanted = venue.strip().lower() if venue else None
    key = f"venue:{wanted or '*'}:{year_from or ''}-{year_to or ''}"
    params = {
        "venue": wanted,
        "year_from": year_from,
        "year_to": year_to,
        "data_dir": str(data.data_dir),
    }
    run = RunTracker(sessions, SOURCE, "venue", params)

    def keep(record: WorkRecord, collection_id: str) -> WorkRecord | None:
        if record.year is not None and not _in_years(record.year, year_from, year_to):
            return None
        if wanted is None:
            return record
        venues = {v.lower() for v in record.venues} | {collection_venue(collection_id)}
        return record if wanted in venues else None

    log_progress(
        progress, "ACL: venue %s, years %s-%s", wanted or "*", year_from or "", year_to or ""
    )
    return _harvest_files(
        run,
        data,
        lambda: data.collections(years_selector(year_from, year_to)),
        lambda session: [_Scope.load(session, key, {"venue": wanted})],
        keep,
        batch_size=batch_size,
        cursor_every=cursor_every,
        parse=parse,
        progress=progress,
    )


def years_selector(year_from: int | None, year_to: int | None) -> Select | None:
    """A collection-id filter for a year range (None when the range is open on both ends).
    Collections whose id gives no year are kept."""
    if year_from is None and year_to is None:
        return None

    def select(collection_id: str) -> bool:
        year = collection_year(collection_id)
        return year is None or _in_years(year, year_from, year_to)

    return select


def _in_years(year: int, year_from: int | None, year_to: int | None) -> bool:
    return (year_from is None or year >= year_from) and (year_to is None or year <= year_to)


# --------------------------------------------------------------------------- file cursor


@dataclass
class _Scope:
    """One file cursor: the blob SHA of each collection file last parsed for this scope."""

    key: str
    signature: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def load(cls, session: Session, key: str, signature: dict[str, Any]) -> _Scope:
        stored = get_cursor(session, SOURCE, key) or {}
        if stored.get("match") != signature:
            return cls(key, signature)  # new scope, or changed handles: every file again
        return cls(key, signature, dict(stored.get("files") or {}))

    def needs(self, file: CollectionFile) -> bool:
        return self.files.get(file.collection_id) != file.sha

    def save(self, session: Session, run_id: int) -> None:
        if self.dirty:
            value = {"match": self.signature, "files": self.files}
            set_cursor(session, SOURCE, self.key, value, run_id)
            self.dirty = False


def _harvest_files(
    run: RunTracker,
    data: LocalAnthology,
    list_files: Callable[[], list[CollectionFile]],
    load_scopes: Callable[[Session], list[_Scope]],
    keep: Keep,
    *,
    batch_size: int,
    cursor_every: int,
    parse: Parse,
    progress: Progress | None,
) -> HarvestSummary:
    """Parse the files some scope has not seen in their current version; load what ``keep``
    keeps; advance the scopes' cursors; close the run (failed, and the error raised again,
    when anything raises). Which files were parsed goes into the run's cursor."""
    try:
        _parse_and_load(
            run,
            data,
            list_files(),
            load_scopes(run.session),
            keep,
            batch_size=batch_size,
            cursor_every=cursor_every,
            parse=parse,
            progress=progress,
        )
    except BaseException as exc:
        run.fail(exc)
        raise
    return run.finish()


def _parse_and_load(
    run: RunTracker,
    data: LocalAnthology,
    files: list[CollectionFile],
    scopes: list[_Scope],
    keep: Keep,
    *,
    batch_size: int,
    cursor_every: int,
    parse: Parse,
    progress: Progress | None,
) -> None:
    stats: dict[str, Any] = {"files_parsed": [], "files_unchanged": 0, "files_quarantined": []}
    since_save = 0
    for file in files:
        needing = [s for s in scopes if s.needs(file)]
        if not needing:
            stats["files_unchanged"] += 1
            continue
        content = data.read(file)
        stats["files_parsed"].append(file.collection_id)
        try:
            items = list(
                _kept(
                    parse(content, file.collection_id, origin=str(file.path)),
                    keep,
                    file.collection_id,
                )
            )
        except SourceResponseError as exc:
            logger.warning("ACL: %s quarantined: %s", file.path, exc)
            stats["files_quarantined"].append(file.collection_id)
            bad = QuarantinedInput(
                source=SOURCE,
                reason=str(exc),
                raw=content.decode("utf-8", errors="replace"),
                source_id=file.collection_id,
            )
            run.commit_batch(load_items(run.session, run.run.id, [bad]), _copy(stats))
            continue
        # Parsed fine now: an earlier quarantine of this file is resolved.
        resolve_quarantined(run.session, SOURCE, [file.collection_id])
        for batch in batches(items, batch_size):
            run.commit_batch(load_items(run.session, run.run.id, batch), _copy(stats))
        for scope in needing:
            scope.files[file.collection_id] = file.sha
            scope.dirty = True
        since_save += 1
        if since_save >= cursor_every:
            _save(run, scopes, stats)
            since_save = 0
        log_progress(progress, "ACL: %s: %d paper(s) kept", file.collection_id, len(items))
    _save(run, scopes, stats)
    log_progress(
        progress,
        "ACL: %d file(s) parsed, %d unchanged, %d quarantined",
        len(stats["files_parsed"]),
        stats["files_unchanged"],
        len(stats["files_quarantined"]),
    )


def _kept(
    items: Iterable[WorkRecord | QuarantinedInput], keep: Keep, collection_id: str
) -> Iterator[WorkRecord | QuarantinedInput]:
    for item in items:
        if isinstance(item, QuarantinedInput):
            yield item
        elif (kept := keep(item, collection_id)) is not None:
            yield kept


def _copy(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in stats.items()}


def _save(run: RunTracker, scopes: list[_Scope], stats: dict[str, Any]) -> None:
    for scope in scopes:
        scope.save(run.session, run.run.id)
    run.commit_batch(LoadCounts(), _copy(stats))
