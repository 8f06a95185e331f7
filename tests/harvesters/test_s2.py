"""Semantic Scholar: the real recordings parse into the records a user would check (ids,
citation counts, authors in order); not-found ids, 400, 403, 404 and 429 give clear results."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES

from harvesters.citations import BudgetSpentError
from harvesters.errors import SourceHTTPError, SourceResponseError
from harvesters.http.replay import replaying
from harvesters.s2.client import S2Client
from harvesters.s2.harvester import S2Harvester
from harvesters.s2.parse import parse_paper, s2_id

S2 = FIXTURES / "s2"
REC = S2 / "recordings"
DAY = date(2026, 12, 2)
KEY = "s2-SECRET-key-0123456789abcdef"
# The field list the recorded semanticscholar client asked for (part of the recorded URL).
RECORDED_FIELDS = (
    "abstract,authors,citationCount,citationStyles,corpusId,externalIds,fieldsOfStudy,"
    "influentialCitationCount,isOpenAccess,journal,openAccessPdf,paperId,publicationDate,"
    "publicationTypes,publicationVenue,referenceCount,s2FieldsOfStudy,title,url,venue,year"
)


def client(**kwargs) -> S2Client:  # type: ignore[no-untyped-def]
    waits = kwargs.pop("waits", [])
    return S2Client(min_interval=0.0, sleep=waits.append, **kwargs)


def recorded_body(path: Path):  # type: ignore[no-untyped-def]
    return json.loads(json.loads(path.read_text(encoding="utf-8"))["body"])


def expected_ids(paper: dict) -> dict[str, str]:
    """What the file says the identifiers are, normalized the documented way."""
    ext = paper["externalIds"]
    ids = {"s2": paper["paperId"]}
    if ext.get("ArXiv"):
        ids["arxiv"] = ext["ArXiv"]
    doi = (ext.get("DOI") or "").lower()
    if doi.startswith("10.48550/arxiv."):
        ids.setdefault("arxiv", ext["DOI"][len("10.48550/arxiv.") :])
    elif doi:
        ids["doi"] = doi
    for key, scheme in (("ACL", "acl"), ("DBLP", "dblp"), ("PubMed", "pmid")):
        if ext.get(key):
            ids[scheme] = ext[key]
    return ids


def test_paper_json_and_its_1000_citing_papers_parse_to_the_files_values() -> None:
    doc = json.loads((S2 / "originals" / "Paper.json").read_text(encoding="utf-8"))
    turing = parse_paper(doc, ("doi", "10.1093/mind/lix.236.433"), DAY)
    assert turing.record is not None and turing.observation is not None
    assert turing.record.identifiers == {
        "s2": "2d5673caa9e6af3a7b82a43f19ee920992db07ad",
        "doi": "10.1093/mind/lix.236.433",
        "dblp": "journals/x/Turing50",
    }
    assert turing.observation.citation_count == 10059
    assert [(a.name, a.ids) for a in turing.record.authors] == [("A. Turing", {"s2": "2262347"})]
    assert turing.record.year == 1950 and turing.record.published == date(1950, 10, 1)

    schemes: dict[str, int] = {}
    for paper in doc["citations"]:
        answer = parse_paper(paper, ("s2", paper["paperId"]), DAY)
        record, observation = answer.record, answer.observation
        assert record is not None and observation is not None
        assert record.source == "s2" and record.source_id == paper["paperId"]
        assert record.identifiers == expected_ids(paper)
        assert observation.citation_count == paper["citationCount"]
        assert observation.observed_on == DAY and observation.counts_by_year is None
        assert [(a.name, a.ids.get("s2")) for a in record.authors] == [
            (a["name"], a["authorId"]) for a in paper["authors"] if a.get("name")
        ]
        for scheme in record.identifiers:
            schemes[scheme] = schemes.get(scheme, 0) + 1
    # arXiv DataCite DOIs (10.48550/arXiv.*) count as the arXiv id, not as a second DOI.
    assert schemes == {"s2": 1000, "doi": 802, "arxiv": 243, "dblp": 388, "pmid": 219, "acl": 12}


def test_arxivs_own_doi_becomes_the_arxiv_id_not_a_second_doi() -> None:
    doc = json.loads((S2 / "originals" / "Paper.json").read_text(encoding="utf-8"))
    preprints = [
        p for p in doc["citations"] if p["externalIds"].get("DOI", "").startswith("10.48550")
    ]
    assert len(preprints) == 170
    for paper in preprints:
        ids = parse_paper(paper, ("s2", paper["paperId"]), DAY).record.identifiers  # type: ignore[union-attr]
        assert "doi" not in ids and ids["arxiv"] == paper["externalIds"]["ArXiv"]


def test_recorded_batch_gives_null_as_not_found_and_papers_in_order() -> None:
    path = REC / "batch_not_found" / "test_get_papers_not_found_warning_0.json"
    asked = [
        "CorpusId:211530585",
        "CorpusId:470667",
        "10.2139/ssrn.2250500",
        "0f40b1f08821e22e859c6050916cec3667778613",
    ]
    with replaying(path.parent):
        papers = client().batch(asked, fields=RECORDED_FIELDS)
    lookups = [
        ("corpus", "211530585"),
        ("corpus", "470667"),
        ("doi", "10.2139/ssrn.2250500"),
        ("s2", "0f40b1f08821e22e859c6050916cec3667778613"),
    ]
    answers = [parse_paper(p, lk, DAY) for p, lk in zip(papers, lookups, strict=True)]
    assert [a.found for a in answers] == [False, True, True, True]
    assert answers[0].asked == ("corpus", "211530585") and answers[0].observation is None
    file_papers = recorded_body(path)
    for answer, paper in zip(answers[1:], file_papers[1:], strict=True):
        assert answer.record.source_id == paper["paperId"]  # type: ignore[union-attr]
        assert answer.observation.citation_count == paper["citationCount"]  # type: ignore[union-attr]
        assert [a.name for a in answer.record.authors] == [a["name"] for a in paper["authors"]]  # type: ignore[union-attr]
    did = answers[1].record
    assert (
        did is not None
        and did.title == "How Much Should We Trust Differences-in-Differences Estimates?"
    )
    assert did.identifiers["doi"] == "10.2139/ssrn.288970"
    assert answers[1].observation.citation_count == 10670  # type: ignore[union-attr]
    assert [(a.name, a.ids["s2"]) for a in did.authors] == [
        ("Marianne Bertrand", "81141608"),
        ("E. Duflo", "2259683"),
        ("S. Mullainathan", "2062143"),
    ]


def test_a_404_is_not_found_and_a_400_is_a_clear_error() -> None:
    with replaying(REC / "not_found_404"):
        assert client().paper("0", fields="t,i,t,l,e") is None
    with replaying(REC / "bad_request_400"), pytest.raises(SourceResponseError) as err:
        client().paper("10.1093/mind/lix.236.433", fields="unknown")
    assert "Unrecognized or unsupported fields: [unknown]" in str(err.value)


def test_a_refused_key_says_so_and_never_shows_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    s2 = client(api_key=KEY)
    asked = ["CorpusId:470667", "10.2139/ssrn.2250500", "0f40b1f08821e22e859c6050916cec3667778613"]
    with replaying(REC / "forbidden_403"), pytest.raises(SourceHTTPError) as err:
        s2.batch(asked, fields=RECORDED_FIELDS)
    assert err.value.status == 403 and "API key was refused" in str(err.value)
    assert KEY not in str(err.value) and KEY not in repr(s2) and KEY not in caplog.text


def test_429_waits_for_retry_after_then_succeeds() -> None:
    waits: list[float] = []
    with replaying(REC / "rate_limited"):
        answers = next(
            S2Harvester(client(waits=waits)).lookup([("doi", "10.1145/3613904.3642703")], DAY)
        )
    assert waits == [30.0]  # Retry-After (30 s) beats the first backoff (5 s)
    assert answers[0].observation.citation_count == 2  # type: ignore[union-attr]


def test_a_429_that_persists_spends_the_budget(replay_dir) -> None:  # type: ignore[no-untyped-def]
    folder = replay_dir(REC / "rate_limited" / "constructed_batch_429_1.json")
    with replaying(folder), pytest.raises(BudgetSpentError):
        next(S2Harvester(client()).lookup([("doi", "10.1145/3613904.3642703")], DAY))


def test_the_request_budget_stops_before_the_next_request() -> None:
    s2 = client(max_requests=1)
    with replaying(REC / "unknown_id"):
        harvester = S2Harvester(s2)
        lookups = [("doi", "10.1145/3613904.3642703"), ("doi", "10.9999/constructed.unknown")]
        first = next(harvester.lookup(lookups, DAY))
        assert [a.found for a in first] == [True, False]
        with pytest.raises(BudgetSpentError):
            next(harvester.lookup(lookups, DAY))
    assert s2.requests_made == 1


def test_batch_ids_take_s2s_prefixes() -> None:
    assert s2_id(("doi", "10.1145/3637866")) == "DOI:10.1145/3637866"
    assert s2_id(("arxiv", "2404.04750")) == "ARXIV:2404.04750"
    assert s2_id(("acl", "2024.lrec-main.592")) == "ACL:2024.lrec-main.592"
    assert s2_id(("s2", "b4d04149c13399a8f42cae06bf91a1370bee2a6d")).startswith("b4d0")
    with pytest.raises(ValueError):
        client().batch(["x"] * 501)
