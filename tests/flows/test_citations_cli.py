"""``scholarflow harvest s2 openalex`` end to end from recordings (in-process, no Prefect)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from citation_records import versions
from conftest import FIXTURES

from flows.cli.main import main
from flows.runtime import open_database
from models.loader import load_batch

S2_REC = FIXTURES / "s2" / "recordings"
OA_REC = FIXTURES / "openalex" / "recordings"


def test_harvest_s2_and_openalex_from_recordings(
    database_url: str,
    replay_dir: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHOLARFLOW_S2_API_KEY", "s2-SECRET-key-0123456789abcdef")
    sessions = open_database(database_url)
    with sessions() as session:
        load_batch(session, versions(), None)
        session.commit()
    db = ["--database-url", database_url]
    folder = replay_dir(S2_REC / "versions", OA_REC / "dois")
    code = main([*db, "harvest", "s2", "openalex", "--replay", str(folder)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "s2/citations: succeeded - fetched 2, inserted 1" in out.out
    assert "openalex/citations: succeeded" in out.out
    assert "s2-SECRET" not in out.out + out.err

    assert main([*db, "works", "--json"]) == 0
    works = json.loads(capsys.readouterr().out)
    assert len(works) == 1 and works[0]["identifiers"]["s2"].startswith("79c62784")

    # Everything is fresh: a second run asks nothing and succeeds.
    assert main([*db, "harvest", "s2", "--replay", str(folder)]) == 0
    assert "s2/citations: succeeded - fetched 0" in capsys.readouterr().out


def test_a_spent_budget_exits_1_and_says_blocked(
    database_url: str, replay_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = open_database(database_url)
    with sessions() as session:
        load_batch(session, versions(), None)
        session.commit()
    folder = replay_dir(S2_REC / "versions")
    args = ["--database-url", database_url, "harvest", "s2", "--replay", str(folder)]
    assert main([*args, "--citations-max-requests", "0"]) == 1
    out = capsys.readouterr()
    assert "blocked" in out.out and "request budget of 0 spent" in out.err
    assert main([*args, "--citations-max-age", "-1"]) == 2
