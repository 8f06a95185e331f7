"""What every scholarflow Prefect flow shares: retry rule, database opening, part runner,
summary artifact. Importing this module imports Prefect.
"""

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from prefect import Task, get_run_logger, tags, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State, get_state_exception
from pydantic import AfterValidator, Field
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from flows.runtime import open_database
from harvesters.errors import is_transient
from harvesters.http.politeness import RetrySettingsError, parse_delays
from models.engine import make_engine
from models.locks import source_lock
from models.settings import database_url as configured_database_url
from models.settings import normalize_url

Summary = dict[str, Any]


# Task retries are the outer layer: the HTTP client already retried a few times within
# seconds; these wait minutes, for rate limits and outages to pass. These are the defaults;
# SCHOLARFLOW_TASK_RETRIES and SCHOLARFLOW_TASK_RETRY_DELAYS override them per flow run.
TASK_RETRIES = 2
TASK_RETRY_DELAYS: list[float] = [30, 120]
TASK_RETRIES_ENV = "SCHOLARFLOW_TASK_RETRIES"
TASK_RETRY_DELAYS_ENV = "SCHOLARFLOW_TASK_RETRY_DELAYS"

COUNT_NAMES = ("fetched", "inserted", "updated", "unchanged", "quarantined")


class HarvestFailedError(RuntimeError):
    """Every part of a harvest flow failed. ``result`` holds the flow's summary dict."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class TaskRetrySettings:
    """How often a harvest task is retried after a transient error, and the waits between."""

    retries: int
    delays: list[float]


def task_retry_settings(environ: Mapping[str, str] | None = None) -> TaskRetrySettings:
    """``SCHOLARFLOW_TASK_RETRIES`` (default 2) and ``SCHOLARFLOW_TASK_RETRY_DELAYS``
    (default ``30,120``; the last wait repeats for further retries), read now.

    Raises RetrySettingsError, naming the setting, for an unusable value.
    """
    env = os.environ if environ is None else environ
    retries = TASK_RETRIES
    text = env.get(TASK_RETRIES_ENV, "").strip()
    if text:
        if not text.isdigit():
            raise RetrySettingsError(
                f"{TASK_RETRIES_ENV}={text!r}: expected a whole number of retries >= 0"
            )
        retries = int(text)
    delays = list(TASK_RETRY_DELAYS)
    text = env.get(TASK_RETRY_DELAYS_ENV, "").strip()
    if text:
        delays = list(parse_delays(text, TASK_RETRY_DELAYS_ENV)) or [0.0]
    return TaskRetrySettings(retries, delays)


def with_retry_settings(harvest: Task[..., Any], settings: TaskRetrySettings) -> Task[..., Any]:
    """``harvest`` with ``settings`` applied when it is a :func:`harvest_task` (other tasks,
    which never retry, are returned as they are)."""
    if harvest.retry_condition_fn is not retry_if_transient:
        return harvest
    return harvest.with_options(retries=settings.retries, retry_delay_seconds=settings.delays)


# --------------------------------------------------------------------------- database

# A URL with a password in a flow parameter would be stored by the Prefect API and shown on
# the run's Parameters tab and in `prefect deployment run` output. The JSON schema pattern
# makes the API (enforce_parameter_schema) and the UI form refuse it before a run exists;
# it accepts an optional user without ':' and no further '@' (no lookaround: the UI and
# pydantic use other regex engines than Python).
NO_PASSWORD_PATTERN = r"^[A-Za-z0-9+_.-]+://([^:/@]*@)?[^@]*$"


class DatabaseSettingsError(ValueError):
    """The database cannot be chosen as asked; the message never holds a password."""


def reject_password(url: str) -> str:
    """``url`` unchanged when it holds no password; else DatabaseSettingsError."""
    try:
        has_password = make_url(normalize_url(url)).password is not None
    except ArgumentError as exc:
        raise DatabaseSettingsError(
            "database_url is not a SQLAlchemy URL (dialect://user@host/db)"
        ) from exc
    if has_password:
        raise DatabaseSettingsError(
            "database_url must not hold a password: flow parameters are stored and shown by "
            "the Prefect API. Set SCHOLARFLOW_DATABASE_URL where the flow runs, or store the "
            "URL in a Prefect Secret block and pass its name as database_secret."
        )
    return url


DatabaseUrl = Annotated[
    str,
    AfterValidator(reject_password),
    Field(json_schema_extra={"pattern": NO_PASSWORD_PATTERN}),
]


def load_database_secret(name: str) -> str:
    """The URL stored in the Prefect Secret block ``name`` (a string, or ``{"url": ...}``).

    Raises DatabaseSettingsError when the block is missing or holds no URL.
    """
    from prefect.blocks.system import Secret

    try:
        block = Secret.load(name)
    except ValueError as exc:  # no block of that name
        raise DatabaseSettingsError(f"no Prefect Secret block named {name!r}") from exc
    # Secret.load is typed as maybe-awaitable; called from sync code it returns the block.
    assert isinstance(block, Secret)
    value = block.get()
    if isinstance(value, dict):
        value = value.get("url")
    if not isinstance(value, str) or not value.strip():
        raise DatabaseSettingsError(
            f"Prefect Secret block {name!r} holds no database URL (a string or {{'url': ...}})"
        )
    return value.strip()


def resolve_database(database_url: str | None, database_secret: str | None) -> str | None:
    """The URL a flow should open: ``database_url`` (no password allowed), else the Secret
    block ``database_secret``, else None (SCHOLARFLOW_DATABASE_URL or the default file).

    Raises DatabaseSettingsError for both at once, a URL with a password or a bad block.
    """
    if database_url and database_secret:
        raise DatabaseSettingsError("give database_url or database_secret, not both")
    if database_url:
        return reject_password(database_url)
    if database_secret:
        return load_database_secret(database_secret)
    return None


# --------------------------------------------------------------------------- helpers


def safe_url(url: str | None) -> str:
    """``url`` (default: the configured database URL) with any password masked, for display.

    Pass the resolved URL (:func:`resolve_database`), never log it unmasked."""
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
def flow_database(
    database_url: str | None, database_secret: str | None = None
) -> Iterator[sessionmaker[Session]]:
    """A migrated session factory for the database :func:`resolve_database` picks; its
    engine is disposed on exit. Raises DatabaseSettingsError as that does."""
    sessions = open_database(resolve_database(database_url, database_secret))
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


# --------------------------------------------------------------------------- one source at a time


def source_limit_name(source: str) -> str:
    """The Prefect global concurrency limit that admits one run of ``source`` at a time
    (``prefect gcl create source-arxiv --limit 1``; see ``flows.prefect.setup``)."""
    return f"source-{source}"


def source_tags(source: str) -> list[str]:
    """The tags of a source's flow and task runs: filter the UI by them, or put tag-based
    concurrency limits on them."""
    return ["scholarflow", f"source:{source}"]


@contextlib.contextmanager
def source_guard(
    source: str, database_url: str | None, database_secret: str | None
) -> Iterator[None]:
    """Run the block as the only harvest of ``source``: across workers, the Prefect global
    concurrency limit ``source-<source>`` (waits for the slot; where the limit was never
    created Prefect admits everyone with a warning), and on one PostgreSQL database the
    source's advisory lock around its cursor reads and writes (:mod:`models.locks`).

    Raises DatabaseSettingsError as :func:`resolve_database` does.
    """
    from prefect.concurrency.sync import concurrency

    engine = make_engine(resolve_database(database_url, database_secret))
    try:
        with concurrency(source_limit_name(source), occupy=1), source_lock(engine, source):
            yield
    finally:
        engine.dispose()


class PartRunner:
    """Runs the parts of one source's flow (each a task and a harvest run), isolating failures.

    ``run(part, mode, task, **params)`` calls the task with ``params`` plus ``common``; an
    exception becomes a failed entry in ``runs`` and the next part still runs. A task that
    returns None (nothing to harvest) adds no entry. Harvest tasks retry per
    :func:`task_retry_settings`, read when the runner is made (raises RetrySettingsError).
    """

    def __init__(
        self, source: str, common: dict[str, Any], *, flow_name: str = "", database: str = ""
    ) -> None:
        self.source = source
        self.common = common
        self.flow_name = flow_name or f"harvest-{source}"
        self.database = database  # the URL shown in the artifact, password masked
        self.runs: list[Summary] = []
        self.retry_settings = task_retry_settings()

    @classmethod
    def for_flow(
        cls,
        flow_name: str,
        source: str,
        *,
        replay: str | None,
        record: str | None,
        database_url: str | None,
        database_secret: str | None,
    ) -> "PartRunner":
        """The runner of a harvest flow: every task gets the HTTP mode and the database; logs
        where the flow writes (the URL with any password masked)."""
        database = safe_url(resolve_database(database_url, database_secret))
        get_run_logger().info("%s into %s", flow_name, database)
        common = {
            "replay": replay,
            "record": record,
            "database_url": database_url,
            "database_secret": database_secret,
        }
        return cls(source, common, flow_name=flow_name, database=database)

    def run(self, part: str, mode: str, harvest: Task[..., Any], **params: Any) -> None:
        try:
            with (
                tags(*source_tags(self.source)),
                source_guard(
                    self.source, self.common.get("database_url"), self.common.get("database_secret")
                ),
            ):
                summary = with_retry_settings(harvest, self.retry_settings)(**params, **self.common)
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

    def finish(self, artifact_key: str) -> dict[str, Any]:
        """Publish the summary artifact ``artifact_key`` and return ``{"status", "runs"}``.

        Raises HarvestFailedError (carrying that dict) when every part failed.
        """
        logger = get_run_logger()
        status = overall_status(self.runs)
        result: dict[str, Any] = {"status": status, "runs": self.runs}
        create_markdown_artifact(
            markdown=summary_markdown(self.flow_name, status, self.database, self.runs),
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
