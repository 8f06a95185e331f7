"""Scale-out as an operator runs it: a real ``prefect server start``, the deployments of the
repository's ``prefect.yaml`` (``prefect deploy --all``), real ``prefect worker start``
processes on the ``scholarflow`` process work pool, runs started through the API, and the
database checked afterwards. Offline: arXiv answers come from the recordings.

One server, one ``prefect deploy`` and one worker serve the whole module (each takes tens of
seconds on 2 cores); the two-worker test starts its second worker itself.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import time
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

# pytest-xdist (--dist loadgroup): the module's Prefect server starts once, on one worker.
pytestmark = pytest.mark.xdist_group("prefect_workers")

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
        # A refused deployment reads "Client error '422 Unprocessable Entity'"; a bare "422"
        # also turns up inside the random UUIDs the output prints.
        assert "Unprocessable" not in done.stdout + done.stderr, (command, done.stdout)
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


# --------------------------------------------------------------------------- the browser

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; CI installs it (.ci/run)
SCREENSHOTS = REPO / "docs" / "screenshots"


def _field(page: Any, name: str) -> Any:
    """The custom-run form's block for parameter ``name`` (its label reads "name (...)")."""
    label = page.locator(".p-label__label", has_text=re.compile(rf"^{name} \("))
    return page.locator("div.p-label").filter(has=label)


def _fill_backfill_form(page: Any, replay: str, url: str, shots: Path) -> None:
    """Pick arxiv in the sources dropdown, 14 Dec 2017 in the since date picker, one item in
    the sets list, and the replay folder and database URL; screenshot; submit."""
    sources = _field(page, "sources")
    sources.locator(".p-tag__dismiss").click()  # drop the default, choose it again below
    sources.locator("button.p-select-button__control").focus()
    page.keyboard.press("ArrowDown")  # a click does not open this select headless; keys do
    page.locator("[role=option]").filter(has_text=re.compile(r"^\s*arxiv\s*$")).click()
    page.keyboard.press("Escape")
    page.get_by_text("Parameters", exact=True).click()  # the next click would only close it

    since = _field(page, "since")
    since.get_by_role("button", name="date", exact=True).click()
    since.locator("button.p-date-button__control").click()
    calendar = page.locator(".p-date-picker")
    calendar.locator(".p-date-picker__title-year").click()
    calendar.get_by_role("button", name=str(HEP_TH_DAY.year), exact=True).click()
    calendar.locator(".p-date-picker__title-month").click()
    calendar.locator(".p-calendar-month-picker__month-button", has_text="December").click()
    day = re.compile(rf"^{HEP_TH_DAY.day}$")
    calendar.locator(".p-calendar-date-picker__date--in-month", has_text=day).click()
    calendar.get_by_role("button", name="Apply").click()

    _field(page, "sets").locator("textarea").first.fill("physics:hep-th")
    page.get_by_text("Run Name", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "backfill-form.png"))
    for name, value in (("replay_dir", replay), ("database_url", url)):
        block = _field(page, name)
        block.get_by_role("button", name="str", exact=True).click()
        block.locator("input, textarea").first.fill(value)
    page.screenshot(path=str(shots / "backfill-form-offline.png"))
    page.locator("button[type=submit]").click()


def _runs_of(deployment_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            limit=50,
        )


def _new_run(deployment_id: Any, known: set[Any], timeout: float) -> Any:
    """The deployment's first flow run not in ``known``, once the form has created it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [r for r in _runs_of(deployment_id) if r.id not in known]
        if new:
            return new[0]
        time.sleep(0.5)
    pytest.fail("the form created no flow run")


@pytest.mark.prefect
def test_an_operator_starts_a_backfill_from_the_prefect_ui_in_a_real_browser(
    prefect_server: Server, deployed: Path, pg_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright
    from prefect.client.orchestration import get_client

    assert CHROMIUM.exists(), "apt-get update && apt-get install -y chromium"
    base = prefect_server.api_url.removesuffix("/api")
    with _api(prefect_server), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("backfill/backfill")
    with _api(prefect_server):
        known = {r.id for r in _runs_of(deployment.id)}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/deployments/deployment/{deployment.id}", wait_until="networkidle")
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("Custom run", exact=True).click()
            page.wait_for_url(re.compile(r"/deployments/deployment/[^/]+/run"), wait_until="commit")
            page.wait_for_load_state("networkidle")
            _fill_backfill_form(page, str(ARXIV_RECORDINGS), pg_url, tmp_path)
            with _api(prefect_server):
                created = _new_run(deployment.id, known, 120)
                run = _wait_for_final_state(created.id, RUN_TIMEOUT)
                with get_client(sync_client=True) as client:
                    response = client.request(
                        "POST",
                        "/artifacts/filter",
                        json={"artifacts": {"flow_run_id": {"any_": [str(run.id)]}}, "limit": 10},
                    )
            artifacts = {a["key"]: a for a in response.json()}
            page.goto(f"{base}/runs/flow-run/{run.id}", wait_until="networkidle")
            page.screenshot(path=str(tmp_path / "backfill-run.png"))
            summary = artifacts["backfill-summary"]
            page.goto(f"{base}/artifacts/artifact/{summary['id']}", wait_until="networkidle")
            page.get_by_text("backfill: succeeded").wait_for()
            page.screenshot(path=str(tmp_path / "backfill-artifact.png"))
        finally:
            browser.close()

    assert run.state.is_completed() and run.state.name == "Completed", run.state
    # What the form sent: the dropdown, the date picker and the list field.
    assert run.parameters["sources"] == ["arxiv"]
    assert run.parameters["since"] == HEP_TH_DAY.isoformat()
    assert run.parameters["sets"] == ["physics:hep-th"]
    assert _counts(pg_url) == {"Work": 3, "WorkIdentifier": 5, "SourceRecord": 3}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = ("backfill-form.png", "backfill-form-offline.png", "backfill-run.png")
    for name in (*shots, "backfill-artifact.png"):
        shutil.copy(tmp_path / name, SCREENSHOTS / name)
