"""What a parent flow (nightly, backfill) does with its parts: run each isolated and tagged,
publish the summary and failing-parts artifacts on the parent run, and end in a state a
person can tell apart from a clean success (Completed "Partial")."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from prefect import get_run_logger, tags
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, State

from flows.prefect.common import (
    COUNT_NAMES,
    HarvestFailedError,
    describe_error,
    md_cell,
    source_tags,
)

PARTIAL_STATE_NAME = "Partial"
CLEAN_STATUSES = frozenset({"succeeded", "skipped"})


def run_isolated(name: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``run()`` under the tags of ``name``; an exception becomes a ``failed`` result
    (keeping the runs a HarvestFailedError carries) instead of stopping the caller."""
    try:
        with tags(*source_tags(name)):
            return run()
    except Exception as exc:
        get_run_logger().error("%s failed: %s", name, describe_error(exc))
        partial = getattr(exc, "result", None)
        return {
            "status": "failed",
            "error": describe_error(exc),
            "runs": partial["runs"] if isinstance(partial, dict) else [],
        }


def failing_parts(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every part that did not succeed: ``{"part", "status", "error"}``, a whole source when
    it failed before any part ran."""
    failures = []
    for name, result in results.items():
        bad_runs = [r for r in result.get("runs") or [] if r.get("status") not in CLEAN_STATUSES]
        for run in bad_runs:
            failures.append(
                {
                    "part": f"{name}/{run.get('part')}",
                    "status": run.get("status"),
                    "error": run.get("error"),
                }
            )
        if result.get("status") not in CLEAN_STATUSES and not bad_runs:
            failures.append(
                {"part": name, "status": result.get("status"), "error": result.get("error")}
            )
    return failures


def _summary_markdown(title: str, results: dict[str, dict[str, Any]], status: str) -> str:
    header = ("source/stage", "part", "status", *COUNT_NAMES, "error")
    lines = [f"# {title}: {status}", "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "---|" * len(header))
    for name, result in results.items():
        runs = result.get("runs") or []
        if not runs:
            cells = [name, "-", result.get("status"), *("" for _ in COUNT_NAMES)]
            lines.append(
                "| " + " | ".join(md_cell(c) for c in [*cells, result.get("error")]) + " |"
            )
        for run in runs:
            counts = run.get("counts") or {}
            cells = [
                name,
                run.get("part"),
                run.get("status"),
                *(counts.get(n, 0) for n in COUNT_NAMES),
                run.get("error") or "",
            ]
            lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _failures_markdown(title: str, failures: list[dict[str, Any]]) -> str:
    lines = [f"# {title}: {len(failures)} failing part(s)", "", "| part | status | error |"]
    lines.append("|---|---|---|")
    lines += [
        f"| {md_cell(f['part'])} | {md_cell(f['status'])} | {md_cell(f['error'])} |"
        for f in failures
    ]
    return "\n".join(lines) + "\n"


def finish_parent(
    title: str,
    results: dict[str, dict[str, Any]],
    artifact_prefix: str,
    harvests: Collection[str] | None = None,
) -> dict[str, Any] | State[Any]:
    """Publish ``<prefix>-summary`` (every source/stage and part) and, when something failed
    or was blocked, ``<prefix>-failures`` on the calling (parent) flow run.

    Returns ``results`` on a clean success; a Completed state named "Partial" carrying
    ``results`` when some part failed or was blocked. Raises HarvestFailedError when every
    part that ran failed, or, with ``harvests`` (the names of the source harvests among the
    results), when every one of those failed: stages that worked on what was already stored
    do not turn a night that harvested nothing into a success.
    """
    failures = failing_parts(results)
    judged = {n: r for n, r in results.items() if n in harvests} if harvests else results
    # A skipped stage neither succeeded nor failed: it does not rescue an all-failed run.
    ran = [r for r in judged.values() if r.get("status") != "skipped"]
    everything_failed = bool(ran) and all(r.get("status") == "failed" for r in ran)
    status = "failed" if everything_failed else "partial" if failures else "succeeded"
    create_markdown_artifact(
        markdown=_summary_markdown(title, results, status),
        key=f"{artifact_prefix}-summary",
        description=f"Every source and stage of this {title} run",
    )
    if failures:
        create_markdown_artifact(
            markdown=_failures_markdown(title, failures),
            key=f"{artifact_prefix}-failures",
            description=f"What failed or was blocked in this {title} run",
        )
    if everything_failed:
        raise HarvestFailedError(f"{title}: everything failed: " + ", ".join(results), results)
    if failures:
        get_run_logger().warning(
            "%s partial: %s", title, "; ".join(f"{f['part']} {f['status']}" for f in failures)
        )
        return Completed(
            name=PARTIAL_STATE_NAME,
            message=f"{len(failures)} part(s) failed or blocked: "
            + ", ".join(f["part"] for f in failures),
            data=results,
        )
    return results
