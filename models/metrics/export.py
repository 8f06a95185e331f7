"""Flat rows for ``scholarflow export summaries|works`` (CSV or JSON), read set-based."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.authors import Author
from models.metrics.store import BATCH, COLUMNS
from models.metrics.summaries import read_inputs
from models.metrics.tables import AuthorMetrics
from models.works import Work

#: Summary keys exported beside the stored columns (nested ones as lists/dicts).
EXTRA = (
    "e_index",
    "hc_index",
    "hi_index",
    "hi_norm",
    "hm_index",
    "awcr",
    "aw_index",
    "citations_mean",
    "citations_median",
    "citations_per_year",
    "citations_per_year_basis",
    "h_index_5y",
    "i10_index_5y",
    "since_year",
    "five_year_basis",
    "first_year",
    "last_year",
    "repository_count",
    "coverage",
    "coauthors",
    "topics",
    "venues",
)
SCHOLAR = ("scholar_citations", "scholar_h_index", "scholar_i10_index")


def summary_rows(session: Session, author_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The stored current summary of each author (ones never computed are left out), by
    author id: columns first, then the summary's other keys and the differences."""
    rows: list[dict[str, Any]] = []
    ids = sorted(set(author_ids))
    for start in range(0, len(ids), BATCH):
        for m, name in session.execute(
            select(AuthorMetrics, Author.display_name)
            .join(Author, Author.id == AuthorMetrics.author_id)
            .where(AuthorMetrics.author_id.in_(ids[start : start + BATCH]))
            .order_by(AuthorMetrics.author_id)
        ).tuples():
            row: dict[str, Any] = {"author_id": m.author_id, "name": name}
            row.update({c: getattr(m, c) for c in COLUMNS})
            row.update({c: getattr(m, c) for c in SCHOLAR})
            comparison = ((m.summary or {}).get("scholar") or {}).get("comparison") or {}
            for key in ("citations", "h_index", "i10_index"):
                row[f"{key}_difference"] = (comparison.get(key) or {}).get("difference")
            s2 = ((m.summary or {}).get("s2") or {}).get("comparison") or {}
            for key in ("citations", "h_index"):
                row[f"s2_{key}"] = (s2.get(key) or {}).get("reported")
            row.update({k: (m.summary or {}).get(k) for k in EXTRA})
            row["computed_at"] = m.computed_at.isoformat()
            rows.append(row)
    return rows


def work_rows(session: Session, author_ids: Sequence[int]) -> list[dict[str, Any]]:
    """One row per (author, merged work): position, author count, and the citation count
    the metrics use with its source, day and the other observations. By author, newest
    work first."""
    rows: list[dict[str, Any]] = []
    ids = sorted(set(author_ids))
    for start in range(0, len(ids), BATCH):
        inputs = read_inputs(session, ids[start : start + BATCH])
        work_ids = sorted({w.work_id for i in inputs.values() for w in i.works})
        titles: dict[int, str] = {}
        for part in range(0, len(work_ids), BATCH):
            titles.update(
                session.execute(
                    select(Work.id, Work.title).where(Work.id.in_(work_ids[part : part + BATCH]))
                ).all()
            )
        for author_id in sorted(inputs):
            author = inputs[author_id]
            works = sorted(author.works, key=lambda w: (-(w.year or 0), w.work_id))
            for w in works:
                c = w.citation
                rows.append(
                    {
                        "author_id": author_id,
                        "author": author.name,
                        "work_id": w.work_id,
                        "title": titles.get(w.work_id),
                        "year": w.year,
                        "position": w.position,
                        "n_authors": w.n_authors,
                        "citations": c.count if c else None,
                        "citation_source": c.source if c else None,
                        "citation_observed_on": c.observed_on.isoformat() if c else None,
                        "citation_entry": c.entry if c else None,
                        "other_counts": [
                            {"source": o.source, "entry": o.entry, "count": o.count}
                            for o in (c.others if c else ())
                        ],
                        "categories": list(w.categories),
                        "venues": list(w.venues),
                    }
                )
    return rows
