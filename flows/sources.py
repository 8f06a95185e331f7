"""The source names the CLI and flows accept."""

from __future__ import annotations

from collections.abc import Iterable

# Sources `scholarflow harvest` accepts, in the order it runs them: GitHub last, so it links
# the code links that arXiv, ACL and Scholar just stored (the nightly flow runs this order too).
SOURCES: tuple[str, ...] = (
    "arxiv",
    "acl",
    "scholar",
    "github",
    # The works of tracked authors followed by Semantic Scholar author id, and by OpenAlex
    # author id or ORCID.
    "s2-authors",
    "openalex-authors",
    # Citation counts of the works the sources above stored: last, so they see new works.
    "s2",
    "openalex",
)


def in_run_order(names: Iterable[str]) -> list[str]:
    """``names`` (known sources) once each, in the order of ``SOURCES``."""
    wanted = set(names)
    return [source for source in SOURCES if source in wanted]
