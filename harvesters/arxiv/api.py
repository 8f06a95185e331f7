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

from harvesters.errors import SourceHTTPError, SourceResponseError, SourceUnavailableError
from harvesters.http.politeness import (
    RetryPolicy,
    Throttle,
    TryAgain,
    raise_for_retry_status,
    with_retries,
)
from harvesters.normalize import clean_text, find_github_links, normalize_doi, split_arxiv_id
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


class ArxivApiClient(arxiv.Client):
    """``arxiv.Client`` with timeouts, backoff, ``Retry-After``, error feeds and raw entries.

    Paging and parsing stay the package's; only fetching one page is replaced.
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
        self.raw_entries: dict[str, str] = {}
        self.requests_made = 0

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> Any:
        """Fetch and parse one page, retrying transient failures per ``self.retry``.

        Raises SourceHTTPError (an HTTP error, after retries for transient ones),
        SourceUnavailableError (no connection, after retries) or SourceResponseError
        (an arXiv error feed, a malformed feed, or empty pages on every attempt).
        """
        return with_retries(
            lambda attempt: self._fetch_page(url, first_page, attempt),
            policy=self.retry,
            throttle=self._throttle,
            sleep=self._sleep,
            label="arXiv API",
        )

    def _fetch_page(self, url: str, first_page: bool, attempt: int) -> Any:
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
        feed = _feed.parse(response.content)
        if feed.malformed:
            raise SourceResponseError(url, f"malformed Atom feed: {feed.error}")
        message = _error_feed_message(response.content)
        if message:
            raise SourceResponseError(url, f"arXiv API error: {message}")
        if not feed.results and not first_page:
            raise TryAgain(
                "unexpectedly empty page",
                SourceResponseError(url, f"empty page on all {attempt} attempts"),
            )
        self.raw_entries.update(_raw_entries(response.content))
        return feed


def _default_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def _raw_entries(content: bytes) -> dict[str, str]:
    """Every ``<entry>`` of a feed serialized on its own (namespaces included), by Atom id."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    root = etree.fromstring(content, parser=parser)
    entries: dict[str, str] = {}
    if root is None:
        return entries
    for entry in root.iter(f"{_ATOM}entry"):
        entry_id = entry.findtext(f"{_ATOM}id")
        if entry_id:
            entries[entry_id.strip()] = etree.tostring(entry, encoding="unicode").strip()
    return entries


def _error_feed_message(content: bytes) -> str:
    """The message of an arXiv API error feed (entries whose id is ``.../api/errors#...``)."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return ""
    for entry in root.iter(f"{_ATOM}entry"):
        if "/api/errors" in (entry.findtext(f"{_ATOM}id") or ""):
            return (entry.findtext(f"{_ATOM}summary") or "error").strip()
    return ""


def record_from_result(result: arxiv.Result, raw: str) -> WorkRecord:
    """Turn one ``arxiv.Result`` into a WorkRecord. Raises ValueError on a malformed id."""
    arxiv_id, version = split_arxiv_id(result.entry_id)
    identifiers = {"arxiv": arxiv_id}
    doi = normalize_doi(result.doi)
    if doi:
        identifiers["doi"] = doi
    title = clean_text(result.title) or ""
    abstract = clean_text(result.summary)
    comment = clean_text(result.comment)
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
        urls=tuple(link.href for link in result.links if link.href),
        code_links=find_github_links(abstract, comment),
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
        for result in self.client.results(search):
            if stop_early and since is not None and result.updated < since:
                logger.info(
                    "arXiv: %s updated %s, before the cursor; stopping",
                    result.entry_id,
                    result.updated.isoformat(),
                )
                return
            yield self._record(result)

    def by_ids(self, ids: Iterable[str]) -> Iterator[WorkRecord | QuarantinedInput]:
        """Records for the given arXiv ids (one request per id, as arXiv recommends for
        single look-ups). Raises the client's errors (a malformed id gives an error feed)."""
        for arxiv_id in ids:
            search = arxiv.Search(id_list=[arxiv_id], sort_by=arxiv.SortCriterion.Relevance)
            for result in self.client.results(search):
                yield self._record(result)

    def _record(self, result: arxiv.Result) -> WorkRecord | QuarantinedInput:
        raw = self.client.raw_entries.pop(result.entry_id, "")
        try:
            return record_from_result(result, raw)
        except ValueError as exc:
            return QuarantinedInput(source=SOURCE, reason=str(exc), raw=raw or repr(result))
