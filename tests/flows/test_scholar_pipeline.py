"""The Google Scholar pipeline on SQLite and PostgreSQL, from the recorded pages.

Harvest (idempotent the same day, history on a later day), blocked runs (CAPTCHA: run
status, nothing lost, the next run continues), gs_data.json import/export, and secrets.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from flows.cli.main import main
from flows.pipelines.scholar import (
    CURSOR_KEY,
    export_gs_data,
    harvest_scholar_profiles,
    import_gs_data,
    scholar_settings,
)
from harvesters.http.replay import replaying
from harvesters.scholar.client import ScholarClient
from harvesters.scholar.gsdata import GsDataError
from harvesters.scholar.harvester import ScholarHarvester
from harvesters.scholar.settings import ScholarSettings
from models.base import Base
from models.engine import make_engine
from models.migrate import upgrade
from models.provenance import HarvestRun, SourceRecord
from models.queries import add_tracked_author, list_works
from models.runs import get_cursor
from models.scholar.store import ScholarTarget, tracked_scholar_targets
from models.scholar.tables import ScholarObservation, ScholarProfile, ScholarPublication
from models.works import Work

SCHOLAR = FIXTURES / "scholar"
REC = SCHOLAR / "recordings"
BLOCKED = SCHOLAR / "blocked"
KIETZIG, FAN, KOENIG = "8daWuo4AAAAJ", "5cEG4tIAAAAJ", "xD9IjnYAAAAJ"
DAY1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
GS_DATA = ["AaronZ345_gs_data.json", "Baoliang93_gs_data.json", "Brian-Moser_gs_data.json"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def profile(scholar_id: str, folder: Path = REC) -> Path:
    prefix = "wrapped_captcha_profile_" if folder == BLOCKED else "wrapped_profile_"
    return folder / f"{prefix}{scholar_id}.json"


def track_all(sessions: sessionmaker[Session]) -> list[ScholarTarget]:
    with sessions() as session:
        add_tracked_author(session, "Anne Kietzig", scholar_id=KIETZIG)
        add_tracked_author(session, "Junqiao Fan", scholar_id=FAN)
        add_tracked_author(session, "Matthias König", scholar_id=KOENIG)
        session.commit()
        return tracked_scholar_targets(session)


def harvester(clock: FakeClock | None = None, **settings: Any) -> ScholarHarvester:
    clock = clock or FakeClock()
    values = {"delay_seconds": 0.0, **settings}
    return ScholarHarvester(
        ScholarClient(ScholarSettings(**values), clock=clock, sleep=clock.sleep)
    )


def harvest(sessions, targets, recordings: Path, day: datetime, **kwargs: Any):  # type: ignore[no-untyped-def]
    with replaying(recordings):
        return harvest_scholar_profiles(
            sessions,
            kwargs.pop("harvester", None) or harvester(),
            targets,
            now=lambda: day,
            **kwargs,
        )


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows of every table except harvest_run (one row per run by design)."""
    with sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
            if name not in ("harvest_run", "metrics_change")
        }


def observations(sessions, subject: str) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        rows = session.execute(
            select(
                ScholarObservation.metric, ScholarObservation.observed_on, ScholarObservation.value
            ).where(ScholarObservation.subject == subject)
        )
        return {(metric, day.isoformat()): value for metric, day, value in rows}


# --------------------------------------------------------------------------- harvest


def test_a_harvest_stores_profiles_observations_and_works(sessions, replay_dir) -> None:
    targets = track_all(sessions)

    summary = harvest(sessions, targets, replay_dir(REC), DAY1)

    assert summary.status == "succeeded", summary.error
    assert summary.counts == {
        "fetched": 15,
        "inserted": 15,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 0,
    }
    with sessions() as session:
        row = session.scalar(select(ScholarProfile).where(ScholarProfile.scholar_id == KIETZIG))
        assert row is not None
        assert (row.citedby, row.citedby5y, row.hindex, row.hindex5y) == (1338, 1149, 17, 16)
        assert (row.i10index, row.i10index5y, row.recent_since) == (21, 21, 2014)
        assert row.cites_per_year["2018"] == 348
        assert row.tracked_author_id is not None and row.author_id is not None
        pubs = session.scalars(
            select(ScholarPublication).order_by(ScholarPublication.position)
        ).all()
        assert len(pubs) == 15
        assert session.scalar(select(func.count()).select_from(Work)) == 15
        works = list_works(session, author="Anne Kietzig")
    assert {w.title[:20] for w in works} == {"Interaction of oxyge", "Boiling heat transfe"}
    assert all(w.identifiers["scholar_pub"].startswith(KIETZIG) for w in works)
    day = DAY1.date().isoformat()
    kietzig = observations(sessions, KIETZIG)
    assert kietzig[("citedby", day)] == 1338 and kietzig[("i10index5y", day)] == 21
    assert kietzig[("cites:2009", day)] == 6 and kietzig[("cites:2019", day)] == 83
    assert observations(sessions, "8daWuo4AAAAJ:bFI3QPDXJZMC") == {("num_citations", day): 1}


