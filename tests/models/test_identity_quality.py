"""Identity resolution against the real labeled pairs of tests/fixtures/identity (issue 10's
targets): works precision >= 0.99 and recall >= 0.97, authors precision >= 0.99.

The scoring is bench/identity_quality.py's (imported, so the report and this test cannot
disagree); the per-family table is what that script prints.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "identity_quality", ROOT / "bench" / "identity_quality.py"
)
assert spec is not None and spec.loader is not None
quality = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = quality  # its dataclasses look their module up there
spec.loader.exec_module(quality)


def _scores() -> tuple[object, object]:
    matcher = quality.load_matcher(False)
    assert matcher.label == "models.identity.matching"
    works_doc = quality.load_labeled(quality.FIXTURES / "works_labeled.json")
    authors_doc = quality.load_labeled(quality.FIXTURES / "authors_labeled.json")
    wm = [quality.to_work(matcher.work_cls, m) for m in works_doc["mentions"]]
    w_index = quality.cluster_index(matcher.cluster_works(wm), [m.key for m in wm])
    aw = [quality.to_work(matcher.work_cls, m) for m in authors_doc["works"]]
    aw_index = quality.cluster_index(matcher.cluster_works(aw), [m.key for m in aw])
    am = [quality.to_author(matcher.author_cls, m) for m in authors_doc["mentions"]]
    a_index = quality.cluster_index(matcher.cluster_authors(am, aw_index), [m.key for m in am])
    works, _, _ = quality.score(works_doc["pairs"], w_index)
    authors, _, _ = quality.score(authors_doc["pairs"], a_index)
    return works, authors


def test_works_and_authors_meet_the_precision_and_recall_targets() -> None:
    works, authors = _scores()
    assert works.n >= 300 and authors.n >= 300
    assert works.precision() >= 0.99, works
    assert works.recall() >= 0.97, works
    assert authors.precision() >= 0.99, authors
    # Recall for authors is what it is (leaving two records apart is the safe error); this
    # floor only catches a regression from the 0.914 measured when the rules landed.
    assert authors.recall() >= 0.90, authors
