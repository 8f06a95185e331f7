"""arXiv OAI-PMH harvester: date windows of a set, in ``arXiv`` or ``oai_dc`` metadata.

``ListRecords`` pages are yielded one at a time with the resumption token that continues
after them, so the caller can store each page and its token together and a killed backfill
resumes from the last stored token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from lxml import etree

from harvesters.errors import OaiPmhError, SourceResponseError
from harvesters.http.client import PoliteHttpClient
from harvesters.normalize import clean_text, find_github_links, split_arxiv_id, split_dois
from harvesters.records import AuthorName, QuarantinedInput, WorkRecord

logger = logging.getLogger(__name__)

SOURCE = "arxiv-oai"
DEFAULT_BASE_URL = "https://oaipmh.arxiv.org/oai"
METADATA_PREFIXES = ("arXiv", "oai_dc")

_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_ARXIV = "{http://arxiv.org/OAI/arXiv/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class OaiPage:
    """One ListRecords page: its records, the token to continue (None at the end), progress."""

    items: list[WorkRecord | QuarantinedInput]
    resumption_token: str | None
    cursor: int | None
    complete_list_size: int | None
    last_datestamp: str | None


@dataclass
class ArxivOaiHarvester:
    """Lists an arXiv set's records changed in a date window."""

    client: PoliteHttpClient
    base_url: str = DEFAULT_BASE_URL

    def pages(
        self,
        *,
        set_spec: str | None,
        since: date | None,
        until: date | None,
        metadata_prefix: str = "arXiv",
        resumption_token: str | None = None,
    ) -> Iterator[OaiPage]:
        """ListRecords pages for the window, starting from ``resumption_token`` when given.

        Raises ValueError for an unsupported prefix, OaiPmhError for an OAI-PMH error (other
        than noRecordsMatch, which yields nothing) and the client's HTTP errors.
        """
        if metadata_prefix not in METADATA_PREFIXES:
            raise ValueError(f"metadata prefix must be one of {METADATA_PREFIXES}")
        token = resumption_token
        while True:
            params: dict[str, Any]
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
                if set_spec:
                    params["set"] = set_spec
                if since:
                    params["from"] = since.isoformat()
                if until:
                    params["until"] = until.isoformat()
            response = self.client.get(self.base_url, params=params)
            page = parse_list_records(response.content, str(response.url), metadata_prefix)
            if page is None:
                return
            yield page
            if not page.resumption_token:
                return
            token = page.resumption_token


def parse_list_records(content: bytes, url: str, metadata_prefix: str) -> OaiPage | None:
    """Parse a ListRecords response; None for ``noRecordsMatch``.

    A record whose metadata cannot be read becomes a QuarantinedInput (kept verbatim).
    Raises SourceResponseError for malformed XML and OaiPmhError for OAI-PMH errors.
    """
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceResponseError(url, f"malformed OAI-PMH XML: {exc}") from exc
    error = root.find(f"{_OAI}error")
    if error is not None:
        code = error.get("code", "unknown")
        if code == "noRecordsMatch":
            return None
        raise OaiPmhError(url, code, (error.text or "").strip())
    list_records = root.find(f"{_OAI}ListRecords")
    if list_records is None:
        raise SourceResponseError(url, "OAI-PMH response without ListRecords")
    items: list[WorkRecord | QuarantinedInput] = []
    last_datestamp: str | None = None
    for record in list_records.iterfind(f"{_OAI}record"):
        header = record.find(f"{_OAI}header")
        datestamp = header.findtext(f"{_OAI}datestamp") if header is not None else None
        if datestamp:
            last_datestamp = max(last_datestamp or datestamp, datestamp.strip())
        if header is not None and header.get("status") == "deleted":
            continue
        raw = etree.tostring(record, encoding="unicode").strip()
        try:
            items.append(_parse_record(record, raw, metadata_prefix, datestamp))
        except (ValueError, AttributeError) as exc:
            identifier = header.findtext(f"{_OAI}identifier") if header is not None else None
            items.append(
                QuarantinedInput(source=SOURCE, reason=str(exc), raw=raw, source_id=identifier)
            )
    token_el = list_records.find(f"{_OAI}resumptionToken")
    token = (token_el.text or "").strip() if token_el is not None else ""
    return OaiPage(
        items=items,
        resumption_token=token or None,
        cursor=_int_attr(token_el, "cursor"),
        complete_list_size=_int_attr(token_el, "completeListSize"),
        last_datestamp=last_datestamp,
    )


def _int_attr(element: Any, name: str) -> int | None:
    value = element.get(name) if element is not None else None
    return int(value) if value and value.isascii() and value.isdigit() else None


def _parse_record(record: Any, raw: str, prefix: str, datestamp: str | None) -> WorkRecord:
    metadata = record.find(f"{_OAI}metadata")
    if metadata is None:
        raise ValueError("record without metadata")
    if prefix == "arXiv":
        element = metadata.find(f"{_ARXIV}arXiv")
        if element is None:
            raise ValueError("metadata is not in the arXiv format")
        return _from_arxiv_format(element, raw, datestamp)
    element = metadata[0] if len(metadata) else None
    if element is None:
        raise ValueError("empty oai_dc metadata")
    return _from_oai_dc(element, raw, datestamp)


