"""Operator commands in-process, on SQLite and PostgreSQL: ``runs``, ``quarantine`` and
``authors deactivate|activate|remove`` (issue 14)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ARXIV_RECORDINGS, FIXTURES
from sqlalchemy import func, select

from flows.cli.main import main
from models.authors import Authorship, TrackedAuthor
from models.engine import make_engine, session_factory
from models.provenance import HarvestCursor, HarvestRun, QuarantinedRecord, SourceRecord
from models.works import Work

ACL_XML = sorted((FIXTURES / "acl" / "xml").glob("*.xml"))
GITHUB_LISTING = FIXTURES / "github" / "recordings" / "listing"

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """``cli(*args)`` runs ``scholarflow ARGS`` in-process on a fresh database and returns
    ``(exit code, stdout, stderr)``."""
    monkeypatch.setenv("SCHOLARFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("SCHOLARFLOW_ACL_DATA_DIR", str(tmp_path / "managed"))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def sessions(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """An acl-anthology checkout holding the four real collection files."""
    root = tmp_path / "acl-anthology"
    (root / "data" / "xml").mkdir(parents=True)
    for path in ACL_XML:
        shutil.copy(path, root / "data" / "xml" / path.name)
    return root


# --------------------------------------------------------------------------- runs


def test_runs_newest_first_with_counts_errors_and_filters(cli: Cli, sessions) -> None:  # type: ignore[no-untyped-def]
    replay = str(ARXIV_RECORDINGS)
    assert cli("harvest", "arxiv", "--id", "1605.08386", "--replay", replay)[0] == 0
    assert cli("harvest", "arxiv", "--id", "2511.99999", "--replay", replay)[0] == 1

    code, out, _ = cli("runs")
    assert code == 0
    newest, oldest = out.splitlines()
    assert newest.split()[:3] == ["2", "arxiv/ids", "failed"]
    assert "error: " in newest and "no recording for GET" in newest and "2511.99999" in newest
    assert oldest.split()[:3] == ["1", "arxiv/ids", "succeeded"]
    assert "fetched 1, inserted 1, updated 0, unchanged 0, quarantined 0" in oldest
    assert "error" not in oldest
    assert cli("runs", "--status", "failed")[1].splitlines() == [newest]
    assert cli("runs", "--limit", "1")[1].splitlines() == [newest]
    assert cli("runs", "--source", "acl")[1] == "(no harvest runs)\n"

    rows = json.loads(cli("runs", "--json")[1])
    assert [r["id"] for r in rows] == [2, 1]
    assert rows[1]["counts"] == {
        "fetched": 1,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 0,
    }
    assert rows[1]["seconds"] is not None and rows[1]["seconds"] >= 0

    # A status written by someone else (a run killed mid-way) is listed and filtered as stored.
    with sessions() as session:
        started = datetime.now(UTC) + timedelta(minutes=1)
        session.add(HarvestRun(source="acl", mode="sync", status="interrupted", started_at=started))
        session.commit()
    code, out, _ = cli("runs", "--status", "interrupted")
    assert code == 0 and out.split()[:3] == ["3", "acl/sync", "interrupted"]
    assert " - " in out  # not finished: no duration

    code, _, err = cli("runs", "--status", "broken")
    assert code == 2 and "unknown run status 'broken'" in err and "succeeded" in err


# --------------------------------------------------------------------------- quarantine


def test_quarantine_lists_and_shows_a_broken_file(cli: Cli, checkout: Path) -> None:
    broken = checkout / "data" / "xml" / "2099.broken.xml"
    shutil.copy(FIXTURES / "acl" / "constructed" / "constructed_broken.xml", broken)
    code, out, _ = cli("harvest", "acl", "--data-dir", str(checkout), "--years", "2099")
    # A run that quarantined input is partial, and the exit code says the operator must act.
    assert code == 1 and "partial" in out and "quarantined 1" in out

    code, out, _ = cli("quarantine")
    assert code == 0
    line, footer = out.splitlines()
    record_id, source, source_id = line.split()[:3]
    assert (source, source_id) == ("acl", "2099.broken")
    assert "run 1" in line
    assert footer == "1 record(s); see one with: scholarflow quarantine --show ID"
    assert cli("quarantine", "--source", "arxiv")[1] == "(no quarantined records)\n"

    code, out, _ = cli("quarantine", "--show", record_id)
    assert code == 0
    assert "reason:" in out and "payload (" in out
    assert broken.read_text() in out  # short: shown whole
    assert "truncated" not in out

    code, _, err = cli("quarantine", "--show", "999")
    assert code == 2 and "no quarantined record 999" in err


def test_quarantine_show_truncates_and_masks_secrets(
    cli: Cli,
    sessions,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "ghp_constructedsecret0123456789"
    monkeypatch.setenv("GITHUB_TOKEN", token)
    assert cli("runs")[0] == 0  # migrates the database
    # Constructed: a payload far over the shown size, with the token and a key in a URL.
    payload = (
        f"<html>token {token} https://api.scraperapi.com/?api_key=abc123secret&url=x "
        + "x" * 20_000
        + "</html>"
    )
    with sessions() as session:
        row = QuarantinedRecord(
            source="scholar",
            source_id="8daWuo4AAAAJ",
            reason="unreadable row\nsecond line of the reason",
            payload=payload,
            content_hash="constructed",
        )
        session.add(row)
        session.commit()
        record_id = row.id

    code, out, _ = cli("quarantine")
    assert "unreadable row" in out and "second line" not in out
    code, out, _ = cli("quarantine", "--show", str(record_id))
    assert code == 0
    assert "unreadable row\nsecond line of the reason" in out
    assert f"payload ({len(payload)} characters)" in out
    assert "[payload truncated: first 4000 of" in out
    assert len(out) < 5000
    assert token not in out and "abc123secret" not in out
    shown = json.loads(cli("quarantine", "--show", str(record_id), "--json")[1])
    assert shown["payload_truncated"] is True and len(shown["payload"]) == 4000
    assert token not in shown["payload"]


# --------------------------------------------------------------------------- tracked authors


def test_deactivated_authors_are_skipped_by_every_harvest(cli: Cli, checkout: Path) -> None:
    empty = checkout.parent / "empty-replay"
    empty.mkdir()
    add = [
        "authors",
        "add",
        "James Henderson",
        "--acl-id",
        "james-henderson",
        "--scholar-id",
        "8daWuo4AAAAJ",
        "--github",
        "jacquev6",
    ]
    assert cli(*add)[0] == 0
    harvest = ["harvest", "--data-dir", str(checkout), "--replay", str(empty)]

    code, out, _ = cli("authors", "deactivate", "james henderson")
    assert code == 0 and out.startswith("James Henderson is inactive: harvests skip them")
    assert json.loads(cli("authors", "list", "--json")[1])[0]["active"] is False
    assert "(inactive" in cli("authors", "list")[1]
    # No arXiv, ACL, Scholar or GitHub request and no run for him: the empty replay folder
    # would fail any request.
    code, out, err = cli(*harvest)
    assert code == 0, err
    assert "acl/authors" not in out and "scholar" not in out and "arxiv" not in out
    assert "fetched 0" in out  # the GitHub refresh of known repositories: none

    assert cli("authors", "activate", "James Henderson")[0] == 0
    code, out, err = cli(*harvest)
    assert code == 1  # each source asks for him again; nothing is recorded
    assert "acl/authors: succeeded - fetched 2, inserted 2" in out
    assert err.count("no recording for GET") >= 3  # arXiv, Scholar, GitHub


def test_remove_keeps_works_authorships_and_records(
    cli: Cli,
    checkout: Path,
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    assert cli("authors", "add", "James Henderson", "--acl-id", "james-henderson")[0] == 0
    assert cli("harvest", "acl", "--data-dir", str(checkout))[0] == 0

    def counts() -> dict[str, int]:
        with sessions() as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Work, Authorship, SourceRecord, TrackedAuthor, HarvestCursor)
            }

    before = counts()
    assert before["tracked_author"] == 1 and before["harvest_cursor"] == 1
    code, out, _ = cli("authors", "remove", "James Henderson")
    assert code == 0 and "no longer tracking James Henderson" in out
    after = counts()
    assert after["tracked_author"] == 0
    assert after["harvest_cursor"] == 0  # his ACL files cursor: a new author starts afresh
    for table in ("work", "authorship", "source_record"):
        assert after[table] == before[table] > 0
    assert cli("authors", "list")[1].startswith("no tracked authors")
    code, out, _ = cli("show", "James Henderson", "--json")
    assert code == 0 and len(json.loads(out)["works"]) == 2

    # Someone tracked afterwards does not inherit his works through a reused id.
    assert cli("authors", "add", "Ada Newcomer", "--acl-id", "ada-newcomer")[0] == 0
    assert json.loads(cli("show", "Ada Newcomer", "--json")[1])["works"] == []


@pytest.mark.parametrize("action", ["deactivate", "activate", "remove"])
def test_unknown_author_is_a_usage_error(cli: Cli, action: str) -> None:
    code, _, err = cli("authors", action, "Nobody Atall")
    assert code == 2
    assert "'Nobody Atall' is not a tracked author; see `scholarflow authors list`" in err
