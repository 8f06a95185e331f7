"""Semantic Scholar paper objects as WorkRecords and citation observations (no I/O)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from harvesters.citations import (
    CitationAnswer,
    CitationObservation,
    Lookup,
    doi_or_arxiv,
    normalize_arxiv,
)
from harvesters.normalize import clean_text
from harvesters.records import AuthorName, QuarantinedInput, WorkRecord

SOURCE = "s2"
# How S2's batch endpoint takes each identifier scheme (a paperId is sent bare).
ID_PREFIXES: dict[str, str] = {
    "s2": "",
    "doi": "DOI:",
    "arxiv": "ARXIV:",
    "acl": "ACL:",
    "pmid": "PMID:",
}


def s2_id(lookup: Lookup) -> str:
    """The batch form of ``(scheme, value)``: ``DOI:10.1145/3637866``, ``ARXIV:2404.04750``.

    Raises KeyError for a scheme S2 cannot look up.
    """
    scheme, value = lookup
    return f"{ID_PREFIXES[scheme]}{value}"


def identifiers(paper: dict[str, Any]) -> dict[str, str]:
    """The work identifiers of a paper object: its S2 paperId and every DOI, arXiv, ACL, DBLP
    and PubMed id of ``externalIds``, normalized (DOIs lower-case, arXiv without version;
    arXiv's own DataCite DOI counts as the arXiv id)."""
    ids: dict[str, str] = {}
    if paper.get("paperId"):
        ids["s2"] = str(paper["paperId"])
    external = paper.get("externalIds") or {}
    if not isinstance(external, dict):
        return ids
    arxiv = normalize_arxiv(external.get("ArXiv"))
    if arxiv:
        ids["arxiv"] = arxiv
    found = doi_or_arxiv(external.get("DOI"))
    if found is not None:
        ids.setdefault(*found)
    for key, scheme in (("ACL", "acl"), ("DBLP", "dblp"), ("PubMed", "pmid")):
        value = external.get(key)
        if value not in (None, ""):
            ids[scheme] = str(value).strip()
    return ids


def parse_paper(paper: dict[str, Any] | None, asked: Lookup, observed_on: date) -> CitationAnswer:
    """The answer for ``asked``: None (S2's ``null``) is not found; a paper without a paperId
    is quarantined; otherwise a record (source ``s2``, key paperId) and an observation."""
    if paper is None:
        return CitationAnswer(asked=asked)
    raw = json.dumps(paper, ensure_ascii=False, sort_keys=True)
    paper_id = paper.get("paperId")
    if not paper_id:
        return CitationAnswer(
            asked=asked,
            bad=QuarantinedInput(SOURCE, "S2 paper object without paperId", raw),
        )
    ids = identifiers(paper)
    # The asked id joins the answer to the work it was asked for, unless the answer carries
    # another value of that scheme (then the source's own value stands).
    ids.setdefault(*asked)
    count = paper.get("citationCount")
    year = paper.get("year") if isinstance(paper.get("year"), int) else None
    authors = tuple(
        AuthorName(
            name=str(a.get("name") or "").strip(),
            ids={"s2": str(a["authorId"])} if a.get("authorId") else {},
        )
        for a in paper.get("authors") or ()
        if isinstance(a, dict) and a.get("name")
    )
    record = WorkRecord(
        source=SOURCE,
        source_id=str(paper_id),
        title=clean_text(paper.get("title")) or "",
        raw=raw,
        raw_format="json",
        authors=authors,
        identifiers=ids,
        published=_date(paper.get("publicationDate")),
        year=year,
        venue=clean_text(paper.get("venue")),
        urls=(f"https://www.semanticscholar.org/paper/{paper_id}",),
        citation_count=count if isinstance(count, int) else None,
    )
    observation = (
        CitationObservation(
            source=SOURCE,
            source_id=str(paper_id),
            work_ids=ids,
            citation_count=count,
            observed_on=observed_on,
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
