"""Semantic Scholar look-ups of known works (500 identifiers per request) and the paper lists
of followed authors (``GET /author/{id}/papers``, page by page)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from datetime import date

from harvesters.citations import CitationAnswer, Lookup, mark_tracked
from harvesters.s2.author_report import AUTHOR_FIELDS, S2AuthorReport, parse_author
from harvesters.s2.client import API_URL, BATCH_LIMIT, S2Client
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

    def author_report(self, author_id: str, observed_on: date) -> S2AuthorReport:
        """What S2 reports for ``author_id`` (papers, citations, h-index): one request.

        Raises UnknownAuthorError (404), SourceResponseError for an unusable answer, otherwise
        what :meth:`S2Client.author` raises.
        """
        data = self.client.author(author_id, AUTHOR_FIELDS)
        url = f"{API_URL}/author/{author_id}"
        return parse_author(data, url=url, asked=author_id, observed_on=observed_on)

    def author_works(
        self, author_id: str, observed_on: date, tracked_id: int | None = None
    ) -> Iterator[list[CitationAnswer]]:
        """The papers S2 lists for ``author_id``, one list of answers per page (offset/next),
        each paper's entry for that author marked as the tracked author ``tracked_id``.

        Raises UnknownAuthorError (404) before the first page, otherwise what
        :meth:`S2Client.author_papers` raises; the pages yielded before stay valid.
        """
        offset: int | None = 0
        while offset is not None:
            papers, offset = self.client.author_papers(author_id, offset=offset)
            answers = []
            for paper in papers:
                answer = parse_paper(paper, ("s2", str(paper.get("paperId") or "")), observed_on)
                if answer.record is not None:
                    record = mark_tracked(answer.record, "s2", author_id, tracked_id)
                    answer = dataclasses.replace(answer, record=record)
                answers.append(answer)
            logger.info("S2: author %s, %d paper(s) from this page", author_id, len(answers))
            yield answers
