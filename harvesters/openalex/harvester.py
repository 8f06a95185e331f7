"""OpenAlex look-ups of known works (50 identifiers per filter, one request per filter) and the
work lists of followed authors (``filter=authorships.author.id:A…`` or ``…orcid:…``)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from datetime import date

from harvesters.citations import CitationAnswer, Lookup, arxiv_doi, doi_or_arxiv, mark_tracked
from harvesters.errors import HarvestError
from harvesters.openalex.client import FILTER_LIMIT, OpenAlexClient
from harvesters.openalex.parse import SOURCE, openalex_id, parse_work

logger = logging.getLogger(__name__)

__all__ = ["SOURCE", "NoListedWorksError", "OpenAlexHarvester", "author_filter"]

# How a followed author is asked for: by OpenAlex author id, or else by ORCID.
AUTHOR_FILTERS = {"openalex": "authorships.author.id", "orcid": "authorships.author.orcid"}


class NoListedWorksError(HarvestError):
    """OpenAlex lists no work for a followed author's id (it answers an unknown id with an
    empty list, not a 404): the id is wrong, or the author has no work there yet."""

    def __init__(self, scheme: str, value: str) -> None:
        self.scheme = scheme
        self.value = value
        label = "author id" if scheme == "openalex" else "ORCID"
        super().__init__(f"OpenAlex lists no work for {label} {value}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.scheme, self.value))


def author_filter(scheme: str, value: str) -> tuple[str, str]:
    """The ``(filter key, value)`` listing the works of an author known by ``scheme``
    (``openalex``: an ``A…`` id; ``orcid``: a bare ORCID, asked as its URL). Raises KeyError
    for another scheme."""
    key = AUTHOR_FILTERS[scheme]
    return key, (f"https://orcid.org/{value}" if scheme == "orcid" else value)


def filter_of(lookup: Lookup) -> tuple[str, str]:
    """The ``(filter key, value)`` that finds ``(scheme, value)``: DOIs by ``doi``, arXiv ids
    by their DataCite DOI, OpenAlex ids by ``openalex``. Raises KeyError for other schemes."""
    scheme, value = lookup
    if scheme == "doi":
        return "doi", value
    if scheme == "arxiv":
        return "doi", arxiv_doi(value)
    if scheme == "openalex":
        return "openalex", value
    raise KeyError(scheme)


class OpenAlexHarvester:
    """Asks OpenAlex for identifiers, 50 per filter, and yields each request's answers."""

    source = SOURCE
    batch_size = FILTER_LIMIT
    schemes: tuple[str, ...] = ("openalex", "doi", "arxiv")

    def __init__(self, client: OpenAlexClient) -> None:
        self.client = client

    def request_group(self, lookup: Lookup) -> str:
        """Lookups of one group can share a request: the same filter key."""
        return filter_of(lookup)[0]

    def lookup(
        self, lookups: Sequence[Lookup], observed_on: date
    ) -> Iterator[list[CitationAnswer]]:
        """One list of answers per request: every lookup of the request, found or not.

        Lookups are grouped by filter key in input order. Raises what
        :meth:`OpenAlexClient.works` raises; the lists yielded before stay valid.
        """
        by_key: dict[str, list[tuple[str, Lookup]]] = {}
        for lookup in lookups:
            key, value = filter_of(lookup)
            by_key.setdefault(key, []).append((value, lookup))
        for key, items in by_key.items():
            for start in range(0, len(items), self.batch_size):
                part = items[start : start + self.batch_size]
                works = self.client.works(key, [v for v, _ in part])
                yield self._answers(key, part, works, observed_on)

    def author_works(
        self, scheme: str, value: str, observed_on: date, tracked_id: int | None = None
    ) -> Iterator[list[CitationAnswer]]:
        """The works OpenAlex lists for the author ``(scheme, value)`` (see
        :func:`author_filter`), one list of answers per page (cursor paging), each work's
        entry for that author marked as the tracked author ``tracked_id``.

        Raises NoListedWorksError when the first page is empty, otherwise what
        :meth:`OpenAlexClient.pages` raises; the pages yielded before stay valid.
        """
        key, asked = author_filter(scheme, value)
        listed = 0
        for works in self.client.pages(key, [asked], cursor=True):
            answers = []
            for work in works:
                answer = parse_work(
                    work, ("openalex", openalex_id(work.get("id")) or ""), observed_on
                )
                if answer.record is not None:
                    record = mark_tracked(answer.record, scheme, value, tracked_id)
                    answer = dataclasses.replace(answer, record=record)
                answers.append(answer)
            listed += len(answers)
            logger.info("OpenAlex: author %s, %d work(s) from this page", value, len(answers))
            if answers:
                yield answers
        if not listed:
            raise NoListedWorksError(scheme, value)

    def _answers(
        self,
        key: str,
        part: list[tuple[str, Lookup]],
        works: list[dict],
        observed_on: date,
    ) -> list[CitationAnswer]:
        wanted = {value.lower(): lookup for value, lookup in part}
        answers: list[CitationAnswer] = []
        found: set[Lookup] = set()
        for work in works:
            if key == "doi":
                ids = doi_or_arxiv(work.get("doi"))
                value = None
                if ids is not None:
                    value = ids[1] if ids[0] == "doi" else arxiv_doi(ids[1])
            else:
                value = (openalex_id(work.get("id")) or "").lower()
            lookup = wanted.get(value or "")
            if lookup is None:
                logger.warning("OpenAlex: work %s matches no asked value", work.get("id"))
                continue
            # OpenAlex has duplicates (one DOI on two W ids): each stays a record; the
            # citation rule takes one value per source and day, never their sum.
            answers.append(parse_work(work, lookup, observed_on))
            found.add(lookup)
        missing = [CitationAnswer(asked=lk) for _, lk in part if lk not in found]
        logger.info("OpenAlex: %d of %d values found", len(part) - len(missing), len(part))
        return answers + missing
