"""The citation indices of models/metrics/indices.py against their definitions: worked
examples (ties, all-zero, one paper, no papers, no citation data), the docstring examples,
and properties that must hold for any list of papers (hypothesis)."""

from __future__ import annotations

import doctest
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.metrics import indices
from models.metrics.indices import (
    Paper,
    aw_index,
    awcr,
    citations_per_paper_mean,
    citations_per_paper_median,
    citations_per_year,
    citations_since,
    citations_total,
    coverage,
    e_index,
    g_index,
    h_index,
    h_index_since,
    hc_index,
    hi_index,
    hi_norm_index,
    hm_index,
    i10_index,
    i10_index_since,
    m_quotient,
    scholar_since_year,
    works_count,
)


def cited(*counts: int | None) -> list[Paper]:
    return [Paper(c) for c in counts]


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(indices, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 25


# --------------------------------------------------------------------------- h, g, i10, e

H_G_I10_E = [
    # counts, h, g, i10, e²
    pytest.param([], 0, 0, 0, 0, id="no papers"),
    pytest.param([0, 0, 0], 0, 0, 0, 0, id="all zero"),
    pytest.param([1], 1, 1, 0, 0, id="one paper, one citation"),
    pytest.param([100], 1, 1, 1, 99, id="one paper: g capped at 1 (Egghe: 10)"),
    pytest.param([10, 8, 5, 4, 3], 4, 5, 1, 27 - 16, id="textbook"),
    pytest.param([3, 3, 3], 3, 3, 0, 0, id="ties exactly at h"),
    pytest.param([4, 4, 4], 3, 3, 0, 3, id="ties above h"),
    pytest.param([6, 5, 3, 3, 3, 1], 3, 4, 0, 14 - 9, id="ties straddling h"),
    pytest.param([1, 1, 1, 1], 1, 1, 0, 0, id="many single citations"),
    pytest.param([10, 0, 0, 0, 0], 1, 3, 1, 9, id="uncited papers still fill g ranks"),
    pytest.param([10, 10, 9], 3, 3, 2, 29 - 9, id="i10 boundary"),
    pytest.param([None, 5, None, 2], 2, 2, 0, 7 - 4, id="unknown counts left out"),
]


@pytest.mark.parametrize(("counts", "h", "g", "i10", "e2"), H_G_I10_E)
def test_h_g_i10_e_worked_examples(counts: list[int | None], h: int, g: int, i10: int, e2: int):
    papers = cited(*counts)
    assert h_index(papers) == h
    assert g_index(papers) == g
    assert i10_index(papers) == i10
    e = e_index(papers)
    assert e is not None and math.isclose(e * e, e2, abs_tol=1e-9)


def test_an_author_with_no_citation_data_has_unknown_indices_not_zero() -> None:
    """Papers held, none with a count: every citation-based index is None; works and
    coverage still say what is held. (No papers at all: the counts are 0, see the table.)"""
    papers = [Paper(None, 2020, 3), Paper(None, 2021, 1)]
    assert works_count(papers) == 2
    assert coverage(papers) == (0, 2)
    now = {"current_year": 2024}
    assert [
        citations_total(papers),
        h_index(papers),
        i10_index(papers),
        g_index(papers),
        e_index(papers),
        hi_index(papers),
        hi_norm_index(papers),
        hm_index(papers),
        citations_per_paper_mean(papers),
        citations_per_paper_median(papers),
        m_quotient(papers, **now),
        hc_index(papers, **now),
        awcr(papers, **now),
        aw_index(papers, **now),
        h_index_since(papers, 2019),
        i10_index_since(papers, 2019),
    ] == [None] * 16


def test_no_papers() -> None:
    assert coverage([]) == (0, 0) and works_count([]) == 0
    assert (citations_total([]), h_index([]), g_index([]), i10_index([])) == (0, 0, 0, 0)
    assert (e_index([]), hi_index([]), hm_index([]), hi_norm_index([])) == (0.0, 0.0, 0.0, 0)
    assert citations_per_paper_mean([]) is None and citations_per_paper_median([]) is None
    assert m_quotient([], current_year=2024) is None  # no first year: no career length
    assert hc_index([], current_year=2024) == 0 and awcr([], current_year=2024) == 0.0


@pytest.mark.parametrize(
    ("counts", "mean", "median"),
    [
        ([10, 8, 5, 4, 3], 6.0, 5.0),
        ([10, 8, 5, 4], 6.75, 6.5),
        ([0, 0], 0.0, 0.0),
        ([7], 7.0, 7.0),
        ([7, None, 1], 4.0, 4.0),
    ],
)
def test_citations_per_paper(counts: list[int | None], mean: float, median: float) -> None:
    assert citations_per_paper_mean(cited(*counts)) == mean
    assert citations_per_paper_median(cited(*counts)) == median


def test_coverage_counts_papers_without_a_count() -> None:
    papers = cited(5, None, 0, None)
    assert coverage(papers) == (2, 4)
    assert citations_total(papers) == 5


# --------------------------------------------------------------------------- age-based


@pytest.mark.parametrize(
    ("papers", "current_year", "expected"),
    [
        ([Paper(10, 2015), Paper(8, 2020), Paper(5), Paper(4)], 2024, 4 / 10),
        ([Paper(5, 2024)], 2024, 1.0),  # first year = current year: one year, not zero
        ([Paper(0, 2010)], 2024, 0.0),
        ([Paper(5), Paper(3)], 2024, None),  # no year known
        ([Paper(None, 2000), Paper(9, 2010), Paper(9, 2011)], 2024, 2 / 25),  # any paper's year
    ],
)
def test_m_quotient(papers: list[Paper], current_year: int, expected: float | None) -> None:
    assert m_quotient(papers, current_year=current_year) == expected


@pytest.mark.parametrize(
    ("papers", "expected"),
    [
        ([Paper(10, 2024), Paper(8, 2020), Paper(5, 2014)], 2),  # scores 40, 6.4, 1.8
        ([Paper(1, 2024)], 1),  # 4 * 1 / 1 = 4 >= 1
        ([Paper(1, 2021), Paper(1, 2021)], 1),  # 4 / 4 = 1 each: one paper scores >= 1
        ([Paper(3, 2014)], 1),  # 12 / 11 >= 1
        ([Paper(2, 2004)], 0),  # 8 / 21 < 1
        ([Paper(100)], 0),  # no year: left out
        ([Paper(0, 2024), Paper(0, 2023)], 0),
    ],
)
def test_contemporary_h_index(papers: list[Paper], expected: int) -> None:
    assert hc_index(papers, current_year=2024) == expected


def test_hc_uses_gamma_and_delta() -> None:
    papers = [Paper(3, 2023), Paper(3, 2023)]  # age 2
    assert hc_index(papers, current_year=2024) == 2  # 4 * 3 / 2 = 6
    assert hc_index(papers, current_year=2024, gamma=1.0) == 1  # 1.5
    assert hc_index(papers, current_year=2024, delta=0.0) == 2  # 12: two papers only


@pytest.mark.parametrize(
    ("papers", "expected"),
    [
        ([Paper(10, 2024), Paper(8, 2020), Paper(5, 2014)], 10 + 8 / 5 + 5 / 11),
        ([Paper(9, 2024), Paper(14, 2018)], 11.0),
        ([Paper(9, 2024), Paper(14)], 9.0),  # no year: left out
        ([Paper(0, 2024)], 0.0),
    ],
)
def test_awcr_and_aw_index(papers: list[Paper], expected: float) -> None:
    rate = awcr(papers, current_year=2024)
    assert rate is not None and math.isclose(rate, expected)
    aw = aw_index(papers, current_year=2024)
    assert aw is not None and math.isclose(aw, math.sqrt(expected))


@pytest.mark.parametrize("function", [m_quotient, hc_index, awcr, aw_index])
def test_a_paper_newer_than_the_current_year_is_an_error(function) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="newer than current_year 2024"):
        function([Paper(5, 2025)], current_year=2024)


