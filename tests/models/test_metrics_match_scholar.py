"""Our h-index, i10-index and citation total, computed from the publications a real crawler
file put into the database, equal what Google Scholar reported in that file; on SQLite and
PostgreSQL.

The files are the three real AcadHomepage crawler dumps of tests/fixtures/scholar/originals
(see PROVENANCE.md there). In each, the listed publications' ``num_citations`` sum exactly to
the profile's ``citedby`` and give its h and i10, so any difference would be ours.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from conftest import FIXTURES

from flows.pipelines.scholar import import_gs_data
from models.metrics.indices import (
    Paper,
    citations_since,
    citations_total,
    coverage,
    h_index,
    h_index_since,
    i10_index,
    i10_index_since,
    scholar_since_year,
)
from models.metrics.inputs import scholar_inputs

ORIGINALS = FIXTURES / "scholar" / "originals"
GS_DATA = ["AaronZ345_gs_data.json", "Baoliang93_gs_data.json", "Brian-Moser_gs_data.json"]


def load(sessions, name: str) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    text = (ORIGINALS / name).read_text(encoding="utf-8")
    summary = import_gs_data(sessions, text, name=name)
    assert summary.status == "succeeded"
    data = json.loads(text)
    return data, data["scholar_id"].split("&")[0]  # "w_WL27oAAAAJ&hl" is stored without "&hl"


@pytest.mark.parametrize("name", GS_DATA)
def test_computed_indices_equal_what_scholar_reported(sessions, name: str) -> None:
    data, scholar_id = load(sessions, name)
    with sessions() as session:
        (inputs,) = scholar_inputs(session, [scholar_id])
    papers = inputs.papers

    assert coverage(papers) == (len(data["publications"]), len(data["publications"]))
    assert [p.citations for p in papers] == [
        p["num_citations"] for p in data["publications"].values()
    ]
    computed = (h_index(papers), i10_index(papers), citations_total(papers))
    assert computed == (data["hindex"], data["i10index"], data["citedby"])


@pytest.mark.parametrize("name", GS_DATA)
def test_recent_citations_equal_scholars_since_column(sessions, name: str) -> None:
    """Scholar's "Since YEAR" citations are its histogram from ``year of the snapshot - 5``
    on. The recent h and i10 need each paper's own histogram, which a crawler file of
    unfilled publications lacks: they are unavailable (None), and Scholar's recent h is at
    most the h of the totals."""
    data, scholar_id = load(sessions, name)
    with sessions() as session:
        (inputs,) = scholar_inputs(session, [scholar_id])
    since = scholar_since_year(datetime.fromisoformat(data["updated"]).year)

    assert citations_since(inputs.cites_per_year, since) == data["citedby5y"]
    assert h_index_since(inputs.papers, since) is None
    assert i10_index_since(inputs.papers, since) is None
    assert data["hindex5y"] <= (h_index(inputs.papers) or 0)


def test_baoliang_chens_recent_column_leaves_out_2018() -> None:
    """The one file whose histogram starts before its "since" year: 442 in all, 439 since
    2019 (the 3 citations of 2018 are left out), as Scholar reported."""
    data = json.loads((ORIGINALS / "Baoliang93_gs_data.json").read_text(encoding="utf-8"))
    histogram = {int(y): n for y, n in data["cites_per_year"].items()}
    assert (sum(histogram.values()), data["citedby"]) == (442, 442)
    assert citations_since(histogram, scholar_since_year(2024)) == data["citedby5y"] == 439


def test_every_stored_profile_is_read_in_one_call(sessions) -> None:
    for name in GS_DATA:
        load(sessions, name)
    with sessions() as session:
        everything = scholar_inputs(session)
    assert [i.scholar_id for i in everything] == sorted(["kA9A6LsAAAAJ", "w_WL27oAAAAJ",
                                                         "v6hF0VEAAAAJ"])  # fmt: skip
    assert [len(i.papers) for i in everything] == [19, 15, 39]  # by scholar id
    assert all(isinstance(p, Paper) and p.n_authors is None for i in everything for p in i.papers)


def test_a_publication_a_newer_snapshot_no_longer_lists_is_not_counted(
    sessions, tmp_path: Path
) -> None:
    """A constructed newer snapshot of Brian B. Moser's real file without its most cited
    publication (30 citations): after importing both, the computed numbers follow the newer
    list (70 - 30 = 40 citations), as Scholar's profile would."""
    data, scholar_id = load(sessions, "Brian-Moser_gs_data.json")
    newer = dict(data, updated="2024-09-01 08:00:00.000000")
    top = next(iter(data["publications"]))
    newer["publications"] = {k: v for k, v in data["publications"].items() if k != top}
    import_gs_data(sessions, json.dumps(newer), name="constructed_newer_Brian-Moser.json")

    with sessions() as session:
        (inputs,) = scholar_inputs(session, [scholar_id])
    assert coverage(inputs.papers) == (14, 14)
    assert citations_total(inputs.papers) == 40
    assert h_index(inputs.papers) == 4  # 12, 7, 7, 5, 4, ...


def test_a_profile_without_publications_has_no_papers(sessions) -> None:
    """A constructed dump of the real Yu Zhang profile with an empty publication list: the
    profile is read, with no papers, so h is 0 while Scholar said 8 (the dump omits them)."""
    data = json.loads((ORIGINALS / "AaronZ345_gs_data.json").read_text(encoding="utf-8"))
    import_gs_data(sessions, json.dumps(dict(data, publications={})), name="constructed.json")
    with sessions() as session:
        (inputs,) = scholar_inputs(session, ["kA9A6LsAAAAJ"])
    assert inputs.papers == () and inputs.hindex == 8
    assert (h_index(inputs.papers), citations_total(inputs.papers)) == (0, 0)


def test_filled_publications_per_year_counts_feed_the_since_year_indices(sessions) -> None:
    """A constructed variant of Brian B. Moser's real file in which every cited publication
    carries a histogram, as a filled publication page gives one: all its citations in the
    year after publication (constructed, not Scholar's numbers). Then the recent h and i10
    are available and follow those histograms."""
    data = json.loads((ORIGINALS / "Brian-Moser_gs_data.json").read_text(encoding="utf-8"))
    for pub in data["publications"].values():
        if pub["num_citations"]:
            year = int(pub["bib"]["pub_year"]) + 1
            pub.update(filled=True, cites_per_year={str(year): pub["num_citations"]})
    import_gs_data(sessions, json.dumps(data), name="constructed_filled_Brian-Moser.json")
    with sessions() as session:
        (inputs,) = scholar_inputs(session, ["v6hF0VEAAAAJ"])
    years = {p.year for p in inputs.papers if p.citations}
    assert years == {2020, 2022, 2023, 2024}  # so their citations fall in 2021, 2023-2025

    assert h_index_since(inputs.papers, 2019) == h_index(inputs.papers) == 5
    assert i10_index_since(inputs.papers, 2019) == i10_index(inputs.papers) == 2
    # from 2024 on only the papers of 2023 and later count: 30, 12, 7, 4, 3, 1, 1
    assert h_index_since(inputs.papers, 2024) == 4
    assert i10_index_since(inputs.papers, 2024) == 2
    assert h_index_since(inputs.papers, 2026) == 0
