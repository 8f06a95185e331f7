"""ACL MarkupText and TeX math rendered to plain text."""

# Expected values hold the files' own characters (Greek letters, en dashes).
# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from lxml import etree

from harvesters.acl.markup import markup_to_text, texmath_to_text


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\alpha", "α"),
        (r"x^2", "x²"),
        (r"O(n^{2})", "O(n²)"),
        (r"\mathcal{O}(n \log n)", "O(n log n)"),
        (r"F_1", "F₁"),
        (r"\geq 90\%", "≥ 90%"),
        (r"10^{-3}", "10⁻³"),
        (r"e^{x+y}", "e^(x+y)"),
        (r"k_{ij}", "k_(ij)"),
        (r"\unknowncmd{x}", "unknowncmdx"),
    ],
)
def test_texmath(tex: str, text: str) -> None:
    assert texmath_to_text(tex) == text


def test_markup_keeps_every_word_and_collapses_space() -> None:
    element = etree.fromstring(
        "<title>  <fixed-case>BERT</fixed-case> on <i>very</i>\n <b>long</b> inputs:"
        " <tex-math>\\beta</tex-math>-<fixed-case>VAE</fixed-case> at <url>https://x.org</url>"
        "<!-- a comment --> </title>"
    )
    assert markup_to_text(element) == "BERT on very long inputs: β-VAE at https://x.org"
    assert markup_to_text(etree.fromstring("<abstract>  </abstract>")) is None
    assert markup_to_text(None) is None
