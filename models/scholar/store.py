"""Scholar write and read paths: profile snapshots, publication lists, dated observations.

Rules:

* A snapshot (a harvested profile page, an imported gs_data.json) replaces the stored
  profile or publication only when it is not older than what is stored, so importing an old
  crawler file after a harvest keeps the harvested state (its numbers still go into history).
* Observations are unique per subject, metric and UTC day: the same day again updates the
  day's value (no new row); a later day adds a row. That is the history.

Callers own the transaction (flush, never commit).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.authors import TrackedAuthor
from models.dialect import insert_for
from models.queries import UnknownAuthorError
from models.sanitize import RowRejected, check_row, check_rows, strip_nul
from models.scholar.tables import ScholarObservation, ScholarProfile, ScholarPublication

_IN_CHUNK = 500


class ProfileRecord(Protocol):
    """What is stored of a profile (``harvesters.scholar.harvester.ScholarProfile`` fits)."""

    @property
    def scholar_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def recent_since(self) -> int | None: ...

    @property
    def indices(self) -> dict[str, int]: ...

    @property
    def cites_per_year(self) -> dict[int, int]: ...


class PublicationRecord(Protocol):
    """What is stored of a publication (``ScholarPublication`` of
    ``harvesters.scholar.harvester`` fits)."""

    @property
    def position(self) -> int: ...

    @property
    def author_pub_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def year(self) -> int | None: ...

    @property
    def num_citations(self) -> int: ...

    @property
    def raw(self) -> str: ...


@dataclass(frozen=True)
class ScholarTarget:
    """A tracked author with a Scholar id: what a Scholar harvest visits."""

    name: str
    scholar_id: str
    tracked_id: int | None = None


def tracked_scholar_targets(
    session: Session, names: Sequence[str] | None = None
) -> list[ScholarTarget]:
    """Active tracked authors that have a Scholar id (by name), or the ones named.

    Raises UnknownAuthorError for a name that is not tracked, and ValueError for a named
    author without a Scholar id.
    """
    stmt = select(TrackedAuthor).order_by(TrackedAuthor.name)
    tracked = list(session.scalars(stmt))
    if names:
        by_name = {t.name.lower(): t for t in tracked}
        chosen = []
        for name in names:
            found = by_name.get(name.strip().lower())
            if found is None:
                raise UnknownAuthorError(name)
            if not found.scholar_id:
                raise ValueError(
                    f"{found.name} has no Scholar id; add one with "
                    f"`scholarflow authors add {found.name!r} --scholar-id ID`"
                )
            chosen.append(found)
        tracked = chosen
    else:
        tracked = [t for t in tracked if t.active and t.scholar_id]
    return [ScholarTarget(t.name, t.scholar_id or "", t.id) for t in tracked]


def store_profile(
    session: Session,
    profile: ProfileRecord,
    *,
    observed_at: datetime,
    origin: str,
    run_id: int | None,
    tracked_id: int | None = None,
) -> int:
    """Insert or update the profile (when ``observed_at`` is not older than the stored
    snapshot); returns its row id.

    Raises RowRejected (nothing written) when a value does not fit its column, e.g. a
    citation count beyond 32 bits; NUL bytes are dropped.
    """
    data = profile.payload
    organization = data.get("organization")
    values = check_row(
        ScholarProfile.__table__,  # type: ignore[arg-type]
        {
            "scholar_id": profile.scholar_id,
            "name": (profile.name or profile.scholar_id)[:255],
            "affiliation": data.get("affiliation"),
            "organization": None if organization is None else str(organization),
            "interests": list(data.get("interests") or []),
            "email_domain": data.get("email_domain"),
            "homepage": data.get("homepage"),
            "url_picture": data.get("url_picture"),
            **profile.indices,
            "recent_since": profile.recent_since,
            "cites_per_year": {str(y): n for y, n in profile.cites_per_year.items()},
            "payload": json.dumps(strip_nul(data), ensure_ascii=False),
            "origin": origin,
        },
    )
    if tracked_id is None:
        tracked_id = session.scalar(
            select(TrackedAuthor.id).where(TrackedAuthor.scholar_id == profile.scholar_id)
        )
    # Insert-if-absent in one statement: another process storing the same profile at the
    # same time (a harvest, an import) makes this a no-op instead of a unique violation.
    session.flush()
    inserted = session.execute(
        insert_for(session, ScholarProfile)
        .values(**values, observed_at=observed_at, first_seen=observed_at, last_run_id=run_id)
        .on_conflict_do_nothing(index_elements=["scholar_id"])
    )
    row = session.scalars(
        select(ScholarProfile)
        .where(ScholarProfile.scholar_id == profile.scholar_id)
        .execution_options(populate_existing=True)
    ).one()
    if int(getattr(inserted, "rowcount", 0) or 0) == 1:
        _link(session, row, tracked_id)
        session.flush()
        return row.id
    if row.observed_at > observed_at:
        _link(session, row, tracked_id)
        session.flush()
        return row.id
    for key, value in values.items():
        if key != "scholar_id":
            setattr(row, key, value)
    row.observed_at = observed_at
    row.last_run_id = run_id
    _link(session, row, tracked_id)
    session.flush()
    return row.id


def _link(session: Session, row: ScholarProfile, tracked_id: int | None) -> None:
    if tracked_id is not None:
        row.tracked_author_id = tracked_id
        row.author_id = session.scalar(
            select(TrackedAuthor.author_id).where(TrackedAuthor.id == tracked_id)
        )


def profile_id_of(session: Session, scholar_id: str) -> int | None:
    return session.scalar(select(ScholarProfile.id).where(ScholarProfile.scholar_id == scholar_id))


def stored_payloads(
    session: Session, profile_id: int, ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The stored scholarly dicts of these publications of a profile, by author_pub_id."""
    ids = list(ids)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        rows = session.execute(
            select(ScholarPublication.author_pub_id, ScholarPublication.payload).where(
                ScholarPublication.profile_id == profile_id,
                ScholarPublication.author_pub_id.in_(ids[start : start + _IN_CHUNK]),
            )
        )
        found.update({pub_id: json.loads(payload) for pub_id, payload in rows})
    return found


