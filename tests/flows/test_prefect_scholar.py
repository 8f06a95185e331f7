"""The ``harvest-scholar`` Prefect flow from the recorded pages: a clean run, a blocked run,
and a proxy password that reaches neither the flow's logs nor its artifact."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from prefect_api import artifact_markdown

from flows.cli.main import main
from flows.pipelines.scholar import scholar_settings
from flows.prefect.common import HarvestFailedError, retry_if_transient
from flows.prefect.scholar import (
    HARVEST_SCHOLAR_ARTIFACT_KEY,
    harvest_scholar,
    harvest_scholar_profiles_task,
)

# pytest-xdist (--dist loadgroup): one worker runs the Prefect test harness tests (one server).
pytestmark = pytest.mark.xdist_group("prefect_harness")

SCHOLAR = FIXTURES / "scholar"
PASSWORD = "pw-prefect-5e4d3c"


def _setup(database_url: str, tmp_path: Path, *, blocked: bool) -> Path:
    db = ["--database-url", database_url]
    assert main([*db, "-q", "authors", "add", "Anne Kietzig", "--scholar-id", "8daWuo4AAAAJ"]) == 0
    replay = tmp_path / "replay"
    replay.mkdir()
    source = (
        SCHOLAR / "blocked" / "wrapped_captcha_profile_8daWuo4AAAAJ.json"
        if blocked
        else SCHOLAR / "recordings" / "wrapped_profile_8daWuo4AAAAJ.json"
    )
    (replay / source.name).write_bytes(source.read_bytes())
    return replay


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_flow_run_harvests_and_keeps_the_proxy_password_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(
        "SCHOLARFLOW_SCHOLAR_PROXY", f"http://harvester:{PASSWORD}@proxy.example:3128"
    )
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    replay = _setup(url, tmp_path, blocked=False)
    caplog.set_level(logging.DEBUG)  # every logger: the flow's, the task's, httpx's

    state = harvest_scholar(replay=str(replay), database_url=url, return_state=True)

    assert state.is_completed(), state
    result: dict[str, Any] = state.result()
    (run,) = result["runs"]
    assert (run["part"], run["status"], run["counts"]["inserted"]) == ("profiles", "succeeded", 2)
    flow_run_id = state.state_details.flow_run_id
    markdown = artifact_markdown(flow_run_id, HARVEST_SCHOLAR_ARTIFACT_KEY)
    assert "# harvest-scholar: succeeded" in markdown
    logs = caplog.text
    assert "harvester:***@proxy.example:3128" in logs  # the settings were logged, masked
    assert PASSWORD not in logs and PASSWORD not in markdown and PASSWORD not in str(result)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_blocked_run_is_reported_not_retried(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'blocked.db'}"
    replay = _setup(url, tmp_path, blocked=True)

    state = harvest_scholar(replay=str(replay), database_url=url, return_state=True)

    assert state.is_failed(), state
    exc = state.result(raise_on_failure=False)
    assert isinstance(exc, HarvestFailedError)
    (run,) = exc.result["runs"]
    assert run["status"] == "blocked" and run["run_id"] is not None
    assert "CAPTCHA page" in run["error"]
    markdown = artifact_markdown(state.state_details.flow_run_id, HARVEST_SCHOLAR_ARTIFACT_KEY)
    assert "| profiles |" in markdown and "blocked" in markdown and "CAPTCHA" in markdown


def test_the_task_retries_only_transient_errors() -> None:
    assert harvest_scholar_profiles_task.retries == 2
    assert harvest_scholar_profiles_task.retry_condition_fn is retry_if_transient


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_credentials_come_from_a_prefect_secret_block(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    Secret(value={"proxy": f"http://u:{PASSWORD}@proxy.example:3128"}).save(
        "scholarflow-test-proxy", overwrite=True
    )
    monkeypatch.setenv("SCHOLARFLOW_SCHOLAR_SECRET_BLOCK", "scholarflow-test-proxy")
    monkeypatch.delenv("SCHOLARFLOW_SCHOLAR_PROXY", raising=False)

    settings = scholar_settings()

    assert settings.mode == "proxy"
    assert settings.describe()["connection"] == "http://u:***@proxy.example:3128"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_proxy_credentials_come_from_a_real_secret_block() -> None:
    from prefect.blocks.system import Secret

    from flows.pipelines.scholar import scholar_settings

    Secret(value={"proxy": "http://harvester:pw-bl0ck@proxy.example:3128"}).save(
        "sf-test-scholar-proxy", overwrite=True
    )
    settings = scholar_settings(
        environ={"SCHOLARFLOW_SCHOLAR_SECRET_BLOCK": "sf-test-scholar-proxy"}
    )

    assert settings.mode == "proxy"
    assert settings.describe()["connection"] == "http://harvester:***@proxy.example:3128"
    assert "pw-bl0ck" in settings.secrets() and "pw-bl0ck" not in repr(settings)
