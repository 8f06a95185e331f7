"""Operating the flows: where the database URL comes from (never a parameter with a
password), retry timing from settings, offline backfill/nightly, what ``serve`` announces.

Flow runs go to the session's test harness; HTTP comes from the arXiv recordings, and the
"offline" failure is a connection refused by a closed local port.
"""

from __future__ import annotations

import shutil
import socket
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import ARXIV_RECORDINGS, FIXTURES
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import TaskRunSort
from prefect.exceptions import ParameterTypeError
from prefect_api import artifact_markdown, flow_run_logs
from sqlalchemy import select
from sqlalchemy.engine import make_url

from flows.cli.main import main
from flows.prefect.arxiv import HARVEST_ARXIV_ARTIFACT_KEY, harvest_arxiv
from flows.prefect.backfill import backfill
from flows.prefect.common import (
    DatabaseSettingsError,
    reject_password,
    task_retry_settings,
)
from flows.prefect.deployments import build_deployments
from flows.prefect.nightly import nightly
from flows.runtime import arxiv_oai_harvester
from harvesters.arxiv.oai import ArxivOaiHarvester
from harvesters.errors import SourceUnavailableError
from harvesters.http.client import PoliteHttpClient
from harvesters.http.politeness import RetryPolicy, RetrySettingsError, http_retry_delays
from models.engine import make_engine, session_factory
from models.works import WorkIdentifier

# pytest-xdist (--dist loadgroup): one worker runs the Prefect test harness tests (one server).
pytestmark = pytest.mark.xdist_group("prefect_harness")

PASSWORD = "pw-env-4c3b2a"
HEP_TH_DAY = date(2017, 12, 14)  # wrapped_oai_arXiv_physics_hep-th_2017-12-14.json: 3 records
RETRY_VARIABLES = (
    "SCHOLARFLOW_HTTP_RETRY_DELAYS",
    "SCHOLARFLOW_TASK_RETRIES",
    "SCHOLARFLOW_TASK_RETRY_DELAYS",
)


