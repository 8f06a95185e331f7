"""What the open citation graphs (Semantic Scholar, OpenAlex) answer, as typed values.

Both sources are asked by identifier for works scholarflow already knows. Each answer becomes a
:class:`~harvesters.records.WorkRecord` (a mention like any other: its ids link a preprint to its
published version) plus a dated :class:`CitationObservation`; an id the source does not know
becomes a :class:`CitationAnswer` without a record, so the lookup is still remembered.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date

from harvesters.errors import HarvestError
from harvesters.normalize import normalize_doi, split_arxiv_id
from harvesters.records import QuarantinedInput, WorkRecord

# arXiv registers a DataCite DOI for every paper: 10.48550/arXiv.<id>. It names the preprint,
# not the published version, so it is kept as the arXiv id: stored as a DOI it would collide
# with the published DOI under the one-DOI-per-work guard and keep the versions apart.
ARXIV_DOI_PREFIX = "10.48550/arxiv."
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.IGNORECASE)

Lookup = tuple[str, str]
"""An identifier asked for: ``(scheme, value)``, normalized like a work identifier."""


@dataclass(frozen=True, slots=True)
class CitationObservation:
    """A citation count one source reported for one of its records on one day.

    ``source_id`` is the record's own key (S2 paperId, OpenAlex ``W…`` id); ``work_ids`` the
    identifiers the answer carried; ``counts_by_year`` maps a year to the citations received in
    it (OpenAlex gives it, S2's batch does not: None).
    """

    source: str
    source_id: str
    work_ids: dict[str, str]
    citation_count: int
    observed_on: date
    counts_by_year: dict[int, int] | None = None


@dataclass(frozen=True, slots=True)
class CitationAnswer:
    """The answer for one asked identifier: a record and its observation, or ``found`` False
    (the source does not know the id), or a quarantined payload (unusable answer)."""

    asked: Lookup
    record: WorkRecord | None = None
    observation: CitationObservation | None = None
    bad: QuarantinedInput | None = None

    @property
    def found(self) -> bool:
        return self.record is not None


class BudgetSpentError(HarvestError):
    """The run's request budget is spent, or the source keeps answering 429 after retries.

    Always transient: a later run continues with the works not looked up yet.
    """

    transient = True


@dataclass
class RequestBudget:
    """At most ``limit`` requests per run (None: no limit); :meth:`spend` before each one."""

    limit: int | None = None
    used: int = 0

    def spend(self, what: str) -> None:
        """Count one request. Raises BudgetSpentError when the budget is already used up."""
        if self.limit is not None and self.used >= self.limit:
            raise BudgetSpentError(f"request budget of {self.limit} spent before {what}")
        self.used += 1


def arxiv_doi(arxiv_id: str) -> str:
    """The DataCite DOI arXiv registered for a (versionless) arXiv id, lower-cased."""
    return f"{ARXIV_DOI_PREFIX}{arxiv_id.lower()}"


def doi_or_arxiv(raw: str | None) -> tuple[str, str] | None:
    """``("doi", normalized)`` for a DOI, ``("arxiv", id)`` for arXiv's own DataCite DOI, or
    None when ``raw`` is no DOI."""
    doi = normalize_doi(raw)
    if doi is None:
        return None
    if doi.startswith(ARXIV_DOI_PREFIX):
        arxiv = normalize_arxiv(doi[len(ARXIV_DOI_PREFIX) :])
        return ("arxiv", arxiv) if arxiv else None
    return "doi", doi


def normalize_arxiv(raw: str | None) -> str | None:
    """A versionless arXiv id, or None when ``raw`` is not one."""
    if not raw:
        return None
    try:
        return split_arxiv_id(str(raw))[0]
    except ValueError:
        return None


def normalize_orcid(raw: str | None) -> str | None:
    """``0000-0002-6186-1619`` from an ORCID URL or bare id; None when not one."""
    if not raw:
        return None
    match = _ORCID.search(raw.strip())
    return match.group(1).upper() if match else None


def mark_tracked(record: WorkRecord, scheme: str, value: str, tracked_id: int | None) -> WorkRecord:
    """``record`` with every author whose ``ids[scheme]`` is ``value`` carrying
    ``ids["tracked"]`` (the merge then attaches that mention to the tracked person); unchanged
    without ``tracked_id`` or when no author carries the id."""
    if tracked_id is None:
        return record
    authors = tuple(
        dataclasses.replace(a, ids={**a.ids, "tracked": str(tracked_id)})
        if a.ids.get(scheme) == value
        else a
        for a in record.authors
    )
    return dataclasses.replace(record, authors=authors)
