"""A run's status tells the truth, on SQLite and PostgreSQL (issue 14, items 1 and 4).

- a Scholar profile that cannot be reached (proxy down) or answers 5xx after retries fails
  the run; nothing is quarantined for it;
- a run that quarantined input ends ``partial`` and the CLI exits 1 (an old-markup Scholar
  page, an ACL file truncated half-way);
- a quarantined input that is later stored fine leaves no quarantine row behind, so a clean
  re-run leaves the database a clean first run leaves.
"""

from __future__ import annotations

import json
import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from flows.cli.main import main
from flows.pipelines.acl import harvest_acl_venue
from flows.pipelines.scholar import harvest_scholar_profiles
from harvesters.acl.data import LocalAnthology
from harvesters.errors import SourceHTTPError, SourceUnavailableError
from harvesters.http.replay import replaying
from harvesters.scholar.client import ScholarClient
from harvesters.scholar.harvester import ScholarHarvester
from harvesters.scholar.settings import ScholarSettings, Secret
from models.base import Base
from models.engine import make_engine, session_factory
from models.provenance import HarvestRun, QuarantinedRecord
from models.runs import get_cursor
from models.scholar.store import ScholarTarget

SCHOLAR = FIXTURES / "scholar"
ACL_XML = sorted((FIXTURES / "acl" / "xml").glob("*.xml"))
FAN = "5cEG4tIAAAAJ"
FAN_URL = f"https://scholar.google.com/citations?hl=en&user={FAN}&pagesize=100"
DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def scholar(**settings: object) -> ScholarHarvester:
    clock = FakeClock()
    values = {"delay_seconds": 0.0, **settings}
    return ScholarHarvester(
        ScholarClient(ScholarSettings(**values), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def quarantined(sessions: sessionmaker[Session]) -> list[QuarantinedRecord]:
    with sessions() as session:
        return list(session.scalars(select(QuarantinedRecord)))


def table_rows(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows per table, harvest_run and harvest_cursor aside (one per run / per scope)."""
    with sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
            if name not in ("harvest_run", "harvest_cursor", "metrics_change")
        }


def recording(folder: Path, name: str, status: int, body: str, note: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"url": FAN_URL, "status_code": status, "body": body, "note": note}))
    return folder


# --------------------------------------------------------------------------- item 1


def test_scholar_proxy_down_fails_the_run_and_quarantines_nothing(
    sessions: sessionmaker[Session],
) -> None:
    proxy = Secret(f"http://127.0.0.1:{closed_port()}")  # connection refused, every retry
    with pytest.raises(SourceUnavailableError):
        harvest_scholar_profiles(
            sessions, scholar(proxy=proxy), [ScholarTarget("Fan", FAN)], now=lambda: DAY
        )
    with sessions() as session:
        run = session.scalars(select(HarvestRun)).one()
        assert run.status == "failed"
        assert "could not reach" in (run.error or "")
        assert run.quarantined == 0
        assert get_cursor(session, "scholar", "profiles")["pending"] == [FAN]  # type: ignore[index]
    assert quarantined(sessions) == []


def test_scholar_503_after_retries_fails_the_run_and_quarantines_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = recording(
        tmp_path / "rec", "constructed_503.json", 503, "", "constructed: Scholar answers 503"
    )
    with replaying(folder), pytest.raises(SourceHTTPError):
        harvest_scholar_profiles(sessions, scholar(), [ScholarTarget("Fan", FAN)], now=lambda: DAY)
    with sessions() as session:
        assert session.scalars(select(HarvestRun.status)).one() == "failed"
    assert quarantined(sessions) == []


def test_scholar_quarantine_is_cleared_when_the_profile_is_later_stored(
    sessions: sessionmaker[Session], tmp_path: Path, replay_dir
) -> None:
    target = [ScholarTarget("Fan", FAN)]
    missing = recording(
        tmp_path / "404", "constructed_404.json", 404, "Not Found", "constructed: a 404"
    )
    with replaying(missing):
        first = harvest_scholar_profiles(sessions, scholar(), target, now=lambda: DAY)
    assert first.status == "partial"
    assert [q.source_id for q in quarantined(sessions)] == [FAN]

    with replaying(replay_dir(SCHOLAR / "recordings" / f"wrapped_profile_{FAN}.json")):
        again = harvest_scholar_profiles(sessions, scholar(), target, now=lambda: DAY)
    assert again.status == "succeeded"
    assert quarantined(sessions) == []

    # The same as a clean first run on an empty database.
    clean = make_engine(f"sqlite:///{tmp_path / 'clean.db'}")
    Base.metadata.create_all(clean)
    clean_sessions = session_factory(clean)
    with replaying(replay_dir(SCHOLAR / "recordings" / f"wrapped_profile_{FAN}.json")):
        harvest_scholar_profiles(clean_sessions, scholar(), target, now=lambda: DAY)
    assert table_rows(sessions) == table_rows(clean_sessions)
    clean.dispose()


def test_acl_file_fixed_later_leaves_no_quarantine_row(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "acl" / "data" / "xml"
    folder.mkdir(parents=True)
    for path in ACL_XML:
        shutil.copy(path, folder / path.name)
    target = folder / ACL_XML[0].name
    whole = target.read_bytes()
    target.write_bytes(whole[: len(whole) // 2])  # constructed: truncated half-way
    data = LocalAnthology(tmp_path / "acl")

    first = harvest_acl_venue(sessions, data, None, year_from=2020)
    assert first.status == "partial"
    assert [q.source_id for q in quarantined(sessions)] == [ACL_XML[0].stem]

    target.write_bytes(whole)
    again = harvest_acl_venue(sessions, data, None, year_from=2020)
    assert again.status == "succeeded"
    assert quarantined(sessions) == []


# --------------------------------------------------------------------------- item 4


def test_truncated_acl_file_is_partial_and_the_cli_exits_1(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "acl" / "data" / "xml"
    folder.mkdir(parents=True)
    for path in ACL_XML:
        shutil.copy(path, folder / path.name)
    target = folder / ACL_XML[-1].name
    whole = target.read_bytes()
    target.write_bytes(whole[: len(whole) // 2])  # constructed: truncated half-way

    db = ["--database-url", database_url, "-q"]
    code = main(
        [*db, "harvest", "acl", "--data-dir", str(tmp_path / "acl"), "--years", "2020-2024"]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert ": partial - " in out and "quarantined 1" in out
    assert "partial: 1 record(s) quarantined" in err


def test_old_markup_scholar_page_is_partial_and_the_cli_exits_1(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = (SCHOLAR / "originals" / "goscholar_search_result_parse_test_case2.html").read_text()
    folder = recording(
        tmp_path / "rec",
        "constructed_old_markup_profile.json",
        200,
        old,
        "constructed: a real 2016-markup Scholar page served for a profile URL",
    )
    db = ["--database-url", database_url, "-q"]
    assert main([*db, "authors", "add", "Junqiao Fan", "--scholar-id", FAN]) == 0
    code = main([*db, "harvest", "scholar", "--replay", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "scholar/profiles: partial - " in out
    assert "quarantined 1" in out
    assert "partial: 1 record(s) quarantined" in err
