"""arXiv API harvester, through the ``arxiv`` package.

The package builds queries, pages through results and parses both Atom formats (the classic
one and the 2025+ one). This module adds what a scheduled harvester needs on top: a request
timeout, the 3-second politeness delay of the API terms ("make no more than one request every
three seconds"), retries with backoff on 429/5xx/connection errors and on the API's random
empty pages, a clear error for the API's error feeds, the raw ``<entry>`` of every result, and
early stop once results are older than the cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import arxiv
import requests
from arxiv import _feed
from lxml import etree

from harvesters.errors import (
    MissingIdsError,
    SourceHTTPError,
    SourceResponseError,
    SourceUnavailableError,
)
from harvesters.http.politeness import (
    RetryPolicy,
    Throttle,
    TryAgain,
    raise_for_retry_status,
    with_retries,
)
from harvesters.normalize import clean_text, find_github_links, split_arxiv_id, split_dois
from harvesters.records import AuthorName, QuarantinedInput, WorkRecord

logger = logging.getLogger(__name__)

SOURCE = "arxiv-api"
USER_AGENT = "scholarflow/0.1 (scholarly metadata harvester; +https://pypi.org/project/scholarflow)"
_ATOM = "{http://www.w3.org/2005/Atom}"
SORTS = {
    "lastUpdatedDate": arxiv.SortCriterion.LastUpdatedDate,
    "submittedDate": arxiv.SortCriterion.SubmittedDate,
    "relevance": arxiv.SortCriterion.Relevance,
}


@dataclass(frozen=True)
class FeedItem:
    """One ``<entry>`` of a feed: its Atom id, what it became, and its update time (None
    when the entry could not be read)."""

    entry_id: str | None
    item: WorkRecord | QuarantinedInput
    updated: datetime | None = None


@dataclass(frozen=True)
class ApiPage:
    """One parsed page of API results: ``totalResults`` and the entries in feed order."""

    total_results: int
    items: list[FeedItem]


class _EmptyFirstPage(Exception):
    """The first page stayed empty on every attempt (no results, or the API's random empty
    page every time); carries the last page."""

    def __init__(self, page: ApiPage) -> None:
        super().__init__("empty first page")
        self.page = page


class ArxivApiClient(arxiv.Client):
    """Pages through API searches with timeouts, backoff, ``Retry-After``, error feeds and
    raw entries; the ``arxiv`` package builds the URLs and each entry's ``Result``.

    An empty page is retried per ``retry`` like a 503 is, the first page included: the API
    returns empty pages at random. A first page still empty after that means no results.
    """

    def __init__(
        self,
        page_size: int = 100,
        delay_seconds: float = 3.0,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(page_size=page_size, delay_seconds=delay_seconds, num_retries=0)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep or _default_sleep
        self._throttle = Throttle(delay_seconds, sleep=self._sleep)
        self.requests_made = 0

    def feed_items(self, search: arxiv.Search) -> Iterator[FeedItem]:
        """Every entry of ``search`` (up to ``search.max_results``), page by page.

        Raises SourceHTTPError, SourceUnavailableError or SourceResponseError (an error feed,
        a malformed feed, a later page empty on every attempt).
        """
        limit = search.max_results
        offset = 0
        page = self.fetch_page(self._format_url(search, 0, self.page_size), first_page=True)
        if not page.items:
            return
        yielded = 0
        while page.items:
            for item in page.items:
                if limit is not None and yielded >= limit:
                    return
                yielded += 1
                yield item
            offset += len(page.items)
            if offset >= page.total_results or (limit is not None and yielded >= limit):
                return
            page = self.fetch_page(self._format_url(search, offset, self.page_size))

    def fetch_page(self, url: str, first_page: bool = False) -> ApiPage:
        """Fetch and parse one page, retrying transient failures and empty pages per
        ``self.retry``. A first page empty on every attempt is returned empty; a later one
        raises SourceResponseError. Other errors as in :meth:`feed_items`."""
        try:
            return with_retries(
                lambda attempt: self._fetch_page(url, first_page, attempt),
                policy=self.retry,
                throttle=self._throttle,
                sleep=self._sleep,
                label="arXiv API",
            )
        except _EmptyFirstPage as empty:
            logger.info(
                "arXiv API: no results after %d attempt(s): %s", self.retry.max_attempts, url
            )
            return empty.page

    def _fetch_page(self, url: str, first_page: bool, attempt: int) -> ApiPage:
        self.requests_made += 1
        logger.info("arXiv API request (attempt %d): %s", attempt, url)
        try:
            response = self._session.get(
                url, headers={"user-agent": USER_AGENT}, timeout=self.timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TryAgain(
                f"connection error: {exc}", SourceUnavailableError(url, attempt, exc)
            ) from exc
        status = response.status_code
        raise_for_retry_status(
            url, status, response.headers.get("retry-after"), attempt, self.retry
        )
        if status != 200:
            raise SourceHTTPError(url, status, attempt, _error_feed_message(response.content))
        page = parse_feed(response.content, url)
        if not page.items:
            give_up: Exception = (
                _EmptyFirstPage(page)
                if first_page
                else SourceResponseError(url, f"empty page on all {attempt} attempts")
            )
            raise TryAgain("empty page", give_up)
        return page


def _default_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# What the ``arxiv`` package's entry builder raises on values it cannot read (a malformed
# date raises ValueError from ``datetime.fromisoformat``, an out-of-range one OverflowError).
_ENTRY_ERRORS = (ValueError, TypeError, OverflowError, AttributeError, KeyError, IndexError)


def parse_feed(content: bytes, url: str) -> ApiPage:
    """Parse an API response body: every ``<entry>`` becomes a WorkRecord, or a
    QuarantinedInput (kept verbatim, with the reason) when it cannot be read.

    Raises SourceResponseError when the body is not a well-formed Atom feed or is an arXiv
    error feed.
    """
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceResponseError(url, f"malformed Atom feed: {exc}") from exc
    if root is None or root.tag != f"{_ATOM}feed":
        tag = "nothing" if root is None else f"<{root.tag}>"
        raise SourceResponseError(url, f"not an Atom feed: found {tag}")
    message = _error_message(root)
    if message:
        raise SourceResponseError(url, f"arXiv API error: {message}")
    items = [_feed_item(entry) for entry in root.iterfind(f"{_ATOM}entry")]
    total = _total_results(root.findtext(f"{_OPENSEARCH}totalResults"))
    return ApiPage(total_results=max(total, len(items)), items=items)


def _total_results(text: str | None) -> int:
    value = (text or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0


def _feed_item(entry: Any) -> FeedItem:
    raw = etree.tostring(entry, encoding="unicode").strip()
    entry_id = (entry.findtext(f"{_ATOM}id") or "").strip() or None
    try:
        _check_dates(entry)
        result = _feed._build_result(entry)
        if result is None:
            raise ValueError("entry without <id>, <updated> or <published>")
        record = record_from_result(result, raw)
    except _ENTRY_ERRORS as exc:
        reason = f"unreadable arXiv API entry: {type(exc).__name__}: {exc}"
        return FeedItem(entry_id, QuarantinedInput(SOURCE, reason, raw, entry_id))
    return FeedItem(entry_id, record, result.updated)


def _check_dates(entry: Any) -> None:
    """Raise ValueError naming the field when ``<updated>`` or ``<published>`` is present but
    not an RFC 3339 time (the package's parser would raise without saying which)."""
    for name in ("updated", "published"):
        text = entry.findtext(f"{_ATOM}{name}")
        if text is None:
            continue
        try:
            datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"malformed <{name}> {text.strip()[:40]!r}: {exc}") from exc


