"""Deterministic fault injection into replayed HTTP exchanges (tests and bench scripts).

A :class:`FaultInjector` is a replay fault hook (see ``replay.set_fault_hook``): before a
replayed request it may, instead of the recording, serve a constructed ``503`` with
``Retry-After: 0``, raise a connection reset, or (arXiv API only) serve an empty Atom page.
Whether and how a request fails depends only on the seed, the request and how many times
that request was made before, so a run is reproducible whatever else runs. At most
``max_consecutive`` faults hit the same request in a row, so a client whose retry budget is
larger always gets through.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from harvesters.http.replay import Recording, RecordingKey, make_key, set_fault_hook

__all__ = ["FAULT_KINDS", "FaultInjector", "injecting_faults"]

logger = logging.getLogger(__name__)

FAULT_KINDS = ("503", "reset", "empty_atom")

# Constructed: what the arXiv API serves on its random empty pages (the shape of the real
# empty feed in tests/fixtures/arxiv/recordings/id_0000.0000_*.json, no entries).
EMPTY_ATOM = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/constructed-empty-page</id>
  <title>arXiv Query: constructed empty page</title>
  <updated>2026-01-01T00:00:00Z</updated>
  <opensearch:itemsPerPage>10</opensearch:itemsPerPage>
  <opensearch:totalResults>0</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
</feed>
"""


def _is_arxiv_api(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.hostname or "").endswith("arxiv.org") and parts.path.startswith("/api/query")


@dataclass
class FaultInjector:
    """Fails about ``rate`` of the replayed exchanges; counts what it did.

    ``kinds`` limits the faults used (an empty Atom page only ever hits arXiv API requests).
    """

    seed: int = 0
    rate: float = 0.3
    max_consecutive: int = 2
    kinds: tuple[str, ...] = FAULT_KINDS
    exchanges: int = 0
    retries: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)
    _seen: Counter[RecordingKey] = field(default_factory=Counter)
    _streak: Counter[RecordingKey] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")

    def __call__(self, method: str, url: str, body: bytes | None) -> Recording | None:
        """The fault hook: a constructed recording, a raised reset, or None (no fault)."""
        key = make_key(method, url, body)
        nth = self._seen[key]
        self._seen[key] += 1
        self.exchanges += 1
        if self._streak[key]:
            self.retries += 1
        digest = hashlib.sha256(f"{self.seed}|{key}|{nth}".encode()).digest()
        rng = random.Random(digest)
        kinds = [k for k in self.kinds if k != "empty_atom" or _is_arxiv_api(url)]
        if not kinds or self._streak[key] >= self.max_consecutive or rng.random() >= self.rate:
            self._streak[key] = 0
            return None
        kind = rng.choice(kinds)
        self._streak[key] += 1
        self.injected[kind] += 1
        self.hosts[urlsplit(url).hostname or ""] += 1
        logger.debug("injecting fault %s into %s %s", kind, method, url)
        if kind == "reset":
            raise ConnectionResetError(104, "Connection reset by peer (injected fault)")
        if kind == "503":
            return Recording(
                Path("constructed-fault/503"),
                method,
                url,
                503,
                {"retry-after": "0", "content-type": "text/plain"},
                b"Service Unavailable (constructed fault)",
            )
        return Recording(
            Path("constructed-fault/empty_atom"),
            method,
            url,
            200,
            {"content-type": "application/atom+xml; charset=utf-8"},
            EMPTY_ATOM,
        )

    def summary(self) -> str:
        """One line: exchanges, faults by kind, retries."""
        kinds = ", ".join(f"{k} {self.injected[k]}" for k in self.kinds)
        total = sum(self.injected.values())
        return (
            f"exchanges {self.exchanges}, faults injected {total} ({kinds}), retries {self.retries}"
        )


@contextmanager
def injecting_faults(injector: FaultInjector) -> Iterator[FaultInjector]:
    """Install ``injector`` into every replaying context for the duration of the block."""
    previous = set_fault_hook(injector)
    try:
        yield injector
    finally:
        set_fault_hook(previous)
