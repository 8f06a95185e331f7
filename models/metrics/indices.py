"""Bibliometric indices of one author's papers, each defined once, as in its source paper.

Pure functions of a sequence of :class:`Paper`: no database, no clock (the current year is a
parameter), no I/O. The conventions shared by every index:

* **Unknown counts.** A paper whose ``citations`` is None is left out of every citation-based
  index and shows in :func:`coverage` instead, so ``h <= with_counts <= works``.
* **No data.** With no papers at all the counting indices are 0 (nothing was cited); with
  papers but not one known count they are None (unknown, not zero). Means, medians and
  ratios of nothing are None.
* **Ranking.** Papers are ranked by citations, most cited first; among equal counts, fewer
  authors first (unknown author counts last), so no result depends on input order. Only the
  author-weighted indices (``hI``, ``hm``) can see that tie-break.
* **Age.** A paper's age in ``current_year`` is ``current_year - year + 1`` (a paper of this
  year has age 1). Age-based indices leave out papers without a year.

Example, the five papers used throughout the docstrings below:

>>> papers = [Paper(10, 2024, 2), Paper(8, 2020, 4), Paper(5, 2014, 1), Paper(4, 2015, 3),
...           Paper(3, 2015, 1)]
>>> h_index(papers), g_index(papers), i10_index(papers)
(4, 5, 1)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

#: Sidiropoulos et al. (2007) weights of the contemporary h-index.
HC_GAMMA = 4.0
HC_DELTA = 1.0
#: Google Scholar's "since" column counts citations from ``current_year - 5`` on.
SCHOLAR_RECENT_YEARS = 5


@dataclass(frozen=True)
class Paper:
    """One paper as the indices see it.

    ``citations`` None means unknown (not zero). ``per_year`` maps a calendar year to the
    citations the paper received in that year, when a source reports them (Scholar does for
    filled publications). Raises ValueError for negative counts or fewer than one author.
    """

    citations: int | None = None
    year: int | None = None
    n_authors: int | None = None
    per_year: Mapping[int, int] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.citations is not None and self.citations < 0:
            raise ValueError(f"citations must be >= 0, not {self.citations}")
        if self.n_authors is not None and self.n_authors < 1:
            raise ValueError(f"n_authors must be >= 1, not {self.n_authors}")
        if self.per_year is not None:
            counts = {int(y): int(n) for y, n in self.per_year.items()}
            if any(n < 0 for n in counts.values()):
                raise ValueError(f"per-year citations must be >= 0: {counts}")
            # a read-only copy: the dataclass is frozen, its mapping should be too
            object.__setattr__(self, "per_year", MappingProxyType(dict(sorted(counts.items()))))


# --------------------------------------------------------------------------- helpers


def _ranked(papers: Iterable[Paper]) -> list[Paper] | None:
    """Papers with a known count, most cited first (ties: fewer authors first); None when
    there are papers but none has a known count."""
    papers = list(papers)
    known = [p for p in papers if p.citations is not None]
    if papers and not known:
        return None
    return sorted(
        known,
        key=lambda p: (-(p.citations or 0), p.n_authors if p.n_authors is not None else math.inf),
    )


def _h_of(values: Iterable[float]) -> int:
    """The largest h such that h of ``values`` are each >= h (Hirsch's rule on any scores)."""
    h = 0
    for rank, value in enumerate(sorted(values, reverse=True), start=1):
        if value < rank:
            break
        h = rank
    return h


def _age(year: int, current_year: int) -> int:
    if year > current_year:
        raise ValueError(f"a paper of {year} is newer than current_year {current_year}")
    return current_year - year + 1


# --------------------------------------------------------------------------- counts


def works_count(papers: Sequence[Paper]) -> int:
    """Number of papers held, with or without a known citation count.

    >>> works_count([Paper(3), Paper(None), Paper(0)])
    3
    """
    return len(papers)


def coverage(papers: Iterable[Paper]) -> tuple[int, int]:
    """``(with_counts, total)``: papers with a known citation count, and papers held.

    >>> coverage([Paper(3), Paper(None), Paper(0)])
    (2, 3)
    """
    papers = list(papers)
    return sum(p.citations is not None for p in papers), len(papers)


def citations_total(papers: Iterable[Paper]) -> int | None:
    """Sum of the known citation counts (Scholar's "Citations, All").

    >>> citations_total([Paper(10), Paper(None), Paper(5)])
    15
    >>> citations_total([]), citations_total([Paper(None)])
    (0, None)
    """
    ranked = _ranked(papers)
    return None if ranked is None else sum(p.citations or 0 for p in ranked)


def citations_per_paper_mean(papers: Iterable[Paper]) -> float | None:
    """Mean citations of the papers with a known count; None when there is none.

    >>> citations_per_paper_mean([Paper(10), Paper(8), Paper(5), Paper(4), Paper(3)])
    6.0
    """
    ranked = _ranked(papers)
    return statistics.fmean(p.citations or 0 for p in ranked) if ranked else None


def citations_per_paper_median(papers: Iterable[Paper]) -> float | None:
    """Median citations of the papers with a known count; None when there is none.

    >>> citations_per_paper_median([Paper(10), Paper(8), Paper(5), Paper(4)])
    6.5
    """
    ranked = _ranked(papers)
    return float(statistics.median(p.citations or 0 for p in ranked)) if ranked else None


def citations_per_year(per_year: Mapping[int, int] | None, *, current_year: int) -> float | None:
    """Mean citations received per calendar year, from per-year counts (Scholar's histogram):
    the sum over the years from the first year listed to ``current_year`` inclusive, years not
    listed counting as 0. None when there are no per-year counts. Raises ValueError when
    a year is after ``current_year``.

    >>> citations_per_year({2022: 3, 2024: 9}, current_year=2024)  # 12 over 2022-2024
    4.0
    """
    if not per_year:
        return None
    _age(max(per_year), current_year)  # raises for a year after current_year
    return sum(per_year.values()) / _age(min(per_year), current_year)


def citations_since(per_year: Mapping[int, int] | None, since_year: int) -> int | None:
    """Citations received in ``since_year`` or later, from per-year counts. None when the
    source has no per-year counts (a total cannot be split by year).

    Scholar's "Since YEAR" column uses ``since_year = current_year - 5``
    (:func:`scholar_since_year`): the last five calendar years and the current one.

    >>> citations_since({2018: 3, 2019: 14, 2024: 140}, scholar_since_year(2024))
    154
    """
    if per_year is None:
        return None
    return sum(n for year, n in per_year.items() if year >= since_year)


def scholar_since_year(current_year: int) -> int:
    """The year Google Scholar's recent column starts from ("Since 2019" in 2024).

    >>> scholar_since_year(2024)
    2019
    """
    return current_year - SCHOLAR_RECENT_YEARS


# --------------------------------------------------------------------------- h family


def h_index(papers: Iterable[Paper]) -> int | None:
    """Hirsch (2005), PNAS 102:16569: the largest h such that h papers have at least h
    citations each.

    >>> h_index([Paper(10), Paper(8), Paper(5), Paper(4), Paper(3)])
    4
    >>> h_index([Paper(0), Paper(0)]), h_index([]), h_index([Paper(None)])
    (0, 0, None)
    """
    ranked = _ranked(papers)
    return None if ranked is None else _h_of(p.citations or 0 for p in ranked)


def i10_index(papers: Iterable[Paper]) -> int | None:
    """Google Scholar's i10-index (2011): the number of papers with at least 10 citations.

    >>> i10_index([Paper(10), Paper(9), Paper(25)])
    2
    """
    ranked = _ranked(papers)
    return None if ranked is None else sum((p.citations or 0) >= 10 for p in ranked)


def g_index(papers: Iterable[Paper]) -> int | None:
    """Egghe (2006), Scientometrics 69:131: the largest g such that the g most cited papers
    together have at least g² citations.

    Convention: g is capped at the number of papers with a known count, as Publish or Perish
    does. (Egghe lets g grow past it by adding fictitious uncited papers; we do not, so
    ``h <= g <= with_counts``.)

    >>> g_index([Paper(10), Paper(8), Paper(5), Paper(4), Paper(3)])  # 30 >= 5²
    5
    >>> g_index([Paper(100)])  # Egghe's uncapped g would be 10
    1
    """
    ranked = _ranked(papers)
    if ranked is None:
        return None
    g = cumulated = 0
    for rank, paper in enumerate(ranked, start=1):
        cumulated += paper.citations or 0
        if cumulated >= rank * rank:
            g = rank
    return g


def e_index(papers: Iterable[Paper]) -> float | None:
    """Zhang (2009), PLoS ONE 4:e5429: ``e² = (citations of the h-core) - h²``, the excess
    citations of the h most cited papers. (Ties at the h-th place all have exactly h
    citations, so the h-core's sum does not depend on which of them is taken.)

    >>> round(e_index([Paper(10), Paper(8), Paper(5), Paper(4), Paper(3)]) ** 2, 9)  # 27 - 16
    11.0
    """
    ranked = _ranked(papers)
    if ranked is None:
        return None
    h = _h_of(p.citations or 0 for p in ranked)
    return math.sqrt(sum(p.citations or 0 for p in ranked[:h]) - h * h)


def m_quotient(papers: Sequence[Paper], *, current_year: int) -> float | None:
    """Hirsch (2005): ``h / years``, where ``years = current_year - first_year + 1`` and
    ``first_year`` is the earliest year of any paper held. None when no paper has a year or
    h is unknown. Raises ValueError when a paper is newer than ``current_year``.

    >>> m_quotient([Paper(10, 2015), Paper(8, 2020), Paper(5), Paper(4)], current_year=2024)
    0.4
    """
    h = h_index(papers)
    years = [p.year for p in papers if p.year is not None]
    if h is None or not years:
        return None
    for year in years:
        _age(year, current_year)
    return h / _age(min(years), current_year)


def hc_index(
    papers: Iterable[Paper],
    *,
    current_year: int,
    gamma: float = HC_GAMMA,
    delta: float = HC_DELTA,
) -> int | None:
    """Contemporary h-index, Sidiropoulos, Katsaros & Manolopoulos (2007), Scientometrics
    72:253: each paper scores ``gamma * age**-delta * citations`` (age as in the module
    docstring; gamma 4, delta 1), and hc is the largest h such that h papers score at least
    h. Papers without a year are left out. Raises ValueError for a paper newer than
    ``current_year``.

    >>> hc_index([Paper(10, 2024), Paper(8, 2020), Paper(5, 2014)], current_year=2024)
    2

    (Scores 40, 6.4 and 1.8: two papers score at least 2, not three at least 3.)
    """
    ranked = _ranked(papers)
    if ranked is None:
        return None
    return _h_of(
        gamma * _age(p.year, current_year) ** -delta * (p.citations or 0)
        for p in ranked
        if p.year is not None
    )


def hi_index(papers: Iterable[Paper]) -> float | None:
    """Individual h-index, Batista et al. (2006), Scientometrics 68:179: ``h² / N``, where N
    is the total number of authors of the h-core papers (the h most cited; see the module's
    tie-break). 0.0 when h is 0; None when h is unknown or an h-core paper has no author
    count.

    >>> hi_index([Paper(10, n_authors=2), Paper(8, n_authors=4), Paper(5, n_authors=1),
    ...           Paper(4, n_authors=3), Paper(3, n_authors=1)])  # 4² / (2+4+1+3)
    1.6
    """
    ranked = _ranked(papers)
    if ranked is None:
        return None
    h = _h_of(p.citations or 0 for p in ranked)
    if h == 0:
        return 0.0
    core = [p.n_authors for p in ranked[:h]]
    if any(n is None for n in core):
        return None
    return h * h / sum(n or 0 for n in core)


def hi_norm_index(papers: Iterable[Paper]) -> int | None:
    """hI,norm of Publish or Perish (Harzing 2007): divide each paper's citations by its
    number of authors, then take the h-index of those (real-valued) counts. None when h is
    unknown or a counted paper has no author count.

    >>> hi_norm_index([Paper(10, n_authors=2), Paper(8, n_authors=4), Paper(5, n_authors=1),
    ...                Paper(4, n_authors=3), Paper(3, n_authors=1)])  # 5, 5, 3, 2, 1.33
    3
    """
    ranked = _ranked(papers)
    if ranked is None:
        return None
    if any(p.n_authors is None for p in ranked):
        return None
    return _h_of((p.citations or 0) / (p.n_authors or 1) for p in ranked)


def hm_index(papers: Iterable[Paper]) -> float | None:
    """Schreiber (2008), J. Informetrics 2:211: fractional counting by ranks. The paper at
    rank r has the effective rank ``r_eff = sum over ranks r' <= r of 1/authors(r')``; hm is
    the largest r_eff whose paper has at least r_eff citations. 0.0 with no cited paper;
    None when h is unknown or a counted paper has no author count.

    >>> round(hm_index([Paper(10, n_authors=2), Paper(8, n_authors=4), Paper(5, n_authors=1),
    ...                 Paper(4, n_authors=3), Paper(3, n_authors=1)]), 6)  # 1/2+1/4+1+1/3
    2.083333

    (The fifth paper would have r_eff 3.08 but only 3 citations.)
    """
    ranked = _ranked(papers)
    if ranked is None:
        return None
    if any(p.n_authors is None for p in ranked):
        return None
    hm = effective = 0.0
    for paper in ranked:
        effective += 1.0 / (paper.n_authors or 1)
        if (paper.citations or 0) < effective:
            break  # citations fall and r_eff grows: no later rank qualifies
        hm = effective
    return hm


def awcr(papers: Iterable[Paper], *, current_year: int) -> float | None:
    """Age-weighted citation rate, Jin (2007), ISSI Newsletter 3:6, over all papers as in
    Publish or Perish: the sum of ``citations / age``. Papers without a year are left out.
    Raises ValueError for a paper newer than ``current_year``.

    >>> round(awcr([Paper(10, 2024), Paper(8, 2020), Paper(5, 2014)], current_year=2024), 4)
    12.0545
    """
    ranked = _ranked(papers)
    if ranked is None:
        return None
    return sum(
        (p.citations or 0) / _age(p.year, current_year) for p in ranked if p.year is not None
    )


def aw_index(papers: Iterable[Paper], *, current_year: int) -> float | None:
    """AW-index, Jin (2007): ``sqrt(AWCR)``.

    >>> round(aw_index([Paper(9, 2024), Paper(14, 2018)], current_year=2024), 6)  # 9/1 + 14/7
    3.316625
    """
    rate = awcr(papers, current_year=current_year)
    return None if rate is None else math.sqrt(rate)


# --------------------------------------------------------------------------- since YEAR


def _since_counts(papers: Iterable[Paper], since_year: int) -> list[int] | None:
    """Per paper, citations received in ``since_year`` or later; None when a cited paper
    has no per-year counts. A paper known to have 0 citations received 0 since any year;
    papers with neither a count nor per-year counts are left out, as everywhere."""
    papers = list(papers)
    counts: list[int] = []
    for paper in papers:
        if paper.per_year is not None:
            counts.append(sum(n for y, n in paper.per_year.items() if y >= since_year))
        elif paper.citations == 0:
            counts.append(0)
        elif paper.citations is not None:
            return None
    if papers and not counts:
        return None
    return counts


def h_index_since(papers: Iterable[Paper], since_year: int) -> int | None:
    """Scholar's "h-index, Since YEAR": Hirsch's h of the citations each paper received in
    ``since_year`` or later, from the papers' per-year counts.

    Unavailable (None) when a cited paper has no per-year counts: a total cannot be split by
    year. (The h of the totals is only an upper bound of it.)

    >>> papers = [Paper(20, per_year={2015: 18, 2020: 2}), Paper(5, per_year={2021: 5}),
    ...           Paper(0)]
    >>> h_index_since(papers, 2019), h_index_since([Paper(7)], 2019)
    (2, None)
    """
    counts = _since_counts(papers, since_year)
    return None if counts is None else _h_of(counts)


def i10_index_since(papers: Iterable[Paper], since_year: int) -> int | None:
    """Scholar's "i10-index, Since YEAR": papers with at least 10 citations received in
    ``since_year`` or later, from per-year counts; None as for :func:`h_index_since`.

    >>> i10_index_since([Paper(20, per_year={2015: 18, 2020: 2}), Paper(12, per_year={2021: 12})],
    ...                 2019)
    1
    """
    counts = _since_counts(papers, since_year)
    return None if counts is None else sum(n >= 10 for n in counts)


# --------------------------------------------------------------------------- all at once


def author_indices(papers: Sequence[Paper], *, current_year: int) -> dict[str, int | float | None]:
    """Every per-paper index of one author in one pass over the papers ranked once: the
    same values, bit for bit, as the individual functions above (``citations`` is
    :func:`citations_total`, ``hi_norm`` :func:`hi_norm_index`, ``citations_mean`` and
    ``citations_median`` the per-paper mean and median). The age-based ones (``m_quotient``,
    ``hc_index``, ``awcr``, ``aw_index``) leave out papers newer than ``current_year``
    instead of raising; the others count every paper.

    >>> papers = [Paper(10, 2024, 2), Paper(8, 2020, 4), Paper(5, 2014, 1)]
    >>> got = author_indices(papers, current_year=2024)
    >>> got["h_index"], got["g_index"], got["hc_index"], got["hi_norm"]
    (3, 3, 2, 2)
    """
    if any(p.year is not None and p.year > current_year for p in papers):
        # rare: the age-based indices see a subset, so h differs for m; compute them apart
        dated = [p for p in papers if p.year is None or p.year <= current_year]
        out = author_indices(dated, current_year=current_year)
        out.update(_citation_indices(_ranked(papers)))
        return out
    ranked = _ranked(papers)
    out = _citation_indices(ranked)
    if ranked is None:
        out.update(m_quotient=None, hc_index=None, awcr=None, aw_index=None)
        return out
    h = out["h_index"]
    years = [p.year for p in papers if p.year is not None]
    out["m_quotient"] = h / _age(min(years), current_year) if years else None
    # no paper is newer than current_year here, so _age cannot raise: computed inline, with
    # the same arithmetic (and the same summation order) as hc_index and awcr
    scores: list[float] = []
    rates: list[float] = []
    for p in ranked:
        if p.year is not None:
            age = current_year - p.year + 1
            count = p.citations or 0
            scores.append(HC_GAMMA * age**-HC_DELTA * count)
            rates.append(count / age)
    out["hc_index"] = _h_of(scores)
    rate = sum(rates)
    out["awcr"] = rate
    out["aw_index"] = math.sqrt(rate)
    return out


def _citation_indices(ranked: list[Paper] | None) -> dict[str, int | float | None]:
    """The indices that need no year, from :func:`_ranked`'s list (None: no known count)."""
    if ranked is None:
        return dict.fromkeys(
            (
                "citations", "h_index", "i10_index", "g_index", "e_index", "hi_index",
                "hi_norm", "hm_index", "citations_mean", "citations_median",
            )
        )  # fmt: skip
    counts = [p.citations or 0 for p in ranked]  # most cited first
    h = g = i10 = cumulated = 0
    for rank, count in enumerate(counts, start=1):
        if count >= rank:
            h = rank  # counts fall as ranks grow: once below, never again above
        if count >= 10:
            i10 += 1
        cumulated += count
        if cumulated >= rank * rank:
            g = rank
    authors = [p.n_authors for p in ranked]
    all_authors = not any(n is None for n in authors)
    hi: float | None
    if h == 0:
        hi = 0.0
    elif any(n is None for n in authors[:h]):
        hi = None
    else:
        hi = h * h / sum(n or 0 for n in authors[:h])
    hi_norm: int | None = None
    hm: float | None = None
    if all_authors:
        hi_norm = _h_of(c / (n or 1) for c, n in zip(counts, authors, strict=True))
        hm = effective = 0.0
        for count, n in zip(counts, authors, strict=True):
            effective += 1.0 / (n or 1)
            if count < effective:
                break
            hm = effective
    return {
        "citations": sum(counts),
        "h_index": h,
        "i10_index": i10,
        "g_index": g,
        "e_index": math.sqrt(sum(counts[:h]) - h * h),
        "hi_index": hi,
        "hi_norm": hi_norm,
        "hm_index": hm,
        "citations_mean": statistics.fmean(counts) if counts else None,
        "citations_median": float(statistics.median(counts)) if counts else None,
    }
