"""OpenAlex: the real works answer parses into the records a user would check (ids, cited-by
counts, counts by year, authors in order with ORCIDs); unknown DOIs are reported as not found;
the mailto reaches OpenAlex only in the User-Agent header."""

from __future__ import annotations

import json
import logging
from datetime import date

import httpx
import pytest
from conftest import FIXTURES

from harvesters.errors import SourceResponseError
from harvesters.http.replay import replaying
from harvesters.openalex.client import OpenAlexClient
from harvesters.openalex.harvester import OpenAlexHarvester, filter_of
from harvesters.openalex.parse import parse_work

OA = FIXTURES / "openalex"
DAY = date(2026, 12, 2)
MAILTO = "secret-lab-inbox@example.org"
NULL_AUTHOR_URL = "https://openalex.org/A9999999999"  # OpenAlex's "NULL AUTHOR_ID"


def real_works() -> list[dict]:
    doc = json.loads((OA / "originals" / "peneira_works_search.json").read_text(encoding="utf-8"))
    assert doc["meta"]["count"] == 49
    return doc["results"]


def test_the_49_real_works_parse_to_the_files_values() -> None:
    works = real_works()
    with_doi = preprints = 0
    for work in works:
        w_id = work["id"].removeprefix("https://openalex.org/")
        answer = parse_work(work, ("openalex", w_id), DAY)
        record, observation = answer.record, answer.observation
        assert record is not None and observation is not None
        assert record.source == "openalex" and record.source_id == w_id
        assert record.identifiers["openalex"] == w_id
        if work["doi"]:
            with_doi += 1
            doi = work["doi"].removeprefix("https://doi.org/").lower()
            if doi.startswith("10.48550/arxiv."):  # arXiv's DataCite DOI: the preprint
                preprints += 1
                assert record.identifiers["arxiv"] == doi.removeprefix("10.48550/arxiv.")
                assert "doi" not in record.identifiers
            else:
                assert record.identifiers["doi"] == doi
        if work["ids"].get("pmid"):
            assert work["ids"]["pmid"].endswith("/" + record.identifiers["pmid"])
        assert observation.citation_count == work["cited_by_count"]
        assert observation.counts_by_year == {
            row["year"]: row["cited_by_count"] for row in work["counts_by_year"]
        }
        people = [s for s in work["authorships"] if s["author"]["id"] != NULL_AUTHOR_URL]
        assert [a.name for a in record.authors] == [s["author"]["display_name"] for s in people]
        for author, ship in zip(record.authors, people, strict=True):
            assert author.ids["openalex"] == ship["author"]["id"].removeprefix(
                "https://openalex.org/"
            )
            orcid = ship["author"].get("orcid")
            assert author.ids.get("orcid") == (
                orcid.removeprefix("https://orcid.org/") if orcid else None
            )
            assert list(author.affiliations) == [i["display_name"] for i in ship["institutions"]]
        assert record.year == work["publication_year"]
    assert with_doi == 47 and preprints == 2

    first = parse_work(works[0], ("doi", "10.4081/gh.2014.294"), DAY)
    assert first.record.identifiers == {  # type: ignore[union-attr]
        "openalex": "W2068311567",
        "doi": "10.4081/gh.2014.294",
        "pmid": "25599636",
    }
    assert first.observation.citation_count == 8  # type: ignore[union-attr]
    assert first.observation.counts_by_year == {2016: 1, 2018: 2, 2019: 3, 2020: 1, 2022: 1}  # type: ignore[union-attr]
    assert [(a.name, a.ids.get("orcid")) for a in first.record.authors][:2] == [  # type: ignore[union-attr]
        ("Alexander Liss", None),
        ("Magaly Koch", "0000-0002-6186-1619"),
    ]


def test_a_filter_lookup_reports_found_and_unknown_dois() -> None:
    asked = [
        ("doi", "10.4081/gh.2014.294"),
        ("doi", "10.9999/constructed.unknown"),
        ("doi", "10.1007/s11634-015-0211-0"),
        ("doi", "10.30773/pi.2018.08.27"),
    ]
    client = OpenAlexClient(min_interval=0.0, sleep=lambda _s: None)
    with replaying(OA / "recordings" / "dois"):
        batches = list(OpenAlexHarvester(client).lookup(sorted(asked), DAY))
    assert len(batches) == 1 and client.requests_made == 1
    found = {a.asked: a for a in batches[0]}
    assert set(found) == set(asked)
    assert not found[("doi", "10.9999/constructed.unknown")].found
    assert found[("doi", "10.4081/gh.2014.294")].observation.citation_count == 8  # type: ignore[union-attr]


