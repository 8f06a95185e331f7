"""OpenAlex's ``/works`` endpoint over the shared polite client.

``GET /works?filter=doi:a|b|c`` takes up to 50 values per filter and ``per-page`` up to 200.
The optional ``mailto`` (the "polite pool") is sent in the User-Agent header, as OpenAlex
accepts it there: never in a URL, so never in a log line, a recording or an error message.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx

from harvesters.citations import BudgetSpentError, RequestBudget
from harvesters.errors import SourceHTTPError, SourceResponseError
from harvesters.http.client import USER_AGENT, PoliteHttpClient
from harvesters.http.politeness import RetryPolicy

logger = logging.getLogger(__name__)

API_URL = "https://api.openalex.org"
MAILTO_ENV = "SCHOLARFLOW_OPENALEX_MAILTO"
FILTER_LIMIT = 50
PER_PAGE = 200
SELECT = (
    "id,doi,ids,title,display_name,publication_year,publication_date,primary_location,"
    "locations,authorships,cited_by_count,counts_by_year"
)


def mailto_from_env() -> str | None:
    """The address in ``SCHOLARFLOW_OPENALEX_MAILTO``, or None when unset or blank."""
    return os.environ.get(MAILTO_ENV, "").strip() or None


class OpenAlexClient:
    """Filtered ``/works`` listings; ``sleep`` and ``transport`` are injectable for tests."""

    def __init__(
        self,
        *,
        mailto: str | None = None,
        base_url: str = API_URL,
        min_interval: float = 0.2,
        retry: RetryPolicy | None = None,
        max_requests: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.has_mailto = bool(mailto)
        self.budget = RequestBudget(max_requests)
        agent = f"{USER_AGENT} mailto:{mailto}" if mailto else USER_AGENT
        self.http = PoliteHttpClient(
            min_interval=min_interval,
            retry=retry or RetryPolicy(max_attempts=5, backoff=(2.0, 6.0, 18.0, 54.0)),
            sleep=sleep,
            headers={"user-agent": agent},
            transport=transport,
        )

    def __repr__(self) -> str:
        shown = "***" if self.has_mailto else None
        return f"OpenAlexClient(base_url={self.base_url!r}, mailto={shown})"

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def works(
        self, key: str, values: Sequence[str], *, select: str | None = SELECT
    ) -> list[dict[str, Any]]:
        """Every work matching ``filter=key:v1|v2|…`` (all pages, numbered).

        Raises what :meth:`pages` raises.
        """
        return [work for page in self.pages(key, values, select=select) for work in page]

    def pages(
        self,
        key: str,
        values: Sequence[str],
        *,
        select: str | None = SELECT,
        cursor: bool = False,
    ) -> Iterator[list[dict[str, Any]]]:
        """The works matching ``filter=key:v1|v2|…``, one list per page of up to 200.

        Pages are numbered (``page=2``…), or with ``cursor`` followed by OpenAlex's
        ``next_cursor`` (``cursor=*`` first), which has no 10,000-result limit: for listings
        of unknown length such as an author's works. Raises ValueError for more than 50
        values or a value holding ``|`` or ``,``; BudgetSpentError (budget spent, 429s after
        retries); SourceResponseError (a 400, or an answer without ``results``);
        SourceHTTPError / SourceUnavailableError otherwise. Pages yielded before stay valid.
        """
        if len(values) > FILTER_LIMIT:
            raise ValueError(f"at most {FILTER_LIMIT} values per filter, got {len(values)}")
        bad = [v for v in values if "|" in v or "," in v]
        if bad:
            raise ValueError(f"filter value {bad[0]!r} holds '|' or ','")
        url = f"{self.base_url}/works"
        page: int | str = "*" if cursor else 1
        while True:
            params: dict[str, Any] = {"filter": f"{key}:{'|'.join(values)}", "per-page": PER_PAGE}
            if select:
                params["select"] = select
            if cursor:
                params["cursor"] = page
            elif page != 1:
                params["page"] = page
            doc = self._get(url, params)
            found = doc.get("results")
            if not isinstance(found, list):
                raise SourceResponseError(url, "OpenAlex answer without a results list")
            yield [w for w in found if isinstance(w, dict)]
            meta = doc.get("meta") or {}
            if not found:
                return
            if cursor:
                following = meta.get("next_cursor")
                if not isinstance(following, str) or not following or following == page:
                    return
                page = following
            else:
                count = meta.get("count")
                if not isinstance(count, int) or count <= int(page) * PER_PAGE:
                    return
                page = int(page) + 1

    def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        self.budget.spend(f"GET {url}")
        try:
            response = self.http.get(url, params)
        except SourceHTTPError as exc:
            if exc.status == 429:
                raise BudgetSpentError(f"OpenAlex keeps answering 429: {exc}") from exc
            if exc.status == 400:
                raise SourceResponseError(
                    exc.url, f"OpenAlex rejected the request: {_error(exc.detail)}"
                ) from exc
            raise
        try:
            doc = response.json()
        except ValueError as exc:
            raise SourceResponseError(url, f"not JSON: {response.text[:120]!r}") from exc
        if not isinstance(doc, dict):
            raise SourceResponseError(url, "OpenAlex answer is not a JSON object")
        return doc

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OpenAlexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _error(detail: str) -> str:
    try:
        doc = json.loads(detail)
    except ValueError:
        return detail
    if isinstance(doc, dict):
        return str(doc.get("message") or doc.get("error") or detail)
    return detail
