"""Fuzzing benchmark: every parser entry point on 10,000 mutations of the real fixtures.

Runs the properties of ``tests/harvesters/test_fuzz_parsers.py`` (entry points and mutations
in ``tests/fixtures/fuzz_targets.py``) with the full seed set (the 122 kB Scholar profile and
the large ACL files included) and nesting up to 30,000 levels, but does not stop at the first
failure: it counts, per entry point, the examples run, how many ended in a project error
(HarvestError), how many gave a quarantined record, and every unexpected exception, grouped
by type and place, with one example each.

Usage: uv run python bench/fuzz_parsers.py [--examples 10000] [--seed 0] [--only NAME ...]
Exit code 1 when any unexpected exception was seen.
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fixtures.fuzz_targets import (  # noqa: E402
    DEPTHS,
    OK,
    PROJECT_ERROR,
    QUARANTINED,
    Case,
    Target,
    classify,
    mutated,
    targets,
)
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402


def where(exc: BaseException) -> str:
    """The innermost frame of ``exc`` as ``file:line`` (relative to the project or the
    installed packages)."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    name = frame.filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
    return f"{name}:{frame.lineno}"


def run(target: Target, examples: int, random_seed: int) -> dict[str, object]:
    counts: collections.Counter[str] = collections.Counter()
    unexpected: collections.Counter[str] = collections.Counter()
    sample: dict[str, str] = {}

    @seed(random_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated(target, DEPTHS))
    def check(case: Case) -> None:
        counts["examples"] += 1
        if counts["examples"] % 1000 == 0:
            print(f"  {target.name}: {counts['examples']} examples...", file=sys.stderr, flush=True)
        try:
            counts[classify(target, case)] += 1
        except Exception as exc:  # the point: count whatever else comes out
            key = f"{type(exc).__name__} at {where(exc)}"
            unexpected[key] += 1
            sample.setdefault(key, f"{str(exc)[:160]!r} on {case!r}"[:600])

    started = time.perf_counter()
    try:
        check()
    except KeyboardInterrupt:  # Ctrl-C: report what ran so far
        counts["interrupted"] = 1
    return {
        "counts": counts,
        "unexpected": unexpected,
        "sample": sample,
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="hypothesis random seed")
    parser.add_argument("--only", nargs="*", help="entry point names (default: all)")
    args = parser.parse_args(argv)
    # The parsers log every bad section and quarantined entry; keep the report readable.
    logging.disable(logging.WARNING)
    total_unexpected = 0
    print(
        f"{'entry point':24} {'examples':>8} {'project errors':>15} {'quarantined':>12} "
        f"{'ok':>6} {'unexpected':>10} {'seconds':>8}"
    )
    details = []
    for target in targets(small=False):
        if args.only and target.name not in args.only:
            continue
        result = run(target, args.examples, args.seed)
        counts, unexpected = result["counts"], result["unexpected"]
        interrupted = bool(counts["interrupted"])  # type: ignore[index]
        n_unexpected = sum(unexpected.values())  # type: ignore[attr-defined]
        total_unexpected += n_unexpected
        print(
            f"{target.name:24} {counts['examples']:>8} {counts[PROJECT_ERROR]:>15} "  # type: ignore[index]
            f"{counts[QUARANTINED]:>12} {counts[OK]:>6} {n_unexpected:>10} "  # type: ignore[index]
            f"{result['seconds']:>8.0f}" + ("  (interrupted)" if interrupted else ""),
            flush=True,
        )
        for key, n in unexpected.most_common():  # type: ignore[attr-defined]
            details.append(f"  {target.name}: {n} x {key}\n      {result['sample'][key]}")  # type: ignore[index]
        if interrupted:
            break
    if details:
        print("\nunexpected exceptions:")
        print("\n".join(details))
    return 1 if total_unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
