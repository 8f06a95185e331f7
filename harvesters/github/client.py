"""GitHub's HTTP side: REST (conditional requests, Link paging), GraphQL, and rate limits.

GitHub publishes its budget in every answer (``X-RateLimit-Limit/Remaining/Reset/Resource``).
This client remembers it per resource (``core``, ``graphql``, ``search``) and, once a budget
is spent, either waits for its reset or stops with :class:`GitHubRateLimitError` (the
``on_exhausted`` setting), so a later run resumes. A secondary limit (403/429 with
``Retry-After``) waits what the server asks; 5xx and connection errors are retried with
backoff through :func:`harvesters.http.politeness.with_retries`. A 304 answer to a conditional
request (``If-None-Match``) does not count against the budget.

The token is sent only in the ``Authorization`` header; it is never logged, never put in an
error message and never shown by ``repr``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from harvesters.errors import SourceHTTPError, SourceResponseError, SourceUnavailableError
from harvesters.http.politeness import (
    RetryPolicy,
    Throttle,
    TryAgain,
    parse_retry_after,
    raise_for_retry_status,
    with_retries,
)

logger = logging.getLogger(__name__)

API_URL = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"
USER_AGENT = "scholarflow/0.1 (scholarly metadata harvester)"
# GitHub's advice when a limit answer carries no reset time: wait at least a minute.
UNKNOWN_RESET_WAIT = 60.0
OnExhausted = Literal["wait", "stop"]


def token_from_env() -> str | None:
    """The token in ``GITHUB_TOKEN``, or None when unset or blank."""
    return os.environ.get(TOKEN_ENV, "").strip() or None


class GitHubRateLimitError(SourceHTTPError):
    """GitHub's rate budget is spent: the primary limit until ``reset_at``, or a secondary
    limit for ``retry_after`` seconds. Always transient: the same request succeeds later."""

    def __init__(
        self,
        url: str,
        status: int,
        attempts: int,
        detail: str,
        *,
        reset_at: datetime | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.reset_at = reset_at
        self.retry_after = retry_after
        super().__init__(url, status, attempts, detail)

    @property
    def transient(self) -> bool:
        return True


@dataclass
class RateLimit:
    """One resource's budget as the last answer stated it."""

    resource: str
    limit: int | None
    remaining: int | None
    reset_at: datetime | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], default_resource: str) -> RateLimit | None:
        """The budget in ``X-RateLimit-*`` headers; None when the answer carries none."""
        remaining = _int(headers.get("x-ratelimit-remaining"))
        if remaining is None:
            return None
        reset = _int(headers.get("x-ratelimit-reset"))
        return cls(
            resource=headers.get("x-ratelimit-resource") or default_resource,
            limit=_int(headers.get("x-ratelimit-limit")),
            remaining=remaining,
            reset_at=datetime.fromtimestamp(reset, UTC) if reset is not None else None,
        )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class GitHubResponse:
    """A REST answer: ``status`` 200, 304 (not modified) or 404/410/451 (when allowed).

    ``url`` is the final URL after redirects; ``moved`` tells that a redirect was followed
    (a renamed or transferred repository answers 301).
    """

    status: int
    url: str
    data: Any
    text: str
    etag: str | None
    next_url: str | None
    moved: bool

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class GraphQLResult:
    """A GraphQL answer: ``data`` (aliases to values, None where not found) and ``errors``."""

    data: dict[str, Any]
    errors: list[dict[str, Any]]
    text: str

    def not_found(self) -> set[str]:
        """Top-level fields GitHub could not resolve (error type ``NOT_FOUND``)."""
        return {
            str(err["path"][0])
            for err in self.errors
            if err.get("type") == "NOT_FOUND"
            and isinstance(err.get("path"), list)
            and err["path"]
            and isinstance(err["path"][0], str)
        }


@dataclass
class RequestCounts:
    """What this client sent: requests, how many answered 304, retries and waits."""

    requests: int = 0
    not_modified: int = 0
    graphql: int = 0
    waits: list[float] = field(default_factory=list)


