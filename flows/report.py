"""Plain-text rendering of summaries for the terminal."""

from __future__ import annotations

from collections.abc import Iterable

from flows.harvest_run import HarvestSummary
from models.queries import AuthorSummary, WorkView


def run_line(summary: HarvestSummary) -> str:
    c = summary.counts
    line = (
        f"run {summary.run_id} {summary.source}/{summary.mode}: {summary.status} - "
        f"fetched {c['fetched']}, inserted {c['inserted']}, updated {c['updated']}, "
        f"unchanged {c['unchanged']}, quarantined {c['quarantined']}"
    )
    return f"{line}\n  error: {summary.error}" if summary.error else line


def work_line(work: WorkView) -> str:
    ids = ", ".join(f"{k}:{v}" for k, v in work.identifiers.items())
    year = work.year or "----"
    authors = ", ".join(work.authors[:3]) + (" et al." if len(work.authors) > 3 else "")
    code = f"  code: {' '.join(work.code_links)}" if work.code_links else ""
    return f"[{year}] {work.title}\n       {authors} | {ids} | from {', '.join(work.sources)}{code}"


def works_text(works: Iterable[WorkView]) -> str:
    lines = [work_line(w) for w in works]
    return "\n".join(lines) if lines else "(no works)"


def author_text(summary: AuthorSummary) -> str:
    years = f"{summary.first_year}-{summary.last_year}" if summary.first_year is not None else "n/a"
    cats = ", ".join(f"{c} ({n})" for c, n in summary.categories) or "n/a"
    coauthors = ", ".join(f"{c} ({n})" for c, n in summary.coauthors) or "n/a"
    lines = [
        f"{summary.name}",
        f"  works: {len(summary.works)} ({years}), first author on {summary.first_author_works}",
        f"  categories: {cats}",
        f"  top co-authors: {coauthors}",
    ]
    if summary.code_links:
        lines.append(f"  code: {', '.join(summary.code_links)}")
    return "\n".join(lines)