def _text(element: Any, tag: str) -> str | None:
    value = element.findtext(tag)
    return value.strip() if value and value.strip() else None


def _from_arxiv_format(element: Any, raw: str, datestamp: str | None) -> WorkRecord:
    arxiv_id, version = split_arxiv_id(_text(element, f"{_ARXIV}id") or "")
    title = clean_text(_text(element, f"{_ARXIV}title"))
    if not title:
        raise ValueError(f"{arxiv_id}: no title")
    authors = []
    for author in element.iterfind(f"{_ARXIV}authors/{_ARXIV}author"):
        parts = [
            _text(author, f"{_ARXIV}forenames"),
            _text(author, f"{_ARXIV}keyname"),
            _text(author, f"{_ARXIV}suffix"),
        ]
        name = clean_text(" ".join(p for p in parts if p)) or ""
        affiliations = tuple(
            a.text.strip() for a in author.iterfind(f"{_ARXIV}affiliation") if a.text
        )
        authors.append(AuthorName(name=name, affiliations=affiliations))
    created = _date(_text(element, f"{_ARXIV}created"))
    updated = _date(_text(element, f"{_ARXIV}updated"))
    categories = tuple((_text(element, f"{_ARXIV}categories") or "").split())
    abstract = clean_text(_text(element, f"{_ARXIV}abstract"))
    comment = clean_text(_text(element, f"{_ARXIV}comments"))
    identifiers = {"arxiv": arxiv_id}
    # The field may list several DOIs ("10.1103/x, 10.1/y"): the first is the identifier.
    dois = split_dois(_text(element, f"{_ARXIV}doi"))
    if dois:
        identifiers["doi"] = dois[0]
    return WorkRecord(
        source=SOURCE,
        source_id=arxiv_id,
        title=title,
        raw=raw,
        raw_format="oai-arXiv",
        abstract=abstract,
        authors=tuple(authors),
        identifiers=identifiers,
        version=version,
        published=created,
        updated=updated or created,
        year=created.year if created else None,
        journal_ref=clean_text(_text(element, f"{_ARXIV}journal-ref")),
        comment=comment,
        # The arXiv format lists the primary category first.
        primary_category=categories[0] if categories else None,
        categories=categories,
        urls=(f"https://arxiv.org/abs/{arxiv_id}",),
        code_links=find_github_links(abstract, comment),
        datestamp=datestamp,
        other_identifiers=tuple(("doi", d) for d in dois[1:]),
    )


def _from_oai_dc(element: Any, raw: str, datestamp: str | None) -> WorkRecord:
    identifiers = [i.text.strip() for i in element.iterfind(f"{_DC}identifier") if i.text]
    arxiv_urls = [i for i in identifiers if "arxiv.org/abs/" in i]
    if not arxiv_urls:
        raise ValueError("oai_dc record without an arxiv.org/abs identifier")
    arxiv_id, version = split_arxiv_id(arxiv_urls[0])
    title = clean_text(_text(element, f"{_DC}title"))
    if not title:
        raise ValueError(f"{arxiv_id}: no title")
    descriptions = [d.text.strip() for d in element.iterfind(f"{_DC}description") if d.text]
    comment = next(
        (d[len("Comment:") :].strip() for d in descriptions if d.startswith("Comment:")), None
    )
    abstract = clean_text(next((d for d in descriptions if not d.startswith("Comment:")), None))
    dates = sorted(
        day for d in element.iterfind(f"{_DC}date") if (day := _date(d.text)) is not None
    )
    ids = {"arxiv": arxiv_id}
    dois = tuple(dict.fromkeys(d for value in identifiers for d in split_dois(value)))
    if dois:
        ids["doi"] = dois[0]
    authors = tuple(
        AuthorName(name=_invert_name(c.text.strip()))
        for c in element.iterfind(f"{_DC}creator")
        if c.text
    )
    return WorkRecord(
        source=SOURCE,
        source_id=arxiv_id,
        title=title,
        raw=raw,
        raw_format="oai_dc",
        abstract=abstract,
        authors=authors,
        identifiers=ids,
        version=version,
        published=dates[0] if dates else None,
        updated=dates[-1] if dates else None,
        year=dates[0].year if dates else None,
        comment=clean_text(comment),
        # oai_dc subjects are category names ("Computer Science - Information Theory").
        categories=tuple(s.text.strip() for s in element.iterfind(f"{_DC}subject") if s.text),
        urls=(f"https://arxiv.org/abs/{arxiv_id}",),
        code_links=find_github_links(abstract, comment),
        datestamp=datestamp,
        other_identifiers=tuple(("doi", d) for d in dois[1:]),
    )


def _invert_name(name: str) -> str:
    """``Liepins, Vilnis`` -> ``Vilnis Liepins`` (oai_dc creators are ``Last, First``)."""
    if "," in name:
        last, _, first = name.partition(",")
        return f"{first.strip()} {last.strip()}".strip()
    return name


def _date(text: str | None) -> date | None:
    if not text:
        return None
    return date.fromisoformat(text.strip()[:10])
