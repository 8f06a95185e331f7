"""Benchmark: identity-resolution quality over the real labeled pairs (issue 10).

Input: tests/fixtures/identity/works_labeled.json and authors_labeled.json (built from real
metadata by tests/fixtures/identity/build_labeled.py; families described in its PROVENANCE.md).

The works mentions are clustered with ``models.identity.matching.cluster_works``; the author
mentions with ``cluster_authors``, given the work clusters of the authors file's own ``works``.
A labeled pair is predicted ``same`` when both keys land in one cluster. Printed: precision and
recall with TP/FP/FN/TN, overall and per family (``kind``); ``--errors`` lists the misclassified
pairs. Until models/identity exists (or with ``--baseline``) a stand-in is used: exact-identifier
union-find for works, exact folded name for authors. The script always exits 0: it is a report.

Usage: uv run python bench/identity_quality.py [--baseline] [--errors] [--works F] [--authors F]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures" / "identity"

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- baseline stand-in


@dataclass(frozen=True)
class WorkMention:
    """Same fields as models.identity.matching.WorkMention."""

    key: str
    source: str
    title: str
    year: int | None
    venue: str | None
    ids: dict[str, str]
    authors: tuple[str, ...]
    profile: str | None = None


@dataclass(frozen=True)
class AuthorMention:
    """Same fields as models.identity.matching.AuthorMention."""

    key: str
    name: str
    ids: dict[str, str]
    work_key: str
    position: int
    coauthors: tuple[str, ...]
    venue: str | None
    year: int | None
    topics: tuple[str, ...] = ()


class _UnionFind:
    def __init__(self, keys: Sequence[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def clusters(self) -> list[frozenset[str]]:
        groups: dict[str, set[str]] = defaultdict(set)
        for k in self.parent:
            groups[self.find(k)].add(k)
        return [frozenset(g) for g in groups.values()]


def baseline_cluster_works(mentions: Sequence[WorkMention]) -> list[frozenset[str]]:
    """Union of mentions sharing any (identifier type, value)."""
    uf = _UnionFind([m.key for m in mentions])
    first: dict[tuple[str, str], str] = {}
    for m in mentions:
        for kind, value in m.ids.items():
            ident = (kind, value.strip().lower())
            if ident in first:
                uf.union(m.key, first[ident])
            else:
                first[ident] = m.key
    return uf.clusters()


def fold_name(name: str) -> str:
    """Diacritics removed, lower-case, punctuation dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", plain)).strip()


