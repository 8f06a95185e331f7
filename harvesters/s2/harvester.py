"""Semantic Scholar look-ups of known works, 500 identifiers per request."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import date

from harvesters.citations import CitationAnswer, Lookup
from harvesters.s2.client import BATCH_LIMIT, S2Client
from harvesters.s2.parse import ID_PREFIXES, SOURCE, parse_paper, s2_id

logger = logging.getLogger(__name__)

__all__ = ["SOURCE", "S2Harvester"]


class S2Harvester:
    """Asks S2 for identifiers in batches and yields each batch's answers."""

    source = SOURCE
    batch_size = BATCH_LIMIT
    schemes: tuple[str, ...] = tuple(ID_PREFIXES)

    def __init__(self, client: S2Client) -> None:
        self.client = client

    def request_group(self, lookup: Lookup) -> str:
        """Lookups of one group can share a request: every id fits one S2 batch."""
        return "batch"

    def lookup(
        self, lookups: Sequence[Lookup], observed_on: date
    ) -> Iterator[list[CitationAnswer]]:
        """One list of answers per request, in ``lookups`` order (not found included).

        Raises what :meth:`S2Client.batch` raises; the batches yielded before stay valid.
        """
        for start in range(0, len(lookups), self.batch_size):
            part = list(lookups[start : start + self.batch_size])
            papers = self.client.batch([s2_id(lk) for lk in part])
            answers = [parse_paper(p, lk, observed_on) for p, lk in zip(papers, part, strict=True)]
            logger.info("S2: %d of %d ids found", sum(a.found for a in answers), len(answers))
            yield answers
