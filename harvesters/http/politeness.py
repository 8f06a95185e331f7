"""Politeness shared by every source client: a minimum interval between requests and a
retry policy (backoff, ``Retry-After``) for transient failures.

The backoff waits come from ``SCHOLARFLOW_HTTP_RETRY_DELAYS`` (read when a policy is built,
i.e. when a harvest starts), so an offline test or an operator can shorten them."""

from __future__ import annotations

import email.utils
import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from harvesters.errors import SourceHTTPError

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

HTTP_RETRY_DELAYS_ENV = "SCHOLARFLOW_HTTP_RETRY_DELAYS"
# The polite default: three retries, 3, 9 and 27 s apart (about 40 s for a source to recover).
DEFAULT_HTTP_RETRY_DELAYS: tuple[float, ...] = (3.0, 9.0, 27.0)


class RetrySettingsError(ValueError):
    """A retry timing setting cannot be used; the message names the setting and the value."""


def parse_delays(value: str, setting: str) -> tuple[float, ...]:
    """Seconds from a comma-separated list (``"3,9,27"``); ``"none"`` is the empty list.

    Raises RetrySettingsError, naming ``setting``, for anything but finite numbers >= 0.
    """
    text = value.strip()
    if text.lower() == "none":
        return ()
    delays: list[float] = []
    for item in text.split(","):
        try:
            seconds = float(item.strip())
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds < 0:
            raise RetrySettingsError(
                f"{setting}={value!r}: expected seconds >= 0 separated by commas "
                f"(e.g. 3,9,27) or 'none', got {item.strip()!r}"
            )
        delays.append(seconds)
    return tuple(delays)


def http_retry_delays(environ: Mapping[str, str] | None = None) -> tuple[float, ...]:
    """The HTTP backoff waits: ``SCHOLARFLOW_HTTP_RETRY_DELAYS`` (unset or empty: 3, 9, 27 s;
    ``none``: no retry). Raises RetrySettingsError for an unusable value."""
    value = (os.environ if environ is None else environ).get(HTTP_RETRY_DELAYS_ENV, "")
    if not value.strip():
        return DEFAULT_HTTP_RETRY_DELAYS
    return parse_delays(value, HTTP_RETRY_DELAYS_ENV)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if
    absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class RetryPolicy:
    """How often and how long to retry a transient failure.

    ``backoff[i]`` is the wait before attempt ``i + 2``; a server's ``Retry-After`` wins when
    longer, and no single wait exceeds ``max_wait`` (a longer Retry-After fails the request).
    ``backoff`` defaults to :func:`http_retry_delays` (the setting, read now) and
    ``max_attempts`` (0) to one more than the number of waits.
    """

    max_attempts: int = 0
    backoff: tuple[float, ...] = field(default_factory=http_retry_delays)
    max_wait: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts <= 0:
            self.max_attempts = len(self.backoff) + 1

    def wait_before(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt number ``attempt + 1`` (``attempt`` counts from 1)."""
        base = self.backoff[min(attempt - 1, len(self.backoff) - 1)] if self.backoff else 0.0
        return max(base, retry_after or 0.0)


@dataclass
class Throttle:
    """Keeps at least ``min_interval`` seconds between consecutive requests."""

    min_interval: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, init=False)

    def wait(self) -> None:
        """Sleep what remains of the interval since the previous request, then mark now."""
        if self._last is not None:
            remaining = self.min_interval - (self.clock() - self._last)
            if remaining > 0:
                logger.debug("politeness delay %.2fs", remaining)
                self.sleep(remaining)
        self._last = self.clock()


class TryAgain(Exception):
    """Raised by one attempt to ask ``with_retries`` for another; ``give_up`` is raised when
    no attempt is left."""

    def __init__(self, why: str, give_up: Exception, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.give_up = give_up
        self.retry_after = retry_after


def with_retries(
    attempt: Callable[[int], T],
    *,
    policy: RetryPolicy,
    throttle: Throttle,
    sleep: Callable[[float], None],
    label: str,
) -> T:
    """Call ``attempt(n)`` for n = 1, 2, ... after the politeness delay, until it returns.

    Between attempts that raise TryAgain, waits per ``policy``; after the last attempt raises
    that TryAgain's ``give_up`` error. Other exceptions propagate at once.
    """
    for n in range(1, policy.max_attempts + 1):
        throttle.wait()
        try:
            return attempt(n)
        except TryAgain as again:
            if n == policy.max_attempts:
                raise again.give_up from again
            wait = policy.wait_before(n, again.retry_after)
            logger.warning("%s: %s; retrying in %.1fs", label, again.why, wait)
            sleep(wait)
    raise AssertionError("max_attempts must be at least 1")


def raise_for_retry_status(
    url: str, status: int, retry_after_header: str | None, attempt: int, policy: RetryPolicy
) -> None:
    """For a 429 or 5xx: TryAgain (honouring Retry-After), or SourceHTTPError at once when the
    server asks to wait longer than ``policy.max_wait``. Other statuses: nothing."""
    if status not in RETRY_STATUSES:
        return
    retry_after = parse_retry_after(retry_after_header)
    if retry_after is not None and retry_after > policy.max_wait:
        raise SourceHTTPError(
            url,
            status,
            attempt,
            f"Retry-After {retry_after:.0f}s exceeds max_wait {policy.max_wait:.0f}s",
        )
    raise TryAgain(f"HTTP {status}", SourceHTTPError(url, status, attempt), retry_after)
