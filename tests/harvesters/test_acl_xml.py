"""Parsing ACL Anthology collection XML.

Expectations for the real files are derived from the files themselves with a plain
``xml.etree`` pass (independent of the lxml parser under test), or quoted from the files.
"""

# Expected values hold the files' own characters (Greek letters, en dashes).
# ruff: noqa: RUF001

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import FIXTURES

from harvesters.acl.parse import (
    build_anthology_id,
    collection_venue,
    collection_year,
    parse_collection,
)
from harvesters.errors import SourceResponseError
from harvesters.records import Attachment, AuthorName, QuarantinedInput, WorkRecord

ACL = FIXTURES / "acl"
REAL_FILES = sorted((ACL / "xml").glob("*.xml"))
CONSTRUCTED = ACL / "constructed"


def _records(path: Path) -> list[WorkRecord | QuarantinedInput]:
    return list(parse_collection(path.read_bytes(), path.stem))


def _plain(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split()) or None


def _expected(path: Path) -> list[dict]:
    """What each <paper> of a file says, read with the standard library."""
    root = ET.parse(path).getroot()
    papers = []
    for volume in root.iter("volume"):
        for paper in volume.findall("paper"):
            papers.append(
                {
                    "id": f"{root.get('id')}-{volume.get('id')}.{paper.get('id')}",
                    "title": _plain(paper.find("title")),
                    "authors": [
                        " ".join(
                            " ".join(p.split())
                            for p in (a.findtext("first"), a.findtext("last"))
                            if p
                        )
                        for a in paper.findall("author")
                    ],
                    "doi": paper.findtext("doi"),
                    "abstract": _plain(paper.find("abstract")),
                    "pages": paper.findtext("pages"),
                }
            )
    return papers


def test_the_real_files_are_what_the_fixtures_say() -> None:
    assert [p.name for p in REAL_FILES] == [
        "2020.ai4hi.xml",
        "2023.bigpicture.xml",
        "2023.repl4nlp.xml",
        "2024.insights.xml",
    ]
    counts = {p.stem: len(re.findall(rb"<paper id=", p.read_bytes())) for p in REAL_FILES}
    assert counts == {
        "2020.ai4hi": 5,
        "2023.bigpicture": 10,
        "2023.repl4nlp": 27,
        "2024.insights": 19,
    }


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.stem)
def test_real_collection_parses_like_the_file_says(path: Path) -> None:
    expected = _expected(path)
    records = _records(path)
    assert all(isinstance(r, WorkRecord) for r in records)
    assert len(records) == len(expected)
    for record, want in zip(records, expected, strict=True):
        assert isinstance(record, WorkRecord)
        assert record.source == "acl"
        assert record.source_id == want["id"]
        assert record.identifiers["acl"] == want["id"]
        assert record.title == want["title"]
        assert [a.name for a in record.authors] == want["authors"]
        assert record.identifiers.get("doi") == (want["doi"].lower() if want["doi"] else None)
        assert record.abstract == want["abstract"]
        assert record.pages == want["pages"]
        assert record.pdf_url == f"https://aclanthology.org/{want['id']}.pdf"
        assert record.raw.count("<paper ") == 1
        assert f'<paper id="{want["id"].rsplit(".", 1)[1]}"' in record.raw


