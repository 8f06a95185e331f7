"""Semantic Scholar Graph API over the shared polite client.

``POST /graph/v1/paper/batch`` takes up to 500 ids (``DOI:…``, ``ARXIV:…``, ``ACL:…``,
``PMID:…``, ``CorpusId:…`` or a bare paperId) and answers a list in the same order, ``null`` for
an id it does not know. The optional API key goes in the ``x-api-key`` header only: never in a
URL, a log line, an error message or ``repr``. Without a key the rate limit is shared by every
anonymous caller, so 429s are normal: they are retried with backoff and ``Retry-After``, and a
429 that persists, like a spent request budget, raises BudgetSpentError.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from harvesters.citations import BudgetSpentError, RequestBudget
from harvesters.errors import SourceHTTPError, SourceResponseError
from harvesters.http.client import PoliteHttpClient
from harvesters.http.politeness import RetryPolicy

logger = logging.getLogger(__name__)

API_URL = "https://api.semanticscholar.org/graph/v1"
API_KEY_ENV = "SCHOLARFLOW_S2_API_KEY"
BATCH_LIMIT = 500
FIELDS = "paperId,externalIds,title,year,venue,publicationDate,citationCount,authors"
# GET /author/{id}/papers: the fields the semanticscholar client asks for (its real recording
# is what the tests and the demo replay); a superset of FIELDS, so parse_paper reads them all.
AUTHOR_PAPER_FIELDS = (
    "abstract,authors,citationCount,citationStyles,corpusId,externalIds,fieldsOfStudy,"
    "influentialCitationCount,isOpenAccess,journal,openAccessPdf,paperId,publicationDate,"
    "publicationTypes,publicationVenue,referenceCount,s2FieldsOfStudy,title,url,venue,year"
)
PAGE_SIZE = 100  # papers per page of /author/{id}/papers (S2 allows up to 1000)


def api_key_from_env() -> str | None:
    """The key in ``SCHOLARFLOW_S2_API_KEY``, or None when unset or blank."""
    return os.environ.get(API_KEY_ENV, "").strip() or None


class S2Client:
    """Batch and single-paper look-ups; ``sleep`` and ``transport`` are injectable for tests."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str = API_URL,
        min_interval: float | None = None,
        retry: RetryPolicy | None = None,
        max_requests: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.has_key = bool(api_key)
        self.budget = RequestBudget(max_requests)
        # With a key S2 grants 1 request/s; anonymous callers share a pool, so go slower.
        interval = min_interval if min_interval is not None else (1.0 if api_key else 3.0)
        self.http = PoliteHttpClient(
            min_interval=interval,
            retry=retry or RetryPolicy(max_attempts=5, backoff=(5.0, 15.0, 45.0, 90.0)),
            sleep=sleep,
            headers={"x-api-key": api_key} if api_key else None,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"S2Client(base_url={self.base_url!r}, api_key={'***' if self.has_key else None})"

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def batch(self, ids: Sequence[str], fields: str = FIELDS) -> list[dict[str, Any] | None]:
        """The paper objects for ``ids``, in order, None where S2 knows no such paper.

        Raises ValueError for more than 500 ids, BudgetSpentError (budget spent, or 429s after
        retries), SourceResponseError (a 400, or an answer that is not a list of the same
        length) and SourceHTTPError / SourceUnavailableError otherwise.
        """
        if len(ids) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} ids per batch, got {len(ids)}")
        url = f"{self.base_url}/paper/batch"
        # Compact separators: the body is part of a recording's key, and this is what
        # httpx's ``json=`` (used by the recorded semanticscholar client) sends.
        body = json.dumps({"ids": list(ids)}, separators=(",", ":")).encode("utf-8")
        response = self._send("POST", url, {"fields": fields}, body)
        data = _json(response, url)
        if not isinstance(data, list) or len(data) != len(ids):
            raise SourceResponseError(
                url, f"expected a list of {len(ids)} papers, got {type(data).__name__}"
            )
        return [p if isinstance(p, dict) else None for p in data]

    def paper(self, paper_id: str, fields: str = FIELDS) -> dict[str, Any] | None:
        """One paper by id (any form the batch takes), None when S2 answers 404.

        Raises as :meth:`batch` does.
        """
        url = f"{self.base_url}/paper/{paper_id}"
        try:
            response = self._send("GET", url, {"fields": fields}, None)
        except SourceHTTPError as exc:
            if exc.status == 404:
                logger.info("Semantic Scholar has no paper %s: %s", paper_id, exc.detail)
                return None
            raise
        data = _json(response, url)
        if not isinstance(data, dict):
            raise SourceResponseError(url, "expected a paper object")
        return data

    def author(self, author_id: str, fields: str) -> dict[str, Any]:
        """The author object of ``author_id`` with ``fields``.

        Raises UnknownAuthorError when S2 answers 404, SourceResponseError when the answer is
        not an object, otherwise as :meth:`batch` does.
        """
        url = f"{self.base_url}/author/{author_id}"
        try:
            response = self._send("GET", url, {"fields": fields}, None)
        except SourceHTTPError as exc:
            if exc.status == 404:
                raise UnknownAuthorError(author_id, _error(exc.detail), url) from exc
            raise
        data = _json(response, url)
        if not isinstance(data, dict):
            raise SourceResponseError(url, "expected an author object")
        return data

    def author_papers(
        self, author_id: str, *, offset: int = 0, limit: int = PAGE_SIZE
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page of an author's papers from ``offset``: ``(papers, next offset or None)``.

        Raises UnknownAuthorError when S2 answers 404, otherwise as :meth:`batch` does.
        """
        url = f"{self.base_url}/author/{author_id}/papers"
        params = {"fields": AUTHOR_PAPER_FIELDS, "offset": str(offset), "limit": str(limit)}
        try:
            response = self._send("GET", url, params, None)
        except SourceHTTPError as exc:
            if exc.status == 404:
                raise UnknownAuthorError(author_id, _error(exc.detail)) from exc
            raise
        data = _json(response, url)
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise SourceResponseError(url, 'expected {"data": [...]} with the papers')
        papers = [p for p in data["data"] if isinstance(p, dict)]
        following = data.get("next")
        return papers, following if isinstance(following, int) and following > offset else None

    def _send(
        self, method: str, url: str, params: dict[str, str], body: bytes | None
    ) -> httpx.Response:
        self.budget.spend(f"{method} {url}")
        try:
            return self.http.request(method, url, params, content=body)
        except SourceHTTPError as exc:
            if exc.status == 429:
                raise BudgetSpentError(f"Semantic Scholar keeps answering 429: {exc}") from exc
            if exc.status == 400:
                raise SourceResponseError(
                    exc.url, f"Semantic Scholar rejected the request: {_error(exc.detail)}"
                ) from exc
            if exc.status == 403:
                hint = "the API key was refused" if self.has_key else "access refused"
                raise SourceHTTPError(exc.url, 403, exc.attempts, hint) from exc
            raise

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> S2Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class UnknownAuthorError(SourceHTTPError):
    """S2 knows no author with this id (a 404); ``author_id`` is the id asked for."""

    def __init__(self, author_id: str, message: str, url: str | None = None) -> None:
        self.author_id = author_id
        super().__init__(url or f"{API_URL}/author/{author_id}/papers", 404, 1, message)

    def __str__(self) -> str:
        return f"Semantic Scholar has no author with id {self.author_id} ({self.detail})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.author_id, self.detail, self.url))


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise SourceResponseError(url, f"not JSON: {response.text[:120]!r}") from exc


def _error(detail: str) -> str:
    """S2's ``{"error": "..."}`` message, else the body's start."""
    try:
        doc = json.loads(detail)
    except ValueError:
        return detail
    if isinstance(doc, dict):
        return str(doc.get("error") or doc.get("message") or detail)
    return detail