@pytest.fixture
def no_retry_settings(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in RETRY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _with_password(url: str) -> str:
    """``url`` with PASSWORD on PostgreSQL (trust auth ignores it); SQLite has none."""
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


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again on exit: connections are refused


# --------------------------------------------------------------------------- database URL


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_password_in_the_environment_appears_nowhere_prefect_shows(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _with_password(database_url)
    monkeypatch.setenv("SCHOLARFLOW_DATABASE_URL", url)

    state = harvest_arxiv(ids=["1605.08386"], replay=str(ARXIV_RECORDINGS), return_state=True)

    assert state.is_completed(), state
    assert "1605.08386" in _arxiv_ids(url)  # the run used the environment's database
    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=50,
        )
    logs = flow_run_logs(flow_run_id)
    markdown = artifact_markdown(flow_run_id, HARVEST_ARXIV_ARTIFACT_KEY)
    assert run.parameters.get("database_url") is None
    assert "into " in logs and "Database: `" in markdown  # where it went is shown...
    for place in (repr(run.parameters), repr(task_runs), logs, markdown, repr(state.result())):
        assert PASSWORD not in place  # ...never with the password


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_database_secret_block_names_the_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks.system import Secret

    url = _with_password(database_url)
    monkeypatch.delenv("SCHOLARFLOW_DATABASE_URL", raising=False)
    Secret(value=url).save("sf-test-database-url", overwrite=True)

    state = harvest_arxiv(
        ids=["1605.08386"],
        replay=str(ARXIV_RECORDINGS),
        database_secret="sf-test-database-url",
        return_state=True,
    )

    assert state.is_completed(), state
    assert "1605.08386" in _arxiv_ids(url)
    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        parameters = client.read_flow_run(flow_run_id).parameters
    assert parameters["database_secret"] == "sf-test-database-url"
    logs = flow_run_logs(flow_run_id)
    for place in (repr(parameters), logs, artifact_markdown(flow_run_id, "harvest-arxiv-summary")):
        assert PASSWORD not in place


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_missing_secret_block_fails_the_run_clearly(tmp_path: Path) -> None:
    state = harvest_arxiv(
        ids=["1605.08386"],
        replay=str(ARXIV_RECORDINGS),
        database_secret="sf-no-such-database-block",
        return_state=True,
    )

    assert state.is_failed(), state
    exc = state.result(raise_on_failure=False)
    assert isinstance(exc, DatabaseSettingsError)
    assert str(exc) == "no Prefect Secret block named 'sf-no-such-database-block'"


def test_a_database_url_with_a_password_is_refused_as_a_parameter() -> None:
    with pytest.raises(ParameterTypeError, match="database_url must not hold a password") as exc:
        harvest_arxiv.validate_parameters({"database_url": f"postgresql://u:{PASSWORD}@h/db"})
    assert PASSWORD not in str(exc.value)
    # Without a password it is still a parameter (a user, a query, a SQLite file).
    for url in (
        "postgresql+psycopg://harvester@db.example:5432/scholar?options=-csearch_path%3Dx",
        "sqlite:///scholarflow.db",
    ):
        assert reject_password(url) == url
    with pytest.raises(DatabaseSettingsError, match="not a SQLAlchemy URL"):
        reject_password("scholar database")

    # Every deployment's form and API schema refuses it too (enforce_parameter_schema).
    import re

    for deployment in build_deployments():
        schema = deployment._parameter_openapi_schema.model_dump(exclude_unset=True)
        props = schema["properties"]
        assert "database_secret" in props, deployment.name
        (string,) = [s for s in props["database_url"]["anyOf"] if s.get("type") == "string"]
        assert not re.search(string["pattern"], f"postgresql://u:{PASSWORD}@h/db")
        assert re.search(string["pattern"], "postgresql://harvester@db.example/scholar")


def test_serve_announces_what_it_serves_and_hands_runs_its_database_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import prefect

    served: dict[str, Any] = {}

    def fake_serve(*deployments: Any, limit: int | None = None) -> None:
        import os

        served["names"] = [f"{d.flow_name}/{d.name}" for d in deployments]
        served["url"] = os.environ.get("SCHOLARFLOW_DATABASE_URL")

    monkeypatch.setattr(prefect, "serve", fake_serve)
    monkeypatch.setenv("SCHOLARFLOW_DATABASE_URL", "sqlite:///not-this.db")
    url = f"postgresql://harvester:{PASSWORD}@db.example/scholar"

    assert main(["--database-url", url, "serve", "--cron", "0 4 * * *"]) == 0

    err = capsys.readouterr().err
    assert served["url"] == url  # served runs inherit the process environment
    names = ", ".join(served["names"])
    assert f"serving {len(served['names'])} deployments: {names} (Ctrl-C stops)" in err
    assert len(served["names"]) == 11 and "harvest-github/harvest-github" in served["names"]
    assert "merge/merge" in served["names"]
    assert "compute-metrics/compute-metrics" in served["names"]
    assert "harvest-citations/harvest-citations" in served["names"]
    assert "postgresql+psycopg://harvester:***@db.example/scholar" in err
    assert PASSWORD not in err


# --------------------------------------------------------------------------- retry timing


def test_retry_timing_defaults_are_the_polite_ones(no_retry_settings: pytest.MonkeyPatch) -> None:
    policy = RetryPolicy()
    assert policy.backoff == (3.0, 9.0, 27.0)
    assert policy.max_attempts == 4
    settings = task_retry_settings()
    assert (settings.retries, settings.delays) == (2, [30, 120])
    # The decorated defaults, for a flow run that does not override them.
    from flows.prefect.arxiv import harvest_arxiv_window_task

    assert harvest_arxiv_window_task.retries == 2
    assert harvest_arxiv_window_task.retry_delay_seconds == [30, 120]


def test_retry_timing_comes_from_the_environment_when_read(
    no_retry_settings: pytest.MonkeyPatch,
) -> None:
    no_retry_settings.setenv("SCHOLARFLOW_HTTP_RETRY_DELAYS", "1, 2.5")
    no_retry_settings.setenv("SCHOLARFLOW_TASK_RETRIES", "3")
    no_retry_settings.setenv("SCHOLARFLOW_TASK_RETRY_DELAYS", "5,10")
    policy = RetryPolicy()
    assert (policy.backoff, policy.max_attempts) == ((1.0, 2.5), 3)
    assert RetryPolicy(backoff=(10.0, 30.0), max_attempts=3).backoff == (10.0, 30.0)
    settings = task_retry_settings()
    assert (settings.retries, settings.delays) == (3, [5.0, 10.0])
    assert http_retry_delays({"SCHOLARFLOW_HTTP_RETRY_DELAYS": "none"}) == ()
    assert RetryPolicy(backoff=()).max_attempts == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCHOLARFLOW_HTTP_RETRY_DELAYS", "3,nine,27"),
        ("SCHOLARFLOW_HTTP_RETRY_DELAYS", "-1"),
        ("SCHOLARFLOW_HTTP_RETRY_DELAYS", "3,,27"),
        ("SCHOLARFLOW_HTTP_RETRY_DELAYS", "inf"),
        ("SCHOLARFLOW_TASK_RETRIES", "two"),
        ("SCHOLARFLOW_TASK_RETRIES", "-1"),
        ("SCHOLARFLOW_TASK_RETRY_DELAYS", "30s"),
    ],
)
def test_unusable_retry_settings_are_refused_by_name(
    no_retry_settings: pytest.MonkeyPatch, name: str, value: str
) -> None:
    no_retry_settings.setenv(name, value)
    with pytest.raises(RetrySettingsError) as exc:
        RetryPolicy()
        task_retry_settings()
    assert str(exc.value).startswith(f"{name}={value!r}: expected")