# --------------------------------------------------------------------------- author-weighted

TEXTBOOK = [Paper(10, 2024, 2), Paper(8, 2020, 4), Paper(5, 2014, 1), Paper(4, 2015, 3),
            Paper(3, 2015, 1)]  # fmt: skip


@pytest.mark.parametrize(
    ("papers", "hi", "hi_norm", "hm"),
    [
        pytest.param(TEXTBOOK, 16 / 10, 3, 1 / 2 + 1 / 4 + 1 + 1 / 3, id="textbook"),
        pytest.param([Paper(5, n_authors=1)] * 3, 3.0, 3, 3.0, id="single-author: all equal h"),
        pytest.param([Paper(9, n_authors=3)] * 3, 1.0, 3, 1.0, id="three authors each"),
        pytest.param([Paper(0, n_authors=2)], 0.0, 0, 0.0, id="uncited"),
        pytest.param([Paper(1, n_authors=1), Paper(1, n_authors=3)], 1.0, 1, 1.0, id="ties"),
    ],
)
def test_author_weighted_worked_examples(
    papers: list[Paper], hi: float, hi_norm: int, hm: float
) -> None:
    assert hi_index(papers) == pytest.approx(hi)
    assert hi_norm_index(papers) == hi_norm
    assert hm_index(papers) == pytest.approx(hm)


