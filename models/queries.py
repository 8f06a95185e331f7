"""Read side: tracked authors, works with identifiers and sources, per-author summaries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harvesters.normalize import is_preprint_doi, name_key
from models.authors import Author, AuthorIdentifier, AuthorNameVariant, Authorship, TrackedAuthor
from models.dialect import insert_for
from models.github.queries import author_repositories, repositories_by_work
from models.identity.tables import MergeDecision
from models.provenance import SourceRecord
from models.works import Work, WorkIdentifier, WorkLink


class UnknownAuthorError(LookupError):
    """No tracked or harvested author matches the name given."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no author named {name!r}; see `scholarflow authors list`")


def add_tracked_author(
    session: Session,
    name: str,
    *,
    arxiv_query: str | None = None,
    scholar_id: str | None = None,
    github_login: str | None = None,
    acl_person_id: str | None = None,
    orcid: str | None = None,
    s2_author_id: str | None = None,
    openalex_author_id: str | None = None,
) -> TrackedAuthor:
    """Track ``name`` (or update the handles of an already tracked name) and link its author.

    The canonical author is found by strong id or folded name, or created, so later harvests
    attach works to it. Raises ValueError on an empty name. Does not commit.
    """
    name = name.strip()
    if not name:
        raise ValueError("an author name is required")
    tracked = session.scalar(select(TrackedAuthor).where(TrackedAuthor.name == name))
    if tracked is None:
        tracked = TrackedAuthor(name=name)
        session.add(tracked)
    handles = {
        "arxiv_query": arxiv_query,
        "scholar_id": scholar_id,
        "github_login": github_login,
        "acl_person_id": acl_person_id,
        "orcid": orcid,
        "s2_author_id": s2_author_id,
        "openalex_author_id": openalex_author_id,
    }
    for attr, value in handles.items():
        if value:
            setattr(tracked, attr, value.strip())
    if tracked.arxiv_query is None:
        tracked.arxiv_query = default_arxiv_query(name)
    session.flush()

    keys = [("tracked", str(tracked.id)), ("name", name_key(name))]
    for scheme, attr in (
        ("scholar", "scholar_id"),
        ("orcid", "orcid"),
        ("acl", "acl_person_id"),
        ("github", "github_login"),
        ("s2", "s2_author_id"),
        ("openalex", "openalex_author_id"),
    ):
        if getattr(tracked, attr):
            keys.append((scheme, getattr(tracked, attr)))
    author_id = tracked.author_id or _find_author(session, keys)
    if author_id is None:
        author = Author(display_name=name, name_key=name_key(name))
        session.add(author)
        session.flush()
        author_id = author.id
    tracked.author_id = author_id
    stmt = insert_for(session, AuthorIdentifier).on_conflict_do_nothing(
        index_elements=["scheme", "value"]
    )
    session.execute(stmt, [{"author_id": author_id, "scheme": s, "value": v} for s, v in keys])
    session.flush()
    return tracked


def default_arxiv_query(name: str) -> str:
    """arXiv API author query for a full name: ``au:"First Last"``."""
    return f'au:"{name.strip()}"'


def list_tracked_authors(session: Session, active_only: bool = False) -> list[TrackedAuthor]:
    """Tracked authors by name."""
    stmt = select(TrackedAuthor).order_by(TrackedAuthor.name)
    if active_only:
        stmt = stmt.where(TrackedAuthor.active.is_(True))
    return list(session.scalars(stmt))


def _find_author(session: Session, keys: list[tuple[str, str]]) -> int | None:
    for scheme, value in keys:
        found = session.scalar(
            select(AuthorIdentifier.author_id).where(
                AuthorIdentifier.scheme == scheme, AuthorIdentifier.value == value
            )
        )
        if found is not None:
            return found
    return None


def find_author(session: Session, name: str) -> Author:
    """The author a person means by ``name``: a tracked name, a display name or a variant.

    Matching folds case and accents. Raises UnknownAuthorError when nothing matches.
    """
    tracked = session.scalar(
        select(TrackedAuthor).where(func.lower(TrackedAuthor.name) == name.strip().lower())
    )
    if tracked is not None and tracked.author_id is not None:
        return session.get_one(Author, tracked.author_id)
    key = name_key(name)
    author_id = session.scalar(
        select(AuthorIdentifier.author_id).where(
            AuthorIdentifier.scheme == "name", AuthorIdentifier.value == key
        )
    ) or session.scalar(
        select(AuthorNameVariant.author_id)
        .where(func.lower(AuthorNameVariant.name) == name.strip().lower())
        .limit(1)
    )
    if author_id is None:
        raise UnknownAuthorError(name)
    return session.get_one(Author, author_id)


@dataclass
class WorkView:
    """A canonical work as the CLI and downstream readers see it."""

    id: int
    title: str
    year: int | None
    venue: str | None
    identifiers: dict[str, str]
    sources: list[str]
    authors: list[str]
    code_links: list[str] = field(default_factory=list)
    # Further ids of a scheme ``identifiers`` already names ("doi:10.2196/preprints.28749"
    # beside the journal's DOI): a preprint's deposit, or an aggregator's second record.
    other_identifiers: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    repositories: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def list_works(session: Session, author: str | None = None) -> list[WorkView]:
    """Canonical works (newest first), optionally only those of ``author``.

    Raises UnknownAuthorError when ``author`` matches nobody.
    """
    author_id = find_author(session, author).id if author is not None else None
    return _works(session, author_id)


def _works(session: Session, author_id: int | None) -> list[WorkView]:
    stmt = select(Work).order_by(Work.year.desc().nulls_last(), Work.id)
    if author_id is not None:
        stmt = stmt.where(
            Work.id.in_(select(Authorship.work_id).where(Authorship.author_id == author_id))
        )
    return _views(session, list(session.scalars(stmt)))


