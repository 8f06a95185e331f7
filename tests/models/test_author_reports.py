"""S2's own author numbers, kept by day beside the computed metrics."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from harvesters.s2.author_report import S2AuthorReport
from models.authors import Author, AuthorIdentifier
from models.citations.author_reports import (
    AuthorReport,
    latest_author_reports,
    store_author_reports,
)
from models.metrics.summaries import read_inputs, summarize


def _report(day: int, h: int) -> S2AuthorReport:
    return S2AuthorReport("2262347", "A. Turing", 60, 12415 + day, h, date(2026, 12, day))


def test_one_report_per_author_id_and_day_and_readers_get_the_newest(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        turing = Author(display_name="Alan Turing", name_key="alan turing")
        other = Author(display_name="Someone Else", name_key="someone else")
        s.add_all([turing, other])
        s.flush()
        s.add(AuthorIdentifier(author_id=turing.id, scheme="s2", value="2262347"))
        store_author_reports(s, "s2", [_report(1, 22)], run_id=None)
        store_author_reports(s, "s2", [_report(1, 23)], run_id=None)  # same day: replaces
        store_author_reports(s, "s2", [_report(2, 23)], run_id=None)  # next day: history
        ids = (turing.id, other.id)
    with sessions() as s:
        rows = s.execute(
            select(AuthorReport.observed_on, AuthorReport.h_index).order_by(
                AuthorReport.observed_on
            )
        ).all()
        assert [tuple(r) for r in rows] == [(date(2026, 12, 1), 23), (date(2026, 12, 2), 23)]
        latest = latest_author_reports(s, list(ids))
        assert list(latest) == [ids[0]]
        (newest,) = latest[ids[0]]
        assert (newest.observed_on, newest.citations, newest.works) == (
            date(2026, 12, 2),
            12417,
            60,
        )
        assert s.scalar(select(func.count()).select_from(AuthorReport)) == 2


def test_the_summary_puts_s2s_numbers_beside_the_computed_ones(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        turing = Author(display_name="Alan Turing", name_key="alan turing")
        s.add(turing)
        s.flush()
        s.add(AuthorIdentifier(author_id=turing.id, scheme="s2", value="2262347"))
        store_author_reports(s, "s2", [_report(1, 23)], run_id=None)
        author_id = turing.id
    with sessions() as s:
        inputs = read_inputs(s, [author_id])[author_id]
        before = inputs.fingerprint(2026)
        summary = summarize(inputs, current_year=2026)
    s2 = summary["s2"]
    assert s2["compared_with"] == "2262347" and s2["observed_on"] == "2026-12-01"
    assert s2["comparison"]["works"] == {"computed": 0, "reported": 60, "difference": -60}
    assert s2["comparison"]["h_index"]["reported"] == 23
    assert s2["comparison"]["citations"]["reported"] == 12416
    assert any("S2 attributes 60 paper(s) to 2262347" in n for n in s2["explanations"])
    # A new number from S2 is a changed input: the author is recomputed.
    with sessions.begin() as s:
        store_author_reports(s, "s2", [_report(2, 24)], run_id=None)
    with sessions() as s:
        assert read_inputs(s, [author_id])[author_id].fingerprint(2026) != before
