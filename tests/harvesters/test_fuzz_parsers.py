"""Property-based fuzzing of every parser entry point with mutations of the real fixtures.

Property: parsing a mutated input returns records (some maybe quarantined) or raises the
project's own HarvestError, never another exception. 1,000 examples per entry point,
derandomized and without an example database, so CI runs the same inputs every time. The
entry points and mutations are in ``tests/fixtures/fuzz_targets.py``; ``bench/fuzz_parsers.py``
runs the same properties with 10,000 examples each.
"""

from __future__ import annotations

import pytest
from fixtures.fuzz_targets import Case, Target, ci_depths, classify, mutated, targets
from hypothesis import HealthCheck, given, settings

CI_EXAMPLES = 1_000

settings.register_profile(
    "scholarflow-fuzz-ci",
    max_examples=CI_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
FUZZ = settings.get_profile("scholarflow-fuzz-ci")

TARGETS = {t.name: t for t in targets(small=True)}
ERROR_SEEDS = {
    "ordovicia_blocked_captcha.html",
    "id_abc_s0_m100_b79c8dcf6bc3.json",
    "constructed_broken.xml",
}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_parser_raises_only_project_errors_on_mutated_fixtures(name: str) -> None:
    target: Target = TARGETS[name]

    @FUZZ
    @given(mutated(target, ci_depths(target)))
    def check(case: Case) -> None:
        classify(target, case)

    check()


def test_every_seed_parses_unmutated() -> None:
    # The seeds are the fixtures: none of them is an error, except those that are errors on
    # purpose (the recorded CAPTCHA page, the recorded error feed, the malformed ACL file).
    for target in TARGETS.values():
        for seed in target.seeds:
            outcome = classify(target, Case(seed, seed.body))
            if seed.name in ERROR_SEEDS:
                assert outcome == "project error"
            else:
                assert outcome in ("ok", "quarantined"), (target.name, seed.name)
