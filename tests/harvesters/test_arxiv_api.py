"""arXiv API harvester against recorded real responses (both Atom formats)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import ARXIV_CONSTRUCTED, ARXIV_RECORDINGS

from harvesters.arxiv.api import ArxivApiClient, ArxivApiHarvester, parse_feed
from harvesters.errors import MissingIdsError, SourceHTTPError, SourceResponseError
from harvesters.http.replay import NoRecordingError, replaying
from harvesters.records import QuarantinedInput, WorkRecord


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
    assert record.pdf_url == "https://arxiv.org/pdf/1605.08386v1"
    assert record.urls == ("https://arxiv.org/abs/1605.08386v1",)
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


def test_id_with_no_result_after_the_empty_page_retries_raises_naming_it() -> None:
    # 0000.0000 is a real recorded empty answer; the other two ids are found. The found
    # records are yielded before the error, so a pipeline can store them.
    h = harvester()
    got: list[object] = []
    with replaying(ARXIV_RECORDINGS), pytest.raises(MissingIdsError) as info:
        for item in h.by_ids(["1605.08386", "0000.0000", "1707.08567"]):
            got.append(item)
    assert [r.source_id for r in got] == ["1605.08386", "1707.08567"]  # type: ignore[attr-defined]
    assert info.value.missing == ["0000.0000"]
    assert "0000.0000" in str(info.value)
    assert isinstance(info.value, SourceResponseError)
    # One request per found id, every attempt of the retry policy for the empty one.
    assert h.client.requests_made == 2 + h.client.retry.max_attempts


def test_empty_first_page_of_an_id_is_retried(tmp_path) -> None:
    # constructed: the API's random empty page, served once for the first (only) page of an
    # id look-up, then the real recording of the same URL (replay serves same-URL files in
    # file-name order). On main this reported 1 of 2 ids fetched and "succeeded".
    folder = _constructed_empty_first_page(tmp_path, "id_1707.08567_s0_m100_6a1afebfc6a3.json")
    shutil.copy(ARXIV_RECORDINGS / "id_1605.08386_s0_m100_199195aa31ad.json", folder)
    h = harvester()
    with replaying(folder):
        records = list(h.by_ids(["1605.08386", "1707.08567"]))
    assert [r.source_id for r in records] == ["1605.08386", "1707.08567"]
    assert h.client.requests_made == 3


def test_empty_first_page_of_a_search_is_retried(tmp_path) -> None:
    folder = _constructed_empty_first_page(tmp_path, "q_testing_s0_m10_bc5a6c384fe9.json")
    h = harvester(page_size=10)
    with replaying(folder):
        records = list(h.search("testing", max_results=10, sort="relevance"))
    assert len(records) == 10
    assert h.client.requests_made == 2


def _constructed_empty_first_page(tmp_path: Path, recording: str) -> Path:
    """A folder serving the real empty feed once for ``recording``'s URL, then the real page."""
    real = json.loads((ARXIV_RECORDINGS / recording).read_text())
    empty = json.loads((ARXIV_RECORDINGS / "id_0000.0000_s0_m100_8b51d9633a68.json").read_text())
    folder = tmp_path / "constructed_empty_first_page"
    folder.mkdir()
    constructed = {**empty, "url": real["url"], "note": "constructed: random empty page"}
    (folder / f"constructed_empty_first_{recording}").write_text(json.dumps(constructed))
    shutil.copy(ARXIV_RECORDINGS / recording, folder)
    return folder


@pytest.mark.parametrize("field", ["updated", "published"])
def test_malformed_date_quarantines_that_entry_and_keeps_the_others(tmp_path, field) -> None:
    # constructed: the real first page of the "testing" query with one entry's date broken.
    # On main the arxiv package's date parser raised ValueError and the command crashed.
    real = json.loads((ARXIV_RECORDINGS / "q_testing_s0_m10_bc5a6c384fe9.json").read_text())
    body = real["body"]
    start = body.index(f"<{field}>", body.index("<entry>"))
    end = body.index(f"</{field}>", start)
    real["body"] = body[:start] + f"<{field}>2017-13-45T99:99:99Z" + body[end:]
    folder = tmp_path / "constructed_bad_date"
    folder.mkdir()
    (folder / f"constructed_bad_{field}_q_testing_s0_m10.json").write_text(json.dumps(real))
    with replaying(folder):
        items = list(harvester(page_size=10).search("testing", max_results=10, sort="relevance"))
    bad = [i for i in items if isinstance(i, QuarantinedInput)]
    assert len(items) == 10 and len(bad) == 1
    assert "2017-13-45" in bad[0].reason and bad[0].raw.startswith("<entry")
    assert bad[0].source_id and bad[0].source_id.startswith("http://arxiv.org/abs/")
    assert all(isinstance(i, WorkRecord) for i in items if i is not bad[0])


def test_parse_feed_rejects_a_body_that_is_not_an_atom_feed() -> None:
    for body in (b"", b"<html><body>oops</body></html>", b"<feed"):
        with pytest.raises(SourceResponseError):
            parse_feed(body, "https://export.arxiv.org/api/query?x")


def test_multi_doi_field_keeps_every_doi_without_a_trailing_comma(tmp_path) -> None:
    # constructed: the real classic-format entry with the multi-DOI field arXiv really serves
    # for some papers (comma and semicolon separated).
    real = json.loads(
        (
            ARXIV_RECORDINGS / "wrapped_2016_search_au_del_maestro_AND_ti_checkerboard_s0_m10.json"
        ).read_text()
    )
    real["body"] = real["body"].replace(
        ">10.1103/PhysRevB.74.024520</arxiv:doi>",
        ">10.1103/physrevd.93.016005, 10.1/x; 10.2/y</arxiv:doi>",
    )
    page = parse_feed(real["body"].encode(), real["url"])
    (item,) = page.items
    record = item.item
    assert isinstance(record, WorkRecord)
    assert record.identifiers["doi"] == "10.1103/physrevd.93.016005"
    assert record.other_identifiers == (("doi", "10.1/x"), ("doi", "10.2/y"))


def test_pdf_and_doi_links_are_not_stored_as_pages() -> None:
    with replaying(ARXIV_RECORDINGS):
        (record,) = list(
            harvester(page_size=10).search("au:del_maestro AND ti:checkerboard", sort="relevance")
        )
    assert record.urls == ("http://arxiv.org/abs/cond-mat/0603029v1",)
    assert record.pdf_url == "http://arxiv.org/pdf/cond-mat/0603029v1"
    assert not any("doi.org" in u for u in record.urls)
    assert record.identifiers["doi"] == "10.1103/physrevb.74.024520"


def test_ids_pipeline_stores_the_found_records_and_fails_the_run_naming_missing_ids(
    sessions,
) -> None:
    from sqlalchemy import select

    from flows.pipelines.arxiv import harvest_arxiv_ids
    from flows.runtime import arxiv_api_harvester
    from models import HarvestRun, SourceRecord

    with replaying(ARXIV_RECORDINGS), pytest.raises(MissingIdsError):
        harvest_arxiv_ids(sessions, arxiv_api_harvester(replay=True), ["1605.08386", "0000.0000"])
    with sessions() as s:
        (run,) = s.scalars(select(HarvestRun)).all()
        assert run.status == "failed"
        assert "0000.0000" in (run.error or "")
        assert [r.source_id for r in s.scalars(select(SourceRecord))] == ["1605.08386"]


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
