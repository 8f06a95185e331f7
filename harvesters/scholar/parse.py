"""Google Scholar pages parsed with scholarly's own parsers, one page at a time.

scholarly's ``AuthorParser._fill_*`` and ``PublicationParser`` read a BeautifulSoup of a page
and produce the dicts the AcadHomepage crawler dumps to ``gs_data.json``; using them keeps our
export identical to theirs. They are fed pages our bounded client fetched: the ``_PageNav``
handed to them serves the one page already in hand and refuses any other fetch.

Importing scholarly runs its package ``__init__`` (it builds an idle httpx client and reads a
``.env`` file if one is found); no request is made.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, Tag
from scholarly.author_parser import AuthorParser
from scholarly.data_types import PublicationSource
from scholarly.publication_parser import PublicationParser

from harvesters.errors import SourceResponseError

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# The order and set of sections the AcadHomepage crawler fills (its gs_data.json "filled").
CRAWLER_SECTIONS = ("basics", "publications", "indices", "counts")
INDEX_KEYS = ("citedby", "citedby5y", "hindex", "hindex5y", "i10index", "i10index5y")
_SINCE = re.compile(r"(\d{4})")


def profile_path(scholar_id: str, cstart: int = 0, pagesize: int = PAGE_SIZE) -> str:
    """The profile page path scholarly requests (``/citations?hl=en&user=...``), by citations."""
    path = f"/citations?hl=en&user={scholar_id}"
    if cstart:
        path += f"&cstart={cstart}"
    return f"{path}&pagesize={pagesize}"


def citation_path(author_pub_id: str) -> str:
    """The single-publication page path scholarly requests for ``fill``."""
    return f"/citations?hl=en&view_op=view_citation&citation_for_view={author_pub_id}"


class _PageNav:
    """What scholarly's parsers expect of a navigator, over one page already fetched."""

    def __init__(self, soup: BeautifulSoup | None = None) -> None:
        self.logger = logger
        self.publib = ""
        self._soup = soup

    def _get_soup(self, url: str) -> BeautifulSoup:
        if self._soup is None:
            raise SourceResponseError(url, "the parser asked for another page")
        soup, self._soup = self._soup, None
        return soup


def soup_of(html: str) -> BeautifulSoup:
    """The page as scholarly's ``Navigator._get_soup`` prepares it (NBSP as spaces)."""
    return BeautifulSoup(html.replace("\xa0", " "), "html.parser")


@dataclass
class PublicationRow:
    """One row of a profile's publication table: scholarly's dict plus what it drops."""

    publication: dict[str, Any]
    authors: tuple[str, ...]
    row_html: str


@dataclass
class BadRow:
    """A publication row scholarly could not read, kept verbatim."""

    reason: str
    row_html: str


@dataclass
class ProfilePage:
    """One page of a profile: the profile itself (first page only) and its publication rows."""

    author: dict[str, Any] | None
    rows: list[PublicationRow]
    bad_rows: list[BadRow]
    has_more: bool
    recent_since: int | None = None
    warnings: list[str] = field(default_factory=list)


def parse_profile_page(
    html: str, scholar_id: str, *, first: bool = True, pagesize: int = PAGE_SIZE
) -> ProfilePage:
    """Parse a profile page as scholarly would (sections basics, indices, counts on the first
    page; publication rows on every page).

    ``has_more`` is false when the "Show more" button is missing or disabled, or when the
    page held fewer rows than asked for. A section that cannot be read is left out with a
    warning (trimmed pages exist). Raises SourceResponseError when the page is not a
    profile page at all (no name).
    """
    soup = soup_of(html)
    name_div = soup.find("div", id="gsc_prf_in")
    if name_div is None or not (
        soup.find(id="gsc_rsb_st") or soup.find(id="gsc_a_t") or soup.find(class_="gsc_a_tr")
    ):
        # A page in another markup (the pre-2014 "cit-" profile layout, a search page, an
        # error page): nothing on it can be read, so say so instead of storing nothing.
        raise UnrecognisedPageError(
            f"scholar profile {scholar_id}",
            "unrecognised page layout: no Google Scholar profile name"
            if name_div is None
            else "unrecognised page layout: a profile name but no citation table or "
            "publication list",
        )
    author: dict[str, Any] | None = None
    warnings: list[str] = []
    recent_since = None
    if first:
        parser = AuthorParser(_PageNav())
        author = parser.get_author(scholar_id)
        for section in CRAWLER_SECTIONS:
            if section == "publications":
                author["publications"] = []
            else:
                warning = _fill_section(parser, section, soup, author)
                if warning:
                    warnings.append(warning)
                if section == "basics" and not author.get("name"):
                    author["name"] = name_div.get_text()
            author["filled"].append(section)
        author["source"] = author["source"].value
        recent_since = _recent_since(soup)
    rows: list[PublicationRow] = []
    bad: list[BadRow] = []
    pub_parser = PublicationParser(_PageNav())
    found = soup.find_all("tr", class_="gsc_a_tr")
    for row in found:
        try:
            pub = pub_parser.get_publication(row, PublicationSource.AUTHOR_PUBLICATION_ENTRY)
        except _PARSE_ERRORS as exc:
            bad.append(BadRow(f"unreadable publication row: {type(exc).__name__}: {exc}", str(row)))
            continue
        pub["source"] = pub["source"].value
        rows.append(PublicationRow(pub, _row_authors(row), str(row)))
    button = soup.find("button", id="gsc_bpf_more")
    has_more = isinstance(button, Tag) and "disabled" not in button.attrs and len(found) >= pagesize
    for warning in warnings:
        logger.warning("Scholar profile %s: section %s", scholar_id, warning)
    return ProfilePage(author, rows, bad, has_more, recent_since, warnings)


