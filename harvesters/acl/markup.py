"""ACL Anthology markup rendered to plain text.

Titles and abstracts in the Anthology XML are "MarkupText": text mixed with ``<fixed-case>``,
``<i>``, ``<b>``, ``<url>`` and ``<tex-math>`` elements (see data/xml/schema.rnc in
acl-org/acl-anthology). Plain text keeps the words of every element and renders the TeX math
to Unicode where a symbol is known (``\\alpha`` -> ``α``, ``x^2`` -> ``x²``), as the official
library's ``MarkupText.as_text()`` does.
"""

# Unicode look-alikes of ASCII letters (Greek letters, math symbols) are this module's output.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import re
import unicodedata

from lxml import etree

_GREEK_NAMES = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
)
_GREEK = dict(zip(_GREEK_NAMES, "αβγδεζηθικλμνξοπρστυφχψω", strict=True))
_SYMBOLS: dict[str, str] = {
    **_GREEK,
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "varepsilon": "ε",
    "vartheta": "ϑ",
    "varphi": "φ",
    "ell": "ℓ",
    "times": "×",
    "cdot": "·",
    "circ": "∘",
    "pm": "±",
    "mp": "∓",
    "div": "÷",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "propto": "∝",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "emptyset": "∅",
    "forall": "∀",
    "exists": "∃",
    "neg": "¬",
    "wedge": "∧",
    "vee": "∨",
    "oplus": "⊕",
    "otimes": "⊗",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "leftrightarrow": "↔",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "Leftrightarrow": "⇔",
    "mapsto": "↦",
    "uparrow": "↑",
    "downarrow": "↓",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "prime": "′",
    "star": "⋆",
    "dagger": "†",
    "mid": "|",
    "langle": "⟨",
    "rangle": "⟩",
    "sqrt": "√",
    "%": "%",
    "&": "&",
    "#": "#",
    "$": "$",
    "_": "_",
    "{": "{",
    "}": "}",
    ",": " ",
    ";": " ",
    "quad": " ",
    "qquad": " ",
    " ": " ",
}
# Commands that only change the font or spacing: their argument is kept, the command dropped.
_DROP = frozenset(
    {
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "mathcal",
        "mathbb",
        "mathfrak",
        "boldsymbol",
        "text",
        "textrm",
        "textbf",
        "textit",
        "texttt",
        "textsc",
        "operatorname",
        "mbox",
        "left",
        "right",
        "big",
        "Big",
        "bigl",
        "bigr",
        "displaystyle",
        "hat",
        "tilde",
        "bar",
        "vec",
        "overline",
        "underline",
        "widehat",
        "widetilde",
    }
)
_SUPERSCRIPT = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SCRIPTABLE_SUP = set("0123456789+-=()ni")
_SCRIPTABLE_SUB = set("0123456789+-=()")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_SCRIPT = re.compile(r"([_^])(\{([^{}]*)\}|\\?[A-Za-z0-9+\-=()])")
_WS = re.compile(r"\s+")


def texmath_to_text(tex: str) -> str:
    """A TeX math expression as plain Unicode text (unknown commands keep their name)."""

    def script(match: re.Match[str]) -> str:
        kind, body = (
            match.group(1),
            match.group(3) if match.group(3) is not None else match.group(2),
        )
        allowed, table = (
            (_SCRIPTABLE_SUP, _SUPERSCRIPT) if kind == "^" else (_SCRIPTABLE_SUB, _SUBSCRIPT)
        )
        if body and set(body) <= allowed:
            return body.translate(table)
        return f"{kind}{body}" if len(body) == 1 else f"{kind}({body})"

    def command(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _DROP:
            return ""
        return _SYMBOLS.get(name, name)

    text = _SCRIPT.sub(script, tex)
    text = _COMMAND.sub(command, text)
    text = text.replace("{", "").replace("}", "").replace("~", " ")
    return _WS.sub(" ", text).strip()


def markup_to_text(element: etree._Element | None) -> str | None:
    """The plain text of a MarkupText element (title, abstract, booktitle); None when empty.

    Every nested element contributes its text; ``<tex-math>`` is rendered with
    :func:`texmath_to_text`. White space is collapsed and the result NFC-normalized.
    """
    if element is None:
        return None
    parts: list[str] = []
    _collect(element, parts)
    text = _WS.sub(" ", unicodedata.normalize("NFC", "".join(parts))).strip()
    return text or None


def _collect(element: etree._Element, parts: list[str]) -> None:
    if element.tag == "tex-math":
        parts.append(texmath_to_text("".join(element.itertext())))
    else:
        if element.text:
            parts.append(element.text)
        for child in element:
            if isinstance(child.tag, str):  # skip comments and processing instructions
                _collect(child, parts)
            if child.tail:
                parts.append(child.tail)