def _error_message(root: Any) -> str:
    """The message of an arXiv API error feed (entries whose id is ``.../api/errors#...``)."""
    for entry in root.iter(f"{_ATOM}entry"):
        if "/api/errors" in (entry.findtext(f"{_ATOM}id") or ""):
            return (entry.findtext(f"{_ATOM}summary") or "error").strip()
    return ""


def _error_feed_message(content: bytes) -> str:
    """The message of an error feed served with an error status ("" when there is none)."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return ""
    return "" if root is None else _error_message(root)


def _links(result: arxiv.Result) -> tuple[tuple[str, ...], str | None]:
    """The result's pages (the abstract page: ``rel="alternate"``) and its PDF URL.

    The ``doi`` link is not a page of the work: it is the DOI, kept as an identifier.
    """
    pages: list[str] = []
    pdf: str | None = None
    for link in result.links:
        if not link.href:
            continue
        if link.title == "pdf" or link.content_type == "application/pdf":
            pdf = pdf or link.href
        elif link.rel == "alternate":
            pages.append(link.href)
    return tuple(dict.fromkeys(pages)), pdf


def record_from_result(result: arxiv.Result, raw: str) -> WorkRecord:
    """Turn one ``arxiv.Result`` into a WorkRecord. Raises ValueError on a malformed id."""
    arxiv_id, version = split_arxiv_id(result.entry_id)
    identifiers = {"arxiv": arxiv_id}
    dois = split_dois(result.doi)
    if dois:
        identifiers["doi"] = dois[0]
    title = clean_text(result.title) or ""
    abstract = clean_text(result.summary)
    comment = clean_text(result.comment)
    urls, pdf_url = _links(result)
    return WorkRecord(
        source=SOURCE,
        source_id=arxiv_id,
        title=title,
        raw=raw,
        raw_format="atom-entry",
        abstract=abstract,
        authors=tuple(
            AuthorName(name=clean_text(a.name) or a.name, affiliations=tuple(a.affiliation))
            for a in result.authors
        ),
        identifiers=identifiers,
        version=version,
        published=result.published.date(),
        updated=result.updated.date(),
        year=result.published.year,
        journal_ref=clean_text(result.journal_ref),
        comment=comment,
        primary_category=result.primary_category or None,
        categories=tuple(result.categories),
        urls=urls,
        code_links=find_github_links(abstract, comment),
        pdf_url=pdf_url,
        other_identifiers=tuple(("doi", doi) for doi in dois[1:]),
    )


@dataclass
class ArxivApiHarvester:
    """Harvests arXiv API searches (a tracked author's query, or a list of ids)."""

    client: ArxivApiClient

    def search(
        self,
        query: str,
        *,
        since: datetime | None = None,
        max_results: int | None = None,
        sort: str = "lastUpdatedDate",
    ) -> Iterator[WorkRecord | QuarantinedInput]:
        """Records matching ``query``, newest update first when sorted by ``lastUpdatedDate``.

        With ``since`` and that sort, paging stops at the first result updated before it.
        Raises the client's errors; an entry that cannot be turned into a record is yielded as
        QuarantinedInput instead.
        """
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {sorted(SORTS)}")
        search = arxiv.Search(
            query=query,
            max_results=max_results,
            sort_by=SORTS[sort],
            sort_order=arxiv.SortOrder.Descending,
        )
        stop_early = since is not None and sort == "lastUpdatedDate"
        for entry in self.client.feed_items(search):
            if stop_early and since is not None and entry.updated and entry.updated < since:
                logger.info(
                    "arXiv: %s updated %s, before the cursor; stopping",
                    entry.entry_id,
                    entry.updated.isoformat(),
                )
                return
            yield entry.item

    def by_ids(self, ids: Iterable[str]) -> Iterator[WorkRecord | QuarantinedInput]:
        """Records for the given arXiv ids (one request per id, as arXiv recommends for
        single look-ups). An entry that cannot be read is yielded as QuarantinedInput.

        Raises the client's errors (a malformed id gives an error feed) and, after every
        found record was yielded, MissingIdsError naming the ids that returned nothing even
        after the empty-page retries.
        """
        missing: list[str] = []
        for arxiv_id in ids:
            search = arxiv.Search(id_list=[arxiv_id], sort_by=arxiv.SortCriterion.Relevance)
            found = False
            for entry in self.client.feed_items(search):
                found = True
                yield entry.item
            if not found:
                missing.append(arxiv_id)
        if missing:
            raise MissingIdsError(
                self.client.query_url_format.format("").rstrip("?"),
                "arXiv API",
                missing,
                self.client.retry.max_attempts,
            )
