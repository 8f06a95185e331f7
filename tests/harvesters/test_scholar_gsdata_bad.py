"""Bad gs_data.json files: a clear GsDataError naming the file and the field, or the one
publication quarantined, never a traceback. Each bad file is constructed from the real
AcadHomepage dump tests/fixtures/scholar/originals/AaronZ345_gs_data.json with one change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from harvesters.errors import HarvestError
from harvesters.records import QuarantinedInput
from harvesters.scholar.gsdata import GsDataError, decode_gs_data, read_gs_data

REAL = FIXTURES / "scholar" / "originals" / "AaronZ345_gs_data.json"
FIRST_PUB = "kA9A6LsAAAAJ:u5HHmVD_uO8C"


def real() -> dict[str, Any]:
    return json.loads(REAL.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"citedby": "abc"}, "'citedby'"),
        ({"hindex": [8]}, "'hindex'"),
        ({"cites_per_year": [17, 164]}, "'cites_per_year'"),
        ({"cites_per_year": {"2024": "many"}}, "'cites_per_year'"),
        ({"name": {"first": "Yu"}}, "'name'"),
    ],
)
def test_bad_profile_field_is_a_clear_error_naming_file_and_field(
    change: dict[str, Any], field: str
) -> None:
    data = {**real(), **change}
    with pytest.raises(GsDataError) as info:
        read_gs_data(json.dumps(data), origin="constructed_gs_data.json")
    assert field in str(info.value) and "constructed_gs_data.json" in str(info.value)
    assert isinstance(info.value, HarvestError)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"num_citations": "twelve"}, "'num_citations'"),
        ({"num_citations": 2**70}, "'num_citations'"),
        ({"bib": "Stylesinger"}, "'bib'"),
        ({"bib": ["Stylesinger"]}, "'bib'"),
        ({"cites_per_year": [1, 2]}, "'cites_per_year'"),
    ],
)
def test_bad_publication_field_quarantines_that_publication(
    change: dict[str, Any], field: str
) -> None:
    data = real()
    total = len(data["publications"])
    data["publications"][FIRST_PUB] = {**data["publications"][FIRST_PUB], **change}
    snapshot = read_gs_data(json.dumps(data), origin="constructed_gs_data.json")
    assert len(snapshot.publications) == total - 1
    (bad,) = snapshot.quarantined
    assert isinstance(bad, QuarantinedInput)
    assert bad.source_id == FIRST_PUB and field in bad.reason
    assert json.loads(bad.raw)["author_pub_id"] == FIRST_PUB
    # What is kept can be turned into observations and records without error.
    snapshot.profile.observations()
    for pub in snapshot.publications:
        pub.observations()
        pub.work_record()


def test_deeply_nested_json_is_a_clear_error() -> None:
    text = '{"container_type": "Author", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(GsDataError, match="nested too deeply"):
        read_gs_data(text, origin="deep.json")


def test_latin1_file_is_a_clear_error_naming_the_file() -> None:
    raw = REAL.read_text(encoding="utf-8").replace("Yu Zhang", "Yü Zhang").encode("latin-1")
    with pytest.raises(GsDataError, match=r"latin1_gs_data\.json: not UTF-8"):
        decode_gs_data(raw, "latin1_gs_data.json")


def test_import_command_reports_a_latin1_file_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli.main import main

    bad = tmp_path / "latin1_gs_data.json"
    bad.write_bytes(
        REAL.read_text(encoding="utf-8").replace("Yu Zhang", "Yü Zhang").encode("latin-1")
    )
    monkeypatch.setenv("SCHOLARFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["import", "gs-data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "latin1_gs_data.json" in err
    assert "Traceback" not in err


def test_import_stores_the_good_publications_and_quarantines_the_bad_one(sessions) -> None:
    from flows.pipelines.scholar import import_gs_data

    data = real()
    total = len(data["publications"])
    data["publications"][FIRST_PUB]["num_citations"] = "twelve"
    summary = import_gs_data(sessions, json.dumps(data), name="constructed_gs_data.json")
    assert summary.status == "partial"  # a quarantined publication: visibly not clean
    assert summary.counts["quarantined"] == 1
    assert summary.counts["inserted"] == total - 1


def test_superscript_digit_year_is_no_year_not_a_crash() -> None:
    # Found by fuzzing: "²".isdigit() is true but int("²") raises ValueError.
    from harvesters.scholar.harvester import ScholarPublication

    data = real()
    pub = {**data["publications"][FIRST_PUB], "bib": {"title": "T", "pub_year": "²"}}
    record = ScholarPublication("kA9A6LsAAAAJ", 0, pub).work_record()
    assert record.year is None
