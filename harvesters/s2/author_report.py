"""What Semantic Scholar reports about an author (``GET /graph/v1/author/{id}``), no I/O.

S2 computes its own totals over the papers it attributes to the author: ``paperCount``,
``citationCount`` and ``hIndex``. scholarflow keeps them beside its computed metrics, as it
keeps Scholar's profile numbers, and never uses them as inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from harvesters.errors import SourceResponseError

#: The fields asked of ``/author/{id}``.
AUTHOR_FIELDS = "name,paperCount,citationCount,hIndex"


@dataclass(frozen=True)
class S2AuthorReport:
    """One day's numbers S2 reports for one author id (None where S2 gives none)."""

    s2_author_id: str
    name: str | None
    paper_count: int | None
    citation_count: int | None
    h_index: int | None
    observed_on: date


def parse_author(data: Any, *, url: str, asked: str, observed_on: date) -> S2AuthorReport:
    """The report in an ``/author/{id}`` answer; extra fields (``papers``...) are ignored.

    Raises SourceResponseError when the answer is not an author object, is another author's,
    or gives a count that is not a non-negative integer.
    """
    if not isinstance(data, dict) or not data.get("authorId"):
        raise SourceResponseError(url, "expected an author object with an authorId")
    if str(data["authorId"]) != asked:
        raise SourceResponseError(url, f"asked for author {asked}, got {data['authorId']}")
    counts: dict[str, int | None] = {}
    for key in ("paperCount", "citationCount", "hIndex"):
        value = data.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise SourceResponseError(url, f"{key} is not a count: {value!r}")
        counts[key] = value
    name = data.get("name")
    return S2AuthorReport(
        s2_author_id=asked,
        name=str(name).strip() or None if name is not None else None,
        paper_count=counts["paperCount"],
        citation_count=counts["citationCount"],
        h_index=counts["hIndex"],
        observed_on=observed_on,
    )
