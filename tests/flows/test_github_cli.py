"""``scholarflow harvest github`` end to end from recordings (in-process, no Prefect)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES

from flows.cli.main import main

REC = FIXTURES / "github" / "recordings"


def test_harvest_github_from_recordings_then_show_stars(
    database_url: str,
    replay_dir: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    db = ["--database-url", database_url]
    assert main([*db, "authors", "add", "Vincent Jacques", "--github", "jacquev6"]) == 0
    folder = replay_dir(REC / "listing", REC / "repo_get")
    code = main([*db, "harvest", "github", "--replay", str(folder), "--repo", "PyGithub/PyGithub"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "github" in out.out and "succeeded" in out.out

    assert main([*db, "show", "Vincent Jacques", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["stars"] == 16  # the recorded listing: 3+0+5+0+3+3+0+0+0+2
    assert len(summary["repositories"]) == 10


def test_bad_repository_name_is_a_usage_error(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--database-url", database_url, "harvest", "github", "--repo", "not a repo"])
    assert code == 2
    assert "not a GitHub repository" in capsys.readouterr().err


def test_code_link_for_an_unknown_work_is_a_usage_error(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--database-url",
            database_url,
            "harvest",
            "github",
            "--code-link",
            "arxiv:9999.99999=https://github.com/a/b",
        ]
    )
    assert code == 2
    assert "no work with identifier arxiv:9999.99999" in capsys.readouterr().err
