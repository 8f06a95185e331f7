"""The citation count of a merged work: one value per source, never a sum over duplicates.

The rule (README, "Citation counts"):

1. Per source, a work's value is that source's latest day of observations for the work's
   records; when the source has several records of one work on that day (S2 or OpenAlex
   duplicates, one paper on two Scholar profiles), the value is their maximum. Duplicate
   mentions are never added up: they count the same citations twice.
2. The metrics use the first source in :data:`CITATION_PRECEDENCE` (``s2``, ``openalex``,
   ``scholar``) whose value is fresh: observed within ``fresh_days`` (default 30) of today.
   S2 comes first because it is asked by every identifier a work has (DOI, arXiv, ACL, PubMed)
   and merges preprint and published citations into one paper; OpenAlex second (DOI-based, it
   often splits a preprint from its published version); Scholar last (scraped, for tracked
   profiles only). When no source is fresh, the most recent value wins, whatever its source.
3. The other sources' values are kept beside it (``others``), in precedence order, so a reader
   can compare them.

Scholar's values are its per-publication ``num_citations`` observations
(``scholar_observation``), joined to the work through the publication's source record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple, Protocol, TypeVar

from sqlalchemy import ScalarSelect, and_, func, select
from sqlalchemy.orm import Session, aliased

from models.citations.tables import CitationObservation
from models.identity.store import chunks
from models.provenance import SourceRecord
from models.scholar.tables import ScholarObservation

CITATION_PRECEDENCE: tuple[str, ...] = ("s2", "openalex", "scholar")
FRESH_DAYS = 30


class SourceCount(NamedTuple):
    """One source's value for a work: the count and the day it was observed."""

    source: str
    count: int
    observed_on: date


class WorkCitation(NamedTuple):
    """A work's citation count for the metrics, the source and day it comes from, and the
    other sources' values (``SourceCount``, in precedence order)."""

    count: int
    source: str
    observed_on: date
    others: tuple[SourceCount, ...]


class SourceValue(Protocol):
    """What :func:`choose` reads of one source's value for a work."""

    @property
    def source(self) -> str: ...

    @property
    def observed_on(self) -> date: ...


V = TypeVar("V", bound=SourceValue)


def choose(values: Iterable[V], today: date, fresh_days: int = FRESH_DAYS) -> tuple[V, list[V]]:
    """Rule 2 and 3 on one work's per-source values (at least one): the value the metrics
    use (the first fresh one in precedence order, else the most recent) and the others, in
    precedence order."""
    ranked = sorted(values, key=lambda v: (_rank(v.source), v.source))
    cutoff = today - timedelta(days=fresh_days)
    fresh = [v for v in ranked if v.observed_on >= cutoff]
    chosen = fresh[0] if fresh else max(ranked, key=lambda v: (v.observed_on, -_rank(v.source)))
    return chosen, [v for v in ranked if v is not chosen]


def latest_day_of_record() -> ScalarSelect[date]:
    """A correlated subquery: the newest ``observed_on`` of the enclosing query's
    ``citation_observation.source_record_id`` (compare it with ``observed_on``)."""
    latest = aliased(CitationObservation)
    return (
        select(func.max(latest.observed_on))
        .where(latest.source_record_id == CitationObservation.source_record_id)
        .scalar_subquery()
    )


def _rank(source: str) -> int:
    try:
        return CITATION_PRECEDENCE.index(source)
    except ValueError:
        return len(CITATION_PRECEDENCE)


def work_citations(
    session: Session,
    work_ids: Iterable[int],
    *,
    today: date | None = None,
    fresh_days: int = FRESH_DAYS,
) -> dict[int, WorkCitation]:
    """``{work_id: (count, source, observed_on, others)}`` for the works that have any
    observation, by the rule above; works without one are absent. ``work_ids`` are current
    canonical ids. Two queries per 500 works."""
    today = today or datetime.now(UTC).date()
    ids = sorted(set(work_ids))
    per_source: dict[int, dict[str, SourceCount]] = {}
    for part in chunks(ids, 500):
        for work_id, source, day, count in [
            *_graph_values(session, part),
            *_scholar_values(session, part),
        ]:
            seen = per_source.setdefault(work_id, {}).get(source)
            if (
                seen is None
                or day > seen.observed_on
                or (day == seen.observed_on and count > seen.count)
            ):
                per_source[work_id][source] = SourceCount(source, int(count), day)
    result: dict[int, WorkCitation] = {}
    for work_id, values in per_source.items():
        chosen, others = choose(values.values(), today, fresh_days)
        result[work_id] = WorkCitation(
            chosen.count, chosen.source, chosen.observed_on, tuple(others)
        )
    return result