def test_ties_rank_fewer_authors_first_whatever_the_input_order() -> None:
    # h = 1 with two papers of 1 citation: the h-core is the single-author one
    a, b = Paper(1, n_authors=3), Paper(1, n_authors=1)
    assert hi_index([a, b]) == hi_index([b, a]) == 1.0
    assert hm_index([a, b]) == hm_index([b, a]) == 1.0


def test_author_weighted_indices_need_author_counts() -> None:
    papers = [Paper(10, n_authors=2), Paper(8), Paper(1)]  # h = 2; the second has no count
    assert hi_index(papers) is None
    assert hi_norm_index(papers) is None
    assert hm_index(papers) is None
    # only the h-core matters to hI: an unknown count outside it does not
    assert hi_index([Paper(10, n_authors=2), Paper(8, n_authors=2), Paper(1)]) == 1.0


# --------------------------------------------------------------------------- per year, since


def test_citations_per_year_and_since() -> None:
    histogram = {2018: 3, 2019: 14, 2020: 9, 2021: 30, 2022: 84, 2023: 162, 2024: 140}
    assert citations_per_year(histogram, current_year=2024) == 442 / 7
    assert citations_per_year({2020: 10}, current_year=2024) == 2.0  # missing years count 0
    assert citations_per_year(None, current_year=2024) is None
    assert citations_per_year({}, current_year=2024) is None
    with pytest.raises(ValueError, match="newer than current_year"):
        citations_per_year({2023: 1, 2025: 1}, current_year=2024)
    assert scholar_since_year(2024) == 2019
    assert citations_since(histogram, 2019) == 439  # Baoliang Chen's "Since 2019" column
    assert citations_since(None, 2019) is None


@pytest.mark.parametrize(
    ("papers", "h", "i10"),
    [
        pytest.param(
            [Paper(20, per_year={2015: 18, 2020: 2}), Paper(5, per_year={2021: 5}), Paper(0)],
            2,
            0,
            id="old citations do not count",
        ),
        pytest.param(
            [Paper(12, per_year={2019: 12}), Paper(11, per_year={2018: 1, 2023: 10})],
            2,
            2,
            id="since year included",
        ),
        pytest.param([Paper(7), Paper(0)], None, None, id="totals only: unavailable"),
        pytest.param([Paper(0), Paper(0)], 0, 0, id="uncited: 0 since any year"),
        pytest.param([Paper(None), Paper(3, per_year={2020: 3})], 1, 0, id="unknown left out"),
        pytest.param([], 0, 0, id="no papers"),
    ],
)
def test_since_year_indices(papers: list[Paper], h: int | None, i10: int | None) -> None:
    assert h_index_since(papers, 2019) == h
    assert i10_index_since(papers, 2019) == i10


# --------------------------------------------------------------------------- input checks


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"citations": -1}, "citations must be >= 0"),
        ({"n_authors": 0}, "n_authors must be >= 1"),
        ({"per_year": {2020: -2}}, "per-year citations must be >= 0"),
    ],
)
def test_bad_paper_values_are_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Paper(**kwargs)


def test_a_paper_is_frozen_and_hashable() -> None:
    paper = Paper(3, 2020, 2, per_year={2021: 1, 2020: 2})
    assert list(paper.per_year or {}) == [2020, 2021]
    with pytest.raises(TypeError):
        paper.per_year[2022] = 5  # type: ignore[index]
    assert hash(paper) == hash(Paper(3, 2020, 2, per_year={2020: 2, 2021: 1}))


# --------------------------------------------------------------------------- properties