def baseline_cluster_authors(
    mentions: Sequence[AuthorMention], work_cluster_of: Mapping[str, str] | None = None
) -> list[frozenset[str]]:
    """One cluster per exact folded name (ids and work clusters ignored)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        groups[fold_name(m.name)].add(m.key)
    return [frozenset(g) for g in groups.values()]


# ---------------------------------------------------------------- the API under test


@dataclass
class Matcher:
    label: str
    work_cls: type
    author_cls: type
    cluster_works: Callable[..., list[frozenset[str]]]
    cluster_authors: Callable[..., list[frozenset[str]]]


def load_matcher(force_baseline: bool) -> Matcher:
    """models.identity.matching when importable (and not --baseline), else the stand-in."""
    baseline = Matcher(
        "baseline stand-in (exact-identifier union-find / exact folded name)",
        WorkMention,
        AuthorMention,
        baseline_cluster_works,
        baseline_cluster_authors,
    )
    if force_baseline:
        return baseline
    try:
        from models.identity import matching  # type: ignore[import-not-found]
    except ImportError as exc:
        print(f"note: models.identity.matching not importable ({exc}); falling back")
        return baseline
    return Matcher(
        "models.identity.matching",
        matching.WorkMention,
        matching.AuthorMention,
        matching.cluster_works,
        matching.cluster_authors,
    )


# ---------------------------------------------------------------- scoring


def load_labeled(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def to_work(cls: type, m: Mapping[str, Any]) -> Any:
    return cls(
        key=m["key"],
        source=m["source"],
        title=m["title"],
        year=m["year"],
        venue=m["venue"],
        ids=dict(m["ids"]),
        authors=tuple(m["authors"]),
        profile=m.get("profile"),
    )


def to_author(cls: type, m: Mapping[str, Any]) -> Any:
    return cls(
        key=m["key"],
        name=m["name"],
        ids=dict(m["ids"]),
        work_key=m["work_key"],
        position=m["position"],
        coauthors=tuple(m["coauthors"]),
        venue=m["venue"],
        year=m["year"],
        topics=tuple(m.get("topics") or ()),
    )


def cluster_index(clusters: Sequence[frozenset[str]], keys: Sequence[str]) -> dict[str, str]:
    """Key -> cluster id; keys missing from every cluster are singletons."""
    index: dict[str, str] = {}
    for i, cluster in enumerate(clusters):
        for k in cluster:
            index[k] = f"c{i}"
    for k in keys:
        index.setdefault(k, f"single:{k}")
    return index


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, same: bool, predicted: bool) -> None:
        if same and predicted:
            self.tp += 1
        elif same:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score(pairs: Sequence[Mapping[str, Any]], cluster_of: Mapping[str, str]):
    """(overall counts, counts per kind, misclassified pairs)."""
    overall = Counts()
    per_kind: dict[str, Counts] = defaultdict(Counts)
    errors = []
    for p in pairs:
        predicted = cluster_of[p["a"]] == cluster_of[p["b"]]
        overall.add(p["same"], predicted)
        per_kind[p["kind"]].add(p["same"], predicted)
        if predicted != p["same"]:
            errors.append(p)
    return overall, dict(sorted(per_kind.items())), errors


def fmt(x: float | None) -> str:
    return "    -" if x is None else f"{x:5.3f}"


def print_table(title: str, overall: Counts, per_kind: Mapping[str, Counts], pairs) -> None:
    labels = {p["kind"]: ("same" if p["same"] else "diff") for p in pairs}
    print(f"\n{title}")
    print(f"  {'family':38s} {'label':5s} {'n':>4s} {'prec':>5s} {'rec':>5s}   TP   FP   FN   TN")
    rows = [("OVERALL", "both", overall)] + [(k, labels[k], c) for k, c in per_kind.items()]
    for name, label, c in rows:
        print(
            f"  {name:38s} {label:5s} {c.n:4d} {fmt(c.precision())} {fmt(c.recall())} "
            f"{c.tp:4d} {c.fp:4d} {c.fn:4d} {c.tn:4d}"
        )


def describe(m: Mapping[str, Any]) -> str:
    if "title" in m:
        return f"{m['title'][:70]!r} ({m['source']}, {m['year']})"
    return f"{m['name']!r} on {m['work_key']}"


def print_errors(title: str, errors, mentions: Mapping[str, Mapping[str, Any]]) -> None:
    print(f"\n{title}: {len(errors)} misclassified pairs")
    for p in errors:
        wrong = "split (labeled same)" if p["same"] else "merged (labeled different)"
        print(f"  [{p['kind']}] {wrong}")
        print(f"      a {p['a']}: {describe(mentions[p['a']])}")
        print(f"      b {p['b']}: {describe(mentions[p['b']])}")


def run(args: argparse.Namespace) -> None:
    matcher = load_matcher(args.baseline)
    print(f"matcher: {matcher.label}")
    works_doc = load_labeled(args.works)
    authors_doc = load_labeled(args.authors)

    t0 = time.perf_counter()
    wm = [to_work(matcher.work_cls, m) for m in works_doc["mentions"]]
    w_index = cluster_index(matcher.cluster_works(wm), [m.key for m in wm])
    t_works = time.perf_counter() - t0

    t0 = time.perf_counter()
    aw = [to_work(matcher.work_cls, m) for m in authors_doc["works"]]
    aw_index = cluster_index(matcher.cluster_works(aw), [m.key for m in aw])
    am = [to_author(matcher.author_cls, m) for m in authors_doc["mentions"]]
    a_index = cluster_index(matcher.cluster_authors(am, aw_index), [m.key for m in am])
    t_authors = time.perf_counter() - t0

    w_overall, w_kinds, w_errors = score(works_doc["pairs"], w_index)
    a_overall, a_kinds, a_errors = score(authors_doc["pairs"], a_index)
    print(
        f"works: {len(wm)} mentions, {len(works_doc['pairs'])} pairs, "
        f"{len(set(w_index.values()))} clusters, {t_works:.3f}s"
    )
    print(
        f"authors: {len(am)} mentions ({len(aw)} works), {len(authors_doc['pairs'])} pairs, "
        f"{len(set(a_index.values()))} clusters, {t_authors:.3f}s"
    )
    print_table("WORKS", w_overall, w_kinds, works_doc["pairs"])
    print_table("AUTHORS", a_overall, a_kinds, authors_doc["pairs"])
    if args.errors:
        print_errors("WORKS", w_errors, {m["key"]: m for m in works_doc["mentions"]})
        print_errors("AUTHORS", a_errors, {m["key"]: m for m in authors_doc["mentions"]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", action="store_true", help="use the stand-in, not models.identity"
    )
    parser.add_argument("--errors", action="store_true", help="list the misclassified pairs")
    parser.add_argument("--works", type=Path, default=FIXTURES / "works_labeled.json")
    parser.add_argument("--authors", type=Path, default=FIXTURES / "authors_labeled.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        run(args)
    except Exception:  # a report: say what broke, never fail the caller
        logger.exception("identity quality report failed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
