"""OpenAlex work objects as WorkRecords and citation observations (no I/O)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from harvesters.citations import (
    CitationAnswer,
    CitationObservation,
    Lookup,
    doi_or_arxiv,
    normalize_arxiv,
    normalize_orcid,
)
from harvesters.normalize import clean_text
from harvesters.records import AuthorName, QuarantinedInput, WorkRecord

SOURCE = "openalex"
# OpenAlex's placeholder for an authorship it could not attribute ("NULL AUTHOR_ID"): not a
# person, so never an author (seen three times on one work of the real search answer).
NULL_AUTHOR = "A9999999999"
_OPENALEX_ID = re.compile(r"([WAISPC]\d+)$", re.IGNORECASE)
_PMID = re.compile(r"(\d+)/?$")
_ARXIV_ABS = re.compile(r"arxiv\.org/(?:abs|pdf)/([^?#]+?)(?:\.pdf)?$", re.IGNORECASE)


def openalex_id(raw: str | None) -> str | None:
    """``W2068311567`` from ``https://openalex.org/W2068311567`` (or the bare id)."""
    if not raw:
        return None
    match = _OPENALEX_ID.search(str(raw).strip())
    return match.group(1).upper() if match else None


def identifiers(work: dict[str, Any]) -> dict[str, str]:
    """The work identifiers of an OpenAlex work: its ``W…`` id, DOI (arXiv's DataCite DOI as
    the arXiv id), PubMed id, and the arXiv id of an arXiv location, normalized."""
    ids: dict[str, str] = {}
    source_ids = work.get("ids") if isinstance(work.get("ids"), dict) else {}
    oa = openalex_id(work.get("id") or source_ids.get("openalex"))
    if oa:
        ids["openalex"] = oa
    found = doi_or_arxiv(work.get("doi") or source_ids.get("doi"))
    if found is not None:
        ids[found[0]] = found[1]
    pmid = source_ids.get("pmid")
    if pmid and (match := _PMID.search(str(pmid))):
        ids["pmid"] = match.group(1)
    if "arxiv" not in ids:
        for location in work.get("locations") or ():
            url = (location or {}).get("landing_page_url") or ""
            if match := _ARXIV_ABS.search(url):
                arxiv = normalize_arxiv(match.group(1))
                if arxiv:
                    ids["arxiv"] = arxiv
                    break
    return ids


def authors_of(work: dict[str, Any]) -> tuple[AuthorName, ...]:
    """Authors in OpenAlex's order, with their ``A…`` id, ORCID and institutions; the
    ``NULL AUTHOR_ID`` placeholder is left out."""
    found = []
    for authorship in work.get("authorships") or ():
        if not isinstance(authorship, dict):
            continue
        author = authorship.get("author") or {}
        if openalex_id(author.get("id")) == NULL_AUTHOR:
            continue
        name = (author.get("display_name") or authorship.get("raw_author_name") or "").strip()
        if not name:
            continue
        ids = {}
        if oa := openalex_id(author.get("id")):
            ids["openalex"] = oa
        if orcid := normalize_orcid(author.get("orcid")):
            ids["orcid"] = orcid
        institutions = tuple(
            str(i["display_name"])
            for i in authorship.get("institutions") or ()
            if isinstance(i, dict) and i.get("display_name")
        )
        found.append(AuthorName(name=name, affiliations=institutions, ids=ids))
    return tuple(found)


def counts_by_year(work: dict[str, Any]) -> dict[int, int] | None:
    """Citations received per year (``counts_by_year``), None when absent."""
    rows = work.get("counts_by_year")
    if not isinstance(rows, list):
        return None
    counts = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("year"), int):
            value = row.get("cited_by_count")
            if isinstance(value, int):
                counts[row["year"]] = value
    return dict(sorted(counts.items()))


def parse_work(work: dict[str, Any], asked: Lookup, observed_on: date) -> CitationAnswer:
    """The answer for ``asked``: a record (source ``openalex``, key the ``W…`` id) and its
    observation; a work without an id is quarantined."""
    raw = json.dumps(work, ensure_ascii=False, sort_keys=True)
    ids = identifiers(work)
    if "openalex" not in ids:
        return CitationAnswer(
            asked=asked, bad=QuarantinedInput(SOURCE, "OpenAlex work without an id", raw)
        )
    ids.setdefault(*asked)
    location = work.get("primary_location") or {}
    venue = ((location.get("source") or {}) if isinstance(location, dict) else {}).get(
        "display_name"
    )
    count = work.get("cited_by_count")
    by_year = counts_by_year(work)
    year = work.get("publication_year")
    record = WorkRecord(
        source=SOURCE,
        source_id=ids["openalex"],
        title=clean_text(work.get("display_name") or work.get("title")) or "",
        raw=raw,
        raw_format="json",
        authors=authors_of(work),
        identifiers=ids,
        published=_date(work.get("publication_date")),
        year=year if isinstance(year, int) else None,
        venue=clean_text(venue),
        urls=(f"https://openalex.org/{ids['openalex']}",),
        citation_count=count if isinstance(count, int) else None,
    )
    observation = (
        CitationObservation(
            source=SOURCE,
            source_id=ids["openalex"],
            work_ids=ids,
            citation_count=count,
            observed_on=observed_on,
            counts_by_year=by_year,
        )
        if isinstance(count, int)
        else None
    )
    return CitationAnswer(asked=asked, record=record, observation=observation)


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
