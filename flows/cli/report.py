"""Plain-text rendering of summaries for the terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from flows.pipelines.runs import HarvestSummary
from models.queries import AuthorSummary, WorkView

if TYPE_CHECKING:
    from models.scholar.store import ScholarMetrics


def run_line(summary: HarvestSummary) -> str:
    c = summary.counts
    line = (
        f"run {summary.run_id} {summary.source}/{summary.mode}: {summary.status} - "
        f"fetched {c['fetched']}, inserted {c['inserted']}, updated {c['updated']}, "
        f"unchanged {c['unchanged']}, quarantined {c['quarantined']}"
    )
    return f"{line}\n  error: {summary.error}" if summary.error else line


def work_line(work: WorkView) -> str:
    ids = ", ".join([f"{k}:{v}" for k, v in work.identifiers.items()] + work.other_identifiers)
    year = work.year or "----"
    authors = ", ".join(work.authors[:3]) + (" et al." if len(work.authors) > 3 else "")
    code = f"  code: {' '.join(work.code_links)}" if work.code_links else ""
    return f"[{year}] {work.title}\n       {authors} | {ids} | from {', '.join(work.sources)}{code}"


def works_text(works: Iterable[WorkView]) -> str:
    lines = [work_line(w) for w in works]
    return "\n".join(lines) if lines else "(no works)"


def author_text(summary: AuthorSummary, scholar: Sequence[ScholarMetrics] = ()) -> str:
    years = f"{summary.first_year}-{summary.last_year}" if summary.first_year is not None else "n/a"
    cats = ", ".join(f"{c} ({n})" for c, n in summary.categories) or "n/a"
    coauthors = ", ".join(f"{c} ({n})" for c, n in summary.coauthors) or "n/a"
    lines = [
        f"{summary.name}",
        f"  works: {len(summary.works)} ({years}), first author on {summary.first_author_works}",
        f"  categories: {cats}",
        f"  top co-authors: {coauthors}",
    ]
    if summary.possible_works:
        lines.append(
            f"  possibly theirs: {summary.possible_works} more work(s) printed with a matching "
            "name only (an initial, or no id); kept apart: "
            f"`scholarflow explain author {summary.name!r}`"
        )
    if summary.code_links:
        lines.append(f"  code: {', '.join(summary.code_links)}")
    if summary.repositories:
        top = ", ".join(f"{r['full_name']} ({r['stars'] or 0})" for r in summary.repositories[:3])
        lines.append(
            f"  GitHub: {len(summary.repositories)} repositories, {summary.stars} stars; "
            f"most starred: {top}"
        )
    lines += [scholar_line(m) for m in scholar]
    return "\n".join(lines)


def scholar_line(metrics: ScholarMetrics) -> str:
    def show(value: int | None) -> str:
        return "n/a" if value is None else str(value)

    return (
        f"  Google Scholar {metrics.scholar_id}: cited by {show(metrics.citedby)}, "
        f"h-index {show(metrics.hindex)}, i10-index {show(metrics.i10index)} "
        f"(observed {metrics.observed_at:%Y-%m-%d})"
    )
