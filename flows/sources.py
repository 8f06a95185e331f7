"""The source names the CLI and flows accept."""

from __future__ import annotations

# Sources `scholarflow harvest` accepts, in the order a plain `harvest` runs them.
SOURCES: tuple[str, ...] = (
    "arxiv",
    "scholar",
    "github",
    "acl",
    # Citation counts of the works the sources above stored: last, so they see new works.
    "s2",
    "openalex",
)
