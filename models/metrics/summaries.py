"""Per-author metric summaries computed from merged (canonical) works, never raw records.

Set-based: :func:`read_inputs` reads what a batch of authors needs with a handful of queries
(authorships, the works' co-authorships, works, citation counts, repositories, Scholar's
reported numbers); :func:`iter_all_inputs` gives the same inputs for most or all authors from
whole-table reads; :func:`summarize` then computes one author's summary in Python with the
definitions of :mod:`models.metrics.indices`.

Conventions beyond the indices' own:

* A work's citation count is :func:`models.metrics.citations.citation_counts`' value (one per
  source, never a sum of duplicates); a work without one is counted in the works but in no
  citation index, and shows in ``coverage``. So ``h <= works_with_citations <= works``.
* ``n_authors`` of a work is its number of authorships; the author is *first author* at
  position 0 and *last author* at the final position of a work with at least two authors.
* Per-year counts: the author's citations per year are the sum of the works' per-year counts,
  *complete* only when every cited work has them. The 5-year variants (Scholar's "since
  YEAR" column: ``current_year - 5`` on) are computed only from complete per-year counts;
  otherwise they are None and ``five_year_basis`` says why (Scholar's own reported 5-year
  numbers stay beside them). ``citations_per_year`` uses the per-year counts when complete,
  else the total divided by the years since the first work (``citations_per_year_basis``).
"""

from __future__ import annotations

import hashlib
import json
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Text, cast, func, select, text, true
from sqlalchemy.orm import Session

from models.authors import Author, Authorship
from models.citations.author_reports import latest_author_reports
from models.github.tables import GitHubAuthorRepository, GitHubRepository, GitHubWorkRepository
from models.metrics import indices
from models.metrics.citations import CitationCount, citation_counts
from models.metrics.indices import Paper
from models.scholar.tables import ScholarProfile, ScholarPublication
from models.works import Work

TOP = 10


