"""The citations-per-year chart of ``scholarflow show --chart`` (matplotlib, no display)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any


def chart_series(summary: dict[str, Any]) -> tuple[dict[int, int], str]:
    """Citations per year to draw and where they come from: the merged works' per-year
    counts when the summary has them, else the Scholar profile's reported histogram."""
    computed = {int(y): n for y, n in (summary.get("citations_by_year") or {}).items()}
    if computed:
        return computed, "computed from merged works"
    scholar = summary.get("scholar") or {}
    for profile in scholar.get("profiles") or []:
        if profile.get("scholar_id") == scholar.get("compared_with") and profile.get(
            "cites_per_year"
        ):
            hist = {int(y): int(n) for y, n in profile["cites_per_year"].items()}
            return hist, f"as reported by Google Scholar {profile['scholar_id']}"
    return {}, "no per-year counts known"


def write_chart(
    path: Path, summary: dict[str, Any], h_history: Sequence[tuple[datetime, int | None]]
) -> Path:
    """Write bars of citations per year and, where snapshots exist, the computed h-index
    history as a line (right axis) to ``path`` (.png or .svg). Returns ``path``.

    Raises OSError when the file cannot be written."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never needs a display
    from matplotlib import pyplot as plt

    per_year, origin = chart_series(summary)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        if per_year:
            years = sorted(per_year)
            ax.bar(years, [per_year[y] for y in years], color="#4c72b0", label="citations")
            ax.set_xticks(years)
            ax.tick_params(axis="x", labelrotation=60)
        else:
            ax.text(0.5, 0.5, "no per-year citation counts", ha="center", transform=ax.transAxes)
        ax.set_xlabel("year")
        ax.set_ylabel("citations per year")
        ax.set_title(
            f"{summary['name']}: citations {summary['citations']}, h-index "
            f"{summary['h_index']} ({summary['coverage']['with_citation_count']} of "
            f"{summary['works']} works with counts)\nbars: citations per year, {origin}",
            fontsize=10,
        )
        points = [(t, h) for t, h in h_history if h is not None]
        if points:
            right = ax.twinx()
            xs = [t.year + (t.timetuple().tm_yday - 1) / 366 for t, _ in points]
            right.plot(xs, [h for _, h in points], color="#dd8452", marker="o", label="h-index")
            right.set_ylabel("h-index (stored summaries)")
            right.set_ylim(bottom=0)
            lo, hi = min([*per_year, *xs]), max([*per_year, *xs])
            ax.set_xlim(lo - 0.6, hi + 0.6)
            if not per_year:
                ax.set_xticks(range(int(lo), int(hi) + 2))
        fig.tight_layout()
        fig.savefig(path, format=path.suffix.lower().lstrip("."))
    finally:
        plt.close(fig)
    return path
