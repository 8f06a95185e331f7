"""arXiv API harvester against recorded real responses (both Atom formats)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from conftest import ARXIV_CONSTRUCTED, ARXIV_RECORDINGS

from harvesters.arxiv.api import ArxivApiClient, ArxivApiHarvester
from harvesters.errors import SourceHTTPError
from harvesters.http.replay import NoRecordingError, replaying
from harvesters.records import WorkRecord


class SleepLog:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def harvester(page_size: int = 100, sleep: SleepLog | None = None) -> ArxivApiHarvester:
    return ArxivApiHarvester(
        ArxivApiClient(page_size=page_size, delay_seconds=3.0, sleep=sleep or SleepLog())
    )


def test_new_atom_format_fields_match_the_recording() -> None:
    with replaying(ARXIV_RECORDINGS):
        (record,) = list(harvester().by_ids(["1605.08386"]))
    assert isinstance(record, WorkRecord)
    assert record.source == "arxiv-api"
    assert record.source_id == "1605.08386"
    assert record.version == 1
    assert record.identifiers == {"arxiv": "1605.08386"}
    assert record.title == "Heat-bath random walks with Markov bases"
    assert record.abstract is not None
    assert record.abstract.startswith("Graphs on lattice points are studied")
    assert [a.name for a in record.authors] == ["Caprice Stanley", "Tobias Windisch"]
    assert record.categories == ("math.CO", "math.ST")
    assert record.primary_category == "math.CO"
    assert record.comment == "20 pages, 3 figures"
    assert record.published == date(2016, 5, 26)
    assert record.updated == date(2016, 5, 26)
    assert record.year == 2016
    assert "https://arxiv.org/pdf/1605.08386v1" in record.urls
    # The raw payload is the recorded <entry>, namespaces included.
    assert record.raw.startswith("<entry")
    assert "<title>Heat-bath random walks with Markov bases</title>" in record.raw


def test_versioned_and_old_style_ids() -> None:
    with replaying(ARXIV_RECORDINGS):
        records = list(harvester().by_ids(["2104.12255v1", "astro-ph/0601001"]))
    assert [(r.source_id, r.version) for r in records] == [
        ("2104.12255", 1),
        ("astro-ph/0601001", 1),
    ]
    assert records[0].title == "0"  # a real title; not mistaken for "missing"


def test_classic_atom_format_fields_match_the_recording() -> None:
    with replaying(ARXIV_RECORDINGS):
        records = list(
            harvester(page_size=10).search("au:del_maestro AND ti:checkerboard", sort="relevance")
        )
    (record,) = records
    assert isinstance(record, WorkRecord)
    assert record.source_id == "cond-mat/0603029"
    assert record.identifiers == {"arxiv": "cond-mat/0603029", "doi": "10.1103/physrevb.74.024520"}
    assert record.title == (
        "From stripe to checkerboard order on the square lattice in the presence of quenched "
        "disorder"
    )
    assert [a.name for a in record.authors] == [
        "Adrian Del Maestro",
        "Bernd Rosenow",
        "Subir Sachdev",
    ]
    assert record.journal_ref == "Phys. Rev. B 74, 024520 (2006)"
    assert record.comment == "10 pages, 11 figures; added reference"
    assert record.primary_category == "cond-mat.str-el"
    assert record.categories == ("cond-mat.str-el", "cond-mat.supr-con")


def test_paging_follows_the_recorded_pages_with_the_politeness_delay() -> None:
    sleep = SleepLog()
    h = harvester(page_size=10, sleep=sleep)
    with replaying(ARXIV_RECORDINGS) as recordings:
        records = list(h.search("testing", max_results=60, sort="relevance"))
    assert len(records) == 60
    assert len({r.source_id for r in records}) == 60
    assert h.client.requests_made == 6
    # Five waits between six requests, none shorter than what is left of 3 s.
    assert len(sleep.calls) == 5
    assert all(0 < s <= 3.0 for s in sleep.calls)
    unused = {p.name for p in recordings.unused()}
    paged = {p.name for p in ARXIV_RECORDINGS.glob("q_testing_s*_m10_*.json")}
    paged.discard("q_testing_s0_m10_df962dbeea2e.json")  # another query's URL
    assert len(paged) == 6 and not paged & unused


def test_error_feed_gives_a_clear_error_without_retrying() -> None:
    h = harvester()
    with replaying(ARXIV_RECORDINGS), pytest.raises(SourceHTTPError) as info:
        list(h.by_ids(["abc"]))
    assert info.value.status == 400
    assert "incorrect id format for abc" in str(info.value)
    assert not info.value.transient
    assert h.client.requests_made == 1


def test_empty_result_is_not_an_error() -> None:
    with replaying(ARXIV_RECORDINGS):
        assert list(harvester().by_ids(["0000.0000"])) == []


def test_503_with_retry_after_is_retried(replay_dir) -> None:
    folder = replay_dir(
        ARXIV_CONSTRUCTED / "constructed_503_retry_after_q_testing_s0_m10.json",
        ARXIV_RECORDINGS / "q_testing_s0_m10_bc5a6c384fe9.json",
    )
    sleep = SleepLog()
    h = harvester(page_size=10, sleep=sleep)
    with replaying(folder):
        records = list(h.search("testing", max_results=10, sort="relevance"))
    assert len(records) == 10
    assert h.client.requests_made == 2
    assert 7.0 in sleep.calls  # Retry-After: 7 beats the 3 s backoff


def test_random_empty_page_is_retried(replay_dir) -> None:
    folder = replay_dir(
        ARXIV_RECORDINGS / "q_testing_s0_m10_bc5a6c384fe9.json",
        ARXIV_CONSTRUCTED / "constructed_empty_page_q_testing_s10_m10.json",
        ARXIV_RECORDINGS / "q_testing_s10_m10_34e56e15aaac.json",
    )
    h = harvester(page_size=10)
    with replaying(folder):
        records = list(h.search("testing", max_results=20, sort="relevance"))
    assert len(records) == 20
    assert h.client.requests_made == 3  # page 1, empty page 2, page 2 again


def test_persistent_503_fails_after_the_retry_budget(replay_dir) -> None:
    folder = replay_dir(ARXIV_CONSTRUCTED / "constructed_503_retry_after_q_testing_s0_m10.json")
    h = harvester(page_size=10)
    with replaying(folder), pytest.raises(SourceHTTPError) as info:
        list(h.search("testing", max_results=10, sort="relevance"))
    assert info.value.status == 503 and info.value.transient
    assert h.client.requests_made == h.client.retry.max_attempts


def test_paging_stops_at_the_first_result_older_than_the_cursor(replay_dir, tmp_path) -> None:
    # The recorded page lists 10 of 31 results; a second page was never recorded, so a request
    # for it would fail with NoRecordingError. The constructed URL pairs the real body with a
    # date-sorted query (the real order: 2012-01-23, then 2004-12-19, ...).
    import json

    src = json.loads(
        (ARXIV_RECORDINGS / "wrapped_2016_search_au_del_maestro_s0_m10.json").read_text()
    )
    src["url"] = src["url"].replace("sortBy=relevance", "sortBy=lastUpdatedDate")
    folder = tmp_path / "dated"
    folder.mkdir()
    (folder / "constructed_date_sorted_au_del_maestro.json").write_text(json.dumps(src))
    h = harvester(page_size=10)
    since = datetime(2012, 1, 1, tzinfo=UTC)
    with replaying(folder):
        records = list(h.search("au:del_maestro", since=since))
    assert [r.source_id for r in records] == ["1201.4869"]
    assert h.client.requests_made == 1
    with replaying(folder), pytest.raises(NoRecordingError):
        list(harvester(page_size=10).search("au:del_maestro"))  # no cursor: wants page 2
