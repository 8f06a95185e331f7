"""Constructed records shared by the citation tests: two versions of one real paper."""

from __future__ import annotations

from harvesters.records import AuthorName, WorkRecord

AUTHORS = (
    AuthorName("William Agnew"),
    AuthorName("A. Stevie Bergman"),
    AuthorName("Jennifer Chien"),
)


def versions() -> list[WorkRecord]:
    """constructed: the arXiv preprint and a Scholar entry for the CHI paper (a title variant,
    so nothing but an identifier can join them), each with one identifier of the paper."""
    return [
        WorkRecord(
            source="arxiv-api",
            source_id="2401.08572",
            title="The illusion of artificial inclusion",
            raw="<entry>constructed preprint 2401.08572</entry>",
            raw_format="xml",
            authors=AUTHORS,
            identifiers={"arxiv": "2401.08572"},
            year=2024,
        ),
        WorkRecord(
            source="scholar",
            source_id="CONSTRUCTEDxx:pub1",
            title="Artificial inclusion in human subjects research: an illusion",
            raw='{"constructed": "CHI 2024 version"}',
            raw_format="json",
            authors=AUTHORS[:1],
            identifiers={"doi": "10.1145/3613904.3642703", "scholar_pub": "CONSTRUCTEDxx:pub1"},
            year=2024,
            citation_count=5,
        ),
    ]
