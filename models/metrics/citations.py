"""Which citation count the metrics use for a canonical work: one value per source, never a
sum over duplicates (the rule of :mod:`models.citations.rule`, README "Citation counts").

Per source, one value per work:

* **Semantic Scholar, OpenAlex** (``citation_observation``): each record's latest day; when
  the source has several records of one work on that day, their maximum (OpenAlex's per-year
  counts come with the value it took).
* **Google Scholar** (``scholar_publication``): a work may carry several Scholar entries
  (co-authors' profiles both list it, or one profile lists it twice); their counts are
  observations of one number by one source, so exactly one is taken: **the most recently
  observed entry** (``observed_at``; on a tie, the entry listed first on its profile, then
  the lower ``author_pub_id``).

Then the source: the first of :data:`~models.citations.rule.CITATION_PRECEDENCE` (S2,
OpenAlex, Scholar) whose value is fresh (observed within ``FRESH_DAYS`` of today); when none
is, the most recently observed value. Every value not taken is kept in ``others`` so a reader
can see it. Neither a maximum across sources nor a sum is used: the sum counts a paper's
citations twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, select, true
from sqlalchemy.orm import Session

from models.citations.rule import choose, latest_day_of_record
from models.citations.tables import CitationObservation
from models.identity.tables import WorkMention
from models.provenance import SourceRecord
from models.scholar.tables import ScholarProfile, ScholarPublication

log = logging.getLogger(__name__)

_IN_CHUNK = 1000


@dataclass(frozen=True)
class Observation:
    """One source's count of a work's citations, as of ``observed_on`` (``entry``: which of
    the source's records said it, e.g. a Scholar ``author_pub_id``)."""

    source: str
    count: int
    observed_on: date
    entry: str


@dataclass(frozen=True)
class CitationCount:
    """The count the metrics use for one work, the source and day it comes from, the
    per-year counts when the source has them, and the observations not taken."""

    count: int
    source: str
    observed_on: date
    entry: str
    per_year: Mapping[int, int] | None = field(default=None, hash=False)
    others: tuple[Observation, ...] = ()


#: Work ids, a ``select`` of work ids, or None for every work (a whole-table read).
WorkFilter = Sequence[int] | Select[Any] | None
Provider = Callable[[Session, WorkFilter], dict[int, CitationCount]]


def citation_counts(
    session: Session, work_ids: WorkFilter, *, today: date | None = None
) -> dict[int, CitationCount]:
    """The citation count of each work of ``work_ids`` that has one (a work with no known
    count is absent, never 0), chosen by the rule of the module docstring as of ``today``
    (default: the UTC date). ``work_ids`` is a sequence of ids, a ``select`` of work ids
    (the set-based callers pass a subquery instead of shipping ids), or None: every work."""
    today = today or datetime.now(UTC).date()
    session.flush()  # the providers read with Core, which does not autoflush
    by_work: dict[int, list[CitationCount]] = {}
    for provider in PROVIDERS:
        for work_id, value in provider(session, work_ids).items():
            by_work.setdefault(work_id, []).append(value)
    found: dict[int, CitationCount] = {}
    for work_id, values in by_work.items():
        if len(values) == 1:  # one source: nothing to choose (most works)
            found[work_id] = values[0]
            continue
        chosen, rest = choose(values, today)
        extra = [
            obs
            for v in rest
            for obs in (Observation(v.source, v.count, v.observed_on, v.entry), *v.others)
        ]
        found[work_id] = _with_others(chosen, extra) if extra else chosen
    return found


def _with_others(kept: CitationCount, more: Iterable[Observation]) -> CitationCount:
    return CitationCount(
        kept.count,
        kept.source,
        kept.observed_on,
        kept.entry,
        kept.per_year,
        (*kept.others, *more),
    )


def scholar_citations(session: Session, work_ids: WorkFilter) -> dict[int, CitationCount]:
    """Scholar's count per work: the most recently observed of the work's Scholar entries
    (see the module docstring), with its per-year counts when its page was filled."""
    conn = session.connection()
    # rows are grouped as they come (a million of them in a whole-table read, None)
    by_work: dict[int, list[Any]] = {}
    for where in _work_conditions(work_ids):
        for part in conn.execute(_scholar_query(where)).partitions(20_000):
            for row in part:
                entries = by_work.get(row[0])
                if entries is None:
                    by_work[row[0]] = [row]
                else:
                    entries.append(row)
    result: dict[int, CitationCount] = {}
    for work_id, entries in by_work.items():
        if len(entries) > 1:
            entries.sort(key=lambda r: (-_ts(r.observed_at), r.position, r.author_pub_id))
        # columns: work_id, author_pub_id, num_citations, observed_at, position, filled_payload
        best = entries[0]
        result[work_id] = CitationCount(
            int(best[2] or 0),
            "scholar",
            best[3].date(),
            best[1],
            _per_year(best[5]) if best[5] else None,
            tuple(Observation("scholar", int(r[2] or 0), r[3].date(), r[1]) for r in entries[1:])
            if len(entries) > 1
            else (),
        )
    return result


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _work_conditions(work_ids: WorkFilter) -> Iterable[Any]:
    """SQL conditions on ``work_mention.work_id``: one per chunk of ids, one subquery, or
    one that holds for every row (None)."""
    if work_ids is None:
        yield true()
        return
    if isinstance(work_ids, Select):
        yield WorkMention.work_id.in_(work_ids)
        return
    ids = sorted(set(work_ids))
    for start in range(0, len(ids), _IN_CHUNK):
        yield WorkMention.work_id.in_(ids[start : start + _IN_CHUNK])


def _scholar_query(where: Any) -> Select[Any]:
    # Scholar mentions carry their profile (the ``USER`` of ``USER:PUB``): joining the profile
    # first lets the publication be found through its unique (profile_id, author_pub_id) index.
    return (
        select(
            WorkMention.work_id,
            ScholarPublication.author_pub_id,
            ScholarPublication.num_citations,
            ScholarPublication.observed_at,
            ScholarPublication.position,
            # only filled pages have per-year counts; the others' payloads are not read
            case(
                (ScholarPublication.filled_at.is_not(None), ScholarPublication.payload),
                else_=None,
            ).label("filled_payload"),
        )
        .join(SourceRecord, SourceRecord.id == WorkMention.source_record_id)
        .join(ScholarProfile, ScholarProfile.scholar_id == WorkMention.profile)
        .join(
            ScholarPublication,
            and_(
                ScholarPublication.profile_id == ScholarProfile.id,
                ScholarPublication.author_pub_id == SourceRecord.source_id,
            ),
        )
        # no condition on source_record.source: the record of a Scholar mention is Scholar's,
        # and SQLite would otherwise scan every Scholar record from that index
        .where(WorkMention.source == "scholar", where)
    )


def _per_year(payload: str | None) -> dict[int, int] | None:
    if not payload:
        return None
    try:
        counts = json.loads(payload).get("cites_per_year")
        return {int(y): int(n) for y, n in counts.items()} if counts else None
    except (ValueError, TypeError, AttributeError):
        log.warning("stored Scholar per-year counts unreadable; left out")
        return None


def graph_citations(source: str) -> Provider:
    """The provider of ``source``'s (``s2`` or ``openalex``) value per work: each of its
    records' latest observation; several records of one work: the latest day, then the
    highest count that day (duplicates are never added up)."""

    def provider(session: Session, work_ids: WorkFilter) -> dict[int, CitationCount]:
        newest_day = latest_day_of_record()
        result: dict[int, CitationCount] = {}
        for where in _work_conditions(work_ids):
            rows = session.connection().execute(
                select(
                    WorkMention.work_id,
                    SourceRecord.source_id,
                    CitationObservation.observed_on,
                    CitationObservation.citation_count,
                    CitationObservation.counts_by_year,
                )
                .join(SourceRecord, SourceRecord.id == WorkMention.source_record_id)
                .join(
                    CitationObservation,
                    CitationObservation.source_record_id == WorkMention.source_record_id,
                )
                .where(
                    CitationObservation.source == source,
                    CitationObservation.observed_on == newest_day,
                    where,
                )
            )
            for work_id, entry, day, count, by_year in rows:
                seen = result.get(work_id)
                key = (day, int(count))
                kept = None if seen is None else (seen.observed_on, seen.count)
                # the latest day, then the highest count; on a full tie the lower entry id
                if kept is None or key > kept or (key == kept and entry < seen.entry):
                    result[work_id] = CitationCount(
                        int(count), source, day, entry, _year_counts(by_year)
                    )
        return result

    provider.__name__ = f"{source}_citations"
    return provider


def _year_counts(counts: Mapping[str, Any] | None) -> dict[int, int] | None:
    if not counts:
        return None
    try:
        return {int(y): int(n) for y, n in counts.items()}
    except (TypeError, ValueError, AttributeError):
        log.warning("stored per-year citation counts unreadable; left out")
        return None


#: Every citation source; which value a work takes is :func:`citation_counts`' rule.
PROVIDERS: list[Provider] = [graph_citations("s2"), graph_citations("openalex"), scholar_citations]
