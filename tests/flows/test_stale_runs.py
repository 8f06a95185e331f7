"""A killed run does not stay ``running`` forever (issue 14, item 3), SQLite and PostgreSQL.

A run stores its pid, host and a heartbeat moved at every committed batch. When a run of the
same source starts, a ``running`` run whose process is gone (this host) or whose heartbeat is
older than the configured age (another host) is marked ``interrupted``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.pipelines.runs import RunTracker
from flows.runtime import open_database
from models.base import utcnow
from models.loader import LoadCounts
from models.provenance import HarvestRun
from models.runs import mark_stale_runs, stale_after, this_host

ROOT = Path(__file__).resolve().parents[2]

HOLD_A_RUN = textwrap.dedent(
    """
    import sys, time
    from flows.pipelines.runs import RunTracker
    from flows.runtime import open_database
    run = RunTracker(open_database(sys.argv[1]), "acl", "venue", {})
    print(run.run.id, flush=True)
    time.sleep(120)
    """
)


def test_a_killed_run_is_interrupted_when_the_next_run_of_its_source_starts(
    database_url: str,
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_RUN, database_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        killed_id = int(child.stdout.readline())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    sessions = open_database(database_url)
    with sessions() as session:
        held = session.get_one(HarvestRun, killed_id)
        assert held.status == "running"
        assert (held.pid, held.hostname) == (child.pid, this_host())

    other = RunTracker(sessions, "scholar", "profiles", {})  # another source: not touched
    with sessions() as session:
        assert session.get_one(HarvestRun, killed_id).status == "running"
    other.finish()

    RunTracker(sessions, "acl", "venue", {}).finish()
    with sessions() as session:
        held = session.get_one(HarvestRun, killed_id)
        assert held.status == "interrupted"
        assert held.error == f"interrupted: process {child.pid} on {this_host()} is gone"
        assert held.finished_at is not None
    sessions.kw["bind"].dispose()


def test_heartbeat_moves_as_batches_commit(sessions) -> None:  # type: ignore[no-untyped-def]
    run = RunTracker(sessions, "acl", "venue", {})
    first = run.run.heartbeat_at
    assert run.run.pid == os.getpid() and first is not None
    run.commit_batch(LoadCounts(fetched=1))
    with sessions() as session:
        assert session.get_one(HarvestRun, run.run.id).heartbeat_at > first
    run.finish()


def test_runs_of_another_host_are_interrupted_after_the_heartbeat_age_only(
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    now = utcnow()
    with sessions() as session:
        for hours in (4, 1):
            session.add(
                HarvestRun(
                    source="github",
                    mode="repositories",
                    params={},
                    status="running",
                    pid=1,
                    hostname="another-host",
                    heartbeat_at=now - timedelta(hours=hours),
                )
            )
        mine = HarvestRun(
            source="github",
            mode="repositories",
            params={},
            status="running",
            pid=os.getpid(),
            hostname=this_host(),
            heartbeat_at=now - timedelta(days=2),  # old, but this process is alive
        )
        session.add(mine)
        session.commit()
        marked = mark_stale_runs(session, "github", max_age=timedelta(hours=3), now=now)
        session.commit()
        statuses = dict(session.execute(select(HarvestRun.id, HarvestRun.status)).tuples().all())
    assert len(marked) == 1
    assert sorted(statuses.values()) == ["interrupted", "running", "running"]
    assert statuses[mine.id] == "running"


def test_heartbeat_age_is_configurable() -> None:
    assert stale_after({}) == timedelta(hours=3)
    assert stale_after({"SCHOLARFLOW_RUN_STALE_AFTER": "600"}) == timedelta(minutes=10)
    with pytest.raises(ValueError, match="positive"):
        stale_after({"SCHOLARFLOW_RUN_STALE_AFTER": "0"})