@dataclass(slots=True)
class WorkInput:
    """One canonical work of an author, as the summary sees it. Not frozen: a whole-table
    run makes one per authorship (3M at 1M works), and a frozen dataclass's ``__init__``
    (one ``object.__setattr__`` per field) costs five times a plain one; treat it as
    read-only all the same."""

    work_id: int
    year: int | None
    position: int
    n_authors: int
    categories: tuple[str, ...]
    venues: tuple[str, ...]
    citation: CitationCount | None
    #: the work's :meth:`paper`, when the reader built it once for every author of the work
    shared_paper: Paper | None = field(default=None, compare=False, repr=False)
    #: the JSON of :meth:`entry` before and after the position, built once per work likewise
    shared_entry: tuple[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def is_last_author(self) -> bool:
        return self.n_authors >= 2 and self.position == self.n_authors - 1

    def entry(self) -> tuple[Any, ...]:
        """What :meth:`AuthorInputs.fingerprint` hashes of this work."""
        return (
            self.work_id,
            self.year,
            self.position,
            self.n_authors,
            self.categories,
            self.venues,
            _citation_entry(self.citation),
        )

    def paper(self) -> Paper:
        if self.shared_paper is not None:
            return self.shared_paper
        c = self.citation
        return Paper(
            c.count if c else None,
            self.year,
            self.n_authors,
            c.per_year if c and c.per_year is not None else None,
        )


@dataclass(frozen=True)
class ScholarReported:
    """What one linked Scholar profile reports about the author."""

    scholar_id: str
    citedby: int | None
    hindex: int | None
    i10index: int | None
    citedby5y: int | None
    hindex5y: int | None
    i10index5y: int | None
    observed_at: datetime
    cites_per_year: dict[str, int] = field(default_factory=dict)  # the profile's histogram
    listed: int = 0  # publications the profile lists, as stored
    listed_citations: int = 0  # the sum of their "cited by" counts


_SCHOLAR_FIELDS = tuple(f.name for f in fields(ScholarReported))


@dataclass(frozen=True)
class S2Reported:
    """What Semantic Scholar last reported for one of the author's S2 author ids."""

    s2_author_id: str
    works: int | None
    citations: int | None
    h_index: int | None
    observed_on: date


@dataclass
class AuthorInputs:
    """Everything one author's summary is computed from."""

    author_id: int
    name: str
    works: list[WorkInput] = field(default_factory=list)
    coauthors: Counter[int] = field(default_factory=Counter)
    coauthor_names: dict[int, str] = field(default_factory=dict)
    repositories: dict[int, tuple[str, int, str]] = field(default_factory=dict)
    scholar: list[ScholarReported] = field(default_factory=list)
    s2: list[S2Reported] = field(default_factory=list)
    #: :meth:`top_coauthors`, once computed (the readers fill it; not an input of its own)
    top: list[tuple[int, int]] | None = field(default=None, compare=False, repr=False)

    def top_coauthors(self) -> list[tuple[int, int]]:
        """The ``TOP`` co-authors sharing the most works (then the lowest ids), with their
        counts; cached: call it once ``coauthors`` is complete."""
        if self.top is None:
            self.top = _top(self.coauthors)
        return self.top

    def fingerprint(self, current_year: int) -> str:
        """SHA-256 of every input value the summary depends on (works, positions, author
        counts, citation counts and their source, per-year counts, topics, co-authors,
        repositories and stars, Scholar's reported numbers, the year). Observation dates are
        left out: a re-harvest that reports the same numbers changes nothing. The encoding
        may change between versions (it did on 2026-12-07): a stored fingerprint of another
        encoding only makes a run recompute an author it reads anyway."""
        scholar = sorted(
            tuple(getattr(s, k) for k in _SCHOLAR_FIELDS if k != "observed_at")
            for s in self.scholar
        )
        head = [
            current_year,
            self.name,
            sorted(self.coauthor_names.items()),  # the names shown: the top co-authors'
            sorted((i, *v) for i, v in self.repositories.items()),
            scholar,
            sorted((r.s2_author_id, r.works, r.citations, r.h_index) for r in self.s2),
        ]
        # JSON values delimit themselves and the co-authors' arrays are fixed-width after
        # their length, so the hashed bytes decode one way. The co-authors (some 70 per
        # author) go in as machine integers: as JSON they cost more than the rest together.
        coauthors = self.coauthors
        ids = sorted(coauthors)
        digest = hashlib.sha256(_dumps(head).encode())
        digest.update(_works_text(self.works).encode())
        digest.update(len(ids).to_bytes(8, "little"))
        digest.update(array("q", ids).tobytes())
        digest.update(array("q", map(coauthors.__getitem__, ids)).tobytes())
        return digest.hexdigest()


#: The fingerprint's JSON (what ``json.dumps(value, separators=(",", ":"), default=str)``
#: gives, without building an encoder per call): compact, anything else as ``str``. JSON
#: composes, so the text of a list is that of its items joined: parts may be encoded apart
#: and spliced.
_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode


def _works_text(works: Sequence[WorkInput]) -> str:
    """The fingerprint's JSON of the works, sorted: their :meth:`WorkInput.entry`s, from
    the halves the readers build once per work (``shared_entry``) when every work has them
    and they are in work id order already (as the readers give them), else encoded here."""
    parts: list[str] = []
    last = None
    for w in works:
        entry = w.shared_entry
        if entry is None or (last is not None and w.work_id <= last):
            return _dumps(sorted(w.entry() for w in works))
        last = w.work_id
        parts.append(f"{entry[0]}{w.position}{entry[1]}")  # an int's JSON is its repr
    return f"[{','.join(parts)}]"


def _entry_halves(
    work_id: int,
    row: WorkRow,
    n_authors: int,
    citation: CitationCount | None,
    texts: dict[Any, str],
) -> tuple[str, str]:
    """The JSON of a work's fingerprint entry (:meth:`WorkInput.entry`) before and after
    the author's position, which is all that differs between its authors. The ids and
    counts are ints (read from integer columns), whose JSON is their ``repr``; ``texts``
    keeps the JSON of the few distinct topic and venue lists (by row) and sources."""
    year = "null" if row[0] is None else row[0]
    lists = texts.get(row)
    if lists is None:
        lists = texts[row] = _dumps(row[1:])[1:-1]
    if citation is None:
        cited = "null"
    elif citation.per_year or citation.others:
        cited = _dumps(_citation_entry(citation))
    else:  # most counts: no per-year counts, no other observation
        source = texts.get(citation.source)
        if source is None:
            source = texts[citation.source] = _dumps(citation.source)
        cited = f"[{source},{citation.count},[],[]]"
    return f"[{work_id},{year},", f",{n_authors},{lists},{cited}]"


def _citation_entry(c: CitationCount | None) -> tuple[Any, ...] | None:
    """A citation count as the fingerprint sees it (observation dates left out)."""
    if c is None:
        return None
    return (
        c.source,
        c.count,
        sorted(c.per_year.items()) if c.per_year else [],
        sorted((o.source, o.entry, o.count) for o in c.others) if c.others else [],
    )


# --------------------------------------------------------------------------- reading


WorkRow = tuple[int | None, tuple[str, ...], tuple[str, ...]]  # year, categories, venues
Repo = tuple[int, str, int]  # repository id, full name, stars
#: What every author of a work shares: its distinct authors, row, author count, citation
#: count, Paper and the halves of its fingerprint entry (:func:`_entry_halves`). A tuple:
#: a million of them stay in memory (in each worker process) during a whole-table run.
SharedWork = tuple[tuple[int, ...], WorkRow, int, CitationCount | None, Paper, tuple[str, str]]


@dataclass
class _Read:
    """The rows the inputs of some authors are assembled from (:func:`_assemble`), read
    batch-wise by :func:`read_inputs` or whole tables at once by :func:`iter_all_inputs`."""

    bylines: dict[int, list[int]]  # work -> its authors, one per authorship
    works: dict[int, WorkRow]
    counts: dict[int, CitationCount]
    owned: dict[int, list[Repo]]  # author -> repositories of its GitHub login, as read
    by_work: dict[int, list[Repo]]  # work -> its repositories, as read
    scholar: dict[int, list[ScholarReported]]  # author -> profiles, by scholar id
    s2: dict[int, list[S2Reported]]
    names: dict[int, str] | None = None  # every author's name (else filled by _names)
    shared: dict[int, SharedWork] = field(default_factory=dict)  # filled by _assemble
    texts: dict[Any, str] = field(default_factory=dict)  # JSON texts (_entry_halves)
    #: Papers without per-year counts by (citations, year, authors): equal ones shared
    #: (a frozen dataclass with a check: dear to build a million times over)
    papers: dict[tuple[int | None, int | None, int], Paper] = field(default_factory=dict)
    #: a whole-table read's authorships of the authors wanted, by author, work, position:
    #: their author ids, work ids and positions
    ships: tuple[array[int], array[int], array[int]] = ((), (), ())  # type: ignore[assignment]


def _work_row(year: int | None, categories: Any, venues: Any, seen: dict) -> WorkRow:
    """A work's row with its lists as tuples (equal tuples shared: few distinct ones)."""
    row = (year, tuple(categories or ()), tuple(venues or ()))
    return seen.setdefault(row, row)


def _assemble(
    author_id: int, name: str, mine: Sequence[tuple[int, int]], read: _Read
) -> AuthorInputs:
    """One author's inputs from its ``(work_id, position)`` authorships, sorted."""
    inputs = AuthorInputs(author_id, name)
    last = None
    shared = read.shared
    works = inputs.works
    everyone: list[int] = []  # the distinct authors of each work, the author among them
    for work_id, position in mine:
        if work_id == last:
            continue  # one author at two positions of a work counts the work once (sorted)
        work = shared.get(work_id)
        if work is None:
            work = _shared_work(work_id, read)
            if work is None:
                continue
        last = work_id
        byline, row, n_authors, citation, paper, halves = work
        works.append(
            WorkInput(work_id, row[0], position, n_authors, row[1], row[2], citation, paper, halves)
        )
        everyone += byline
    # each co-author once per work (the bylines are deduplicated), counted in C
    inputs.coauthors = Counter(everyone)
    inputs.coauthors.pop(author_id, None)
    if read.names is not None:
        names = read.names
        inputs.coauthor_names = {a: names.get(a, "?") for a, _ in inputs.top_coauthors()}
    for repo_id, repo, stars in read.owned.get(author_id, ()):
        inputs.repositories[repo_id] = (repo, stars, "owner")
    if read.by_work:
        for w in inputs.works:
            for repo_id, repo, stars in read.by_work.get(w.work_id, ()):
                inputs.repositories.setdefault(repo_id, (repo, stars, "paper"))
    inputs.scholar = read.scholar.get(author_id, [])
    inputs.s2 = read.s2.get(author_id, [])
    return inputs


def _shared_work(work_id: int, read: _Read) -> SharedWork | None:
    """What every author of the work shares (:data:`SharedWork`), built once and kept in
    ``read.shared``; None for an unknown work."""
    row = read.works.get(work_id)
    if row is None:
        return None
    byline = read.bylines.get(work_id, [])
    n_authors = max(len(byline), 1)  # authorships, not distinct authors
    c = read.counts.get(work_id)
    if c is None or c.per_year is None:  # most works: one Paper per distinct value, shared
        key = (c.count if c else None, row[0], n_authors)
        paper = read.papers.get(key)
        if paper is None:
            paper = read.papers[key] = Paper(*key)
    else:
        paper = Paper(c.count, row[0], n_authors, c.per_year)
    halves = _entry_halves(work_id, row, n_authors, c, read.texts)
    work = read.shared[work_id] = (tuple(dict.fromkeys(byline)), row, n_authors, c, paper, halves)
    return work


def read_inputs(session: Session, author_ids: Sequence[int]) -> dict[int, AuthorInputs]:
    """The inputs of each author of ``author_ids`` (one batch: keep it to a few thousand ids),
    in nine queries whatever the batch size. Unknown ids are absent from the result."""
    ids = sorted(set(author_ids))
    if not ids:
        return {}
    session.flush()  # the reads below are Core (plain rows, no ORM loading): flush first
    conn = session.connection()
    authors = conn.execute(
        select(Author.id, Author.display_name).where(Author.id.in_(ids)).order_by(Author.id)
    ).all()
    own = select(Authorship.work_id).where(Authorship.author_id.in_(ids))
    wanted = set(ids)
    # every authorship of the batch's works: the bylines, and among them the batch's own
    mine: dict[int, list[tuple[int, int]]] = {}
    bylines: dict[int, list[int]] = {}
    for author_id, work_id, position in conn.execute(
        select(Authorship.author_id, Authorship.work_id, Authorship.position).where(
            Authorship.work_id.in_(own)
        )
    ).all():
        bylines.setdefault(work_id, []).append(author_id)
        if author_id in wanted:
            mine.setdefault(author_id, []).append((work_id, position))
    shared: dict[WorkRow, WorkRow] = {}
    works = {
        work_id: _work_row(year, categories, venues, shared)
        for work_id, year, categories, venues in conn.execute(
            select(Work.id, Work.year, Work.categories, Work.venues).where(Work.id.in_(own))
        )
    }
    read = _Read(
        bylines=bylines,
        works=works,
        counts=citation_counts(session, own),
        owned=_owned(conn, ids),
        by_work=_work_repositories(conn, own),
        scholar=_scholar(conn, ids),
        s2=_s2(session, ids),
    )
    result = {
        author_id: _assemble(author_id, name, sorted(mine.get(author_id, ())), read)
        for author_id, name in authors
    }
    _names(session, result)
    return result


def iter_all_inputs(
    session: Session, author_ids: Sequence[int], *, chunk: int = 20_000
) -> Iterator[AuthorInputs]:
    """The inputs of each author of ``author_ids`` (unknown ids skipped), in id order, equal
    to :func:`read_inputs`' but read with whole-table selects: each input table once, in
    big ordered selects, instead of per-batch ``IN`` lists (which read a work once
    for every batch holding one of its authors). Worth it when ``author_ids`` is a large
    part of all authors; holds every work's row in memory meanwhile.

    Everything is read before the first author is yielded, so the caller may use the
    session's connection (e.g. to write) while iterating."""
    yield from read_all_inputs(session, author_ids, chunk=chunk).iter()


@dataclass
class AllInputs:
    """The rows of a whole-table read (:func:`read_all_inputs`) and the authors found,
    sorted: :meth:`iter` assembles the inputs of any slice of them (a forked worker process
    can assemble its own slices from the rows its parent read)."""

    read: _Read
    author_ids: list[int]

    def iter(self, start: int = 0, stop: int | None = None) -> Iterator[AuthorInputs]:
        """The inputs of ``author_ids[start:stop]``, in id order."""
        ids = self.author_ids[start:stop]
        if not ids:
            return
        names, (ship_author, ship_work, ship_position) = self.read.names or {}, self.read.ships
        i, n = bisect_left(ship_author, ids[0]), len(ship_author)
        for author_id in ids:
            mine: list[tuple[int, int]] = []
            while i < n and ship_author[i] < author_id:
                i += 1
            while i < n and ship_author[i] == author_id:
                mine.append((ship_work[i], ship_position[i]))
                i += 1
            yield _assemble(author_id, names[author_id], mine, self.read)


def read_all_inputs(
    session: Session, author_ids: Sequence[int], *, chunk: int = 20_000
) -> AllInputs:
    """Every input table read once (:func:`iter_all_inputs`), for the authors of
    ``author_ids`` that exist, fetched ``chunk`` rows at a time.

    The selects use plain (client-side) cursors, not server-side ones: PostgreSQL runs a
    cursor's query without parallel workers, and the Scholar join and the authorships' sort
    are where it spends its time (the whole read took 2-3 s longer through server-side
    cursors at 1M works). The driver holds each result while it is fetched (about 100 MB
    for 3M authorships)."""
    wanted = set(author_ids)
    session.flush()
    conn = session.connection()
    with _whole_read_settings(conn):
        read = _read_all(session, conn, wanted, chunk)
    return AllInputs(read, sorted(wanted & (read.names or {}).keys()))


#: PostgreSQL settings while a whole-table read runs, restored afterwards: more ``work_mem``
#: than the default 4MB, so the million-row hashes do not spill to disk; and no incremental
#: sort: it ordered the authorships by scanning the ``author_id`` index
#: and sorting each author's rows (random heap reads: 7.5 s at 3M rows, where a sequential
#: scan and one sort take 1.8 s).
WHOLE_READ_SETTINGS = {
    "work_mem": "64MB",
    "enable_incremental_sort": "off",
}


@contextmanager
def _whole_read_settings(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, :data:`WHOLE_READ_SETTINGS` for this transaction meanwhile (restored
    afterwards, even on error); elsewhere nothing."""
    if conn.dialect.name != "postgresql":
        yield
        return
    setting = text("SELECT set_config(:name, :value, true)")
    before = {
        name: conn.scalar(text("SELECT current_setting(:name)"), {"name": name})
        for name in WHOLE_READ_SETTINGS
    }
    for name, value in WHOLE_READ_SETTINGS.items():
        conn.execute(setting, {"name": name, "value": value})
    try:
        yield
    finally:
        for name, value in before.items():
            conn.execute(setting, {"name": name, "value": value})


def _read_all(session: Session, conn: Connection, wanted: set[int], chunk: int) -> _Read:
    """The rows of :func:`iter_all_inputs`, each table read once."""
    names: dict[int, str] = {}
    for part in conn.execute(select(Author.id, Author.display_name)).partitions(chunk):
        names.update(part)
    bylines: dict[int, list[int]] = {}
    ship_author, ship_work, ship_position = array("q"), array("q"), array("q")
    for part in conn.execute(
        select(Authorship.author_id, Authorship.work_id, Authorship.position).order_by(
            Authorship.author_id, Authorship.work_id, Authorship.position
        )
    ).partitions(chunk):
        if not part:
            continue
        authors_, works_, positions = zip(*part, strict=True)  # columns, transposed in C
        for work_id, author_id in zip(works_, authors_, strict=True):
            byline = bylines.get(work_id)
            if byline is None:
                bylines[work_id] = [author_id]
            else:
                byline.append(author_id)
        if wanted.issuperset(authors_):  # every row is wanted (always, in a full run)
            ship_author.extend(authors_)
            ship_work.extend(works_)
            ship_position.extend(positions)
            continue
        for author_id, work_id, position in part:
            if author_id in wanted:
                ship_author.append(author_id)
                ship_work.append(work_id)
                ship_position.append(position)
    shared: dict[WorkRow, WorkRow] = {}
    works: dict[int, WorkRow] = {}
    # the lists as JSON text, each distinct text parsed once (few distinct lists, 1M works)
    parsed: dict[str | None, tuple[str, ...]] = {None: ()}
    for part in conn.execute(
        select(Work.id, Work.year, cast(Work.categories, Text), cast(Work.venues, Text))
    ).partitions(chunk):
        for work_id, year, categories, venues in part:
            cats = parsed.get(categories)
            if cats is None:
                cats = parsed[categories] = tuple(json.loads(categories) or ())
            where = parsed.get(venues)
            if where is None:
                where = parsed[venues] = tuple(json.loads(venues) or ())
            works[work_id] = _work_row(year, cats, where, shared)
    return _Read(
        bylines=bylines,
        works=works,
        counts=citation_counts(session, None),
        owned=_owned(conn, None),
        by_work=_work_repositories(conn, None),
        scholar=_scholar(conn, None),
        s2=_s2(session, None),
        names=names,
        ships=(ship_author, ship_work, ship_position),
    )


def _names(session: Session, result: dict[int, AuthorInputs]) -> None:
    """Display names of each author's top co-authors (the only ones a summary shows)."""
    wanted: set[int] = set()
    for inputs in result.values():
        wanted |= {a for a, _ in inputs.top_coauthors()}
    names: dict[int, str] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 5000):
        names.update(
            session.connection()
            .execute(
                select(Author.id, Author.display_name).where(
                    Author.id.in_(ordered[start : start + 5000])
                )
            )
            .all()
        )
    for inputs in result.values():
        inputs.coauthor_names = {a: names.get(a, "?") for a, _ in inputs.top_coauthors()}


def _top(counter: Counter[int]) -> list[tuple[int, int]]:
    """The ``TOP`` ``(id, count)`` pairs of most count, then lowest id: sorted by id, then
    stably by count, descending (Python keeps equal counts in id order), with no key
    function called per pair."""
    return sorted(sorted(counter.items()), key=itemgetter(1), reverse=True)[:TOP]


_REPO_COLUMNS = (GitHubRepository.id, GitHubRepository.full_name, GitHubRepository.stars)


def _owned(conn: Connection, ids: list[int] | None) -> dict[int, list[Repo]]:
    """Per author of ``ids`` (None: every author), the repositories of its GitHub login."""
    out: dict[int, list[Repo]] = {}
    for author_id, repo_id, name, stars in conn.execute(
        select(GitHubAuthorRepository.author_id, *_REPO_COLUMNS)
        .join(GitHubRepository, GitHubRepository.id == GitHubAuthorRepository.repository_id)
        .where(true() if ids is None else GitHubAuthorRepository.author_id.in_(ids))
    ).all():
        out.setdefault(author_id, []).append((repo_id, name, stars or 0))
    return out


def _work_repositories(conn: Connection, own: Any) -> dict[int, list[Repo]]:
    """Per work of ``own`` (a select of work ids; None: every work), its repositories."""
    out: dict[int, list[Repo]] = {}
    for work_id, repo_id, name, stars in conn.execute(
        select(GitHubWorkRepository.work_id, *_REPO_COLUMNS)
        .join(GitHubRepository, GitHubRepository.id == GitHubWorkRepository.repository_id)
        .where(true() if own is None else GitHubWorkRepository.work_id.in_(own))
    ).all():
        out.setdefault(work_id, []).append((repo_id, name, stars or 0))
    return out


def _scholar(conn: Connection, ids: list[int] | None) -> dict[int, list[ScholarReported]]:
    """Per author of ``ids`` (None: every author), its linked Scholar profiles' reported
    numbers, by scholar id."""
    listed_of = select(ScholarProfile.id)
    if ids is not None:
        listed_of = listed_of.where(ScholarProfile.author_id.in_(ids))
    listed = {
        sid: (n, total or 0)
        for sid, n, total in conn.execute(
            select(
                ScholarProfile.scholar_id,
                func.count(ScholarPublication.id),
                func.sum(ScholarPublication.num_citations),
            )
            .select_from(ScholarPublication)
            .join(ScholarProfile, ScholarProfile.id == ScholarPublication.profile_id)
            # by profile id, so the publications are found through their profile_id index
            # (SQLite otherwise scans every publication: profile.author_id has no index)
            .where(
                true() if ids is None else ScholarPublication.profile_id.in_(listed_of),
                ScholarPublication.listed.is_(True),
            )
            .group_by(ScholarProfile.scholar_id)
        ).all()  # fetched at once: row by row costs a driver call each (100k at 100k authors)
    }
    out: dict[int, list[ScholarReported]] = {}
    for p in conn.execute(
        select(
            ScholarProfile.author_id,
            ScholarProfile.scholar_id,
            ScholarProfile.citedby,
            ScholarProfile.hindex,
            ScholarProfile.i10index,
            ScholarProfile.citedby5y,
            ScholarProfile.hindex5y,
            ScholarProfile.i10index5y,
            ScholarProfile.observed_at,
            ScholarProfile.cites_per_year,
        )
        .where(
            ScholarProfile.author_id.is_not(None)
            if ids is None
            else ScholarProfile.author_id.in_(ids)
        )
        .order_by(ScholarProfile.scholar_id)
    ).all():
        out.setdefault(p.author_id, []).append(
            ScholarReported(
                *p[1:-1],
                {str(y): int(n) for y, n in sorted((p.cites_per_year or {}).items())},
                *listed.get(p.scholar_id, (0, 0)),
            )
        )
    return out


def _s2(session: Session, ids: list[int] | None) -> dict[int, list[S2Reported]]:
    """Per author of ``ids`` (None: every author), S2's newest report of each S2 id."""
    return {
        author_id: [
            S2Reported(r.external_id, r.works, r.citations, r.h_index, r.observed_on)
            for r in reports
        ]
        for author_id, reports in latest_author_reports(session, ids, "s2").items()
    }


# --------------------------------------------------------------------------- computing


def summarize(inputs: AuthorInputs, *, current_year: int) -> dict[str, Any]:
    """One author's summary as a JSON-ready dict (keys documented in README's schema section).

    Raises ValueError when a work is dated after ``current_year`` (the indices' rule).
    """
    papers = [w.paper() for w in inputs.works]
    with_counts, total = indices.coverage(papers)
    computed = indices.author_indices(papers, current_year=current_year)
    h = computed["h_index"]
    assert h is None or h <= with_counts <= total  # the indices guarantee it; never report more
    # one pass over the works for the simple counts
    years: list[int] = []  # the works' years up to current_year (a future one must not crash)
    sources: dict[str, int] = {}
    first = last = 0
    for w in inputs.works:
        if w.citation is not None:
            source = w.citation.source
            sources[source] = sources.get(source, 0) + 1
        if w.year is not None and w.year <= current_year:
            years.append(w.year)
        if w.position == 0:
            first += 1
        elif w.is_last_author:  # never at position 0
            last += 1
    per_year, complete, with_per_year = _histogram(inputs.works)
    since = indices.scholar_since_year(current_year)
    citations = computed["citations"]
    summary: dict[str, Any] = {
        "author_id": inputs.author_id,
        "name": inputs.name,
        "current_year": current_year,
        "works": total,
        "works_with_citations": with_counts,
        "coverage": {
            "works": total,
            "with_citation_count": with_counts,
            "without_citation_count": total - with_counts,
            "by_source": dict(sorted(sources.items())),
            "with_per_year_counts": with_per_year,
        },
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "citations": citations,
        "h_index": h,
        "i10_index": computed["i10_index"],
        "g_index": computed["g_index"],
        "e_index": computed["e_index"],
        "m_quotient": computed["m_quotient"],
        "hc_index": computed["hc_index"],
        "hi_index": computed["hi_index"],
        "hi_norm": computed["hi_norm"],
        "hm_index": computed["hm_index"],
        "awcr": computed["awcr"],
        "aw_index": computed["aw_index"],
        "citations_mean": computed["citations_mean"],
        "citations_median": computed["citations_median"],
        "citations_by_year": {str(y): n for y, n in sorted(per_year.items())},
        "since_year": since,
    }
    summary.update(_per_year_metrics(papers, per_year, complete, citations, years, current_year))
    summary.update(
        {
            "first_author": first,
            "last_author": last,
            "coauthors": [
                {"author_id": a, "name": inputs.coauthor_names.get(a, "?"), "works": n}
                for a, n in inputs.top_coauthors()
            ],
            "topics": _ranked(c for w in inputs.works for c in w.categories),
            "venues": _ranked(v for w in inputs.works for v in w.venues),
        }
    )
    repos = sorted(inputs.repositories.values(), key=lambda r: (-r[1], r[0].lower()))
    summary["repositories"] = [{"full_name": n, "stars": s, "relation": r} for n, s, r in repos]
    summary["repository_count"] = len(repos)
    summary["stars"] = sum(s for _, s, _ in repos)
    summary["scholar"] = _compared(inputs, summary)
    summary["s2"] = _compared_s2(inputs, summary)
    return summary


def _histogram(works: Sequence[WorkInput]) -> tuple[dict[int, int], bool, int]:
    """Summed per-year counts, whether every cited work contributed, and how many did."""
    per_year: Counter[int] = Counter()
    complete, contributing = True, 0
    for w in works:
        c = w.citation
        if c is None:
            continue
        if c.per_year is not None:
            per_year.update(c.per_year)
            contributing += 1
        elif c.count > 0:
            complete = False
    return dict(per_year), complete and contributing > 0, contributing


def _per_year_metrics(
    papers: list[Paper],
    per_year: dict[int, int],
    complete: bool,
    citations: int | None,
    years: list[int],
    current_year: int,
) -> dict[str, Any]:
    since = indices.scholar_since_year(current_year)
    if complete and max(per_year, default=current_year) <= current_year:
        return {
            "citations_per_year": indices.citations_per_year(per_year, current_year=current_year),
            "citations_per_year_basis": "per-year counts of the works",
            "citations_5y": indices.citations_since(per_year, since),
            "h_index_5y": indices.h_index_since(papers, since),
            "i10_index_5y": indices.i10_index_since(papers, since),
            "five_year_basis": f"per-year counts of every cited work, {since} on",
        }
    rate = None
    if citations is not None and years:
        rate = citations / (current_year - min(years) + 1)
    return {
        "citations_per_year": rate,
        "citations_per_year_basis": "total citations / years since the first work",
        "citations_5y": None,
        "h_index_5y": None,
        "i10_index_5y": None,
        "five_year_basis": "unavailable: not every cited work has per-year counts "
        "(a total cannot be split by year); see Scholar's reported 5-year numbers",
    }


def _ranked(values: Any) -> list[dict[str, Any]]:
    counts = Counter(values)
    return [
        {"name": k, "works": n} for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ][:TOP]


def _compared(inputs: AuthorInputs, summary: dict[str, Any]) -> dict[str, Any] | None:
    """Scholar's own numbers (the most recently observed linked profile) beside the computed
    ones, the difference (computed - reported), and what the merge explains."""
    if not inputs.scholar:
        return None
    reported = max(inputs.scholar, key=lambda s: s.observed_at)
    pairs = {
        "citations": (summary["citations"], reported.citedby),
        "h_index": (summary["h_index"], reported.hindex),
        "i10_index": (summary["i10_index"], reported.i10index),
        "citations_5y": (summary["citations_5y"], reported.citedby5y),
        "h_index_5y": (summary["h_index_5y"], reported.hindex5y),
        "i10_index_5y": (summary["i10_index_5y"], reported.i10index5y),
    }
    comparison = {
        name: {
            "computed": mine,
            "reported": theirs,
            "difference": None if mine is None or theirs is None else mine - theirs,
        }
        for name, (mine, theirs) in pairs.items()
    }
    return {
        "profiles": [
            {k: getattr(s, k) for k in _SCHOLAR_FIELDS} | {"observed_at": s.observed_at.isoformat()}
            for s in inputs.scholar
        ],
        "compared_with": reported.scholar_id,
        "comparison": comparison,
        "explanations": _explanations(inputs, reported),
    }


def _explanations(inputs: AuthorInputs, reported: ScholarReported) -> list[str]:
    """Why computed and reported numbers may differ, as far as the merge can tell."""
    notes: list[str] = []
    profiles = {s.scholar_id for s in inputs.scholar}
    sid = reported.scholar_id
    general = ":" in sid  # never for a Scholar id: then the test below is _profile's
    prefix = sid + ":"
    # one pass: works carrying an entry of the profile compared with; works seen as several
    # entries of the author's profiles (and the citations of the extra ones); works uncounted
    on_profile = merged = extra = missing = 0
    for w in inputs.works:
        c = w.citation
        if c is None:
            missing += 1
            continue
        if general:
            if any(_profile(e) == sid for e in _entries(c)):
                on_profile += 1
        else:  # the same test: _profile(e) == sid is e == sid or e.startswith(sid + ":")
            e = c.entry
            if (e == sid or e.startswith(prefix)) or (
                c.others
                and any(
                    o.source == c.source and (o.entry == sid or o.entry.startswith(prefix))
                    for o in c.others
                )
            ):
                on_profile += 1
        if c.source == "scholar" and c.others:
            own = [o for o in c.others if o.source == "scholar" and _profile(o.entry) in profiles]
            if own and _profile(c.entry) in profiles:
                merged += 1
                extra += sum(o.count for o in own)
    if reported.citedby is not None and reported.listed_citations < reported.citedby:
        notes.append(
            f"the stored publication list of {reported.scholar_id} sums to "
            f"{reported.listed_citations} of the {reported.citedby} citations Scholar reports: "
            "only part of the list was harvested (or Scholar counts citations of entries it "
            "no longer lists)"
        )
    if reported.listed != on_profile:
        notes.append(
            f"the profile {reported.scholar_id} lists {reported.listed} publication(s) as "
            f"stored; {on_profile} of this author's merged works carry one of them (Scholar's "
            "numbers count every listed entry, including ones not attributed here or not "
            "harvested)"
        )
    if merged:
        notes.append(
            f"{merged} work(s) appear as several entries on the Scholar profile; Scholar counts "
            f"each entry, scholarflow counts each work once ({extra} citations of the duplicate "
            "entries not added)"
        )
    if missing:
        notes.append(f"{missing} work(s) have no known citation count and are left out")
    return notes


def _compared_s2(inputs: AuthorInputs, summary: dict[str, Any]) -> dict[str, Any] | None:
    """S2's own numbers for the author's S2 id (the most recently reported one) beside the
    computed ones, with the difference and what the merge explains."""
    if not inputs.s2:
        return None
    reported = max(inputs.s2, key=lambda r: (r.observed_on, r.s2_author_id))
    pairs = {
        "works": (summary["works"], reported.works),
        "citations": (summary["citations"], reported.citations),
        "h_index": (summary["h_index"], reported.h_index),
    }
    notes: list[str] = []
    if reported.works is not None and reported.works != summary["works"]:
        notes.append(
            f"S2 attributes {reported.works} paper(s) to {reported.s2_author_id}; "
            f"{summary['works']} merged work(s) are held for this author (S2 papers not "
            "listed yet, works from other sources, or several S2 papers merged into one work)"
        )
    by_source = summary["coverage"]["by_source"]
    if (
        reported.citations is not None
        and summary["citations"] is not None
        and summary["citations"] != reported.citations
        and set(by_source) == {"s2"}
    ):
        notes.append(
            f"every counted work takes S2's own per-paper count; they sum to "
            f"{summary['citations']}, while S2's author total ({reported.citations}) is a figure "
            "S2 computes separately"
        )
    others = {k: v for k, v in by_source.items() if k != "s2"}
    if others:
        notes.append(
            "some works take their count from another source than S2 by the citation rule: "
            + ", ".join(f"{k} {v}" for k, v in sorted(others.items()))
        )
    missing = summary["coverage"]["without_citation_count"]
    if missing:
        notes.append(f"{missing} work(s) have no known citation count and are left out")
    return {
        "compared_with": reported.s2_author_id,
        "observed_on": reported.observed_on.isoformat(),
        "comparison": {
            name: {
                "computed": mine,
                "reported": theirs,
                "difference": None if mine is None or theirs is None else mine - theirs,
            }
            for name, (mine, theirs) in pairs.items()
        },
        "explanations": notes,
    }


def _entries(c: CitationCount) -> list[str]:
    return [c.entry, *(o.entry for o in c.others if o.source == c.source)]


def _profile(entry: str) -> str:
    return entry.split(":", 1)[0]