def _views(session: Session, works: list[Work]) -> list[WorkView]:
    ids = [w.id for w in works]
    found: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    sources: dict[int, set[str]] = {i: set() for i in ids}
    names: dict[int, list[str]] = {i: [] for i in ids}
    code: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for work_id, scheme, value in session.execute(
            select(WorkIdentifier.work_id, WorkIdentifier.scheme, WorkIdentifier.value).where(
                WorkIdentifier.work_id.in_(chunk)
            )
        ):
            found[work_id].append((scheme, value))
        for work_id, source in session.execute(
            select(SourceRecord.work_id, SourceRecord.source).where(SourceRecord.work_id.in_(chunk))
        ):
            sources[work_id].add(source)
        for work_id, display in session.execute(
            select(Authorship.work_id, Author.display_name)
            .join(Author, Author.id == Authorship.author_id)
            .where(Authorship.work_id.in_(chunk))
            .order_by(Authorship.work_id, Authorship.position)
        ):
            names[work_id].append(display)
        for work_id, url in session.execute(
            select(WorkLink.work_id, WorkLink.url)
            .where(WorkLink.work_id.in_(chunk), WorkLink.kind == "code")
            .order_by(WorkLink.id)
        ):
            code[work_id].append(url)
    repos = repositories_by_work(session, ids)
    identifiers: dict[int, dict[str, str]] = {i: {} for i in ids}
    others: dict[int, list[str]] = {i: [] for i in ids}
    for work_id, pairs in found.items():
        for scheme, value in sorted(pairs, key=_identifier_rank):
            if scheme in identifiers[work_id]:
                others[work_id].append(f"{scheme}:{value}")
            else:
                identifiers[work_id][scheme] = value
    return [
        WorkView(
            id=w.id,
            title=w.title,
            year=w.year,
            venue=w.venue or w.journal_ref,
            identifiers=dict(sorted(identifiers[w.id].items())),
            sources=sorted(sources[w.id]),
            authors=names[w.id],
            code_links=code[w.id],
            other_identifiers=others[w.id],
            categories=list(w.categories or []),
            repositories=repos[w.id],
        )
        for w in works
    ]


def _identifier_rank(pair: tuple[str, str]) -> tuple[str, bool, str]:
    """Sort key of a work's ids: by scheme, a published DOI before a preprint server's."""
    scheme, value = pair
    return scheme, scheme == "doi" and is_preprint_doi(value), value


@dataclass
class AuthorSummary:
    """What scholarflow knows about one author so far."""

    name: str
    author_id: int
    works: list[WorkView]
    first_year: int | None
    last_year: int | None
    categories: list[tuple[str, int]]
    coauthors: list[tuple[str, int]]
    code_links: list[str]
    first_author_works: int
    repositories: list[dict[str, Any]] = field(default_factory=list)
    stars: int = 0
    # Works printed with a name that may be this tracked person (an initial, or a name alone):
    # kept apart, listed for review (``scholarflow explain author``).
    possible_works: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["works"] = [w.as_dict() for w in self.works]
        data["categories"] = [{"category": c, "works": n} for c, n in self.categories]
        data["coauthors"] = [{"name": c, "works": n} for c, n in self.coauthors]
        return data


def author_summary(session: Session, name: str, top: int = 10) -> AuthorSummary:
    """Works, years, categories, top co-authors and code links of the author ``name``.

    Raises UnknownAuthorError when ``name`` matches nobody.
    """
    author = find_author(session, name)
    works = _works(session, author.id)
    years = [w.year for w in works if w.year is not None]
    categories: Counter[str] = Counter(c for w in works for c in w.categories)
    coauthor_rows = session.execute(
        select(Author.display_name, func.count(func.distinct(Authorship.work_id)))
        .join(Author, Author.id == Authorship.author_id)
        .where(
            Authorship.work_id.in_(
                select(Authorship.work_id).where(Authorship.author_id == author.id)
            ),
            Authorship.author_id != author.id,
        )
        .group_by(Author.id, Author.display_name)
        .order_by(func.count(func.distinct(Authorship.work_id)).desc(), Author.display_name)
        .limit(top)
    ).all()
    first_author = session.scalar(
        select(func.count()).where(Authorship.author_id == author.id, Authorship.position == 0)
    )
    repos = author_repositories(session, author.id, [w.id for w in works])
    possible = _possible_works(session, author.id)
    return AuthorSummary(
        name=author.display_name,
        author_id=author.id,
        works=works,
        first_year=min(years) if years else None,
        last_year=max(years) if years else None,
        categories=categories.most_common(top),
        coauthors=[(n, c) for n, c in coauthor_rows],
        code_links=sorted({url for w in works for url in w.code_links}),
        first_author_works=first_author or 0,
        repositories=repos,
        stars=sum(r["stars"] or 0 for r in repos),
        possible_works=possible,
    )


def _possible_works(session: Session, author_id: int) -> int:
    """How many works carry a review candidate for the tracked person behind ``author_id``."""
    tracked = session.scalars(
        select(TrackedAuthor.id).where(TrackedAuthor.author_id == author_id)
    ).all()
    if not tracked:
        return 0
    keys = session.scalars(
        select(MergeDecision.right_key).where(
            MergeDecision.entity == "author",
            MergeDecision.outcome == "review",
            MergeDecision.left_key.in_([f"tracked:{t}" for t in tracked]),
        )
    ).all()
    return len({k.rsplit("#", 1)[0] for k in keys})


def table_counts(session: Session) -> dict[str, int]:
    """Row counts of the main tables (for summaries and idempotence checks)."""
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (SourceRecord, Work, WorkIdentifier, Author, Authorship, WorkLink)
    }
