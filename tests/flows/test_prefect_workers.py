"""Scale-out as an operator runs it: a real ``prefect server start``, the deployments of the
repository's ``prefect.yaml`` (``prefect deploy --all``), real ``prefect worker start``
processes on the ``scholarflow`` process work pool, runs started through the API, and the
database checked afterwards. Offline: arXiv answers come from the recordings.

One server, one ``prefect deploy`` and one worker serve the whole module (each takes tens of
seconds on 2 cores); the two-worker test starts its second worker itself.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import ARXIV_RECORDINGS, pg_schema_engine
from prefect_live import Server, _api, _stop, _wait_for_final_state, prefect_server
from sqlalchemy import func, select

from models.engine import make_engine, session_factory
from models.provenance import HarvestRun, SourceRecord
from models.works import Work, WorkIdentifier

__all__ = ["prefect_server"]  # a fixture used here, imported for pytest

REPO = Path(__file__).resolve().parents[2]
POOL = "scholarflow"
HEP_TH_DAY = date(2017, 12, 14)  # wrapped_oai_arXiv_physics_hep-th_2017-12-14.json: 3 records
RUN_TIMEOUT = 240.0
WORKER_COMMAND = [sys.executable, "-m", "prefect", "worker", "start"]


def _worker_env(server: Server) -> dict[str, str]:
    return {
        **server.env,
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick a scheduled run up within a second
        "SCHOLARFLOW_TASK_RETRIES": "0",  # offline failures fail at once
        "SCHOLARFLOW_HTTP_RETRY_DELAYS": "0",
    }


@contextlib.contextmanager
def worker(server: Server, log_path: Path, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """``prefect worker start`` on the process pool (loopback API), stopped on exit."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*WORKER_COMMAND, "--pool", POOL, "--type", "process", "--name", name],
            env=_worker_env(server),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def deployed(prefect_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The limits and pool (``flows.prefect.setup``), ``prefect deploy --all`` from the
    repository's prefect.yaml, and one worker; yields the folder of the worker logs."""
    logs = tmp_path_factory.mktemp("workers")
    env = {**prefect_server.env, "SCHOLARFLOW_CODE_DIR": str(REPO)}
    for command in (
        [sys.executable, "-m", "flows.prefect.setup"],
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
    ):
        done = subprocess.run(
            command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "422" not in done.stdout + done.stderr
    with worker(prefect_server, logs / "worker-1.log", "worker-1") as process:
        yield logs
        assert process.poll() is None, (logs / "worker-1.log").read_text()


def _run(deployment: str, parameters: dict[str, Any]) -> Any:
    """Start ``deployment`` through the API and wait for its final state."""
    from prefect.deployments import run_deployment

    run = run_deployment(deployment, parameters=parameters, timeout=0)
    return _wait_for_final_state(run.id, RUN_TIMEOUT)


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return {
                table.__name__: session.scalar(select(func.count()).select_from(table)) or 0
                for table in (Work, WorkIdentifier, SourceRecord)
            }
    finally:
        engine.dispose()


def _harvest_runs(url: str) -> list[HarvestRun]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(HarvestRun).order_by(HarvestRun.started_at)))
    finally:
        engine.dispose()


def _window(url: str) -> dict[str, Any]:
    return {
        "sources": ["arxiv"],
        "since": HEP_TH_DAY.isoformat(),
        "sets": ["physics:hep-th"],
        "replay_dir": str(ARXIV_RECORDINGS),
        "database_url": url,
    }


@pytest.mark.prefect
def test_a_worker_runs_the_backfill_deployment_started_through_the_api(
    prefect_server: Server, deployed: Path, database_url: str
) -> None:
    from prefect_api import artifact_markdown

    with _api(prefect_server):
        run = _run("backfill/backfill", _window(database_url))
        summary = artifact_markdown(run.id, "backfill-summary")
    log = (deployed / "worker-1.log").read_text()

    assert run.state.is_completed(), (run.state, log[-3000:])
    assert run.state.name == "Completed"  # a clean success, not "Partial"
    assert set(run.tags) >= {"scholarflow", "backfill"}  # from prefect.yaml
    assert "| arxiv | window:physics:hep-th | succeeded | 3 | 3 | 0 | 0 | 0 |" in summary
    assert _counts(database_url) == {"Work": 3, "WorkIdentifier": 5, "SourceRecord": 3}


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL of an empty PostgreSQL schema of its own (advisory locks are per database)."""
    for engine, schema in pg_schema_engine():
        url = engine.url.set(query={"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)


@pytest.mark.prefect
def test_two_workers_running_one_source_at_once_take_turns_and_store_no_duplicate(
    prefect_server: Server, deployed: Path, pg_url: str
) -> None:
    from prefect.deployments import run_deployment

    parameters = {
        "sets": ["physics:hep-th"],
        "since": HEP_TH_DAY.isoformat(),
        "tracked_authors": False,
        "replay": str(ARXIV_RECORDINGS),
        "database_url": pg_url,
    }
    with (
        worker(prefect_server, deployed / "worker-2.log", "worker-2"),
        _api(prefect_server),
    ):
        started = [
            run_deployment("harvest-arxiv/harvest-arxiv", parameters=parameters, timeout=0)
            for _ in range(2)
        ]
        runs = [_wait_for_final_state(r.id, RUN_TIMEOUT) for r in started]

    assert all(r.state.is_completed() for r in runs), [r.state for r in runs]
    harvests = [h for h in _harvest_runs(pg_url) if h.mode == "window"]
    assert len(harvests) == 2, harvests
    first, second = harvests
    # The second harvest began only after the first finished (concurrency limit
    # source-arxiv, then the advisory lock): they never overlapped...
    assert first.finished_at is not None and second.started_at >= first.finished_at
    # ...so the second found everything stored: no duplicate work, identifier or record.
    assert (first.inserted, second.inserted, second.unchanged) == (3, 0, 3)
    assert _counts(pg_url) == {"Work": 3, "WorkIdentifier": 5, "SourceRecord": 3}
