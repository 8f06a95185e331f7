"""S2's own author numbers (``/author/{id}``) read from real answers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from harvesters.errors import SourceResponseError
from harvesters.s2.author_report import parse_author

S2 = Path(__file__).parents[1] / "fixtures" / "s2"
DAY = date(2026, 12, 3)
URL = "https://api.semanticscholar.org/graph/v1/author/x"


def test_the_real_author_object_gives_s2s_counts() -> None:
    data = json.loads((S2 / "originals" / "Author.json").read_text())
    report = parse_author(data, url=URL, asked="2262347", observed_on=DAY)
    assert report.s2_author_id == "2262347"
    assert report.name == "A. Turing"
    # The file's own numbers, and the papers it embeds are not taken as counts.
    assert (report.paper_count, report.citation_count, report.h_index) == (
        data["paperCount"],
        data["citationCount"],
        data["hIndex"],
    )
    assert (report.paper_count, report.citation_count, report.h_index) == (60, 12415, 23)
    assert report.observed_on == DAY


def test_every_author_of_the_real_paper_authors_answer_parses() -> None:
    exchange = json.loads(next((S2 / "recordings" / "paper_authors").glob("*.json")).read_text())
    authors = json.loads(exchange["body"])["data"]
    reports = [parse_author(a, url=URL, asked=a["authorId"], observed_on=DAY) for a in authors]
    assert [r.h_index for r in reports] == [a.get("hIndex") for a in authors]
    assert [r.citation_count for r in reports] == [a.get("citationCount") for a in authors]
    assert reports[0].name == "E. Duflo" and reports[0].h_index == 91


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "author object"),
        ({"name": "no id"}, "author object"),
        ({"authorId": "999", "hIndex": 3}, "asked for author 2262347, got 999"),
        ({"authorId": "2262347", "hIndex": -1}, "hIndex is not a count"),
        ({"authorId": "2262347", "citationCount": "12"}, "citationCount is not a count"),
        ({"authorId": "2262347", "paperCount": True}, "paperCount is not a count"),
    ],
)
def test_an_unusable_author_answer_is_refused_naming_why(data: object, message: str) -> None:
    with pytest.raises(SourceResponseError, match=message):
        parse_author(data, url=URL, asked="2262347", observed_on=DAY)


def test_missing_counts_stay_unknown() -> None:
    report = parse_author({"authorId": "7", "name": " "}, url=URL, asked="7", observed_on=DAY)
    assert (report.name, report.paper_count, report.citation_count, report.h_index) == (
        None,
        None,
        None,
        None,
    )
