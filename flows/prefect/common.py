"""What every scholarflow Prefect flow shares: retry rule, database opening, part runner,
summary artifact. Importing this module imports Prefect.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

from prefect import Task, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State, get_state_exception
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from flows.runtime import open_database
from harvesters.errors import is_transient
from models.settings import database_url as configured_database_url
from models.settings import normalize_url

Summary = dict[str, Any]


# Task retries are the outer layer: the HTTP client already retried a few times within
# seconds; these wait minutes, for rate limits and outages to pass.
TASK_RETRIES = 2
TASK_RETRY_DELAYS: list[float] = [30, 120]

COUNT_NAMES = ("fetched", "inserted", "updated", "unchanged", "quarantined")


class HarvestFailedError(RuntimeError):
    """Every part of a harvest flow failed. ``result`` holds the flow's summary dict."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


# --------------------------------------------------------------------------- helpers


def safe_url(url: str | None) -> str:
    """``url`` (default: the configured database URL) with any password masked, for display."""
    url = normalize_url(url) if url else configured_database_url()
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        # Not a URL SQLAlchemy understands; show nothing that might hold a secret.
        return "<unparsable database URL>"


def describe_error(exc: BaseException) -> str:
    """The form a harvest run row stores errors in: ``Type: message``."""
    return f"{type(exc).__name__}: {exc}"


def _state_exception(state: State[Any]) -> BaseException | None:
    # The task engine hands the raised exception over as the Failed state's data; results
    # read back from storage go through Prefect's own resolution.
    if isinstance(state.data, BaseException):
        return state.data
    try:
        exc = get_state_exception(state)
    except Exception:
        return None
    return exc if isinstance(exc, BaseException) else None


def harvest_task(name: str, **options: Any) -> Any:
    """The decorator of a task that harvests over the network: TASK_RETRIES retries after
    TASK_RETRY_DELAYS, for transient errors only, never cached. ``options`` go to
    ``prefect.task`` (e.g. ``task_run_name``)."""
    return task(
        name=name,
        retries=TASK_RETRIES,
        retry_delay_seconds=TASK_RETRY_DELAYS,
        retry_condition_fn=retry_if_transient,
        cache_policy=NO_CACHE,
        **options,
    )


def retry_if_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect ``retry_condition_fn``: retry only errors where trying later may help.

    Rate limits, 5xx answers and unreachable sources are transient
    (:func:`harvesters.errors.is_transient`); a 400, an error feed or a parse error is not,
    and retrying it would only repeat the failure.
    """
    exc = _state_exception(state)
    return exc is not None and is_transient(exc)


@contextlib.contextmanager
def flow_database(database_url: str | None) -> Iterator[sessionmaker[Session]]:
    """A migrated session factory for ``database_url``; its engine is disposed on exit."""
    sessions = open_database(database_url)
    try:
        yield sessions
    finally:
        engine = sessions.kw.get("bind")
        if engine is not None:
            engine.dispose()


def md_cell(value: Any, limit: int = 300) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_markdown(title: str, status: str, database: str, runs: list[Summary]) -> str:
    """A markdown table of harvest runs (one row each) for a Prefect artifact."""
    header = ("part", "run id", "mode", "status", *COUNT_NAMES, "error")
    lines = [
        f"# {title}: {status}",
        "",
        f"Database: `{database}`",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for run in runs:
        counts = run.get("counts") or {}
        cells = [
            run.get("part"),
            run.get("run_id") if run.get("run_id") is not None else "-",
            run.get("mode"),
            run.get("status"),
            *(counts.get(name, 0) for name in COUNT_NAMES),
            run.get("error") or "",
        ]
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    if not runs:
        lines.append("| (nothing to harvest) |" + " |" * (len(header) - 1))
    return "\n".join(lines) + "\n"


def overall_status(runs: list[Summary]) -> str:
    failed = sum(1 for r in runs if r.get("status") != "succeeded")
    if failed == 0:
        return "succeeded"
    return "failed" if failed == len(runs) else "partial"


class PartRunner:
    """Runs the parts of one source's flow (each a task and a harvest run), isolating failures.

    ``run(part, mode, task, **params)`` calls the task with ``params`` plus ``common``; an
    exception becomes a failed entry in ``runs`` and the next part still runs. A task that
    returns None (nothing to harvest) adds no entry.
    """

    def __init__(self, source: str, common: dict[str, Any]) -> None:
        self.source = source
        self.common = common
        self.runs: list[Summary] = []

    def run(self, part: str, mode: str, harvest: Task[..., Any], **params: Any) -> None:
        try:
            summary = harvest(**params, **self.common)
        except Exception as exc:
            get_run_logger().error("%s %s failed: %s", self.source, part, describe_error(exc))
            self.runs.append(
                {
                    "part": part,
                    "run_id": None,
                    "source": self.source,
                    "mode": mode,
                    "status": "failed",
                    "counts": {},
                    "error": describe_error(exc),
                    "cursor": {},
                }
            )
            return
        if summary is not None:
            self.runs.append({"part": part, **summary})

    def finish(self, title: str, database: str, artifact_key: str) -> dict[str, Any]:
        """Publish the summary artifact and return ``{"status", "runs"}``.

        Raises HarvestFailedError (carrying that dict) when every part failed.
        """
        logger = get_run_logger()
        status = overall_status(self.runs)
        result: dict[str, Any] = {"status": status, "runs": self.runs}
        create_markdown_artifact(
            markdown=summary_markdown(title, status, database, self.runs),
            key=artifact_key,
            description=f"{self.source} harvest runs of this flow run",
        )
        for run in self.runs:
            logger.info(
                "%s %s: %s %s",
                self.source,
                run["part"],
                run["status"],
                ", ".join(f"{n}={run['counts'].get(n, 0)}" for n in COUNT_NAMES),
            )
        if status == "failed":
            raise HarvestFailedError(
                f"all {len(self.runs)} {self.source} harvest part(s) failed: "
                + "; ".join(f"{r['part']}: {r['error']}" for r in self.runs),
                result,
            )
        return result
