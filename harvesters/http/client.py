"""The httpx client every source shares: timeouts, politeness delay, retries, clear errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from harvesters.errors import SourceHTTPError, SourceUnavailableError
from harvesters.http.politeness import (
    RetryPolicy,
    Throttle,
    TryAgain,
    raise_for_retry_status,
    with_retries,
)

logger = logging.getLogger(__name__)

USER_AGENT = "scholarflow/0.1 (scholarly metadata harvester)"


class PoliteHttpClient:
    """GETs with a minimum interval between requests and retries for transient failures.

    429 and 5xx answers and connection errors are retried per ``retry`` (a ``Retry-After``
    header sets the wait when longer); other error statuses raise at once.
    """

    def __init__(
        self,
        *,
        min_interval: float = 3.0,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._throttle = Throttle(min_interval, sleep=sleep)
        self._client = httpx.Client(
            timeout=timeout,
            headers={"user-agent": USER_AGENT, **(headers or {})},
            follow_redirects=True,
            transport=transport,
        )
        self.requests_made = 0

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """A successful (2xx) response for ``url``.

        Raises SourceHTTPError for an error status (after retries when transient, or at once
        when a Retry-After exceeds ``retry.max_wait``) and SourceUnavailableError when the
        source cannot be reached after retries.
        """
        return self.request("GET", url, params)

    def post(
        self, url: str, params: Mapping[str, Any] | None = None, *, content: bytes
    ) -> httpx.Response:
        """POST ``content`` (JSON) to ``url``; retried and raising like :meth:`get`."""
        return self.request("POST", url, params, content=content)

    def request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        content: bytes | None = None,
    ) -> httpx.Response:
        """One request with the politeness delay and retries; see :meth:`get`."""
        # httpx.URL(url, params=None) drops url's own query; merge instead, as the request does.
        shown = str(httpx.URL(url).copy_merge_params(params)) if params else url
        return with_retries(
            lambda attempt: self._attempt(method, url, params, content, shown, attempt),
            policy=self.retry,
            throttle=self._throttle,
            sleep=self._sleep,
            label=shown,
        )

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        shown: str,
        attempt: int,
    ) -> httpx.Response:
        self.requests_made += 1
        logger.info("%s %s (attempt %d)", method, shown, attempt)
        headers = {"content-type": "application/json"} if content is not None else None
        try:
            response = self._client.request(
                method, url, params=params, content=content, headers=headers
            )
        except httpx.TransportError as exc:
            raise TryAgain(
                f"{type(exc).__name__}: {exc}", SourceUnavailableError(shown, attempt, exc)
            ) from exc
        raise_for_retry_status(
            shown, response.status_code, response.headers.get("retry-after"), attempt, self.retry
        )
        if response.is_error:
            raise SourceHTTPError(shown, response.status_code, attempt, response.text[:200])
        return response

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