def test_with_zero_http_delays_a_refused_connection_fails_at_once(
    no_retry_settings: pytest.MonkeyPatch,
) -> None:
    no_retry_settings.setenv("SCHOLARFLOW_HTTP_RETRY_DELAYS", "0,0")
    client = PoliteHttpClient(min_interval=0.0)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError), client:
        client.get(f"http://127.0.0.1:{_closed_port()}/oai")
    assert client.requests_made == 3  # the two retries still happen, without waiting
    assert time.monotonic() - started < 5


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_with_retry_delays_set_to_0_an_offline_harvest_fails_within_seconds(
    tmp_path: Path, no_retry_settings: pytest.MonkeyPatch
) -> None:
    import flows.prefect.arxiv

    port = _closed_port()

    def offline_oai(*, replay: bool = False) -> ArxivOaiHarvester:
        # The real harvester (3 s politeness interval), pointed at a port nobody listens on.
        return arxiv_oai_harvester(replay=replay, base_url=f"http://127.0.0.1:{port}/oai")

    no_retry_settings.setattr(flows.prefect.arxiv, "arxiv_oai_harvester", offline_oai)
    no_retry_settings.setenv("SCHOLARFLOW_HTTP_RETRY_DELAYS", "0")
    no_retry_settings.setenv("SCHOLARFLOW_TASK_RETRY_DELAYS", "0")
    url = f"sqlite:///{tmp_path / 'offline.db'}"

    started = time.monotonic()
    state = harvest_arxiv(
        sets=["cs"], since=HEP_TH_DAY, tracked_authors=False, database_url=url, return_state=True
    )
    elapsed = time.monotonic() - started

    assert state.is_failed(), state
    (run,) = state.result(raise_on_failure=False).result["runs"]
    assert run["error"].startswith("SourceUnavailableError"), run
    # 3 task attempts x (1 request + 1 retry after the 3 s interval): about 9 s. The
    # defaults would wait 3+9+27 s per attempt and 30 and 120 s between attempts.
    assert elapsed < 30, elapsed
    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        (task_run,) = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=50,
        )
    assert task_run.run_count == 3  # the default 2 task retries still ran, without waiting


# --------------------------------------------------------------------------- offline runs


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_backfill_runs_arxiv_offline_from_a_replay_dir(database_url: str) -> None:
    result = backfill(
        sources=["arxiv"],
        since=HEP_TH_DAY,
        sets=["physics:hep-th"],
        replay_dir="tests/fixtures/arxiv/recordings",
        database_url=database_url,
    )["arxiv"]

    assert result["status"] == "succeeded"
    (run,) = result["runs"]  # no tracked authors: only the window
    assert run["part"] == "window:physics:hep-th"
    assert run["counts"]["inserted"] == 3
    assert len(_arxiv_ids(database_url)) == 3


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_nightly_runs_offline_from_a_replay_dir_and_an_acl_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'nightly.db'}"
    checkout = tmp_path / "checkout"
    (checkout / "data" / "xml").mkdir(parents=True)
    for path in sorted((FIXTURES / "acl" / "xml").glob("*.xml")):
        shutil.copy(path, checkout / "data" / "xml" / path.name)
    monkeypatch.setenv("SCHOLARFLOW_ACL_DATA_DIR", str(tmp_path / "managed-never-synced"))
    replay = str(ARXIV_RECORDINGS)
    # The window's datestamp is stored first, so the nightly window asks for a recorded day.
    backfill(
        sources=["arxiv"],
        since=HEP_TH_DAY,
        sets=["physics:hep-th"],
        replay_dir=replay,
        database_url=url,
    )
    assert (
        main(
            [
                "--database-url",
                url,
                "-q",
                "authors",
                "add",
                "James Henderson",
                "--acl-id",
                "james-henderson",
            ]
        )
        == 0
    )

    state = nightly(
        sets=["physics:hep-th"],
        sources=["arxiv", "acl"],
        replay_dir=replay,
        acl_data_dir=str(checkout),
        database_url=url,
        return_state=True,
    )

    assert state.is_completed(), state
    assert state.name == "Partial"  # the author query had no recording
    results = state.result()
    print(results)
    assert list(results) == ["arxiv", "acl", "merge", "citations", "metrics"]
    # The tracked author's arXiv query has no recording: offline, that part fails; the
    # window is answered from the recordings (nothing new since the backfill).
    runs = {r["part"]: r for r in results["arxiv"]["runs"]}
    assert runs["authors"]["error"].startswith("NoRecordingError")
    assert runs["window:physics:hep-th"]["counts"]["unchanged"] == 3
    # ACL read the checkout as it is: no sync part, nothing fetched from GitHub.
    (acl,) = results["acl"]["runs"]
    assert (acl["part"], acl["status"]) == ("authors", "succeeded")
    assert acl["counts"]["inserted"] == 2
    assert not (tmp_path / "managed-never-synced").exists()