def test_arxiv_ids_are_asked_by_their_datacite_doi() -> None:
    assert filter_of(("arxiv", "2404.04750")) == ("doi", "10.48550/arxiv.2404.04750")
    assert filter_of(("openalex", "W2068311567")) == ("openalex", "W2068311567")


def test_the_mailto_goes_in_the_user_agent_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"meta": {"count": 0}, "results": []})

    client = OpenAlexClient(mailto=MAILTO, min_interval=0.0, transport=httpx.MockTransport(answer))
    assert client.works("doi", ["10.4081/gh.2014.294"]) == []
    assert MAILTO in seen[0].headers["user-agent"]
    assert MAILTO not in str(seen[0].url)
    assert MAILTO not in caplog.text and MAILTO not in repr(client)


def test_a_400_is_a_clear_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        # constructed: the shape of OpenAlex's error answers
        return httpx.Response(
            400,
            json={
                "error": "Invalid query parameters error.",
                "message": "doi is not a valid filter",
            },
        )

    client = OpenAlexClient(min_interval=0.0, transport=httpx.MockTransport(answer))
    with pytest.raises(SourceResponseError, match="OpenAlex rejected the request: doi is not"):
        client.works("doi", ["x"])
    with pytest.raises(ValueError):
        client.works("doi", ["10.1/a"] * 51)


def test_the_null_author_placeholder_is_not_an_author() -> None:
    """One real work lists OpenAlex's "NULL AUTHOR_ID" (A9999999999) three times."""
    works = real_works()
    placeholders = [
        (w, a) for w in works for a in w["authorships"] if a["author"].get("id") == NULL_AUTHOR_URL
    ]
    assert len(placeholders) == 3
    work = placeholders[0][0]
    record = parse_work(work, ("openalex", "x"), DAY).record
    assert record is not None
    names = [a.name for a in record.authors]
    assert "NULL AUTHOR_ID" not in names
    assert len(names) == len(work["authorships"]) - 3


def test_an_author_listing_follows_next_cursor_and_marks_the_tracked_author() -> None:
    """Cursor paging over two pages (constructed answers around real work objects)."""
    works = [w for w in real_works() if "A5036846358" in json.dumps(w["authorships"])]
    assert len(works) == 3
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        cursor = request.url.params["cursor"]
        pages = {"*": (works[:2], "c2"), "c2": (works[2:], "c3"), "c3": ([], None)}
        results, following = pages[cursor]
        return httpx.Response(
            200, json={"meta": {"count": 3, "next_cursor": following}, "results": results}
        )

    client = OpenAlexClient(min_interval=0.0, transport=httpx.MockTransport(answer))
    pages = list(OpenAlexHarvester(client).author_works("openalex", "A5036846358", DAY, 7))

    assert [len(p) for p in pages] == [2, 1]
    assert [r.url.params["cursor"] for r in seen] == ["*", "c2", "c3"]
    assert {r.url.params["filter"] for r in seen} == {"authorships.author.id:A5036846358"}
    for answer_ in (a for page in pages for a in page):
        assert answer_.record is not None and answer_.observation is not None
        marked = [a for a in answer_.record.authors if a.ids.get("tracked") == "7"]
        assert [a.ids.get("openalex") for a in marked] == ["A5036846358"]


def test_an_author_listing_no_work_is_reported_by_id() -> None:
    from harvesters.openalex.harvester import NoListedWorksError

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"meta": {"count": 0, "next_cursor": None}, "results": []})

    client = OpenAlexClient(min_interval=0.0, transport=httpx.MockTransport(answer))
    harvester = OpenAlexHarvester(client)
    with pytest.raises(NoListedWorksError, match="no work for ORCID 0000-0003-4519-864X"):
        list(harvester.author_works("orcid", "0000-0003-4519-864X", DAY))
