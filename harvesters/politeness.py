"""Politeness shared by every source client: a minimum interval between requests and a
retry policy (backoff, ``Retry-After``) for transient failures."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if
    absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
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
    """

    max_attempts: int = 4
    backoff: tuple[float, ...] = (3.0, 9.0, 27.0)
    max_wait: float = 600.0

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