def test_values_quoted_from_the_files() -> None:
    by_id = {r.source_id: r for p in REAL_FILES for r in _records(p)}
    # 2023.bigpicture.xml, paper 2: fixed-case markup in the title becomes plain text.
    uralic = by_id["2023.bigpicture-1.2"]
    assert uralic.title == (
        "Working Towards Digital Documentation of Uralic Languages With Open-Source Tools "
        "and Modern NLP Methods"
    )
    assert [a.name for a in uralic.authors] == [
        "Mika Hämäläinen",
        "Jack Rueter",
        "Khalid Alnajjar",
        "Niko Partanen",
    ]
    assert uralic.authors[0].affiliations == ("Rootroo Ltd",)
    assert uralic.authors[2].affiliations == ()
    assert uralic.identifiers["doi"] == "10.18653/v1/2023.bigpicture-1.2"
    assert uralic.venue == "Proceedings of the Big Picture Workshop"
    assert uralic.venues == ("bigpicture",)
    assert (uralic.year, uralic.month, uralic.pages) == (2023, "December", "18-27")
    assert [e.name for e in uralic.editors][-1] == "Noah A. Smith"
    assert uralic.editors[-1].ids == {"acl": "noah-a-smith"}
    # Explicit ACL person ids on authors (2023.bigpicture.xml lines 91-94).
    ids = {a.name: a.ids for r in by_id.values() for a in r.authors if a.ids}
    assert ids["James Henderson"] == {"acl": "james-henderson"}
    assert ids["Lesly Miculicich"] == {"acl": "lesly-miculicich-werlen"}
    # 2023.repl4nlp.xml, paper 9: <i> inside the abstract is rendered as its words.
    vision = by_id["2023.repl4nlp-1.9"]
    assert "assumes that a single pre-trained VE can serve" in (vision.abstract or "")
    assert "<i>" not in (vision.abstract or "")
    # 2020.ai4hi.xml: no DOIs, en-dash page ranges, a GitHub link in an abstract, no venue.
    iconclass = by_id["2020.ai4hi-1.2"]
    assert "doi" not in iconclass.identifiers
    assert iconclass.title == (
        "Interlinking Iconclass Data with Concepts of Art & Architecture Thesaurus"
    )
    assert iconclass.pages == "11–15"
    assert iconclass.code_links == ("https://github.com/annabreit/taxonomy-interlinking",)
    assert iconclass.venues == ()
    # 2024.insights.xml: spaced hyphen kept as printed; videos become attachments.
    fine_tuning = by_id["2024.insights-1.3"]
    assert fine_tuning.authors[0].name == "Cesar Gonzalez - Gutierrez"
    assert fine_tuning.venues == ("insights", "ws")
    assert Attachment("video", "https://aclanthology.org/2024.insights-1.3.mp4") in (
        fine_tuning.attachments
    )


def test_constructed_markup_awards_attachments_orcids() -> None:
    items = _records(CONSTRUCTED / "constructed_2099.markup.xml")
    assert len(items) == 3  # the frontmatter is the volume, not a paper
    paper, untitled, edited = items
    assert isinstance(paper, WorkRecord)
    assert paper.source_id == "2099.markup-main.1"
    assert paper.title == "BERT Needs O(n²) Memory: An α-Study"
    assert paper.abstract == (
        "We show why attention costs O(n²) with ≥ 90% certainty. "
        "Code: https://github.com/example/markup-paper."
    )
    assert paper.authors[0] == AuthorName(
        "Noah A. Smith",
        ("University of Somewhere",),
        {"acl": "noah-a-smith", "orcid": "0000-0001-2345-6789"},
    )
    assert [a.name for a in paper.authors] == ["Noah A. Smith", "Grace Hopper", "Plato"]
    assert paper.venue == "Proceedings of the Markup Workshop"
    assert paper.venues == ("markup", "ws")
    assert paper.editors[0].ids == {"acl": "ada-lovelace", "orcid": "0000-0002-1825-0097"}
    assert paper.awards == ("Best Paper Award", "Outstanding Reviewer Award")
    assert paper.code_links == ("https://github.com/example/markup-paper",)
    assert [(a.kind, a.url) for a in paper.attachments] == [
        ("software", "https://aclanthology.org/attachments/2099.markup-main.1.software.zip"),
        ("poster", "https://aclanthology.org/attachments/2099.markup-main.1.poster.pdf"),
        ("video", "https://example.org/talks/markup-1.mp4"),
        ("revision", "https://aclanthology.org/2099.markup-main.1v1.pdf"),
        ("revision", "https://aclanthology.org/2099.markup-main.1v2.pdf"),
        ("erratum", "https://aclanthology.org/2099.markup-main.1e1.pdf"),
        ("dataset", "https://paperswithcode.com/dataset/markup"),
    ]
    assert isinstance(untitled, QuarantinedInput)
    assert untitled.source_id == "2099.markup-main.2"
    assert untitled.reason == "paper without a title"
    assert '<paper id="2">' in untitled.raw
    assert isinstance(edited, WorkRecord)
    assert [e.name for e in edited.editors] == ["Alan Turing"]  # the paper's own editors
    assert edited.pdf_url == "https://example.org/external.pdf"
    assert edited.comment == "Invited talk."
    assert paper.to_json()["attachments"][0] == {
        "kind": "software",
        "url": "https://aclanthology.org/attachments/2099.markup-main.1.software.zip",
    }


