"""Scholar pages read with scholarly's parsers: the numbers on the recorded pages, exactly."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from harvesters.errors import SourceResponseError
from harvesters.scholar.harvester import ScholarPublication, merge_publication
from harvesters.scholar.parse import parse_citation_page, parse_profile_page

SCHOLAR = FIXTURES / "scholar"


def original(name: str) -> str:
    return (SCHOLAR / "originals" / name).read_text(encoding="utf-8")


def recorded_body(folder: str, name: str) -> str:
    return json.loads((SCHOLAR / folder / name).read_text(encoding="utf-8"))["body"]


def test_the_recorded_profile_page_parses_to_the_numbers_on_the_page() -> None:
    page = parse_profile_page(original("bborrel_profile_8daWuo4AAAAJ.html"), "8daWuo4AAAAJ")

    author = page.author
    assert author is not None
    assert author["name"] == "Anne Kietzig"
    assert author["affiliation"] == "Professor of Chemical Engineering, McGill Univeristy"
    assert author["organization"] == 13784427342582529234
    assert author["interests"] == ["laser micromachining", "wetting", "biomimetics"]
    assert author["email_domain"] == "@mcgill.ca"
    assert author["homepage"] == "http://kietzig-lab.mcgill.ca/"
    # Stats table: "All" and "Since 2014" columns.
    assert page.recent_since == 2014
    assert {k: author[k] for k in ("citedby", "hindex", "i10index")} == {
        "citedby": 1338,
        "hindex": 17,
        "i10index": 21,
    }
    assert {k: author[k] for k in ("citedby5y", "hindex5y", "i10index5y")} == {
        "citedby5y": 1149,
        "hindex5y": 16,
        "i10index5y": 21,
    }
    # Citations per year: the histogram, 2009 to 2019.
    assert author["cites_per_year"] == {
        2009: 6,
        2010: 25,
        2011: 44,
        2012: 54,
        2013: 56,
        2014: 99,
        2015: 128,
        2016: 243,
        2017: 248,
        2018: 348,
        2019: 83,
    }
    assert author["filled"] == ["basics", "publications", "indices", "counts"]
    # Each publication row (pagesize=2 when saved: two rows).
    assert [r.publication for r in page.rows] == [
        {
            "container_type": "Publication",
            "source": "AUTHOR_PUBLICATION_ENTRY",
            "bib": {
                "title": "Interaction of oxygen functionalized multi-walled carbon nanotube "
                "nanofluids with copper",
                "pub_year": "2018",
                "citation": "Carbon 140, 201-209, 2018",
            },
            "filled": False,
            "author_pub_id": "8daWuo4AAAAJ:NhqRSupF_l8C",
            "num_citations": 0,
        },
        {
            "container_type": "Publication",
            "source": "AUTHOR_PUBLICATION_ENTRY",
            "bib": {
                "title": "Boiling heat transfer enhancement with stable nanofluids and laser "
                "textured copper surfaces",
                "pub_year": "2018",
                "citation": "International Journal of Heat and Mass Transfer 126, 287-296, 2018",
            },
            "filled": False,
            "author_pub_id": "8daWuo4AAAAJ:bFI3QPDXJZMC",
            "num_citations": 1,
            "citedby_url": "https://scholar.google.com/scholar?oi=bibs&hl=en"
            "&cites=15502897746301575580",
            "cites_id": ["15502897746301575580"],
        },
    ]
    assert page.rows[0].authors == (
        "A Karthikeyan",
        "S Coulombe",
        "AM Kietzig",
        "RS Stein",
        "T van de Ven",
    )
    assert page.bad_rows == [] and page.warnings == []
    # Two rows where a hundred were asked for: the list is complete.
    assert page.has_more is False


def test_a_trimmed_page_keeps_what_it_has_and_says_what_it_lacks() -> None:
    page = parse_profile_page(
        original("fanjunqiao_scholar_profile_5cEG4tIAAAAJ_trimmed.html"), "5cEG4tIAAAAJ"
    )

    assert page.author is not None
    assert page.author["name"] == "Junqiao Fan"
    assert page.author["citedby"] == 111 and page.author["citedby5y"] == 110
    assert (page.author["hindex"], page.author["i10index5y"]) == (4, 3)
    assert page.recent_since == 2021
    # The excerpt has no affiliation/e-mail lines: a missing section, not a warning.
    assert page.warnings == []
    assert page.author.get("affiliation") is None
    assert len(page.rows) == 13
    cites = [r.publication["num_citations"] for r in page.rows]
    assert cites[:3] == [43, 42, 11]
    assert cites.count(0) == 6  # the rows with an empty "cited by" link
    no_year = [r for r in page.rows if "pub_year" not in r.publication["bib"]]
    assert len(no_year) == 1
    assert page.has_more is False


def test_a_page_that_asks_for_more_rows_continues() -> None:
    html = original("bborrel_profile_8daWuo4AAAAJ.html")
    # Saved with pagesize=2: two rows and an enabled "Show more" button.
    assert parse_profile_page(html, "8daWuo4AAAAJ", pagesize=2).has_more is True


def test_the_captcha_page_is_not_a_profile() -> None:
    with pytest.raises(SourceResponseError, match="unrecognised page layout"):
        parse_profile_page(original("ordovicia_blocked_captcha.html"), "8daWuo4AAAAJ")


def test_a_publication_page_fills_authors_and_venue() -> None:
    row = parse_profile_page(original("bborrel_profile_8daWuo4AAAAJ.html"), "8daWuo4AAAAJ").rows[1]
    html = recorded_body("constructed", "constructed_citation_8daWuo4AAAAJ_bFI3QPDXJZMC.json")

    filled = parse_citation_page(html, row.publication)

    assert filled["filled"] is True
    assert filled["bib"]["author"] == "A Karthikeyan and S Coulombe and AM Kietzig"
    assert filled["bib"]["journal"] == "International Journal of Heat and Mass Transfer"
    assert (filled["bib"]["volume"], filled["bib"]["pages"]) == ("126", "287-296")
    assert filled["cites_id"] == ["15502897746301575580"]
    assert row.publication["filled"] is False  # the input is not changed

    # A later profile row keeps what the fill added, with the row's fresh count.
    fresh = {**row.publication, "num_citations": 5}
    merged = merge_publication(filled, fresh)
    assert merged["filled"] is True and merged["num_citations"] == 5
    assert merged["bib"]["journal"] == filled["bib"]["journal"]

    record = ScholarPublication("8daWuo4AAAAJ", 1, filled, owner_name="Anne Kietzig").work_record()
    assert [a.name for a in record.authors] == ["A Karthikeyan", "S Coulombe", "AM Kietzig"]
    assert record.authors[2].ids == {"scholar": "8daWuo4AAAAJ"}
    assert record.venue == "International Journal of Heat and Mass Transfer"


def test_a_page_without_a_title_is_refused() -> None:
    with pytest.raises(SourceResponseError, match="not a Google Scholar publication page"):
        parse_citation_page(original("ordovicia_blocked_captcha.html"), {"author_pub_id": "x:y"})


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        ({"eprint_url": "https://arxiv.org/pdf/1605.08386v2"}, {"arxiv": "1605.08386"}),
        ({"eprint_url": "http://arxiv.org/abs/cond-mat/0603029"}, {"arxiv": "cond-mat/0603029"}),
        (
            {"pub_url": "https://doi.org/10.1016/J.Carbon.2018.08.040"},
            {"doi": "10.1016/j.carbon.2018.08.040"},
        ),
        ({"pub_url": "https://www.sciencedirect.com/science/article/pii/S0008622318307589"}, {}),
    ],
)
def test_links_to_arxiv_or_a_doi_become_identifiers(
    urls: dict[str, str], expected: dict[str, str]
) -> None:
    payload = {"bib": {"title": "A title", "pub_year": "2018"}, "author_pub_id": "u:p", **urls}

    record = ScholarPublication("u", 0, payload).work_record()

    assert record.identifiers == {"scholar_pub": "u:p", **expected}
    assert record.raw == json.dumps(payload, ensure_ascii=False)
