"""Two harvest commands started at once on a fresh, never migrated database (issue 14).

tests/models/test_concurrent_migrate.py starts bare upgrades at once, and
tests/models/test_identity_merge.py two harvests on an already migrated database; here two
real ``harvest acl`` CLI processes both migrate and harvest the same fresh database: both
exit 0 (one waits for the other's migration and merge lock), and the database holds, row for
row, what one harvest leaves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.fault_injection import databases, read
from bench.kill_resume import ROOT, acl_args, build_acl_checkout, run_cli, run_statuses
from models.snapshot import compare


@pytest.fixture
def new_url(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Fresh databases of the fixture's kind (SQLite files or PostgreSQL schemas)."""
    from conftest import PG_URL

    with databases(None if database_url.startswith("sqlite") else PG_URL, tmp_path) as new:
        yield new


def test_two_harvests_migrating_a_fresh_database_at_once_both_succeed(
    new_url: Callable[[str], str], tmp_path: Path
) -> None:
    args = acl_args(build_acl_checkout(tmp_path / "acl", copies=1))
    single = new_url("single")
    assert run_cli(single, args) == (0, False)
    both = new_url("both")
    command = [sys.executable, "-m", "flows.cli.main", "--database-url", both, "-q", *args]
    procs = [
        subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=300)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert dict(run_statuses(both)) == {"succeeded": 2}
    assert compare(read(single), read(both)) == []
