"""Metrics on the command line: ``metrics``, the summary and ``--chart`` of ``show``, and
``export summaries|works``.

Light at import time (``flows.cli.main`` builds its parser from it): SQLAlchemy, the models
and matplotlib are imported when a command runs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from flows.cli.common import UserError, open_cli_database, progress_unless_quiet

EXPORTS = ("summaries", "works")
CHART_SUFFIXES = (".png", ".svg")


def add_commands(sub: Any, export: Any) -> None:
    """``scholarflow metrics`` and ``export summaries|works`` (``export``: the export
    command's subparsers)."""
    metrics = sub.add_parser(
        "metrics",
        help="compute per-author metric summaries from the merged works",
        description="Recomputes only the authors whose inputs changed since their last "
        "summary; by default the active tracked authors.",
    )
    metrics.add_argument("--author", action="append", dest="authors", metavar="NAME")
    metrics.add_argument("--all", action="store_true", help="every canonical author")
    metrics.add_argument(
        "--full", action="store_true", help="recompute even authors whose inputs did not change"
    )
    metrics.add_argument("--json", action="store_true")
    for name, what in (
        ("summaries", "the stored per-author metric summaries (run `metrics` first)"),
        ("works", "each author's works with the citation count the metrics use"),
    ):
        parser = export.add_parser(name, help=what)
        parser.add_argument("--format", choices=("csv", "json"), default="csv")
        parser.add_argument("--author", action="append", dest="authors", metavar="NAME")
        parser.add_argument("--all", action="store_true", help="every canonical author")
        parser.add_argument("--output", "-o", type=Path, help="file (default: stdout)")


def add_show_options(show: argparse.ArgumentParser) -> None:
    show.add_argument(
        "--chart",
        type=Path,
        metavar="FILE.png|FILE.svg",
        help="write a citations-per-year chart (with the h-index history of stored summaries)",
    )


def cmd_metrics(args: argparse.Namespace) -> int:
    from models.metrics.store import compute_metrics, scope_author_ids

    with open_cli_database(args)() as session:
        ids = scope_author_ids(session, args.authors or (), all_authors=args.all)
        run = compute_metrics(session, ids, full=args.full, progress=progress_unless_quiet(args))
        session.commit()
    if args.json:
        print(json.dumps({**run.as_dict(), "summaries": run.summaries}, indent=2, default=str))
        return 0
    print(
        f"metrics: {run.considered} author(s) considered, {run.computed} recomputed, "
        f"{run.unchanged} unchanged"
    )
    for summary in run.summaries:
        print(headline(summary))
    return 0


# --------------------------------------------------------------------------- show


def show_metrics(session: Any, author_id: int, args: argparse.Namespace) -> dict[str, Any]:
    """The author's summary computed from the current inputs (not stored), with ``stored``:
    whether the stored summary is up to date. Writes the chart when ``--chart`` asks."""
    from models.base import utcnow
    from models.metrics.store import current_summary, h_history
    from models.metrics.summaries import read_inputs, summarize

    chart = getattr(args, "chart", None)
    if chart is not None and chart.suffix.lower() not in CHART_SUFFIXES:
        raise UserError(f"--chart writes .png or .svg files, not {chart.name!r}")
    now = utcnow()
    inputs = read_inputs(session, [author_id])[author_id]
    summary = summarize(inputs, current_year=now.year)
    stored = current_summary(session, author_id)
    summary["stored"] = (
        None
        if stored is None
        else {
            "computed_at": stored.computed_at.isoformat(),
            "up_to_date": stored.fingerprint == inputs.fingerprint(now.year),
        }
    )
    if chart is not None:
        from flows.cli.chart import write_chart

        try:
            write_chart(chart, summary, h_history(session, author_id))
        except OSError as exc:
            raise UserError(f"cannot write the chart {chart}: {exc}") from exc
        summary["chart"] = str(chart)
    return summary


def _n(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def headline(s: dict[str, Any]) -> str:
    """One line: name, works, citations, h, i10, g and coverage."""
    return (
        f"{s['name']}: {s['works']} works, citations {_n(s['citations'])}, "
        f"h {_n(s['h_index'])}, i10 {_n(s['i10_index'])}, g {_n(s['g_index'])} "
        f"({coverage_text(s)})"
    )


def coverage_text(s: dict[str, Any]) -> str:
    c = s["coverage"]
    sources = ", ".join(f"{k} {v}" for k, v in c["by_source"].items()) or "no source"
    return f"{c['with_citation_count']} of {c['works']} works with a citation count: {sources}"


def _comparison_lines(title: str, section: dict[str, Any]) -> list[str]:
    """A source's own numbers beside the computed ones (``summary["scholar"]``/``["s2"]``)."""
    lines = [f"  computed vs {title}:"]
    for name, c in section["comparison"].items():
        diff = c["difference"]
        shown = "n/a" if diff is None else f"{diff:+d}"
        lines.append(
            f"    {name}: computed {_n(c['computed'])}, reported {_n(c['reported'])}, "
            f"difference {shown}"
        )
    lines += [f"    why: {note}" for note in section["explanations"]]
    return lines


def metrics_text(s: dict[str, Any]) -> str:
    """The summary as indented lines for ``show``."""
    lines = [
        "  metrics (computed from merged works):",
        f"    coverage: {coverage_text(s)}",
        f"    citations {_n(s['citations'])}, h-index {_n(s['h_index'])}, "
        f"i10-index {_n(s['i10_index'])}, g-index {_n(s['g_index'])}, "
        f"e-index {_n(s['e_index'])}, m-quotient {_n(s['m_quotient'])}",
        f"    hc {_n(s['hc_index'])}, hI {_n(s['hi_index'])}, hI,norm {_n(s['hi_norm'])}, "
        f"hm {_n(s['hm_index'])}, AWCR {_n(s['awcr'])}, AW {_n(s['aw_index'])}",
        f"    citations per paper: mean {_n(s['citations_mean'])}, "
        f"median {_n(s['citations_median'])}; per year {_n(s['citations_per_year'])} "
        f"({s['citations_per_year_basis']})",
        f"    since {s['since_year']}: citations {_n(s['citations_5y'])}, "
        f"h {_n(s['h_index_5y'])}, i10 {_n(s['i10_index_5y'])} ({s['five_year_basis']})",
        f"    first author {s['first_author']}, last author {s['last_author']}; "
        f"repositories {s['repository_count']}, stars {s['stars']}",
    ]
    if s["topics"]:
        lines.append("    topics: " + ", ".join(f"{t['name']} ({t['works']})" for t in s["topics"]))
    if s["venues"]:
        lines.append("    venues: " + ", ".join(f"{v['name']} ({v['works']})" for v in s["venues"]))
    scholar = s.get("scholar")
    if scholar:
        title = f"Google Scholar {scholar['compared_with']} (reported)"
        lines += _comparison_lines(title, scholar)
    s2 = s.get("s2")
    if s2:
        title = f"Semantic Scholar {s2['compared_with']} (reported {s2['observed_on']})"
        lines += _comparison_lines(title, s2)
    stored = s.get("stored")
    if stored is None:
        lines.append("  (not stored yet: `scholarflow metrics` stores it)")
    elif not stored["up_to_date"]:
        lines.append(
            f"  (stored summary of {stored['computed_at']} is out of date: run `scholarflow "
            "metrics`)"
        )
    if s.get("chart"):
        lines.append(f"  chart written to {s['chart']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- export


def cmd_export(args: argparse.Namespace) -> int:
    """``export summaries|works``; ``export gs-data`` goes to the Scholar commands."""
    if args.export_command not in EXPORTS:
        from flows.cli import scholar

        return scholar.cmd_export(args)
    from models.metrics.export import summary_rows, work_rows
    from models.metrics.store import scope_author_ids

    with open_cli_database(args)() as session:
        ids = scope_author_ids(session, args.authors or (), all_authors=args.all)
        if args.export_command == "summaries":
            rows = summary_rows(session, ids)
            if not rows and ids:
                print("no stored summaries; run `scholarflow metrics` first", file=sys.stderr)
        else:
            rows = work_rows(session, ids)
    text = _json(rows) if args.format == "json" else _csv(rows)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {args.output}: {exc}") from exc
        print(f"wrote {len(rows)} row(s) to {args.output}", file=sys.stderr)
    return 0


def _json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False, default=str) + "\n"


def _csv(rows: list[dict[str, Any]]) -> str:
    """Flat CSV: nested values (lists, dicts) as compact JSON text in their cell."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                for k, v in row.items()
            }
        )
    return out.getvalue()
