"""Google Scholar harvester: profiles, indices, citations per year and publication lists.

Pages come from :class:`harvesters.scholar.client.ScholarClient` (bounded by one deadline,
stops when blocked) and are read by scholarly's parsers (:mod:`harvesters.scholar.parse`).
A profile is harvested page by page, so the caller can store each page before the next
request: when Google blocks the harvest, what was fetched is kept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harvesters.errors import SourceResponseError
from harvesters.normalize import clean_text, could_be, normalize_doi, split_arxiv_id
from harvesters.records import AuthorName, QuarantinedInput, WorkRecord
from harvesters.scholar.client import ScholarClient
from harvesters.scholar.parse import (
    INDEX_KEYS,
    PAGE_SIZE,
    UnrecognisedPageError,
    citation_path,
    parse_citation_page,
    parse_profile_page,
    profile_path,
)

logger = logging.getLogger(__name__)

SOURCE = "scholar"
RAW_FORMAT = "scholarly-json"
MAX_PAGES = 50  # 5,000 publications: far beyond any real profile; stops a paging loop
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(?P<id>[^?#\s]+?)(?:\.pdf)?(?:[?#].*)?$", re.I)
_YEAR_SUFFIX = re.compile(r",\s*\d{4}\s*$")


def normalize_scholar_id(raw: str) -> str:
    """A Scholar user id without a leaked query fragment (``w_WL27oAAAAJ&hl`` -> ``w_WL...``)."""
    return re.split(r"[&?#\s]", raw.strip(), maxsplit=1)[0]


def dumps(data: Any) -> str:
    """JSON text of a scholarly dict, key order kept (the form stored and exported)."""
    return json.dumps(data, ensure_ascii=False)


@dataclass(frozen=True)
class ScholarProfile:
    """A Scholar profile as one page (or one gs_data.json) reported it.

    ``payload`` is scholarly's Author dict (``publications`` left as an empty placeholder, so
    the key keeps its place); ``indices`` and ``cites_per_year`` are the numbers on the page.
    """

    scholar_id: str
    name: str
    payload: dict[str, Any]
    recent_since: int | None = None

    @property
    def indices(self) -> dict[str, int]:
        return {k: int(self.payload[k]) for k in INDEX_KEYS if self.payload.get(k) is not None}

    @property
    def cites_per_year(self) -> dict[int, int]:
        return {int(y): int(n) for y, n in (self.payload.get("cites_per_year") or {}).items()}

    def observations(self) -> dict[str, int]:
        """Every number Scholar reports for the profile, by metric name."""
        values = dict(self.indices)
        values.update({f"cites:{y}": n for y, n in self.cites_per_year.items()})
        return values


@dataclass(frozen=True)
class ScholarPublication:
    """One publication of a profile: scholarly's dict and its place in the list.

    The raw payload stored for it is scholarly's dict as JSON (the same form whether it came
    from a profile page, a filled publication page or an imported gs_data.json), so the same
    publication reported the same way is unchanged on every re-harvest. ``authors`` are the
    names of the profile row (scholarly drops them); ``owner_name`` is the profile's name.
    """

    scholar_id: str
    position: int
    payload: dict[str, Any]
    authors: tuple[str, ...] = ()
    owner_name: str | None = None

    @property
    def raw(self) -> str:
        return dumps(self.payload)

    @property
    def author_pub_id(self) -> str:
        return str(self.payload["author_pub_id"])

    @property
    def bib(self) -> dict[str, Any]:
        return dict(self.payload.get("bib") or {})

    @property
    def title(self) -> str:
        return clean_text(str(self.bib.get("title") or "")) or ""

    @property
    def year(self) -> int | None:
        text = str(self.bib.get("pub_year") or "").strip()
        return int(text) if text.isascii() and text.isdigit() else None

    @property
    def num_citations(self) -> int:
        return int(self.payload.get("num_citations") or 0)

    @property
    def filled(self) -> bool:
        return bool(self.payload.get("filled"))

    def observations(self) -> dict[str, int]:
        """Scholar's citation count for the publication, plus its cites per year if filled."""
        values = {"num_citations": self.num_citations}
        for year, count in (self.payload.get("cites_per_year") or {}).items():
            values[f"cites:{int(year)}"] = int(count)
        return values

    def work_record(self) -> WorkRecord:
        """The publication as a source record for the loader (identifiers: ``scholar_pub``,
        plus ``arxiv``/``doi`` when its eprint or publisher link names one)."""
        bib = self.bib
        identifiers = {"scholar_pub": self.author_pub_id}
        urls = tuple(u for u in (self.payload.get("pub_url"), self.payload.get("eprint_url")) if u)
        for url in urls:
            identifiers.update(_ids_from_url(str(url)))
        citation = clean_text(str(bib.get("citation") or "")) or None
        venue = clean_text(str(bib.get("journal") or bib.get("conference") or "")) or (
            _YEAR_SUFFIX.sub("", citation) if citation else None
        )
        return WorkRecord(
            source=SOURCE,
            source_id=self.author_pub_id,
            title=self.title,
            raw=self.raw,
            raw_format=RAW_FORMAT,
            abstract=clean_text(str(bib.get("abstract") or "")) or None,
            authors=self._author_names(),
            identifiers=identifiers,
            year=self.year,
            venue=venue or None,
            journal_ref=citation,
            urls=urls,
            citation_count=self.num_citations,
        )

    def _author_names(self) -> tuple[AuthorName, ...]:
        full = self.bib.get("author")
        names = [n.strip() for n in str(full).split(" and ")] if full else list(self.authors)
        result: list[AuthorName] = []
        owner_marked = False
        for name in (clean_text(n) for n in names):
            if not name:
                continue
            ids: dict[str, str] = {}
            if not owner_marked and self.owner_name and could_be(name, self.owner_name):
                ids, owner_marked = {"scholar": self.scholar_id}, True
            result.append(AuthorName(name=name, ids=ids))
        return tuple(result)


