"""The ``harvest-acl`` Prefect flow under the session's test harness."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from fixtures.acl.constructed_github import write_github_replay

from flows.prefect.acl import harvest_acl
from models.engine import make_engine, session_factory
from models.queries import add_tracked_author, table_counts

# pytest-xdist (--dist loadgroup): one worker runs the Prefect test harness tests (one server).
pytestmark = pytest.mark.xdist_group("prefect_harness")

REAL = sorted((FIXTURES / "acl" / "xml").glob("*.xml"))


def _parts(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["part"]: run for run in result["runs"]}


def _track(url: str, name: str, acl_id: str) -> None:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            add_tracked_author(session, name, acl_person_id=acl_id)
            session.commit()
    finally:
        engine.dispose()


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_backfill_then_tracked_authors_through_a_sync(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout" / "data" / "xml"
    checkout.mkdir(parents=True)
    for path in REAL:
        shutil.copy(path, checkout / path.name)
    result = harvest_acl(
        venue="repl4nlp",
        year_from=2023,
        year_to=2023,
        data_dir=str(tmp_path / "checkout"),
        database_url=database_url,
    )
    assert result["status"] == "succeeded"
    (venue,) = result["runs"]  # no tracked authors and a data_dir: no sync, no authors part
    assert venue["part"] == "venue:repl4nlp"
    assert venue["counts"]["inserted"] == 27
    # Every file of the years is read (a volume's <venue> decides), only repl4nlp is kept.
    assert venue["cursor"]["files_parsed"] == ["2023.bigpicture", "2023.repl4nlp"]

    _track(database_url, "James Henderson", "james-henderson")
    monkeypatch.setenv("SCHOLARFLOW_ACL_DATA_DIR", str(tmp_path / "managed"))
    files = {p.stem: p.read_bytes() for p in REAL}
    replay = write_github_replay(tmp_path / "replay", files, "cd" * 20, real=set(files))
    result = harvest_acl(replay=str(replay), database_url=database_url)
    parts = _parts(result)
    assert result["status"] == "succeeded"
    assert list(parts) == ["sync", "authors"]
    assert parts["sync"]["counts"]["inserted"] == 4  # files new to the managed copy
    assert parts["sync"]["cursor"]["commit"] == "cd" * 20
    # His repl4nlp paper came with the backfill already; the bigpicture one is new.
    assert parts["authors"]["counts"] == {
        "fetched": 2,
        "inserted": 1,
        "updated": 0,
        "unchanged": 1,
        "quarantined": 0,
    }


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_sync_leaves_the_previous_copy_to_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    managed = tmp_path / "managed" / "xml"
    managed.mkdir(parents=True)
    shutil.copy(REAL[-1], managed / REAL[-1].name)  # 2024.insights, synced on an earlier run
    monkeypatch.setenv("SCHOLARFLOW_ACL_DATA_DIR", str(tmp_path / "managed"))
    empty = tmp_path / "no-recordings"
    empty.mkdir()
    result = harvest_acl(venue="insights", year_from=2024, replay=str(empty), database_url=url)
    parts = _parts(result)
    assert result["status"] == "partial"
    assert parts["sync"]["status"] == "failed"
    assert parts["sync"]["error"].startswith("NoRecordingError")
    assert parts["venue:insights"]["status"] == "succeeded"
    assert parts["venue:insights"]["counts"]["inserted"] == 19
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            assert table_counts(session)["work"] == 19
    finally:
        engine.dispose()


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_backfill_form_runs_an_acl_venue_and_year_range(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.prefect.backfill import backfill

    monkeypatch.setenv("SCHOLARFLOW_ACL_DATA_DIR", str(tmp_path / "managed"))
    files = {p.stem: p.read_bytes() for p in REAL}
    replay = write_github_replay(tmp_path / "replay", files, "ab" * 20, real=set(files))
    result = backfill(
        sources=["acl"],
        since=date(2023, 1, 1),
        until=date(2023, 12, 31),
        venues=["repl4nlp"],
        replay_dir=str(replay),
        database_url=database_url,
    )["acl"]

    parts = _parts(result)
    assert result["status"] == "succeeded"
    assert list(parts) == ["sync", "venue:repl4nlp"]
    assert parts["venue:repl4nlp"]["counts"]["inserted"] == 27
    # Only the years asked for were synced into the managed copy.
    assert sorted(p.stem for p in (tmp_path / "managed").rglob("*.xml")) == [
        "2023.bigpicture",
        "2023.repl4nlp",
    ]
