"""The httpx client every source shares: timeouts, politeness delay, retries, clear errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from harvesters.errors import SourceHTTPError, SourceUnavailableError
from harvesters.politeness import RETRY_STATUSES, RetryPolicy, Throttle, parse_retry_after

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
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._throttle = Throttle(min_interval, sleep=sleep)
        self._client = httpx.Client(
            timeout=timeout,
            headers={"user-agent": USER_AGENT, **(headers or {})},
            follow_redirects=True,
        )
        self.requests_made = 0

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """A successful (2xx) response for ``url``.

        Raises SourceHTTPError for an error status (after retries when transient, or at once
        when a Retry-After exceeds ``retry.max_wait``) and SourceUnavailableError when the
        source cannot be reached after retries.
        """
        attempts = self.retry.max_attempts
        shown = str(httpx.URL(url, params=params))
        for attempt in range(1, attempts + 1):
            self._throttle.wait()
            self.requests_made += 1
            logger.info("GET %s (attempt %d)", shown, attempt)
            try:
                response = self._client.get(url, params=params)
            except httpx.TransportError as exc:
                if attempt == attempts:
                    raise SourceUnavailableError(shown, attempt, exc) from exc
                self._backoff(attempt, None, f"{type(exc).__name__}: {exc}")
                continue
            if response.status_code in RETRY_STATUSES:
                if attempt == attempts:
                    raise SourceHTTPError(shown, response.status_code, attempt)
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                if retry_after is not None and retry_after > self.retry.max_wait:
                    raise SourceHTTPError(
                        shown,
                        response.status_code,
                        attempt,
                        f"Retry-After {retry_after:.0f}s exceeds max_wait {self.retry.max_wait}s",
                    )
                self._backoff(attempt, retry_after, f"HTTP {response.status_code}")
                continue
            if response.is_error:
                raise SourceHTTPError(shown, response.status_code, attempt, response.text[:200])
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int, retry_after: float | None, why: str) -> None:
        wait = self.retry.wait_before(attempt, retry_after)
        logger.warning("%s; retrying in %.1fs", why, wait)
        self._sleep(wait)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
