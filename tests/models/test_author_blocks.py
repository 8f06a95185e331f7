"""Author blocks: bounded per work, and holding every pair the matcher looks candidates up by."""

from __future__ import annotations

import random

from harvesters.normalize import initials_key
from models.identity import matching

SURNAMES = ["wang", "li", "zhang", "ma", "smith", "garcia", "müller", "del maestro", "o'neil"]
GIVEN = ["Xinyin", "Xiaolong", "X.", "Yang", "Adrian", "A.", "Jiu-Cheng", "Maria", "Li"]


def _pair_blocks(work_key: str, names: list[str]) -> set[str]:
    return {
        b
        for b in matching.author_block_keys(work_key, names)
        if b.startswith(matching.AUTHOR_PAIR_BLOCK)
    }


def test_a_large_author_list_writes_at_most_ten_pair_blocks_per_author() -> None:
    names = [f"Given{i} Surname{i}" for i in range(3000)]
    blocks = _pair_blocks("s2:big", names)
    # Each author pairs with the (up to) ten printed after it: every pair within ten places.
    expected = sum(min(matching.COAUTHOR_WINDOW, len(names) - 1 - i) for i in range(len(names)))
    assert len(blocks) == expected <= len(names) * matching.COAUTHOR_WINDOW
    assert "ac:surname0 g|surname10 g" in blocks
    assert "ac:surname0 g|surname11 g" not in blocks


def test_a_short_author_list_pairs_everyone() -> None:
    names = [f"{g} {s}" for g, s in zip(GIVEN, SURNAMES, strict=True)][:8]
    keys = sorted({initials_key(n) for n in names})
    pairs = {f"ac:{a}|{b}" for i, a in enumerate(keys) for b in keys[i + 1 :]}
    assert _pair_blocks("acl:x", names) == pairs


def test_every_pair_the_matcher_indexes_is_a_stored_block_of_the_work() -> None:
    """The merge step finds partners only through stored blocks, so a pair the matcher looks
    candidates up by but the work does not store would make clusters depend on load order."""
    rng = random.Random(7)
    for trial in range(300):
        count = rng.choice([1, 2, 3, 5, 11, 12, 25, 60])
        names = [f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}" for _ in range(count)]
        blocks = set(matching.author_block_keys(f"arxiv:{trial}", names))
        for position, name in enumerate(names):
            mention = matching.AuthorMention(
                key=f"arxiv:{trial}#{position}",
                name=name,
                work_key=f"arxiv:{trial}",
                position=position,
                coauthors=tuple(n for p, n in enumerate(names) if p != position),
            )
            own = initials_key(name)
            near = matching.near_coauthor_keys(mention)
            printed_near = {
                initials_key(n)
                for p, n in enumerate(names)
                if p != position and abs(p - position) <= matching.COAUTHOR_WINDOW
            }
            assert near == printed_near - {own}
            for co in near:
                a, b = sorted((own, co))
                assert f"ac:{a}|{b}" in blocks, (names, position, co)


def test_scholar_entries_get_one_profile_block_per_printed_key() -> None:
    blocks = matching.author_block_keys("scholar:AbCdEf:xyz", ["X. Ma", "Xinyin Ma", "Y. Li"])
    assert {b for b in blocks if b.startswith(matching.AUTHOR_PROFILE_BLOCK)} == {
        "ap:AbCdEf|li y",
        "ap:AbCdEf|ma x",
    }