def test_the_same_recordings_twice_add_no_rows_and_a_later_day_adds_history(
    sessions, replay_dir
) -> None:
    targets = track_all(sessions)
    harvest(sessions, targets, replay_dir(REC), DAY1)
    first = counts(sessions)

    again = harvest(sessions, targets, replay_dir(REC), DAY1.replace(hour=18))

    assert again.status == "succeeded"
    assert again.counts["unchanged"] == 15 and again.counts["inserted"] == 0
    assert counts(sessions) == first

    later = harvest(sessions, targets, replay_dir(REC), DAY2)

    assert later.status == "succeeded"
    grown = counts(sessions)
    profile_numbers = 3 * 6 + 11 + 16  # indices of three profiles + two histograms
    assert grown["scholar_observation"] - first["scholar_observation"] == profile_numbers + 15
    assert {k: v for k, v in grown.items() if k != "scholar_observation"} == {
        k: v for k, v in first.items() if k != "scholar_observation"
    }


def test_a_captcha_ends_the_run_blocked_within_the_budget_and_loses_nothing(
    sessions, replay_dir
) -> None:
    targets = track_all(sessions)
    assert [t.scholar_id for t in targets] == [KIETZIG, FAN, KOENIG]
    harvest(sessions, targets, replay_dir(REC), DAY1)
    before = counts(sessions)
    koenig_day1 = observations(sessions, KOENIG)
    clock = FakeClock()
    bounded = harvester(clock, budget_seconds=120, delay_seconds=5)

    summary = harvest(
        sessions,
        targets,
        replay_dir(profile(KIETZIG), profile(FAN), profile(KOENIG, BLOCKED)),
        DAY2,
        harvester=bounded,
    )

    assert summary.status == "blocked"
    assert summary.error == (
        "Google Scholar blocked the harvest: CAPTCHA page ('unusual traffic from your computer "
        "network') (at https://scholar.google.com/citations?hl=en&user=xD9IjnYAAAAJ&pagesize=100)"
    )
    assert clock.now == 10.0 and clock.now < 120  # two politeness delays, no waiting on blocks
    assert bounded.client.requests_made == 3
    assert summary.cursor == {"phase": "profiles", "pending": [KOENIG]}
    with sessions() as session:
        run = session.get_one(HarvestRun, summary.run_id)
        assert (run.status, run.error) == ("blocked", summary.error)
        stored = get_cursor(session, "scholar", CURSOR_KEY)
        koenig = session.scalar(select(ScholarProfile).where(ScholarProfile.scholar_id == KOENIG))
    assert stored is not None and stored["pending"] == [KOENIG]
    assert "CAPTCHA" in stored["blocked"]
    # Nothing stored before was lost: König's profile and history are intact, every record
    # is still there, and the two authors fetched before the block got their day-2 numbers.
    assert koenig is not None and koenig.citedby == 3827
    assert observations(sessions, KOENIG) == koenig_day1
    after = counts(sessions)
    assert after["source_record"] == before["source_record"] == 15
    kietzig_day2, fan_day2 = 6 + 11 + 2, 6 + 13  # indices, histogram, publications
    assert after["scholar_observation"] == before["scholar_observation"] + kietzig_day2 + fan_day2

    # The next run starts with König (pending) and stores it before Google blocks again.
    resumed = harvest(
        sessions,
        targets,
        replay_dir(profile(KOENIG), profile(KIETZIG, BLOCKED)),
        DAY2.replace(hour=12),
    )

    assert resumed.status == "blocked"
    assert resumed.cursor == {"phase": "profiles", "pending": [KIETZIG, FAN]}
    assert observations(sessions, KOENIG)[("citedby", DAY2.date().isoformat())] == 3827

    done = harvest(sessions, targets, replay_dir(REC), DAY2.replace(hour=13))
    assert done.status == "succeeded"
    with sessions() as session:
        assert get_cursor(session, "scholar", CURSOR_KEY) is None


