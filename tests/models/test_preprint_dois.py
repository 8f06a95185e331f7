"""Preprint servers' DOIs and aggregators' ids: they link the records of one paper but never keep
a preprint apart from its journal version (the records are the real ones of the OpenAlex and S2
recordings: Zahra Shakeri Hossein Abad's article and its two preprints, L. Cantley's p38 paper)."""

from __future__ import annotations

import pytest

from harvesters.normalize import is_preprint_doi
from models.identity.matching import WorkMention, cluster_works

TITLE = (
    "Crowdsourcing for Machine Learning in Public Health Surveillance: Lessons Learned From "
    "Amazon Mechanical Turk"
)
AUTHORS = ("Zahra Shakeri Hossein Abad", "Adrienne Butler", "Joon Lee")


@pytest.mark.parametrize(
    "doi",
    [
        "10.1101/2021.08.20.457146",  # bioRxiv, dated
        "10.1101/819961",  # bioRxiv, old numbering
        "10.21203/rs.3.rs-563743/v1",  # Research Square
        "10.2196/preprints.28749",  # JMIR Preprints
        "10.31219/osf.io/ndp8m",  # OSF
        "10.48550/arxiv.2304.04761",  # arXiv's DataCite DOI
    ],
)
def test_preprint_server_dois(doi: str) -> None:
    assert is_preprint_doi(doi)


@pytest.mark.parametrize(
    "doi",
    [
        "10.1101/gr.123.456",  # Genome Research: Cold Spring Harbor's journal, not bioRxiv
        "10.1101/gad.1234",  # Genes & Development
        "10.2196/28749",  # the JMIR article itself
        "10.1128/mbio.01007-23",
    ],
)
def test_journal_dois(doi: str) -> None:
    assert not is_preprint_doi(doi)


def test_an_article_and_its_two_preprints_are_one_work() -> None:
    article = WorkMention(
        "openalex:W3212676313",
        "openalex",
        TITLE,
        2022,
        ids={"doi": "10.2196/28749", "openalex": "W3212676313", "pmid": "35040794"},
        authors=AUTHORS,
    )
    osf = WorkMention(
        "openalex:W4242624664",
        "openalex",
        TITLE.replace("Machine Learning", "machine learning"),
        2021,
        ids={"doi": "10.31219/osf.io/ndp8m", "openalex": "W4242624664"},
        authors=AUTHORS,
    )
    jmir = WorkMention(
        "openalex:W4243312951",
        "openalex",
        TITLE + " (Preprint)",
        2021,
        ids={"doi": "10.2196/preprints.28749", "openalex": "W4243312951"},
        authors=AUTHORS,
    )

    assert cluster_works([article, osf, jmir]) == [frozenset({article.key, osf.key, jmir.key})]


def test_two_journal_dois_still_never_merge() -> None:
    a = WorkMention("s2:a", "s2", TITLE, 2022, ids={"doi": "10.2196/28749", "s2": "a"})
    b = WorkMention("s2:b", "s2", TITLE, 2022, ids={"doi": "10.1000/other", "s2": "b"})

    assert sorted(cluster_works([a, b]), key=sorted) == [frozenset({a.key}), frozenset({b.key})]


def test_two_s2_records_of_one_doi_are_one_work() -> None:
    doi = "10.1038/s41586-020-2901-9"
    a = WorkMention(
        "s2:401c",
        "s2",
        "Identification of SARS-CoV-2 inhibitors",
        2020,
        ids={"doi": doi, "s2": "401c"},
    )
    b = WorkMention(
        "s2:f64e",
        "s2",
        "Identification of SARS-CoV-2 Inhibitors",
        2020,
        ids={"doi": doi, "s2": "f64e"},
    )

    assert cluster_works([a, b]) == [frozenset({a.key, b.key})]