def test_malformed_file_is_a_clear_error() -> None:
    path = CONSTRUCTED / "constructed_broken.xml"
    with pytest.raises(SourceResponseError, match="malformed ACL Anthology XML") as info:
        _records(path)
    assert "(from constructed_broken.xml)" in str(info.value)  # names the file
    assert "line 7" in str(info.value)  # and where lxml found the problem
    with pytest.raises(SourceResponseError, match="expected a <collection>"):
        list(parse_collection(b"<volume id='1'/>", "x"))


@pytest.mark.parametrize(
    ("collection", "volume", "paper", "expected"),
    [
        ("2022.acl", "long", "42", "2022.acl-long.42"),
        ("P18", "1", "24", "P18-1024"),
        ("W18", "63", "10", "W18-6310"),
        ("D19", "57", "2", "D19-5702"),
        ("C69", "1", "3", "C69-0103"),
    ],
)
def test_anthology_ids(collection: str, volume: str, paper: str, expected: str) -> None:
    assert build_anthology_id(collection, volume, paper) == expected


def test_collection_years_and_venues() -> None:
    assert collection_year("2023.repl4nlp") == 2023
    assert collection_year("P18") == 2018
    assert collection_year("C69") == 1969
    assert collection_year("schema") is None
    assert collection_venue("2024.insights") == "insights"
    assert collection_venue("P18") is None


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    # constructed: a collection whose DOCTYPE declares an external entity naming a local file
    # (XXE). The file's content must not reach any field or the raw payload.
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT-7f3a")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE collection [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        '<collection id="2099.x"><volume id="1"><meta><booktitle>B &xxe;</booktitle>'
        '<year>2099</year></meta><paper id="1"><title>T &xxe;</title>'
        "<abstract>A &xxe;</abstract><author><first>F</first><last>L &xxe;</last></author>"
        "</paper></volume></collection>"
    )
    items = list(parse_collection(xml.encode(), "2099.x"))
    assert items and all("SECRET" not in repr(item) for item in items)


def test_entity_expansion_bomb_is_refused_quickly() -> None:
    # constructed: "billion laughs", ten levels of ten-fold internal entities (10^10 'a').
    entities = '<!ENTITY e0 "aaaaaaaaaa">' + "".join(
        f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10)
    )
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE collection [{entities}]>'
        '<collection id="2099.x"><volume id="1"><paper id="1"><title>&e9;</title></paper>'
        "</volume></collection>"
    )
    started = time.perf_counter()
    try:
        items = list(parse_collection(xml.encode(), "2099.x"))
    except SourceResponseError:
        items = []
    assert time.perf_counter() - started < 5
    assert all(len(getattr(item, "title", "")) < 1000 for item in items)


def test_superscript_digit_year_falls_back_to_the_collection_year() -> None:
    # Found by fuzzing: "²".isdigit() is true but int("²") raises ValueError.
    path = FIXTURES / "acl" / "xml" / "2020.ai4hi.xml"
    body = re.sub(rb"<year>\d+</year>", "<year>²</year>".encode(), path.read_bytes())
    records = [r for r in parse_collection(body, "2020.ai4hi") if isinstance(r, WorkRecord)]
    assert records and {r.year for r in records} == {2020}
