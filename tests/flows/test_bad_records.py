"""One bad record never ends a run, on PostgreSQL as on SQLite (issue 14, item 5).

PostgreSQL refuses a NUL byte in text, a string longer than its column and an integer out
of its column's range; SQLite stores them. Each case below used to abort the whole run on
PostgreSQL. Now NUL bytes are dropped, and a record that cannot be stored is quarantined
with the reason while the rest of its batch is stored. Every bad value is constructed (named
so in each test) on top of real fixtures.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from flows.cli.main import main
from flows.pipelines.acl import harvest_acl_venue
from flows.pipelines.runs import RunTracker, load_items
from flows.pipelines.scholar import harvest_scholar_profiles, import_gs_data
from harvesters.acl.data import LocalAnthology
from harvesters.github.harvester import RepositoryRecord
from harvesters.http.replay import replaying
from harvesters.records import QuarantinedInput, WorkRecord
from harvesters.scholar.client import ScholarClient
from harvesters.scholar.harvester import ScholarHarvester
from harvesters.scholar.settings import ScholarSettings
from models.github import store as github_store
from models.github.tables import GitHubRepository, GitHubRepositorySnapshot
from models.provenance import HarvestRun, QuarantinedRecord, SourceRecord
from models.queries import add_tracked_author
from models.runs import start_run
from models.scholar.store import ScholarTarget
from models.scholar.tables import ScholarProfile, ScholarPublication
from models.works import Work

ACL_XML = sorted((FIXTURES / "acl" / "xml").glob("*.xml"))
GS_DATA = FIXTURES / "scholar" / "originals" / "Brian-Moser_gs_data.json"


def quarantined(sessions: sessionmaker[Session]) -> list[QuarantinedRecord]:
    with sessions() as session:
        return list(session.scalars(select(QuarantinedRecord).order_by(QuarantinedRecord.id)))


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --------------------------------------------------------------------------- ACL


def test_acl_file_with_a_nul_byte_is_quarantined_and_the_other_files_load(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "acl" / "data" / "xml"
    folder.mkdir(parents=True)
    for path in ACL_XML:
        shutil.copy(path, folder / path.name)
    target = folder / ACL_XML[0].name
    content = target.read_bytes()
    cut = content.index(b"<title>") + 10
    target.write_bytes(content[:cut] + b"\x00" + content[cut:])  # constructed: one NUL byte

    summary = harvest_acl_venue(sessions, LocalAnthology(tmp_path / "acl"), None, year_from=2020)

    assert summary.status == "partial"
    assert summary.counts["quarantined"] == 1
    assert summary.counts["inserted"] > 0
    (row,) = quarantined(sessions)
    assert row.source_id == ACL_XML[0].stem
    assert "\x00" not in row.payload
    assert row.payload == content.decode()  # the file as it was, the NUL byte aside


# --------------------------------------------------------------------------- Scholar


def gs_data(**changes: object) -> dict:
    data = json.loads(GS_DATA.read_text())
    data.update(changes)
    return data


def test_gs_data_nul_bytes_in_name_and_title_are_dropped(sessions: sessionmaker[Session]) -> None:
    data = gs_data(name="Brian\x00 B. Moser")  # constructed: NUL bytes
    first = next(iter(data["publications"].values()))
    first["bib"]["title"] = "Hitchhiker's\x00 Guide"
    summary = import_gs_data(sessions, json.dumps(data), name="constructed_nul.json")

    assert summary.status == "succeeded", summary.error
    with sessions() as session:
        assert session.scalars(select(ScholarProfile.name)).one() == "Brian B. Moser"
        titles = set(session.scalars(select(ScholarPublication.title)))
        assert "Hitchhiker's Guide" in titles
        assert "Hitchhiker's Guide" in set(session.scalars(select(Work.title)))
    assert quarantined(sessions) == []


def test_gs_data_citedby_10_to_the_12_quarantines_the_profile_not_the_run(
    sessions: sessionmaker[Session],
) -> None:
    data = gs_data(citedby=10**12)  # constructed: beyond a 32-bit integer
    summary = import_gs_data(sessions, json.dumps(data), name="constructed_big.json")

    assert summary.status == "partial"
    (row,) = quarantined(sessions)
    assert row.source_id == "v6hF0VEAAAAJ"
    assert "citedby" in row.reason and "1000000000000" in row.reason
    assert count(sessions, Work) == 15  # the publications' records are still stored


def test_gs_data_publication_with_10_to_the_12_citations_is_quarantined_alone(
    sessions: sessionmaker[Session],
) -> None:
    data = gs_data()
    first_id, first = next(iter(data["publications"].items()))
    first["num_citations"] = 10**12  # constructed: beyond a 32-bit integer
    summary = import_gs_data(sessions, json.dumps(data), name="constructed_big_pub.json")

    assert summary.status == "partial"
    (row,) = quarantined(sessions)
    assert row.source_id == first_id
    assert "num_citations" in row.reason
    assert count(sessions, ScholarPublication) == 14
    assert count(sessions, Work) == 14


def test_gs_data_import_of_a_bad_record_exits_1(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "constructed_gs_data.json"
    path.write_text(json.dumps(gs_data(citedby=10**12)))
    assert main(["-q", "--database-url", database_url, "import", "gs-data", str(path)]) == 1


# --------------------------------------------------------------------------- GitHub

GOOD = RepositoryRecord(
    full_name="PyGithub/PyGithub",
    raw='{"id": 3544490}',
    raw_format="rest-json",
    via="rest",
    github_id=3544490,
    stars=7122,
    description="Typed interactions with the GitHub API v3",
)


def test_github_bad_repositories_are_quarantined_and_the_batch_is_stored(
    sessions: sessionmaker[Session],
) -> None:
    # constructed: one good record, then a NUL byte, a 10**12 star count, a 100-char language
    records = [
        GOOD,
        dataclasses.replace(
            GOOD, full_name="a/nul", github_id=1, raw='{"id": 1}', description="x\x00y"
        ),
        dataclasses.replace(GOOD, full_name="a/stars", github_id=2, raw='{"id": 2}', stars=10**12),
        dataclasses.replace(
            GOOD, full_name="a/lang", github_id=3, raw='{"id": 3}', language="L" * 100
        ),
    ]
    with sessions() as session:
        run_id = start_run(session, "github", "repositories", {}).id
        counts, ids = github_store.store_records(session, run_id, records)
        session.commit()
    assert (counts.fetched, counts.inserted, counts.quarantined) == (4, 2, 2)
    assert len(ids) == 2
    with sessions() as session:
        rows = dict(
            session.execute(select(GitHubRepository.full_name, GitHubRepository.stars))
            .tuples()
            .all()
        )
        assert rows == {"PyGithub/PyGithub": 7122, "a/nul": 7122}
        description = session.scalar(
            select(GitHubRepository.description).where(GitHubRepository.full_name == "a/nul")
        )
        assert description == "xy"
        assert count(sessions, GitHubRepositorySnapshot) == 2
    reasons = {q.source_id: q.reason for q in quarantined(sessions)}
    assert set(reasons) == {"a/stars", "a/lang"}
    assert "stars" in reasons["a/stars"] and "language" in reasons["a/lang"]


# --------------------------------------------------------------------------- loader path


def _record(source_id: str, **changes: object) -> WorkRecord:
    base = WorkRecord(
        source="constructed",
        source_id=source_id,
        title=f"A constructed paper {source_id}",
        raw=f"<entry>constructed {source_id}</entry>",
        raw_format="xml",
        year=2024,
    )
    return dataclasses.replace(base, **changes)


def test_nul_bytes_in_work_records_are_dropped(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        run_id = start_run(session, "constructed", "test", {}).id
        counts = load_items(
            session,
            run_id,
            [_record("1", title="Nul\x00 title", abstract="a\x00b", raw="<e>\x00</e>")],
        )
        session.commit()
        assert counts.inserted == 1
        assert session.scalars(select(Work.title)).one() == "Nul title"
        assert session.scalars(select(SourceRecord.payload)).one() == "<e></e>"


@pytest.mark.parametrize(
    "bad",
    [
        {"identifiers": {"doi": "10.1/" + "d" * 300}},  # constructed: a 305-char DOI
        {"primary_category": "c" * 65},  # constructed: over String(64)
    ],
    ids=["doi-over-255", "primary-category-over-64"],
)
def test_an_unstorable_work_record_is_quarantined_and_the_batch_stored(
    sessions: sessionmaker[Session], bad: dict
) -> None:
    with sessions() as session:
        run_id = start_run(session, "constructed", "test", {}).id
        counts = load_items(session, run_id, [_record("1"), _record("2", **bad), _record("3")])
        session.commit()
    assert (counts.inserted, counts.quarantined, counts.fetched) == (2, 1, 3)
    (row,) = quarantined(sessions)
    assert row.source_id == "2" and "rejected" in row.reason
    assert count(sessions, Work) == 2


def test_quarantine_rows_and_run_errors_cannot_fail_the_write(
    sessions: sessionmaker[Session],
) -> None:
    run = RunTracker(sessions, "constructed", "test", {"note": "nul\x00 in params"})
    long_id = "x" * 400  # constructed: over String(255)
    counts = load_items(
        run.session,
        run.run.id,
        [QuarantinedInput("constructed", "why\x00", "raw\x00 payload", long_id)],
    )
    run.commit_batch(counts, {"cursor": "nul\x00"})
    run.fail(ValueError("an error echoing a payload \x00"))
    (row,) = quarantined(sessions)
    assert row.payload == "raw payload" and row.source_id == long_id[:255]
    with sessions() as session:
        stored = session.scalars(select(HarvestRun)).one()
        assert stored.status == "failed"
        assert stored.error == "ValueError: an error echoing a payload "
        assert stored.params == {"note": "nul in params"}


# --------------------------------------------------------------------------- Scholar HTML


def test_nul_bytes_in_a_harvested_scholar_profile_page_are_dropped(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A profile page whose name and first title carry a NUL byte (constructed on the real
    recorded page of Anne Kietzig) is stored without them, on PostgreSQL as on SQLite."""
    recorded = FIXTURES / "scholar" / "recordings" / "wrapped_profile_8daWuo4AAAAJ.json"
    page = json.loads(recorded.read_text())
    title = "Interaction of oxygen functionalized multi-walled carbon nanotube nanofluids"
    assert title in page["body"] and ">Anne Kietzig<" in page["body"]
    page["body"] = (
        page["body"]
        .replace(">Anne Kietzig<", ">Anne\x00 Kietzig<")
        .replace(title, title.replace("oxygen", "oxy\x00gen"), 1)
    )
    page["note"] = "constructed: the recorded page with two NUL bytes added"
    recordings = tmp_path / "nul"
    recordings.mkdir()
    (recordings / recorded.name).write_text(json.dumps(page))
    with sessions.begin() as session:
        add_tracked_author(session, "Anne Kietzig", scholar_id="8daWuo4AAAAJ")
    client = ScholarClient(ScholarSettings(delay_seconds=0.0), sleep=lambda _s: None)
    day = datetime(2026, 11, 20, 9, tzinfo=UTC)
    with replaying(recordings):
        summary = harvest_scholar_profiles(
            sessions,
            ScholarHarvester(client),
            [ScholarTarget("Anne Kietzig", "8daWuo4AAAAJ")],
            now=lambda: day,
        )

    assert summary.status == "succeeded", summary.error
    with sessions() as session:
        stored = session.scalar(
            select(ScholarProfile).where(ScholarProfile.scholar_id == "8daWuo4AAAAJ")
        )
        assert stored is not None and stored.name == "Anne Kietzig"
        titles = list(session.scalars(select(ScholarPublication.title)))
        assert titles and not any("\x00" in t for t in titles)
        assert any(t.startswith(title) for t in titles)
