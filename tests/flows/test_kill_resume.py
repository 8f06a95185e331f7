"""Harvests killed with SIGKILL and resumed end with an uninterrupted run's database.

The short version of bench/kill_resume.py: 3 kills each of an ACL backfill (the real
collection files copied under rewritten collection ids) and of a constructed multi-page
OAI-PMH window, each a real ``python -m flows.cli.main`` subprocess, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.kill_resume import (
    acl_args,
    build_acl_checkout,
    build_oai_window,
    kill_and_resume,
    oai_args,
)

KILLS = 3


@pytest.fixture
def new_url(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Fresh databases of the fixture's kind (SQLite files, or PostgreSQL schemas of
    SCHOLARFLOW_TEST_PG_URL dropped afterwards); the fixture says which and checks the
    server."""
    from bench.fault_injection import databases

    if database_url.startswith("sqlite"):
        with databases(None, tmp_path) as new:
            yield new
    else:
        from conftest import PG_URL

        with databases(PG_URL, tmp_path) as new:
            yield new


def _check(report) -> None:  # type: ignore[no-untyped-def]
    # Up to KILLS kills (fewer when a resume gets to the end first, on a fast machine).
    assert 1 <= report.kills <= KILLS
    assert report.failed_resumes == []
    assert report.statuses["running"] == 0, "a killed run was left running"
    assert report.statuses["interrupted"] == report.kills
    assert report.statuses["succeeded"] >= 1
    assert report.rows > 0
    assert report.differences == []


def test_acl_backfill_killed_and_resumed_ends_as_an_uninterrupted_one(
    new_url: Callable[[str], str], tmp_path: Path
) -> None:
    data = build_acl_checkout(tmp_path / "acl", copies=4)
    _check(kill_and_resume("acl", acl_args(data), new_url, KILLS, random.Random(1)))


def test_oai_window_killed_and_resumed_ends_as_an_uninterrupted_one(
    new_url: Callable[[str], str], tmp_path: Path
) -> None:
    replay = build_oai_window(tmp_path / "oai", pages=12)
    _check(kill_and_resume("oai", oai_args(replay), new_url, KILLS, random.Random(1)))