def _graph_values(session: Session, work_ids: Sequence[int]) -> list[tuple[int, str, date, int]]:
    """(work, source, day, count) of each S2/OpenAlex record's latest observation."""
    newest_day = latest_day_of_record()
    rows = session.execute(
        select(
            SourceRecord.work_id,
            CitationObservation.source,
            CitationObservation.observed_on,
            CitationObservation.citation_count,
        )
        .join(SourceRecord, SourceRecord.id == CitationObservation.source_record_id)
        .where(
            SourceRecord.work_id.in_(list(work_ids)), CitationObservation.observed_on == newest_day
        )
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _scholar_values(session: Session, work_ids: Sequence[int]) -> list[tuple[int, str, date, int]]:
    """(work, "scholar", day, count) of each Scholar publication's latest ``num_citations``."""
    latest = aliased(ScholarObservation)
    newest_day = (
        select(func.max(latest.observed_on))
        .where(
            latest.subject_kind == ScholarObservation.subject_kind,
            latest.subject == ScholarObservation.subject,
            latest.metric == ScholarObservation.metric,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            SourceRecord.work_id,
            ScholarObservation.observed_on,
            ScholarObservation.value,
        )
        .join(
            ScholarObservation,
            and_(
                ScholarObservation.subject_kind == "publication",
                ScholarObservation.metric == "num_citations",
                ScholarObservation.subject == SourceRecord.source_id,
            ),
        )
        .where(
            SourceRecord.source == "scholar",
            SourceRecord.work_id.in_(list(work_ids)),
            ScholarObservation.observed_on == newest_day,
        )
    )
    return [(w, "scholar", d, v) for w, d, v in rows]


class YearCounts(NamedTuple):
    """Citations received per year, as one source reported them on one day."""

    source: str
    observed_on: date
    by_year: dict[int, int]


def work_counts_by_year(session: Session, work_ids: Iterable[int]) -> dict[int, YearCounts]:
    """``{work_id: (source, observed_on, {year: citations})}`` from the first source in
    :data:`CITATION_PRECEDENCE` that reported citations per year for the work (today only
    OpenAlex does), its latest day; when it has several records of the work that day, the
    per-year maximum (never a sum). Works without per-year counts are absent."""
    latest = aliased(CitationObservation)
    newest_day = (
        select(func.max(latest.observed_on))
        .where(
            latest.source_record_id == CitationObservation.source_record_id,
            latest.counts_by_year.is_not(None),
        )
        .scalar_subquery()
    )
    found: dict[int, dict[str, tuple[date, dict[int, int]]]] = {}
    for part in chunks(sorted(set(work_ids)), 500):
        rows = session.execute(
            select(
                SourceRecord.work_id,
                CitationObservation.source,
                CitationObservation.observed_on,
                CitationObservation.counts_by_year,
            )
            .join(SourceRecord, SourceRecord.id == CitationObservation.source_record_id)
            .where(
                SourceRecord.work_id.in_(list(part)),
                CitationObservation.counts_by_year.is_not(None),
                CitationObservation.observed_on == newest_day,
            )
        )
        for work_id, source, day, counts in rows:
            by_year = {int(y): int(n) for y, n in (counts or {}).items()}
            seen = found.setdefault(work_id, {}).get(source)
            if seen is None or day > seen[0]:
                found[work_id][source] = (day, by_year)
            elif day == seen[0]:
                merged = dict(seen[1])
                for year, n in by_year.items():
                    merged[year] = max(merged.get(year, 0), n)
                found[work_id][source] = (day, merged)
    result: dict[int, YearCounts] = {}
    for work_id, sources in found.items():
        source = min(sources, key=lambda s: (_rank(s), s))
        day, by_year = sources[source]
        result[work_id] = YearCounts(source, day, dict(sorted(by_year.items())))
    return result
