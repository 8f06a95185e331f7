"""A real ``prefect server start`` for the tests that need one (not the test harness): a
subprocess on a free loopback port with its own PREFECT_HOME, about 30 s to start, so one
server serves a whole test module (import the ``prefect_server`` fixture into it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

START_TIMEOUT = 180.0


@dataclass
class Server:
    api_url: str
    env: dict[str, str]
    home: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(home: Path, api_url: str) -> dict[str, str]:
    """This process's environment without any Prefect or scholarflow database setting, plus
    the test server's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PREFECT_") and k != "SCHOLARFLOW_DATABASE_URL"
    }
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_UI_API_URL=api_url,  # the UI in a browser talks to this server
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_RUNNER_POLL_FREQUENCY="2",  # a served deployment picks a run up within 2 s
        COLUMNS="250",  # rich tables: no truncated deployment names
    )
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process group this test started (the server runs uvicorn as a child)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``prefect server start`` on a free port, healthy, for this module; stopped after."""
    home = tmp_path_factory.mktemp("prefect-server-home")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _environment(home, api_url)
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        command = [sys.executable, "-m", "prefect", "server", "start"]
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"prefect server exited {process.returncode}:\n{log_path.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"prefect server not healthy after {START_TIMEOUT}s")
            time.sleep(0.5)
        yield Server(api_url, env, home)
    finally:
        _stop(process)


@contextlib.contextmanager
def _api(server: Server) -> Iterator[None]:
    """In this process, talk to the test server (also inside the session's harness)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield


def _wait_for_final_state(flow_run_id: Any, timeout: float) -> Any:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(flow_run_id)
            if run.state is not None and run.state.is_final():
                return run
            time.sleep(1)
    pytest.fail(f"flow run {flow_run_id} not finished after {timeout}s")