class GitHubClient:
    """REST and GraphQL requests to GitHub within its rate limits.

    ``on_exhausted="wait"`` sleeps until the budget resets (if that is at most
    ``max_wait`` seconds away); ``"stop"`` raises GitHubRateLimitError instead. ``sleep``
    and ``clock`` are injectable so tests never sleep.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str = API_URL,
        on_exhausted: OnExhausted = "wait",
        max_wait: float = 3600.0,
        retry: RetryPolicy | None = None,
        min_interval: float = 0.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if on_exhausted not in ("wait", "stop"):
            raise ValueError(f"on_exhausted must be 'wait' or 'stop', not {on_exhausted!r}")
        self.base_url = base_url.rstrip("/")
        self.on_exhausted = on_exhausted
        self.max_wait = max_wait
        self.retry = retry or RetryPolicy(max_wait=max_wait)
        self.has_token = bool(token)
        self.counts = RequestCounts()
        self.limits: dict[str, RateLimit] = {}
        self._sleep = self._counting_sleep(sleep)
        self._clock = clock
        self._throttle = Throttle(min_interval, sleep=self._sleep)
        headers = {
            "user-agent": USER_AGENT,
            "accept": "application/vnd.github+json",
            "x-github-api-version": "2022-11-28",
        }
        if token:
            headers["authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            timeout=timeout, headers=headers, follow_redirects=True, transport=transport
        )

    def __repr__(self) -> str:
        return (
            f"GitHubClient(base_url={self.base_url!r}, token={'***' if self.has_token else None})"
        )

    def _counting_sleep(self, sleep: Callable[[float], None]) -> Callable[[float], None]:
        def counted(seconds: float) -> None:
            if seconds > 0:
                self.counts.waits.append(seconds)
            sleep(seconds)

        return counted

    # ------------------------------------------------------------------ REST

    def get(
        self,
        path_or_url: str,
        params: Mapping[str, Any] | None = None,
        *,
        etag: str | None = None,
        allow_missing: bool = False,
    ) -> GitHubResponse:
        """GET a REST resource, conditionally when ``etag`` is given (304 when unchanged).

        With ``allow_missing`` a 404, 410 or 451 is returned instead of raised. Raises
        GitHubRateLimitError (budget spent and ``on_exhausted="stop"``, or waits exhausted),
        SourceHTTPError (other error statuses, after retries for 5xx),
        SourceUnavailableError (no connection) and SourceResponseError (not JSON).
        """
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        shown = str(full_url(url, params))
        headers = {"if-none-match": etag} if etag else {}
        resource = "search" if "/search/" in url else "core"

        def attempt(n: int) -> httpx.Response:
            return self._send(
                n, shown, resource, lambda: self._http.get(url, params=params, headers=headers)
            )

        response = with_retries(
            attempt, policy=self.retry, throttle=self._throttle, sleep=self._sleep, label=shown
        )
        status = response.status_code
        if status in (404, 410, 451):
            if not allow_missing:
                raise SourceHTTPError(shown, status, 1, _message(response))
            data: Any = None
        elif status == 304:
            data = None
        else:
            data = _json(response, shown)
        next_link = response.links.get("next", {}).get("url")
        return GitHubResponse(
            status=status,
            url=str(response.url),
            data=data,
            text=response.text if status != 304 else "",
            etag=response.headers.get("etag"),
            next_url=next_link,
            moved=bool(response.history),
        )

    def paginate(
        self, path_or_url: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[GitHubResponse]:
        """Every page of a listing, following ``Link: <...>; rel="next"``. Raises what
        :meth:`get` raises."""
        url: str | None = path_or_url
        page_params = params
        while url:
            page = self.get(url, page_params)
            yield page
            url, page_params = page.next_url, None

    # ------------------------------------------------------------------ GraphQL

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> GraphQLResult:
        """Run one GraphQL query (one request, cost per GitHub's formula).

        Errors of type ``NOT_FOUND`` stay in the result (see ``not_found()``); a
        ``RATE_LIMITED`` error raises GitHubRateLimitError, an answer with errors and no
        data raises SourceResponseError, and HTTP errors raise as in :meth:`get`.
        """
        url = f"{self.base_url}/graphql"
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = dict(variables)
        # Python's default separators: the body is part of a recording's key.
        body = json.dumps(payload).encode("utf-8")
        headers = {"content-type": "application/json"}

        def attempt(n: int) -> httpx.Response:
            self.counts.graphql += 1
            return self._send(
                n, url, "graphql", lambda: self._http.post(url, content=body, headers=headers)
            )

        response = with_retries(
            attempt, policy=self.retry, throttle=self._throttle, sleep=self._sleep, label=url
        )
        return self._graphql_result(response, url)

    def _graphql_result(self, response: httpx.Response, url: str) -> GraphQLResult:
        doc = _json(response, url)
        if not isinstance(doc, dict):
            raise SourceResponseError(url, "GraphQL answer is not a JSON object")
        listed = doc.get("errors")
        errors = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
        if any(e.get("type") == "RATE_LIMITED" for e in errors):
            raise GitHubRateLimitError(
                url,
                response.status_code,
                1,
                "GraphQL rate limit exceeded",
                reset_at=self._reset_at("graphql"),
            )
        data = doc.get("data")
        if not isinstance(data, dict):
            messages = "; ".join(str(e.get("message")) for e in errors) or "no data"
            raise SourceResponseError(url, f"GraphQL error: {messages}")
        return GraphQLResult(data=data, errors=errors, text=response.text)

    def graphql_pages(
        self, query: str, variables: Mapping[str, Any], connection: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        """Each page of the connection at path ``connection`` (e.g. ``("repository",
        "discussions")``), following ``pageInfo.endCursor`` through the ``after`` variable
        while ``hasNextPage``. The query must select ``pageInfo { endCursor hasNextPage }``.
        """
        current = dict(variables)
        while True:
            node: Any = self.graphql(query, current).data
            for key in connection:
                node = node.get(key) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                return
            yield node
            info = node.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            current = {**current, "after": info["endCursor"]}

    # ------------------------------------------------------------------ budget

    def _send(
        self, attempt: int, shown: str, resource: str, send: Callable[[], httpx.Response]
    ) -> httpx.Response:
        self._respect_budget(resource, shown, attempt)
        logger.info("GitHub %s (attempt %d)", shown, attempt)
        try:
            response = send()
        except httpx.TransportError as exc:
            raise TryAgain(
                f"{type(exc).__name__}: {exc}", SourceUnavailableError(shown, attempt, exc)
            ) from exc
        self.counts.requests += 1
        limit = RateLimit.from_headers(response.headers, resource)
        if limit is not None:
            self.limits[limit.resource] = limit
        status = response.status_code
        if status == 304:
            self.counts.not_modified += 1
            return response
        if status in (403, 429):
            self._raise_for_limit(response, shown, attempt, resource)
        raise_for_retry_status(
            shown, status, response.headers.get("retry-after"), attempt, self.retry
        )
        if response.is_error and status not in (404, 410, 451):
            raise SourceHTTPError(shown, status, attempt, _message(response))
        return response

    def _raise_for_limit(
        self, response: httpx.Response, shown: str, attempt: int, resource: str
    ) -> None:
        """A 403/429 that is a rate limit becomes TryAgain (wait) or GitHubRateLimitError."""
        status = response.status_code
        message = _message(response)
        retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
        lowered = message.lower()
        if retry_after is None and ("secondary rate limit" in lowered or "abuse" in lowered):
            retry_after = UNKNOWN_RESET_WAIT
        if retry_after is not None:
            error = GitHubRateLimitError(
                shown, status, attempt, f"secondary rate limit: {message}", retry_after=retry_after
            )
            if retry_after > self.max_wait:
                raise error
            raise TryAgain(
                f"secondary rate limit, Retry-After {retry_after:.0f}s", error, retry_after
            )
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset_at = self._reset_at(resource)
            error = GitHubRateLimitError(
                shown, status, attempt, f"rate limit exhausted: {message}", reset_at=reset_at
            )
            wait = self._seconds_until(reset_at)
            if self.on_exhausted == "stop" or wait > self.max_wait:
                raise error
            # with_retries does this wait; the next attempt must not wait for it again.
            self.limits.pop(resource, None)
            self.limits.pop(response.headers.get("x-ratelimit-resource") or resource, None)
            raise TryAgain(f"rate limit exhausted, waiting {wait:.0f}s", error, wait)
        if status == 429:
            return  # raise_for_retry_status retries it with backoff
        raise SourceHTTPError(shown, status, attempt, message)

    def _respect_budget(self, resource: str, shown: str, attempt: int) -> None:
        """Before a request: when the budget is known to be spent, wait or stop."""
        limit = self.limits.get(resource)
        if limit is None or limit.remaining is None or limit.remaining > 0:
            return
        wait = self._seconds_until(limit.reset_at)
        if self.on_exhausted == "stop" or wait > self.max_wait:
            raise GitHubRateLimitError(
                shown,
                403,
                attempt - 1,
                f"{resource} rate budget exhausted (limit {limit.limit}), not sending",
                reset_at=limit.reset_at,
            )
        logger.warning("GitHub %s budget exhausted; waiting %.0fs for the reset", resource, wait)
        self._sleep(wait)
        del self.limits[resource]

    def _reset_at(self, resource: str) -> datetime | None:
        limit = self.limits.get(resource)
        return limit.reset_at if limit else None

    def _seconds_until(self, reset_at: datetime | None) -> float:
        if reset_at is None:
            return UNKNOWN_RESET_WAIT
        return max(0.0, (reset_at - self._clock()).total_seconds()) + 1.0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def full_url(url: str, params: Mapping[str, Any] | None = None) -> httpx.URL:
    """``url`` with ``params`` merged into its query (``httpx.URL(url, params=None)`` would
    drop the query a ``Link`` URL already has)."""
    base = httpx.URL(url)
    return base.copy_merge_params(dict(params)) if params else base


def _json(response: httpx.Response, shown: str) -> Any:
    """The decoded JSON body. Raises SourceResponseError when it is not JSON (or not UTF-8,
    or nested too deeply for the decoder)."""
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        what = "JSON nested too deeply" if isinstance(exc, RecursionError) else "not JSON"
        raise SourceResponseError(shown, f"{what}: {_start(response)!r}") from None


def _start(response: httpx.Response) -> str:
    try:
        return response.text[:120]
    except (ValueError, LookupError):
        return repr(response.content[:120])


def _message(response: httpx.Response) -> str:
    """GitHub's ``message`` from an error body, else the start of the body."""
    try:
        doc = response.json()
    except (ValueError, RecursionError):
        return _start(response)[:200]
    if isinstance(doc, dict) and isinstance(doc.get("message"), str):
        return doc["message"][:200]
    return response.text[:200]