papers_strategy = st.lists(
    st.builds(
        Paper,
        citations=st.none() | st.integers(0, 300),
        year=st.none() | st.integers(1990, 2024),
        n_authors=st.none() | st.integers(1, 12),
    ),
    max_size=40,
)
with_counts_strategy = st.lists(
    st.builds(Paper, citations=st.integers(0, 300), n_authors=st.integers(1, 12)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(papers_strategy)
def test_h_is_at_most_the_papers_with_a_count_and_those_at_most_the_papers(papers) -> None:
    with_counts, total = coverage(papers)
    assert total == works_count(papers) == len(papers)
    h = h_index(papers)
    if with_counts == 0 and total > 0:
        assert h is None
    else:
        assert h is not None and 0 <= h <= with_counts <= total


@settings(max_examples=300, deadline=None)
@given(with_counts_strategy)
def test_relations_between_indices(papers) -> None:
    h, g, e = h_index(papers), g_index(papers), e_index(papers)
    assert h is not None and g is not None and e is not None
    assert h <= g <= len(papers)
    counts = sorted((p.citations or 0 for p in papers), reverse=True)
    assert math.isclose(e * e, sum(counts[:h]) - h * h, abs_tol=1e-6)
    assert (i10_index(papers) or 0) <= len(papers)
    assert sum(counts[:g]) >= g * g
    hi, hm, hi_norm = hi_index(papers), hm_index(papers), hi_norm_index(papers)
    assert hi is not None and hi <= h + 1e-9
    assert hm is not None and hm <= h + 1e-9
    assert hi_norm is not None and hi_norm <= h


@settings(max_examples=200, deadline=None)
@given(with_counts_strategy, st.randoms(use_true_random=False))
def test_input_order_does_not_matter(papers, rnd) -> None:
    shuffled = list(papers)
    rnd.shuffle(shuffled)
    for function in (h_index, g_index, e_index, i10_index, hi_index, hi_norm_index, hm_index):
        assert function(shuffled) == pytest.approx(function(papers))


@settings(max_examples=200, deadline=None)
@given(papers_strategy)
def test_papers_with_unknown_counts_change_nothing_but_coverage(papers) -> None:
    more = [*papers, Paper(None, 2000, 1), Paper(None)]
    if coverage(papers)[0] == 0:
        return  # then the extra papers turn "nothing held" into "nothing known": see above
    for function in (h_index, g_index, e_index, i10_index, citations_total, hm_index):
        assert function(more) == function(papers)
    assert coverage(more) == (coverage(papers)[0], len(papers) + 2)


def _individually(papers: list[Paper], current_year: int) -> dict:
    """What :func:`indices.author_indices` must equal: each definition on its own (the
    age-based ones on the papers not newer than ``current_year``, as the summaries do)."""
    dated = [p for p in papers if p.year is None or p.year <= current_year]
    return {
        "citations": citations_total(papers),
        "h_index": h_index(papers),
        "i10_index": i10_index(papers),
        "g_index": g_index(papers),
        "e_index": e_index(papers),
        "m_quotient": m_quotient(dated, current_year=current_year),
        "hc_index": hc_index(dated, current_year=current_year),
        "hi_index": hi_index(papers),
        "hi_norm": hi_norm_index(papers),
        "hm_index": hm_index(papers),
        "awcr": awcr(dated, current_year=current_year),
        "aw_index": aw_index(dated, current_year=current_year),
        "citations_mean": citations_per_paper_mean(papers),
        "citations_median": citations_per_paper_median(papers),
    }


def _same(a: dict, b: dict) -> bool:
    """Equal keys and values, with equal types (1 and 1.0 would serialize differently)."""
    return a.keys() == b.keys() and all(type(a[k]) is type(b[k]) and a[k] == b[k] for k in a)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.builds(
            Paper,
            citations=st.none() | st.integers(0, 300) | st.integers(0, 5),
            year=st.none() | st.integers(1990, 2026),
            n_authors=st.none() | st.integers(1, 12),
        ),
        max_size=60,
    ),
    st.sampled_from([2024, 2025, 2026]),
)
def test_all_indices_at_once_equal_each_definition(papers, current_year) -> None:
    assert _same(
        indices.author_indices(papers, current_year=current_year),
        _individually(papers, current_year),
    )


def test_all_indices_at_once_on_many_random_authors() -> None:
    import random

    rng = random.Random(12)
    for _ in range(3000):
        papers = [
            Paper(
                None if rng.random() < 0.1 else int(rng.paretovariate(1.2)) - 1,
                None if rng.random() < 0.05 else rng.randint(1980, 2026),
                None if rng.random() < 0.03 else rng.randint(1, 9),
            )
            for _ in range(rng.choice((0, 1, 2, 5, 20, 80)))
        ]
        assert _same(indices.author_indices(papers, current_year=2025), _individually(papers, 2025))