def test_a_wrong_scholar_id_is_quarantined_and_the_others_still_run(
    sessions, replay_dir, tmp_path: Path
) -> None:
    targets = [ScholarTarget("Nobody", "AAAAAAAAAAAA"), ScholarTarget("Fan", FAN)]
    missing = tmp_path / "404.json"
    missing.write_text(
        json.dumps(
            {
                "url": "https://scholar.google.com/citations?hl=en&user=AAAAAAAAAAAA&pagesize=100",
                "status_code": 404,
                "body": "Not Found",
                "note": "constructed: an unknown profile id",
            }
        )
    )

    summary = harvest(sessions, targets, replay_dir(missing, profile(FAN)), DAY1)

    assert summary.status == "partial"  # quarantined input: not a clean run
    assert summary.counts["quarantined"] == 1 and summary.counts["inserted"] == 13


def test_fills_fetch_publication_pages_within_the_request_budget(sessions, replay_dir) -> None:
    targets = [t for t in track_all(sessions) if t.scholar_id == KIETZIG]
    citation = SCHOLAR / "constructed" / "constructed_citation_8daWuo4AAAAJ_bFI3QPDXJZMC.json"

    summary = harvest(sessions, targets, replay_dir(profile(KIETZIG), citation), DAY1, fills=1)

    assert summary.status == "succeeded"
    assert summary.counts["updated"] == 1  # the filled publication's record
    with sessions() as session:
        pub = session.scalar(
            select(ScholarPublication).where(
                ScholarPublication.author_pub_id == "8daWuo4AAAAJ:bFI3QPDXJZMC"
            )
        )
        assert pub is not None and pub.filled_at is not None
        assert json.loads(pub.payload)["bib"]["journal"].startswith("International Journal")
        record = session.scalar(
            select(SourceRecord).where(SourceRecord.source_id == "8daWuo4AAAAJ:bFI3QPDXJZMC")
        )
        assert record is not None
        assert record.parsed["venue"] == "International Journal of Heat and Mass Transfer"

    # The next day's profile page keeps the fill, taking the row's own link and year
    # (scholarly's fill writes them in another form): one update, then stable.
    again = harvest(sessions, targets, replay_dir(profile(KIETZIG)), DAY2, fills=0)
    assert (again.counts["updated"], again.counts["unchanged"]) == (1, 1)
    third = harvest(sessions, targets, replay_dir(profile(KIETZIG)), DAY2.replace(hour=20))
    assert third.counts["unchanged"] == 2
    with sessions() as session:
        payload = session.scalar(
            select(ScholarPublication.payload).where(
                ScholarPublication.author_pub_id == "8daWuo4AAAAJ:bFI3QPDXJZMC"
            )
        )
    assert json.loads(payload or "{}")["filled"] is True


# --------------------------------------------------------------------------- gs_data


@pytest.mark.parametrize("name", GS_DATA)
def test_an_imported_crawler_file_exports_back_the_same(
    sessions, tmp_path: Path, name: str
) -> None:
    text_in = (SCHOLAR / "originals" / name).read_text(encoding="utf-8")
    original = json.loads(text_in)

    summary = import_gs_data(sessions, text_in, name=name)
    data_path, badge_path = export_gs_data(sessions, original["scholar_id"], tmp_path)

    assert summary.status == "succeeded"
    assert summary.counts["inserted"] == len(original["publications"])
    exported = json.loads(data_path.read_text(encoding="utf-8"))
    assert {k: v for k, v in exported.items() if k != "updated"} == {
        k: v for k, v in original.items() if k != "updated"
    }
    assert list(exported) == list(original)  # same key order
    assert list(exported["publications"]) == list(original["publications"])
    assert exported["updated"] == original["updated"]  # the snapshot's own time
    assert json.loads(badge_path.read_text()) == {
        "schemaVersion": 1,
        "label": "citations",
        "message": str(original["citedby"]),
    }
    day = original["updated"][:10]
    scholar_id = original["scholar_id"].split("&")[0]
    history = observations(sessions, scholar_id)
    assert history[("citedby", day)] == original["citedby"]
    assert history[("hindex5y", day)] == original["hindex5y"]
    first_pub = next(iter(original["publications"].values()))
    assert observations(sessions, first_pub["author_pub_id"]) == {
        ("num_citations", day): first_pub["num_citations"]
    }

    before = counts(sessions)
    again = import_gs_data(sessions, text_in, name=name)
    assert again.counts["unchanged"] == len(original["publications"])
    assert counts(sessions) == before


