"""Against a real ``prefect server start`` (not the test harness): the ``prefect`` CLI lists
what an operator looks at, and ``scholarflow serve`` runs deployments on the database it
was given.

The server is a subprocess on a free local port with its own PREFECT_HOME; it takes about
30 s to start, so one server serves the whole module. HTTP comes from the arXiv recordings.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ARXIV_RECORDINGS
from prefect_live import Server, _api, _stop, _wait_for_final_state, prefect_server
from sqlalchemy import select
from sqlalchemy.engine import make_url

from models.engine import make_engine, session_factory
from models.works import WorkIdentifier

# pytest-xdist (--dist loadgroup): the module's Prefect server starts once, on one worker.
pytestmark = pytest.mark.xdist_group("prefect_server")

PASSWORD = "pw-served-9f8e7d"
__all__ = ["prefect_server"]  # the module-scoped server fixture


def _cli(server: Server, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "prefect", *args],
        env=server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.prefect
def test_the_prefect_cli_lists_deployments_runs_pools_and_blocks(prefect_server: Server) -> None:
    from prefect.blocks.system import Secret
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments.runner import EntrypointType

    from flows.prefect.arxiv import harvest_arxiv
    from flows.prefect.deployments import build_deployments

    with _api(prefect_server):
        backfill = next(d for d in build_deployments() if d.name == "backfill")
        backfill.apply()
        listing = harvest_arxiv.to_deployment(
            name="cli-listing", entrypoint_type=EntrypointType.MODULE_PATH
        )
        listing_id = listing.apply()  # type: ignore[union-attr]
        with get_client(sync_client=True) as client:
            # A scheduled run that nobody serves: `flow-run ls` has a row to show.
            client.create_flow_run_from_deployment(listing_id, parameters={"ids": ["x"]})
            client.create_work_pool(WorkPoolCreate(name="sf-server-test-pool", type="process"))
        Secret(value="not-listed-in-clear").save("sf-server-test-block", overwrite=True)

    commands = {
        "deployment": ("deployment", "ls"),
        "flow-run": ("flow-run", "ls"),
        "work-pool": ("work-pool", "ls"),
        "block": ("block", "ls"),
    }
    processes = {name: _cli(prefect_server, *args) for name, args in commands.items()}
    outputs = {}
    for name, process in processes.items():
        out, _ = process.communicate(timeout=180)
        outputs[name] = out
        print(f"$ prefect {' '.join(commands[name])} -> {process.returncode}\n{out}")
        assert process.returncode == 0, (name, out)
        # The 422 answer reads "Client error '422 Unprocessable Entity'"; a bare "422" also
        # turns up inside the random UUIDs of a listing, so the message is what is looked for.
        assert "Unprocessable" not in out, (name, out)

    assert "backfill/backfill" in outputs["deployment"]
    assert "harvest-arxiv/cli-listing" in outputs["deployment"]
    assert "harvest-arxiv" in outputs["flow-run"] and "SCHEDULED" in outputs["flow-run"]
    assert "sf-server-test-pool" in outputs["work-pool"]
    assert "sf-server-test-block" in outputs["block"]
    assert "not-listed-in-clear" not in outputs["block"]


def _with_password(url: str) -> str:
    """``url`` with PASSWORD on PostgreSQL (trust auth ignores it); SQLite has no password."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(password=PASSWORD).render_as_string(hide_password=False)


def _arxiv_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            scheme = WorkIdentifier.scheme == "arxiv"
            return set(session.scalars(select(WorkIdentifier.value).where(scheme)))
    finally:
        engine.dispose()


def _wait_for_deployment(name: str, serve: subprocess.Popen[str], timeout: float) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            assert serve.poll() is None, "scholarflow serve exited"
            with contextlib.suppress(ObjectNotFound):
                return client.read_deployment_by_name(name)
            time.sleep(1)
    pytest.fail(f"{name} not registered after {timeout}s")


@pytest.mark.prefect
def test_serve_runs_deployments_on_its_database_url_and_says_what_it_serves(
    prefect_server: Server, database_url: str, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect_api import artifact_markdown, flow_run_logs

    from flows.prefect.deployments import build_deployments

    url = _with_password(database_url)
    stderr_path = tmp_path / "serve.stderr"
    with stderr_path.open("w") as stderr:
        serve = subprocess.Popen(
            [sys.executable, "-m", "flows.cli.main", "--database-url", url, "serve"],
            env=prefect_server.env,  # no SCHOLARFLOW_DATABASE_URL: only --database-url
            cwd=tmp_path,  # where the default sqlite:///scholarflow.db would go
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
    try:
        with _api(prefect_server):
            deployment = _wait_for_deployment("harvest-arxiv/harvest-arxiv", serve, 120)
            with get_client(sync_client=True) as client:
                created = client.create_flow_run_from_deployment(
                    deployment.id,
                    parameters={"ids": ["1605.08386"], "replay": str(ARXIV_RECORDINGS)},
                )
            run = _wait_for_final_state(created.id, 180)
            logs = flow_run_logs(run.id)
            markdown = artifact_markdown(run.id, "harvest-arxiv-summary")
    finally:
        _stop(serve)  # type: ignore[arg-type]
    said = stderr_path.read_text()
    print(said)

    assert run.state.is_completed(), (run.state, logs)
    assert "1605.08386" in _arxiv_ids(url)  # the served run used --database-url...
    assert not (tmp_path / "scholarflow.db").exists()  # ...not the default file
    # The announcement names exactly what was served.
    names = [f"{d.flow_name}/{d.name}" for d in build_deployments()]
    (line,) = [ln for ln in said.splitlines() if ln.startswith("... serving")]
    assert line == f"... serving {len(names)} deployments: {', '.join(names)} (Ctrl-C stops)"
    # The URL was never a parameter; its password is in no place Prefect shows.
    assert "database_url" not in run.parameters or run.parameters["database_url"] is None
    for place in (repr(run.parameters), logs, markdown, said):
        assert PASSWORD not in place


@pytest.mark.prefect
def test_the_api_refuses_a_database_url_with_a_password_as_a_parameter(
    prefect_server: Server,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.deployments.runner import EntrypointType

    from flows.prefect.arxiv import harvest_arxiv

    with _api(prefect_server):
        deployment = harvest_arxiv.to_deployment(
            name="password-check", entrypoint_type=EntrypointType.MODULE_PATH
        )
        deployment_id = deployment.apply()  # type: ignore[union-attr]
        with get_client(sync_client=True) as client:
            with pytest.raises(Exception) as refused:
                client.create_flow_run_from_deployment(
                    deployment_id,
                    parameters={"database_url": f"postgresql://u:{PASSWORD}@db.example/x"},
                )
            accepted = client.create_flow_run_from_deployment(
                deployment_id, parameters={"database_url": "postgresql://u@db.example/x"}
            )
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                limit=10,
                sort="EXPECTED_START_TIME_DESC",  # type: ignore[arg-type]
            )

    assert "409" in str(refused.value) or "422" in str(refused.value), refused.value
    assert [r.id for r in runs] == [accepted.id]  # the refused run was never created
    assert all(PASSWORD not in repr(r.parameters) for r in runs)