# The markup each optional section of scholarly's parser reads. A page without it (the
# recorded excerpts under tests/fixtures/scholar, a profile with no citations yet) simply
# does not have that section: not a parse failure.
_SECTION_MARKUP: dict[str, tuple[str, dict[str, str]]] = {
    "basics": ("div", {"class": "gsc_prf_il"}),  # affiliation, e-mail and homepage lines
    "indices": ("td", {"class": "gsc_rsb_std"}),  # the citations / h-index / i10 table
    "counts": ("span", {"class": "gsc_g_t"}),  # the citations-per-year histogram
}
_PARSE_ERRORS = (AttributeError, TypeError, ValueError, IndexError, KeyError, OverflowError)


def _fill_section(
    parser: AuthorParser, section: str, soup: BeautifulSoup, author: dict[str, Any]
) -> str | None:
    """Run scholarly's filler for ``section``; a warning text when it failed on markup that
    is there, None when it worked or the section is not on the page (logged at INFO)."""
    tag, attrs = _SECTION_MARKUP[section]
    present = soup.find(tag, attrs=attrs) is not None
    if not present and section != "basics":
        # scholarly would record h-index 0 etc. for a page without the table: skip instead.
        logger.info("Scholar profile %s: no %s section on the page", author["scholar_id"], section)
        return None
    try:
        getattr(parser, f"_fill_{section}")(soup, author)
    except _PARSE_ERRORS as exc:
        if not present:
            logger.info(
                "Scholar profile %s: no %s section on the page (name only)",
                author["scholar_id"],
                section,
            )
            return None
        return f"{section} could not be read: {type(exc).__name__}: {exc}"
    return None


class UnrecognisedPageError(SourceResponseError):
    """A Scholar page in a layout the parser does not know (not a blocked page: those raise
    ScholarBlockedError in the client)."""


def _recent_since(soup: BeautifulSoup) -> int | None:
    """The first year of the stats table's second ("Since 2021") column."""
    headers = soup.select("#gsc_rsb_st th.gsc_rsb_sth")
    if len(headers) >= 3:
        match = _SINCE.search(headers[2].get_text())
        if match:
            return int(match.group(1))
    return None


def _row_authors(row: Tag) -> tuple[str, ...]:
    """Author names of a publication row (scholarly keeps only the venue line); a trailing
    ``...`` (Scholar cut the list) is dropped."""
    grays = row.find_all("div", class_="gs_gray")
    if not grays:
        return ()
    names = [n.strip() for n in grays[0].get_text().split(",")]
    return tuple(n for n in names if n and n not in ("...", "…"))


def parse_citation_page(html: str, publication: dict[str, Any]) -> dict[str, Any]:
    """``publication`` filled from its single-publication page, as ``scholarly.fill`` would
    (authors, venue fields, cites per year, eprint link). Does not change ``publication``.

    Raises SourceResponseError when the page is not a publication page.
    """
    soup = soup_of(html)
    if soup.find("div", id="gsc_oci_title") is None:
        raise SourceResponseError(
            citation_path(publication.get("author_pub_id", "?")),
            "not a Google Scholar publication page (no title)",
        )
    pub = {**publication, "bib": dict(publication.get("bib", {}))}
    pub["source"] = PublicationSource.AUTHOR_PUBLICATION_ENTRY
    try:
        filled = PublicationParser(_PageNav(soup)).fill(pub)
    except _PARSE_ERRORS as exc:
        raise SourceResponseError(
            citation_path(publication.get("author_pub_id", "?")),
            f"unreadable publication page: {type(exc).__name__}: {exc}",
        ) from exc
    filled["source"] = PublicationSource.AUTHOR_PUBLICATION_ENTRY.value
    return filled
