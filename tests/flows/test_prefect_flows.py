"""The Prefect flows, deployments and retry predicate.

Flow runs go to one temporary Prefect server per test session (``prefect_test_harness``),
started only when a test marked ``prefect`` asks for the ``prefect_harness`` fixture. HTTP
comes from the recorded arXiv responses; nothing leaves the machine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from conftest import ARXIV_RECORDINGS
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.client.schemas.sorting import TaskRunSort
from prefect.states import Completed, Failed, State
from prefect_api import artifact_markdown
from sqlalchemy import select

from flows.prefect.arxiv import (
    HARVEST_ARXIV_ARTIFACT_KEY,
    harvest_arxiv,
    harvest_arxiv_authors_task,
    harvest_arxiv_ids_task,
    harvest_arxiv_window_task,
)
from flows.prefect.common import (
    HarvestFailedError,
    retry_if_transient,
    safe_url,
    summary_markdown,
)
from flows.prefect.deployments import build_deployments
from flows.prefect.nightly import nightly
from harvesters.errors import SourceHTTPError, SourceResponseError, SourceUnavailableError
from models.engine import make_engine, session_factory
from models.works import WorkIdentifier

# pytest-xdist (--dist loadgroup): one worker runs the Prefect test harness tests (one server).
pytestmark = pytest.mark.xdist_group("prefect_harness")

REPLAY = str(ARXIV_RECORDINGS)
HEP_TH_DAY = date(2017, 12, 14)  # wrapped_oai_arXiv_physics_hep-th_2017-12-14.json: 3 records


@pytest.fixture
def db_url(database_url: str) -> str:
    """An empty database per test, on SQLite and on PostgreSQL (see conftest)."""
    return database_url


def _arxiv_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return set(
                session.scalars(
                    select(WorkIdentifier.value).where(WorkIdentifier.scheme == "arxiv")
                )
            )
    finally:
        engine.dispose()


def _run(**params: Any) -> tuple[State[Any], dict[str, Any]]:
    """Run harvest_arxiv; its final state and, when it completed, its result."""
    state = harvest_arxiv(return_state=True, **params)
    result = state.result(raise_on_failure=False) if state.is_completed() else {}
    return state, result


def _part(result: dict[str, Any], part: str) -> dict[str, Any]:
    (run,) = [r for r in result["runs"] if r["part"] == part]
    return run


def _task_runs(flow_run_id: UUID) -> dict[str, Any]:
    with get_client(sync_client=True) as client:
        # sort and limit explicit: with their None defaults this server answers 422.
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=50,
        )
    return {run.name: run for run in runs}


# --------------------------------------------------------------------------- flow runs


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_ids_are_stored_then_unchanged_on_a_second_run(db_url: str) -> None:
    state, result = _run(ids=["1605.08386", "2104.12255v1"], replay=REPLAY, database_url=db_url)

    assert state.is_completed(), state
    assert result["status"] == "succeeded"
    ids_run = _part(result, "ids")
    assert ids_run["status"] == "succeeded"
    assert ids_run["counts"] == {
        "fetched": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 0,
    }
    assert {"1605.08386", "2104.12255"} <= _arxiv_ids(db_url)

    state, again = _run(ids=["1605.08386", "2104.12255v1"], replay=REPLAY, database_url=db_url)

    assert state.is_completed(), state
    counts = _part(again, "ids")["counts"]
    assert (counts["inserted"], counts["updated"], counts["unchanged"]) == (0, 0, 2)
    assert again["runs"][0]["run_id"] != result["runs"][0]["run_id"]


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_window_then_nightly_continues_from_the_stored_datestamp(db_url: str) -> None:
    state, result = _run(
        sets=["physics:hep-th"], since=HEP_TH_DAY, replay=REPLAY, database_url=db_url
    )

    assert state.is_completed(), state
    window = _part(result, "window:physics:hep-th")
    assert window["mode"] == "window"
    assert window["counts"]["inserted"] == 3
    assert len(_arxiv_ids(db_url)) == 3

    # No since: the window starts at the stored last datestamp (2017-12-14), which is the
    # recorded request; no tracked authors: that part is skipped.
    # No citation sources: these recordings hold no Semantic Scholar or OpenAlex answer.
    results = nightly(
        sets=["physics:hep-th"], citation_sources=[], replay_dir=REPLAY, database_url=db_url
    )

    # Every source ran as its own subflow; with no tracked author and no known repository
    # the other five had nothing to do (and sent no request: none is recorded).
    assert list(results) == [
        "arxiv",
        "acl",
        "scholar",
        "github",
        "s2-authors",
        "openalex-authors",
        "merge",
        "citations",
        "metrics",
    ]
    assert results["citations"]["status"] == "skipped"
    assert results["metrics"]["status"] == "succeeded"
    for source in ("acl", "scholar", "github", "s2-authors", "openalex-authors"):
        assert results[source]["status"] == "succeeded", results[source]
    assert results["arxiv"]["status"] == "succeeded"
    (run,) = results["arxiv"]["runs"]
    assert run["part"] == "window:physics:hep-th"
    assert run["counts"]["unchanged"] == 3
    assert run["counts"]["inserted"] == 0


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_nightly_reports_a_failed_source_and_fails_when_all_did(db_url: str) -> None:
    from prefect_api import artifact_markdown

    # Nothing stored for math: the window starts yesterday, which has no recording.
    partial = nightly(sets=["math"], replay_dir=REPLAY, database_url=db_url, return_state=True)
    state = nightly(
        sets=["math"], sources=["arxiv"], replay_dir=REPLAY, database_url=db_url, return_state=True
    )

    # arXiv failed, the other sources still ran: the nightly run completes, but as
    # "Partial", not as a clean Completed, and its own page lists what failed.
    assert partial.is_completed(), partial
    assert partial.name == "Partial", partial
    assert "arxiv/window:math" in (partial.message or "")
    results = partial.result()
    assert results["arxiv"]["status"] == "failed"
    # Nothing is stored, so the citation refresh asks nothing and the metrics have no one.
    assert [s for s, r in results.items() if r["status"] == "succeeded"] == [
        "acl",
        "scholar",
        "github",
        "s2-authors",
        "openalex-authors",
        "citations",
        "metrics",
    ]
    assert results["merge"]["status"] == "skipped"  # nothing pending: loads merge as they go
    failures = artifact_markdown(partial.state_details.flow_run_id, "nightly-failures")
    assert "1 failing part" in failures
    assert "| arxiv/window:math | failed | NoRecordingError" in failures
    summary = artifact_markdown(partial.state_details.flow_run_id, "nightly-summary")
    assert summary.startswith("# nightly: partial")
    assert "| acl |" in summary and "| github |" in summary

    # Only arXiv asked for, and it failed: the nightly run fails, though the stages after it
    # ran without error on the (empty) database.
    assert state.is_failed(), state
    exc = state.result(raise_on_failure=False)
    assert isinstance(exc, HarvestFailedError)
    assert list(exc.result) == ["arxiv", "merge", "citations", "metrics"]
    assert exc.result["metrics"]["status"] == "succeeded"
    arxiv = exc.result["arxiv"]
    assert arxiv["status"] == "failed"
    (run,) = arxiv["runs"]
    assert run["part"] == "window:math"
    assert run["error"].startswith("NoRecordingError")


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_failing_part_does_not_stop_the_others(db_url: str) -> None:
    state, result = _run(
        ids=["abc"],  # recorded: HTTP 400 "incorrect id format for abc"
        sets=["physics:hep-th"],
        since=HEP_TH_DAY,
        replay=REPLAY,
        database_url=db_url,
    )

    assert state.is_completed(), state
    assert result["status"] == "partial"
    failed = _part(result, "ids")
    assert failed["status"] == "failed"
    assert "incorrect id format for abc" in failed["error"]
    assert failed["error"].startswith("SourceHTTPError")
    window = _part(result, "window:physics:hep-th")
    assert window["status"] == "succeeded"
    assert window["counts"]["inserted"] == 3
    assert len(_arxiv_ids(db_url)) == 3

    # A 400 is not transient: the retry predicate said no, so the task ran exactly once.
    task_runs = _task_runs(state.state_details.flow_run_id)
    ids_task = next(r for name, r in task_runs.items() if name.startswith("harvest-arxiv-ids"))
    assert ids_task.state.is_failed()
    assert ids_task.run_count == 1


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_fails_when_every_part_failed_and_still_reports(db_url: str) -> None:
    state, _ = _run(ids=["abc"], replay=REPLAY, database_url=db_url)

    assert state.is_failed(), state
    exc = state.result(raise_on_failure=False)
    assert isinstance(exc, HarvestFailedError)
    assert exc.result["status"] == "failed"
    assert "incorrect id format for abc" in str(exc)
    markdown = artifact_markdown(state.state_details.flow_run_id, HARVEST_ARXIV_ARTIFACT_KEY)
    assert "# harvest-arxiv: failed" in markdown
    assert "incorrect id format for abc" in markdown


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_each_flow_run_publishes_a_summary_artifact(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    state, result = _run(
        ids=["1605.08386"],
        sets=["physics:hep-th"],
        since=HEP_TH_DAY,
        replay=REPLAY,
        database_url=url,
    )
    assert state.is_completed(), state

    markdown = artifact_markdown(state.state_details.flow_run_id, HARVEST_ARXIV_ARTIFACT_KEY)
    print(markdown)
    assert "# harvest-arxiv: succeeded" in markdown
    assert f"Database: `{url}`" in markdown
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines()[6:]}
    ids_run, window = _part(result, "ids"), _part(result, "window:physics:hep-th")
    assert rows["ids"].replace(" ", "") == f"|ids|{ids_run['run_id']}|ids|succeeded|1|1|0|0|0||"
    assert rows["window:physics:hep-th"].replace(" ", "") == (
        f"|window:physics:hep-th|{window['run_id']}|window|succeeded|3|3|0|0|0||"
    )


# --------------------------------------------------------------------------- no server


def test_deployments_schedule_nightly_and_render_backfill_as_a_form() -> None:
    deployments = {d.name: d for d in build_deployments()}

    assert list(deployments) == [
        "nightly",
        "backfill",
        "harvest-arxiv",
        "harvest-acl",
        "harvest-scholar",
        "harvest-github",
        "harvest-s2-authors",
        "harvest-openalex-authors",
        "merge",
        "harvest-citations",
        "compute-metrics",
    ]
    assert all(d.description and "scholarflow" in d.tags for d in deployments.values())
    # A source's own deployment carries its source tag, as the nightly's subflows do.
    assert deployments["harvest-arxiv"].tags == ["scholarflow", "source:arxiv"]
    assert deployments["backfill"].tags == ["scholarflow"]
    merge_form = deployments["merge"]._parameter_openapi_schema.model_dump()["properties"]
    # The same database choice as every flow: a password-free URL or a Secret block name.
    assert set(merge_form) == {"overrides", "remerge_all", "database_url", "database_secret"}
    (schedule,) = deployments["nightly"].schedules
    assert schedule.schedule.cron == "0 3 * * *"
    assert schedule.schedule.timezone == "UTC"
    assert not deployments["backfill"].schedules

    # prefect 3.8.8 keeps the schema in a private attribute; this dump is exactly the
    # ``parameter_openapi_schema`` the deployment registers with the API.
    schema = deployments["backfill"]._parameter_openapi_schema.model_dump(exclude_unset=True)
    print(schema)
    props = schema["properties"]
    assert "required" not in schema or schema["required"] == []  # every field has a default
    assert list(props) == [
        "sources",
        "since",
        "until",
        "authors",
        "sets",
        "arxiv_ids",
        "metadata_prefix",
        "venues",
        "acl_data_dir",
        "replay_dir",
        "database_url",
        "database_secret",
    ]
    assert {"type": "string", "format": "date"} in props["since"]["anyOf"]
    assert props["sources"]["type"] == "array"
    assert props["sources"]["items"]["enum"] == ["arxiv", "acl", "scholar", "github"]
    assert props["sources"]["default"] == ["arxiv"]
    # Optional parameters render as anyOf [the type, null].
    for name in ("authors", "arxiv_ids", "venues"):
        assert {"type": "array", "items": {"type": "string"}} in props[name]["anyOf"]
        assert {"type": "null"} in props[name]["anyOf"]
    assert {"type": "string", "format": "date"} in props["until"]["anyOf"]
    assert props["sets"] == {**props["sets"], "type": "array", "items": {"type": "string"}}
    assert props["sets"]["default"] == ["cs"]
    assert props["metadata_prefix"]["enum"] == ["arXiv", "oai_dc"]
    assert props["since"]["description"] == "First day of the window (empty: 30 days ago)."


def test_deployment_entrypoints_load_the_flows() -> None:
    from prefect.flows import load_flow_from_entrypoint

    for deployment in build_deployments():
        assert deployment.entrypoint.startswith("flows.prefect.")
        assert load_flow_from_entrypoint(deployment.entrypoint).name == deployment.flow_name


URL = "https://export.arxiv.org/api/query?id_list=x"


@pytest.mark.parametrize(
    ("state", "retry"),
    [
        (Failed(data=SourceHTTPError(URL, 503, 1)), True),
        (Failed(data=SourceHTTPError(URL, 429, 3)), True),
        (Failed(data=SourceUnavailableError(URL, 3, TimeoutError("read timeout"))), True),
        (Failed(data=SourceHTTPError(URL, 400, 1)), False),
        (Failed(data=SourceResponseError(URL, "unexpected feed")), False),
        (Failed(data=ValueError("a bug")), False),
        (Failed(message="no exception attached"), False),
        (Completed(data={"ok": True}), False),
    ],
)
def test_retry_predicate_retries_only_transient_errors(state: State[Any], retry: bool) -> None:
    assert retry_if_transient(harvest_arxiv_ids_task, None, state) is retry  # type: ignore[arg-type]


def test_tasks_retry_twice_with_backoff_only_when_transient() -> None:
    for harvest_task in (
        harvest_arxiv_authors_task,
        harvest_arxiv_ids_task,
        harvest_arxiv_window_task,
    ):
        assert harvest_task.retries == 2
        assert harvest_task.retry_delay_seconds == [30, 120]
        assert harvest_task.retry_condition_fn is retry_if_transient


def test_urls_are_shown_without_password() -> None:
    shown = safe_url("postgresql://harvester:s3cret@db.example.org:5432/scholar")
    assert "s3cret" not in shown
    assert shown == "postgresql+psycopg://harvester:***@db.example.org:5432/scholar"
    assert safe_url("sqlite:///x.db") == "sqlite:///x.db"


def test_summary_markdown_escapes_cells_and_lists_failed_parts() -> None:
    runs = [
        {
            "part": "ids",
            "run_id": None,
            "mode": "ids",
            "status": "failed",
            "counts": {},
            "error": "SourceHTTPError: bad | worse\nline",
        },
    ]
    markdown = summary_markdown("harvest-arxiv", "failed", "sqlite:///x.db", runs)
    row = markdown.splitlines()[-1]
    assert (
        row
        == "| ids | - | ids | failed | 0 | 0 | 0 | 0 | 0 | SourceHTTPError: bad \\| worse line |"
    )