def store_publications(
    session: Session,
    profile_id: int,
    publications: Sequence[PublicationRecord],
    *,
    observed_at: datetime,
    filled: bool = False,
) -> list[tuple[str, RowRejected]]:
    """Insert or update the publications of a profile (a newer snapshot wins per row).

    NUL bytes are dropped; a publication with a value its column cannot hold (a title
    longer than allowed, a citation count beyond 32 bits) is not written. Returns those, as
    ``(author_pub_id, why)``.
    """
    if not publications:
        return []
    rows = [
        {
            "profile_id": profile_id,
            "author_pub_id": p.author_pub_id,
            "position": p.position,
            "title": p.title,
            "pub_year": p.year,
            "num_citations": p.num_citations,
            "payload": p.raw,
            "listed": True,
            "filled_at": observed_at if filled else None,
            "observed_at": observed_at,
        }
        for p in _last_per_key(publications, lambda p: p.author_pub_id)
    ]
    rows, bad = check_rows(ScholarPublication.__table__, rows)  # type: ignore[arg-type]
    refused = [(str(row["author_pub_id"]), why) for row, why in bad]
    if not rows:
        return refused
    stmt = insert_for(session, ScholarPublication)
    changing = [
        "position",
        "title",
        "pub_year",
        "num_citations",
        "payload",
        "listed",
        "observed_at",
    ]
    if filled:
        changing.append("filled_at")
    stmt = stmt.on_conflict_do_update(
        index_elements=["profile_id", "author_pub_id"],
        set_={name: stmt.excluded[name] for name in changing},
        where=ScholarPublication.observed_at <= stmt.excluded.observed_at,
    )
    session.execute(stmt, rows)
    session.flush()
    return refused


