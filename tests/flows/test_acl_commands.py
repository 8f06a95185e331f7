"""``scholarflow harvest acl`` in-process: --data-dir backfill, tracked authors with a synced
copy (constructed GitHub responses), and clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from fixtures.acl.constructed_github import write_github_replay

from flows.cli.main import main

REAL = sorted((FIXTURES / "acl" / "xml").glob("*.xml"))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """Run ``scholarflow ARGS`` in-process against a fresh database (SQLite and PostgreSQL);
    the managed ACL copy lives in tmp_path/managed."""
    monkeypatch.setenv("SCHOLARFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("SCHOLARFLOW_ACL_DATA_DIR", str(tmp_path / "managed"))
    monkeypatch.chdir(tmp_path)
    return main


def test_backfill_from_a_checkout_twice(
    cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    checkout = tmp_path / "acl-anthology"
    (checkout / "data" / "xml").mkdir(parents=True)
    for path in REAL:
        shutil.copy(path, checkout / "data" / "xml" / path.name)
    args = ["harvest", "acl", "--data-dir", str(checkout), "--years", "2023-2024"]
    assert cli(args) == 0
    # 2023.bigpicture (10) + 2023.repl4nlp (27) + 2024.insights (19); 2020.ai4hi is outside.
    assert "acl/venue: succeeded - fetched 56, inserted 56" in capsys.readouterr().out
    assert cli(args) == 0
    assert "acl/venue: succeeded - fetched 0, inserted 0" in capsys.readouterr().out
    assert cli(["works", "--json"]) == 0
    assert capsys.readouterr().out.count('"acl": "') == 56


def test_tracked_author_with_a_synced_copy(
    cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    files = {p.stem: p.read_bytes() for p in REAL}
    replay = write_github_replay(tmp_path / "replay", files, "ab" * 20, real=set(files))
    assert cli(["authors", "add", "James Henderson", "--acl-id", "james-henderson"]) == 0
    assert cli(["harvest", "acl", "--replay", str(replay)]) == 0
    out = capsys.readouterr().out
    assert "acl/sync: succeeded - fetched 4, inserted 4" in out
    assert "acl/authors: succeeded - fetched 2, inserted 2" in out
    assert sorted(p.name for p in (tmp_path / "managed" / "xml").glob("*.xml")) == [
        p.name for p in REAL
    ]
    assert cli(["show", "James Henderson", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert sorted(w["identifiers"]["acl"] for w in shown["works"]) == [
        "2023.bigpicture-1.8",
        "2023.repl4nlp-1.15",
    ]
    assert all(w["sources"] == ["acl"] for w in shown["works"])


def test_clear_errors(cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert cli(["harvest", "acl", "--years", "20x"]) == 2
    assert "not a year or a year range" in capsys.readouterr().err
    assert cli(["harvest", "acl", "--data-dir", str(tmp_path / "none"), "--years", "2023"]) == 1
    assert "no ACL Anthology data in" in capsys.readouterr().err
    # Nobody tracked and no backfill asked: the ACL harvest has nothing to do.
    assert cli(["harvest", "acl"]) == 0
    assert "no tracked authors" in capsys.readouterr().err