def test_an_older_crawler_file_adds_history_but_not_its_state(sessions, replay_dir) -> None:
    text_in = (SCHOLAR / "originals" / "Brian-Moser_gs_data.json").read_text(encoding="utf-8")
    newer = json.loads(text_in)
    newer["updated"] = "2026-11-01 08:00:00.000000"
    newer["citedby"] = 99
    import_gs_data(sessions, json.dumps(newer), name="newer.json")

    import_gs_data(sessions, text_in, name="older.json")

    with sessions() as session:
        row = session.scalar(
            select(ScholarProfile).where(ScholarProfile.scholar_id == "v6hF0VEAAAAJ")
        )
    assert row is not None and row.citedby == 99
    history = observations(sessions, "v6hF0VEAAAAJ")
    assert history[("citedby", "2024-08-09")] == 70
    assert history[("citedby", "2026-11-01")] == 99


@pytest.mark.parametrize(
    ("text_in", "message"),
    [
        ("{not json", "not JSON"),
        ('{"container_type": "Publication"}', "not a scholarly Author dump"),
        ('{"container_type": "Author", "scholar_id": "x", "publications": []}', "keyed by"),
    ],
)
def test_a_file_that_is_not_a_crawler_dump_is_refused(sessions, text_in: str, message: str) -> None:
    with pytest.raises(GsDataError, match=message):
        import_gs_data(sessions, text_in, name="bad.json")
    assert counts(sessions)["source_record"] == 0


# --------------------------------------------------------------------------- CLI, secrets


def _all_text(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return "\n".join(
                repr(list(conn.execute(text(f'SELECT * FROM "{name}"'))))
                for name in Base.metadata.tables
            )
    finally:
        engine.dispose()


def test_a_proxy_password_reaches_no_log_line_row_or_output(
    database_url: str,
    replay_dir,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    password = "pw-9f8e7d6c"
    monkeypatch.setenv(
        "SCHOLARFLOW_SCHOLAR_PROXY", f"http://harvester:{password}@proxy.example:3128"
    )
    monkeypatch.setenv("SCHOLARFLOW_SCHOLAR_DELAY_SECONDS", "0")
    caplog.set_level(logging.DEBUG)
    db = ["--database-url", database_url]
    for name, sid in (("Anne Kietzig", KIETZIG), ("Matthias König", KOENIG)):
        assert main([*db, "authors", "add", name, "--scholar-id", sid]) == 0
    recordings = replay_dir(profile(KIETZIG), profile(KOENIG, BLOCKED))

    # Blocked at König: what was fetched is kept, and the exit code says the harvest is
    # incomplete.
    assert main([*db, "harvest", "scholar", "--replay", str(recordings)]) == 1
    assert main([*db, "export", "gs-data", "Anne Kietzig", str(tmp_path / "out")]) == 0

    out = capsys.readouterr()
    assert "blocked" in out.out and "CAPTCHA" in out.out
    assert "failed: scholar run 1 blocked: Google Scholar blocked the harvest" in out.err
    rows = _all_text(database_url)
    assert "harvester:***@proxy.example:3128" in rows  # the run's parameters, masked
    artifacts = "".join(p.read_text() for p in (tmp_path / "out").iterdir())
    assert "HTTP Request: GET https://scholar.google.com" in caplog.text
    for place in (caplog.text, out.out, out.err, rows, artifacts):
        assert password not in place


def test_cli_import_then_export(database_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = SCHOLAR / "originals" / "AaronZ345_gs_data.json"
    db = ["--database-url", database_url]

    assert main([*db, "import", "gs-data", str(source)]) == 0
    assert main([*db, "export", "gs-data", "kA9A6LsAAAAJ", str(tmp_path)]) == 0
    assert main([*db, "export", "gs-data", "Nobody", str(tmp_path)]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main([*db, "import", "gs-data", str(bad)]) == 2

    err = capsys.readouterr().err
    assert "no author named 'Nobody'" in err
    assert "is not a crawler gs_data.json" in err
    assert json.loads((tmp_path / "gs_data.json").read_text())["citedby"] == 234


def test_settings_take_credentials_from_a_secret_block() -> None:
    settings = scholar_settings(
        environ={"SCHOLARFLOW_SCHOLAR_SECRET_BLOCK": "scholar-proxy"},
        load_secret=lambda name: {"proxy": f"socks5://u:p@{name}.example:1080"},
        budget_seconds=30,
    )
    assert settings.mode == "proxy" and settings.budget_seconds == 30
    assert settings.describe()["connection"] == "socks5://u:***@scholar-proxy.example:1080"


def test_migrated_schema_holds_the_scholar_tables(empty_engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        for table in ("scholar_profile", "scholar_publication", "scholar_observation"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
