"""The read side that feeds the indices: per stored Scholar profile, what Scholar reported
and its listed publications as :class:`~models.metrics.indices.Paper` values, in one query."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from models.metrics.indices import Paper
from models.scholar.tables import ScholarProfile, ScholarPublication

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScholarInputs:
    """One Scholar profile: the indices it reports (None where the snapshot had none), its
    citations per year (None when no histogram was stored), and its listed publications in
    profile order.

    A paper's ``citations`` is Scholar's count on the profile list (a row with an empty
    "cited by" link is 0), ``n_authors`` is None (the list does not say), and ``per_year``
    is the publication's own histogram when its page was filled, else None.
    """

    scholar_id: str
    name: str
    observed_at: datetime
    citedby: int | None
    hindex: int | None
    i10index: int | None
    citedby5y: int | None
    hindex5y: int | None
    i10index5y: int | None
    recent_since: int | None
    cites_per_year: dict[int, int] | None
    papers: tuple[Paper, ...]


def scholar_inputs(
    session: Session, scholar_ids: Sequence[str] | None = None
) -> list[ScholarInputs]:
    """Every stored profile (or those of ``scholar_ids``), by Scholar id, with its listed
    publications; a profile with no publication has an empty ``papers``. Publications a later
    complete snapshot no longer showed (``listed`` false) are not counted, as Scholar no
    longer counts them."""
    stmt = (
        select(
            ScholarProfile,
            ScholarPublication.num_citations,
            ScholarPublication.pub_year,
            ScholarPublication.payload,
        )
        .outerjoin(
            ScholarPublication,
            and_(
                ScholarPublication.profile_id == ScholarProfile.id,
                ScholarPublication.listed.is_(True),
            ),
        )
        .order_by(ScholarProfile.scholar_id, ScholarPublication.position, ScholarPublication.id)
    )
    if scholar_ids is not None:
        stmt = stmt.where(ScholarProfile.scholar_id.in_(list(scholar_ids)))
    profiles: dict[str, ScholarProfile] = {}
    papers: dict[str, list[Paper]] = {}
    for profile, citations, year, payload in session.execute(stmt):
        profiles.setdefault(profile.scholar_id, profile)
        rows = papers.setdefault(profile.scholar_id, [])
        if payload is not None:  # None: the outer join found no listed publication
            rows.append(Paper(citations, year, None, _per_year(payload)))
    return [_inputs(profiles[sid], papers[sid]) for sid in profiles]


def _inputs(profile: ScholarProfile, papers: list[Paper]) -> ScholarInputs:
    histogram = {int(y): int(n) for y, n in (profile.cites_per_year or {}).items()}
    return ScholarInputs(
        scholar_id=profile.scholar_id,
        name=profile.name,
        observed_at=profile.observed_at,
        citedby=profile.citedby,
        hindex=profile.hindex,
        i10index=profile.i10index,
        citedby5y=profile.citedby5y,
        hindex5y=profile.hindex5y,
        i10index5y=profile.i10index5y,
        recent_since=profile.recent_since,
        # an empty histogram is "not reported" (a page without the chart), not zero citations
        cites_per_year=histogram or None,
        papers=tuple(papers),
    )


def _per_year(payload: str) -> dict[int, int] | None:
    """A filled publication's ``cites_per_year`` from its stored scholarly dict, else None."""
    try:
        data = json.loads(payload)
    except ValueError:
        log.warning("stored Scholar publication payload is not JSON; per-year counts skipped")
        return None
    counts = data.get("cites_per_year") if isinstance(data, dict) else None
    if not isinstance(counts, dict) or not counts:
        return None
    try:
        return {int(y): int(n) for y, n in counts.items()}
    except (TypeError, ValueError):
        log.warning("stored Scholar per-year counts are not numbers; skipped")
        return None