def _ids_from_url(url: str) -> dict[str, str]:
    found: dict[str, str] = {}
    match = _ARXIV_URL.search(url)
    if match:
        with contextlib.suppress(ValueError):
            found["arxiv"] = split_arxiv_id(match.group("id"))[0]
    lowered = url.lower()
    if "doi.org/" in lowered:
        doi = normalize_doi("https://doi.org/" + url[lowered.index("doi.org/") + 8 :])
        if doi:
            found["doi"] = doi
    return found


@dataclass
class ScholarPage:
    """What one profile page gave: the profile (first page only), publications, bad input.

    ``complete`` is true on the last page of a profile: the publication list is whole.
    """

    scholar_id: str
    profile: ScholarProfile | None
    publications: list[ScholarPublication]
    quarantined: list[QuarantinedInput] = field(default_factory=list)
    complete: bool = False


class ScholarHarvester:
    """Harvests Scholar profiles through a bounded client."""

    def __init__(self, client: ScholarClient) -> None:
        self.client = client

    def describe(self) -> dict[str, Any]:
        """The client's settings with secrets masked (for run parameters)."""
        return self.client.settings.describe()

    def profile_pages(self, scholar_id: str) -> Iterator[ScholarPage]:
        """The pages of one profile, first to last (100 publications a page).

        Raises UnrecognisedPageError (a SourceResponseError) for a page in a layout the
        parser does not know, ScholarBlockedError (store what was yielded: it stays valid) and
        the client's other errors.
        """
        cstart, owner = 0, None
        for number in range(MAX_PAGES):
            html = self.client.get_page(profile_path(scholar_id, cstart))
            try:
                page = parse_profile_page(html, scholar_id, first=number == 0, pagesize=PAGE_SIZE)
            except UnrecognisedPageError:
                raise
            except SourceResponseError as exc:
                reason = f"page {number + 1} of Scholar profile {scholar_id}: {exc}"
                yield ScholarPage(
                    scholar_id, None, [], [QuarantinedInput(SOURCE, reason, html, scholar_id)]
                )
                return
            profile = None
            if page.author is not None:
                owner = str(page.author.get("name") or "")
                profile = ScholarProfile(scholar_id, owner, page.author, page.recent_since)
            publications = [
                ScholarPublication(
                    scholar_id=scholar_id,
                    position=cstart + index,
                    payload=row.publication,
                    authors=row.authors,
                    owner_name=owner,
                )
                for index, row in enumerate(page.rows)
            ]
            bad = [
                QuarantinedInput(SOURCE, b.reason, b.row_html, scholar_id) for b in page.bad_rows
            ]
            yield ScholarPage(scholar_id, profile, publications, bad, complete=not page.has_more)
            if not page.has_more:
                return
            cstart += len(page.rows) + len(page.bad_rows)
        logger.warning("Scholar profile %s: stopped after %d pages", scholar_id, MAX_PAGES)

    def fill(self, publication: ScholarPublication) -> ScholarPublication:
        """The publication filled from its own page (authors, venue, cites per year, eprint).

        Raises ScholarBlockedError, the client's errors, and SourceResponseError when the
        page cannot be read.
        """
        html = self.client.get_page(citation_path(publication.author_pub_id))
        filled = parse_citation_page(html, publication.payload)
        return ScholarPublication(
            scholar_id=publication.scholar_id,
            position=publication.position,
            payload=filled,
            authors=publication.authors,
            owner_name=publication.owner_name,
        )


# Keys a profile row reports afresh; everything else a fill added is kept.
_ROW_KEYS = ("num_citations", "citedby_url", "cites_id")
_ROW_BIB_KEYS = ("pub_year", "citation")


def merge_publication(stored: dict[str, Any] | None, fresh: dict[str, Any]) -> dict[str, Any]:
    """``fresh`` (a profile row) over what is ``stored``: a filled publication stays filled,
    with the row's current citation count, links and year. Neither argument is changed."""
    if not stored or not stored.get("filled") or fresh.get("filled"):
        return fresh
    merged = {**stored, "bib": dict(stored.get("bib") or {})}
    for key in _ROW_KEYS:
        if key in fresh:
            merged[key] = fresh[key]
    for key in _ROW_BIB_KEYS:
        if key in (fresh.get("bib") or {}):
            merged["bib"][key] = fresh["bib"][key]
    return merged
