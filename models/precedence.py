"""Which source's values become a canonical work's fields.

Bibliographic fields (title, abstract, dates, venue, authors in order) come from the
highest-ranked source that reported the work; a later record from the same source replaces them.
The published proceedings (ACL) outrank preprints; the arXiv API outranks OAI-PMH because it
carries the version and primary category; Scholar and GitHub rank last (scraped, often cut).
"""

from __future__ import annotations

SOURCE_PRECEDENCE: tuple[str, ...] = ("acl", "arxiv-api", "arxiv-oai", "scholar", "github")


_RANK = {source: i for i, source in enumerate(SOURCE_PRECEDENCE)}


def rank(source: str) -> int:
    """Lower is better; sources not listed rank after all listed ones."""
    return _RANK.get(source, len(SOURCE_PRECEDENCE))


def may_override(candidate: str, current: str) -> bool:
    """Whether a record from ``candidate`` may replace fields taken from ``current``."""
    return rank(candidate) <= rank(current)
