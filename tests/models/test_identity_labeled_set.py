"""The identity-resolution labeled sets are well-formed (not the matcher's quality targets).

Files: tests/fixtures/identity/works_labeled.json and authors_labeled.json, built from real
metadata by tests/fixtures/identity/build_labeled.py (see the PROVENANCE.md next to them).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

# pytest-xdist (--dist loadgroup): the module-scoped fixtures are built once, on one worker.
pytestmark = pytest.mark.xdist_group("test_identity_labeled_set")

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "identity"
SOURCES = {"arxiv", "acl", "scholar", "s2", "openalex", "dblp"}
WORK_IDS = {"doi", "arxiv", "acl", "scholar_pub", "s2", "openalex", "dblp", "pmid"}
AUTHOR_IDS = {"s2", "acl", "orcid", "scholar", "openalex", "dblp"}


def _load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def works() -> dict[str, Any]:
    return _load("works_labeled.json")


@pytest.fixture(scope="module")
def authors() -> dict[str, Any]:
    return _load("authors_labeled.json")


def _truth(keys: list[str], pairs: list[dict[str, Any]]) -> dict[str, str]:
    parent = {k: k for k in keys}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p["same"]:
            parent[find(p["a"])] = find(p["b"])
    return {k: find(k) for k in keys}


def _check_pairs(doc: dict[str, Any]) -> None:
    keys = [m["key"] for m in doc["mentions"]]
    assert len(keys) == len(set(keys)), "duplicate mention keys"
    known = set(keys)
    seen = set()
    for p in doc["pairs"]:
        assert p["a"] in known and p["b"] in known, p
        assert p["a"] != p["b"], p
        assert isinstance(p["same"], bool) and p["kind"] and p["why"], p
        pair = frozenset({p["a"], p["b"]})
        assert pair not in seen, f"pair labeled twice: {p}"
        seen.add(pair)
    labels = Counter(p["same"] for p in doc["pairs"])
    assert len(doc["pairs"]) >= 300
    assert labels[True] and labels[False]
    assert 0.35 <= labels[True] / len(doc["pairs"]) <= 0.65, labels
    # a kind is a family of one label
    kinds = defaultdict(set)
    for p in doc["pairs"]:
        kinds[p["kind"]].add(p["same"])
    assert all(len(v) == 1 for v in kinds.values()), kinds
    # random negatives are at most a quarter of the 'different' pairs: hard negatives dominate
    diff = [p for p in doc["pairs"] if not p["same"]]
    assert sum(p["kind"] == "random" for p in diff) <= len(diff) / 4
    # the labels do not contradict each other: no 'different' pair inside a 'same' closure
    truth = _truth(keys, doc["pairs"])
    clash = [p for p in diff if truth[p["a"]] == truth[p["b"]]]
    assert not clash, clash[:3]


def _check_work_mention(m: dict[str, Any]) -> None:
    assert m["source"] in SOURCES, m
    assert m["key"].startswith(m["source"] + ":"), m
    assert isinstance(m["title"], str) and m["title"].strip(), m
    assert m["year"] is None or isinstance(m["year"], int), m
    assert set(m["ids"]) <= WORK_IDS, m
    assert all(isinstance(n, str) and n for n in m["authors"]), m
    ids = m["ids"]
    if "doi" in ids:
        assert ids["doi"] == ids["doi"].lower() and not ids["doi"].startswith("http"), m
        assert ids["doi"].startswith("10."), m
    if "arxiv" in ids:
        assert not re.search(r"v\d+$", ids["arxiv"]) and "arxiv.org" not in ids["arxiv"], m
    if "acl" in ids:
        assert re.fullmatch(r"\d{4}\.[a-z0-9-]+\.\d+|[A-Z]\d{2}-\d{4}", ids["acl"]), m
    if "scholar_pub" in ids:
        assert re.fullmatch(r"[\w-]{12}:[\w-]+", ids["scholar_pub"]), m


def test_works_labeled_set_is_well_formed(works: dict[str, Any]) -> None:
    for m in works["mentions"]:
        _check_work_mention(m)
    _check_pairs(works)


def test_authors_labeled_set_is_well_formed(authors: dict[str, Any]) -> None:
    work_keys = {w["key"] for w in authors["works"]}
    for w in authors["works"]:
        _check_work_mention(w)
    by_work = {w["key"]: w for w in authors["works"]}
    for m in authors["mentions"]:
        assert m["work_key"] in work_keys, m
        assert m["key"] == f"{m['work_key']}#{m['position']}", m
        work = by_work[m["work_key"]]
        assert work["authors"][m["position"]] == m["name"], m
        assert sorted(m["coauthors"] + [m["name"]]) == sorted(work["authors"]), m
        assert set(m["ids"]) <= AUTHOR_IDS, m
        assert isinstance(m["topics"], list), m
    _check_pairs(authors)


def test_same_pairs_do_not_leak_their_label_through_ids(works: dict[str, Any], authors) -> None:
    """Outside the '*ids_visible' families no 'same' pair shares an identifier value."""
    for doc in (works, authors):
        mentions = {m["key"]: m for m in doc["mentions"]}
        for p in doc["pairs"]:
            if not p["same"] or p["kind"].endswith("ids_visible"):
                continue
            a, b = mentions[p["a"]]["ids"], mentions[p["b"]]["ids"]
            shared = {k for k in a if k in b and a[k].lower() == b[k].lower()}
            assert not shared, p
    # names-only author families carry no ids at all
    mentions = {m["key"]: m for m in authors["mentions"]}
    for p in authors["pairs"]:
        if p["kind"].endswith("names_only"):
            assert mentions[p["a"]]["ids"] == {} and mentions[p["b"]]["ids"] == {}, p


def test_every_family_is_described_in_provenance(works: dict[str, Any], authors) -> None:
    text = (HERE / "PROVENANCE.md").read_text(encoding="utf-8")
    kinds = {p["kind"] for doc in (works, authors) for p in doc["pairs"]}
    missing = sorted(k for k in kinds if f"`{k}`" not in text)
    assert not missing, f"families missing from PROVENANCE.md: {missing}"


def test_generator_reproduces_the_committed_files() -> None:
    spec = importlib.util.spec_from_file_location("build_labeled", HERE / "build_labeled.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered = module.render()
    for name, text in rendered.items():
        assert (HERE / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: rerun the builder"
        )


def test_quality_report_scores_the_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    """bench/identity_quality.py runs on the labeled files and reports counts per family."""
    path = HERE.parents[2] / "bench" / "identity_quality.py"
    spec = importlib.util.spec_from_file_location("identity_quality", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["identity_quality"] = module  # dataclasses resolve their module by name
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("identity_quality", None)
    assert module.main(["--baseline", "--errors"]) == 0
    out = capsys.readouterr().out
    assert "matcher: baseline stand-in" in out
    works, authors = out.split("\nWORKS\n", 1)[1].split("\nAUTHORS\n", 1)
    # exact identifiers join only the ids-visible family: every other 'same' pair is split
    row = next(line for line in works.splitlines() if "s2_record_vs_id_view_ids_visible" in line)
    assert row.split()[-4:] == ["43", "0", "0", "0"], row
    assert "acl_id_vs_doi" in works and "split (labeled same)" in out
    assert "s2_homonym_initial_names_only" in authors
