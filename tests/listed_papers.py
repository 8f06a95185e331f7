"""The works a recorded S2 paper list should become, worked out from the records themselves.

S2 keeps some papers twice (two paper ids with one DOI or PubMed id, or a preprint beside its
journal version): the tests expect one work per paper, never one per record. Records sharing a
DOI or PubMed id are one paper; the pairs a test names (a preprint and its published version,
read off the records) are one too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Lewis C. Cantley's list: five preprints (bioRxiv 10.1101/..., Research Square 10.21203/...)
# whose published version S2 lists as another paper: (preprint DOI, journal DOI).
CANTLEY_PREPRINTS: tuple[tuple[str, str], ...] = (
    ("10.1101/2021.08.20.457146", "10.1128/mbio.01007-23"),
    ("10.1101/2022.05.22.492882", "10.1038/s41586-022-05575-3"),
    ("10.21203/rs.3.rs-563743/v1", "10.1038/s41467-022-32135-0"),
    ("10.1101/819961", "10.1016/j.chembiol.2020.02.003"),
    ("10.1101/2020.03.03.974980", "10.1158/2159-8290.cd-19-1228"),
)
# ... and six papers S2 lists once with the DOI and once with only the PubMed id, the titles
# differing in case, punctuation or a Greek letter ("PKCδ" / "PKCdelta"): (paper id, paper id).
CANTLEY_TITLE_TWINS: tuple[tuple[str, str], ...] = (
    ("db3e6b920cc69825a0b289ec818443012ba49c1a", "faabc285120865e63fbbf4170473b0775b935466"),
    ("037b7f4432f45323733731eb9b9b86d25ab38d7e", "305b7cbff881b531508563375b6dcb98758504ac"),
    ("23d382b18781cc655c17ca510bc01d027e8b1bca", "cbead89294f23f0ef546103176f2453d7989fc14"),
    ("9ea425d0943a7cc39526698fdb2795ace1d9863c", "b7b1b863403ea98759a6a5262c3574a8144c49f2"),
    ("3d8292916e5f3c40c09231441c1187995e6fad23", "fc124a811d0f33a6f1a21bae79b3b6b33f9f6c4b"),
    ("1ca4e503c84fc64ffb789f5033ea4e049538e89a", "c7a27fc21d8639e0feb4ce48e7e44ad21bcf6261"),
)
CANTLEY_SAME_PAPERS = CANTLEY_PREPRINTS + CANTLEY_TITLE_TWINS
# A. Turing's author object lists "The p-Function in λ-K-Conversion" (DBLP) and "The
# þ-function in λ-K-conversion" (DOI 10.2307/2268281): one 1937 paper, two S2 records.
TURING_TWICE: tuple[tuple[str, str], ...] = (
    ("891151133781d3e78f19b882015746bafd9bc935", "b300783b3f3bd283ab1cf86b7a51f63469db380f"),
)


def _handles(paper: Mapping[str, Any]) -> list[str]:
    ids = paper.get("externalIds") or {}
    found = [paper["paperId"]]
    if ids.get("DOI"):
        found.append("doi:" + ids["DOI"].lower())
    if ids.get("PubMed"):
        found.append("pmid:" + str(ids["PubMed"]))
    return found


def paper_groups(
    papers: Sequence[Mapping[str, Any]], same: Iterable[tuple[str, str]] = ()
) -> list[frozenset[str]]:
    """The paper ids of ``papers`` grouped into papers: a shared DOI or PubMed id, or a pair of
    ``same`` (paper ids or DOIs), joins two records. A pair with a side not listed is ignored."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    def join(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for paper in papers:
        first, *rest = _handles(paper)
        for handle in rest:
            join(first, handle)
    listed = {h for p in papers for h in _handles(p)}
    for a, b in same:
        a, b = (x if x in listed else "doi:" + x for x in (a, b))
        if a in listed and b in listed:
            join(a, b)
    groups: dict[str, set[str]] = {}
    for paper in papers:
        groups.setdefault(find(paper["paperId"]), set()).add(paper["paperId"])
    return sorted((frozenset(g) for g in groups.values()), key=sorted)


def work_counts(papers: Sequence[Mapping[str, Any]], groups: Iterable[frozenset[str]]) -> list[int]:
    """One citation count per paper: the highest of its records' (never their sum)."""
    count = {p["paperId"]: p["citationCount"] for p in papers}
    return sorted((max(count[i] for i in group) for group in groups), reverse=True)


def h_index(counts: Sequence[int]) -> int:
    ranked = sorted(counts, reverse=True)
    return sum(1 for rank, n in enumerate(ranked, 1) if n >= rank)
