"""Normalization at the edge: ids, DOIs, titles, names, code links."""

from __future__ import annotations

import pytest

from harvesters.normalize import (
    clean_text,
    find_github_links,
    name_key,
    normalize_doi,
    split_arxiv_id,
    split_dois,
    title_match_key,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2104.12255v1", ("2104.12255", 1)),
        ("http://arxiv.org/abs/1605.08386v12", ("1605.08386", 12)),
        ("https://arxiv.org/abs/cond-mat/0603029v1", ("cond-mat/0603029", 1)),
        ("oai:arXiv.org:1303.2033", ("1303.2033", None)),
        ("arXiv:2401.14040", ("2401.14040", None)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
    ],
)
def test_split_arxiv_id(raw: str, expected: tuple[str, int | None]) -> None:
    assert split_arxiv_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "https://arxiv.org/api/errors#incorrect_id"])
def test_split_arxiv_id_rejects_non_ids(raw: str) -> None:
    with pytest.raises(ValueError, match="not an arXiv identifier"):
        split_arxiv_id(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1103/PhysRevB.74.024520", "10.1103/physrevb.74.024520"),
        ("https://doi.org/10.18653/V1/2023.REPL4NLP-1.1", "10.18653/v1/2023.repl4nlp-1.1"),
        ("doi:10.1000/XYZ", "10.1000/xyz"),
        ("not a doi", None),
        (None, None),
    ],
)
def test_normalize_doi(raw: str | None, expected: str | None) -> None:
    assert normalize_doi(raw) == expected


def test_clean_text_renders_latex_and_collapses_space() -> None:
    assert clean_text('Schr\\"odinger  \\emph{bridges}\n of $k$-means') == (
        "Schrödinger bridges of $k$-means"
    )
    assert clean_text("   ") is None


def test_title_match_key_ignores_case_accents_markup() -> None:
    assert title_match_key("Schrödinger Bridges: a $k$-Means view") == title_match_key(
        "schrodinger bridges -- A k-means VIEW"
    )


def test_name_key_folds_accents_and_punctuation() -> None:
    assert name_key("Müller, J.-P.") == name_key("muller j p") == "muller j p"


def test_find_github_links() -> None:
    text = (
        "Code: https://github.com/acl-org/acl-anthology. Also see github.com/x/y "
        "(https://www.github.com/Owner/Repo.git) and https://opendatalab.github.io/REST and "
        "https://github.com/features/actions"
    )
    assert find_github_links(text, None) == (
        "https://github.com/acl-org/acl-anthology",
        "https://github.com/Owner/Repo",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "10.1103/physrevd.93.016005, 10.1/x; 10.2/y",
            ("10.1103/physrevd.93.016005", "10.1/x", "10.2/y"),
        ),
        ("10.1103/PhysRevD.93.016005,", ("10.1103/physrevd.93.016005",)),
        ("doi:10.1/a https://doi.org/10.2/B 10.1/a", ("10.1/a", "10.2/b")),
        # A SICI DOI holds a ";" that separates nothing.
        (
            "10.1002/(SICI)1097-4636(199812)43:4<421::AID-JBM9>3.0.CO;2-M",
            ("10.1002/(sici)1097-4636(199812)43:4<421::aid-jbm9>3.0.co;2-m",),
        ),
        ("not a doi", ()),
        (None, ()),
    ],
)
def test_split_dois(raw: str | None, expected: tuple[str, ...]) -> None:
    assert split_dois(raw) == expected
    assert normalize_doi(raw) == (expected[0] if expected else None)