def unlist_missing(session: Session, profile_id: int, observed_at: datetime) -> int:
    """After a complete snapshot taken at ``observed_at`` (every publication it showed now
    carries that time): mark the profile's publications seen only before it as no longer
    listed. Returns how many."""
    result = session.execute(
        update(ScholarPublication)
        .where(
            ScholarPublication.profile_id == profile_id,
            ScholarPublication.listed.is_(True),
            ScholarPublication.observed_at < observed_at,
        )
        .values(listed=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def record_observations(
    session: Session,
    subject_kind: str,
    values: Mapping[str, Mapping[str, int]],
    *,
    observed_at: datetime,
    origin: str,
    run_id: int | None,
) -> int:
    """Store ``values[subject][metric]`` as observations of ``observed_at``'s UTC day.

    One row per subject, metric and day: an existing row of that day gets the new value.
    Returns how many observations were written (new or updated). Raises RowRejected (nothing
    written) when a value does not fit (beyond 32 bits).
    """
    day = observed_at.astimezone(UTC).date()
    rows = [
        {
            "subject_kind": subject_kind,
            "subject": subject,
            "metric": metric,
            "observed_on": day,
            "value": int(value),
            "observed_at": observed_at,
            "origin": origin,
            "run_id": run_id,
        }
        for subject, metrics in values.items()
        for metric, value in metrics.items()
    ]
    if not rows:
        return 0
    rows = [check_row(ScholarObservation.__table__, r) for r in rows]  # type: ignore[arg-type]
    stmt = insert_for(session, ScholarObservation)
    stmt = stmt.on_conflict_do_update(
        index_elements=["subject_kind", "subject", "metric", "observed_on"],
        set_={n: stmt.excluded[n] for n in ("value", "observed_at", "origin", "run_id")},
    )
    for start in range(0, len(rows), _IN_CHUNK):
        session.execute(stmt, rows[start : start + _IN_CHUNK])
    return len(rows)


def publications_to_fill(
    session: Session, scholar_ids: Sequence[str], limit: int
) -> list[tuple[str, int, dict[str, Any]]]:
    """Up to ``limit`` listed, never-filled publications of these profiles, most cited first:
    ``(scholar_id, position, payload)``. Filled publications keep their ``filled_at``, so the
    next run continues with the ones still missing."""
    if limit <= 0 or not scholar_ids:
        return []
    rows = session.execute(
        select(ScholarProfile.scholar_id, ScholarPublication.position, ScholarPublication.payload)
        .join(ScholarProfile, ScholarProfile.id == ScholarPublication.profile_id)
        .where(
            ScholarProfile.scholar_id.in_(list(scholar_ids)),
            ScholarPublication.listed.is_(True),
            ScholarPublication.filled_at.is_(None),
        )
        .order_by(ScholarPublication.num_citations.desc(), ScholarPublication.id)
        .limit(limit)
    )
    return [(sid, position, json.loads(payload)) for sid, position, payload in rows]


@dataclass(frozen=True)
class GsDataState:
    """What ``export gs-data`` writes: the profile dict, its listed publications in order,
    and when that snapshot was taken."""

    payload: dict[str, Any]
    publications: list[dict[str, Any]]
    observed_at: datetime
    citedby: int | None


def resolve_scholar_id(session: Session, who: str) -> str:
    """The Scholar id ``who`` names: a stored scholar id, a tracked author's name, or a
    profile's name (case-insensitive). Raises UnknownAuthorError."""
    text = who.strip()
    bare = re.split(r"[&?#\s]", text, maxsplit=1)[0]  # "w_WL27oAAAAJ&hl" as some files have it
    if profile_id_of(session, bare) is not None:
        return bare
    tracked = session.scalar(
        select(TrackedAuthor.scholar_id).where(func.lower(TrackedAuthor.name) == text.lower())
    )
    if tracked:
        return tracked
    by_name = session.scalars(
        select(ScholarProfile.scholar_id).where(func.lower(ScholarProfile.name) == text.lower())
    ).all()
    if len(by_name) == 1:
        return by_name[0]
    raise UnknownAuthorError(who)


def gs_data_state(session: Session, scholar_id: str) -> GsDataState:
    """The stored profile and listed publications of ``scholar_id``.

    Raises UnknownAuthorError when no profile of that id is stored.
    """
    profile = session.scalar(select(ScholarProfile).where(ScholarProfile.scholar_id == scholar_id))
    if profile is None:
        raise UnknownAuthorError(scholar_id)
    payloads = session.scalars(
        select(ScholarPublication.payload)
        .where(ScholarPublication.profile_id == profile.id, ScholarPublication.listed.is_(True))
        .order_by(ScholarPublication.position, ScholarPublication.id)
    ).all()
    return GsDataState(
        json.loads(profile.payload),
        [json.loads(p) for p in payloads],
        profile.observed_at,
        profile.citedby,
    )


@dataclass(frozen=True)
class ScholarMetrics:
    """A stored Scholar profile's headline numbers and when they were observed."""

    scholar_id: str
    citedby: int | None
    hindex: int | None
    i10index: int | None
    observed_at: datetime


def author_scholar_metrics(session: Session, author_id: int) -> list[ScholarMetrics]:
    """The numbers of the Scholar profiles linked to the canonical author ``author_id`` (by a
    tracked author's Scholar id), by Scholar id; empty when none is stored."""
    rows = session.scalars(
        select(ScholarProfile)
        .where(ScholarProfile.author_id == author_id)
        .order_by(ScholarProfile.scholar_id)
    )
    return [
        ScholarMetrics(p.scholar_id, p.citedby, p.hindex, p.i10index, p.observed_at) for p in rows
    ]


def _last_per_key(items: Iterable[Any], key: Any) -> list[Any]:
    latest: dict[Any, Any] = {}
    for item in items:
        latest[key(item)] = item
    return list(latest.values())
