"""arXiv OAI-PMH harvester against recorded real ListRecords responses."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import ARXIV_CONSTRUCTED, ARXIV_RECORDINGS, FIXTURES

from harvesters.arxiv.oai import ArxivOaiHarvester, parse_list_records
from harvesters.errors import OaiPmhError, SourceResponseError
from harvesters.http.client import PoliteHttpClient
from harvesters.http.replay import replaying
from harvesters.records import QuarantinedInput, WorkRecord

ORIGINALS = FIXTURES / "arxiv" / "originals"


def oai(sleeps: list[float] | None = None) -> ArxivOaiHarvester:
    log = sleeps if sleeps is not None else []
    return ArxivOaiHarvester(PoliteHttpClient(min_interval=3.0, sleep=log.append))


def test_arxiv_format_fields_match_the_recording() -> None:
    page = parse_list_records(
        (ORIGINALS / "hepcrawl_arxiv-physics-hep-th.xml").read_bytes(), "test", "arXiv"
    )
    assert page is not None
    assert page.resumption_token is None
    records = [r for r in page.items if isinstance(r, WorkRecord)]
    assert [r.source_id for r in records] == ["1412.8323", "1507.07790", "1607.01710"]
    first = records[0]
    assert first.source == "arxiv-oai"
    assert first.source_id == "1412.8323"
    assert first.title == (
        "Toolbox for reconstructing quantum theory from rules on information acquisition"
    )
    assert [a.name for a in first.authors] == ["Philipp A Hoehn"]
    assert first.categories == (
        "quant-ph",
        "gr-qc",
        "hep-th",
        "math-ph",
        "math.MP",
        "physics.hist-ph",
    )
    assert first.primary_category == "quant-ph"
    assert first.published == date(2014, 12, 29)
    assert first.updated == date(2017, 12, 13)
    assert first.abstract is not None
    assert first.abstract.startswith("We develop an operational approach")
    assert "\n" not in first.abstract
    assert first.comment is not None and first.comment.startswith("78 pages, many figures")
    assert first.datestamp == "2017-12-14"
    assert first.raw.startswith("<record") and "<id>1412.8323</id>" in first.raw


def test_oai_dc_format_fields_and_resumption_token() -> None:
    page = parse_list_records(
        (ORIGINALS / "atomiklabs_test_arxiv_data_oai_dc_resumptiontoken.xml").read_bytes(),
        "test",
        "oai_dc",
    )
    assert page is not None
    assert page.resumption_token == "6960524|1001"
    assert page.cursor == 0 and page.complete_list_size == 1162
    records = [r for r in page.items if isinstance(r, WorkRecord)]
    assert len(records) == 5
    first = records[0]
    assert first.source_id == "1303.2033"
    assert first.title == "Extended Fourier analysis of signals"
    assert [a.name for a in first.authors] == ["Vilnis Liepins"]  # "Liepins, Vilnis"
    assert first.categories[:2] == (
        "Computer Science - Data Structures and Algorithms",
        "Computer Science - Information Theory",
    )
    last = records[-1]
    assert last.source_id == "2401.14040"
    assert last.comment == "Accepted to the Findings of EACL 2024"
    assert last.abstract is not None and not last.abstract.startswith("Comment:")


def test_window_follows_the_resumption_token_to_the_end() -> None:
    with replaying(ARXIV_RECORDINGS):
        pages = list(
            oai().pages(
                set_spec="cs", since=date(2024, 1, 25), until=None, metadata_prefix="oai_dc"
            )
        )
    assert [p.resumption_token for p in pages] == ["6960524|1001", None]
    assert sum(len(p.items) for p in pages) == 5


def test_resuming_from_a_token_skips_the_pages_before_it() -> None:
    with replaying(ARXIV_RECORDINGS):
        pages = list(
            oai().pages(
                set_spec="physics:hep-th",
                since=date(2017, 12, 1),
                until=date(2017, 12, 14),
                resumption_token="constructed|2",
            )
        )
    assert len(pages) == 1
    assert [r.source_id for r in pages[0].items if isinstance(r, WorkRecord)] == ["1607.01710"]


def test_503_retry_after_is_honoured(replay_dir) -> None:
    folder = replay_dir(
        ARXIV_CONSTRUCTED / "constructed_503_retry_after_oai_dc_cs_page1.json",
        ARXIV_RECORDINGS / "wrapped_oai_dc_cs_2024-01-25_page1.json",
        ARXIV_RECORDINGS / "constructed_oai_dc_cs_final_page.json",
    )
    sleeps: list[float] = []
    with replaying(folder):
        pages = list(
            oai(sleeps).pages(
                set_spec="cs", since=date(2024, 1, 25), until=None, metadata_prefix="oai_dc"
            )
        )
    assert sum(len(p.items) for p in pages) == 5
    assert 5.0 in sleeps


def test_no_records_match_is_an_empty_window() -> None:
    body = (
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01'
        b'</responseDate><request>x</request><error code="noRecordsMatch">none</error></OAI-PMH>'
    )
    assert parse_list_records(body, "constructed", "arXiv") is None


def test_oai_errors_and_malformed_xml_are_clear() -> None:
    body = (
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="badResumptionToken">'
        b"expired</error></OAI-PMH>"
    )
    with pytest.raises(OaiPmhError, match="badResumptionToken: expired"):
        parse_list_records(body, "constructed", "arXiv")
    truncated = (ORIGINALS / "hepcrawl_arxiv-physics-hep-th.xml").read_bytes()[:3000]
    with pytest.raises(SourceResponseError, match="malformed OAI-PMH XML"):
        parse_list_records(truncated, "constructed", "arXiv")


def test_a_record_without_an_id_is_quarantined_not_fatal() -> None:
    xml = (ORIGINALS / "hepcrawl_arxiv-physics-hep-th.xml").read_text()
    broken = xml.replace("<id>1412.8323</id>", "<id></id>", 1).encode()
    page = parse_list_records(broken, "constructed", "arXiv")
    assert page is not None
    bad = [i for i in page.items if isinstance(i, QuarantinedInput)]
    good = [i for i in page.items if isinstance(i, WorkRecord)]
    assert len(bad) == 1 and len(good) == 2
    assert bad[0].source_id == "oai:arXiv.org:1412.8323"
    assert "not an arXiv identifier" in bad[0].reason
    assert "Toolbox for reconstructing" in bad[0].raw


def test_multi_doi_field_keeps_every_doi_without_a_trailing_comma() -> None:
    # constructed: the real hep-th page with its first DOI field listing three DOIs, as
    # arXiv serves for some papers. On main the identifier was "10.1088/1751-8121/aa9c53,".
    body = (ORIGINALS / "hepcrawl_arxiv-physics-hep-th.xml").read_bytes()
    body = body.replace(
        b"<doi>10.1088/1751-8121/aa9c53<",
        b"<doi>10.1088/1751-8121/aa9c53, 10.1/x; 10.2/y<",
    )
    page = parse_list_records(body, "constructed", "arXiv")
    assert page is not None
    (record,) = [
        r
        for r in page.items
        if isinstance(r, WorkRecord)
        and r.identifiers.get("doi")
        and r.identifiers["doi"].startswith("10.1088/")
    ]
    assert record.identifiers["doi"] == "10.1088/1751-8121/aa9c53"
    assert record.other_identifiers == (("doi", "10.1/x"), ("doi", "10.2/y"))


def test_unicode_digits_in_resumption_token_attributes_are_ignored() -> None:
    # constructed: "²" passes str.isdigit() but int() rejects it (found by fuzzing).
    body = (ORIGINALS / "atomiklabs_test_arxiv_data_oai_dc_resumptiontoken.xml").read_bytes()
    body = body.replace(b'completeListSize="1162"', 'completeListSize="1²"'.encode())
    page = parse_list_records(body, "constructed", "oai_dc")
    assert page is not None and page.complete_list_size is None
