"""Normalization at the edge: identifiers, titles, names and code links."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

_ARXIV_ID = re.compile(
    r"^(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?$"
)
_ARXIV_PREFIXES = (
    "https://arxiv.org/abs/",
    "http://arxiv.org/abs/",
    "https://export.arxiv.org/abs/",
    "http://export.arxiv.org/abs/",
    "oai:arxiv.org:",
    "arxiv:",
)
_DOI_PREFIXES = (
    "https://doi.org/",
    "http://doi.org/",
    "https://dx.doi.org/",
    "http://dx.doi.org/",
    "doi:",
)
_GITHUB = re.compile(
    r"https?://(?:www\.)?github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))"
    r"/(?P<repo>[A-Za-z0-9._-]+)",
    re.IGNORECASE,
)
# github.com paths that are not repositories.
_GITHUB_NON_OWNERS = {"about", "features", "orgs", "topics", "marketplace", "sponsors", "settings"}

# LaTeX that shows up in arXiv titles and abstracts, rendered as text.
_LATEX_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "c": "\u0327",
    "v": "\u030c",
    "=": "\u0304",
    "u": "\u0306",
    ".": "\u0307",
}
_ACCENT_CMD = re.compile(r"\\([`'^\"~=.]|[cvu](?=[{ ]))\s*\{?([A-Za-z])\}?")
_STYLE_CMD = re.compile(
    r"\\(?:emph|textit|textbf|textrm|texttt|textsc|mathrm|mathbf|mbox)\{([^{}]*)\}"
)
_WS = re.compile(r"\s+")


def split_arxiv_id(raw: str) -> tuple[str, int | None]:
    """Split ``2104.12255v1`` / ``http://arxiv.org/abs/cond-mat/0603029v2`` into id and version.

    Raises ValueError when ``raw`` is not an arXiv identifier.
    """
    text = raw.strip()
    lowered = text.lower()
    for prefix in _ARXIV_PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
            break
    match = _ARXIV_ID.match(text)
    if not match:
        raise ValueError(f"not an arXiv identifier: {raw!r}")
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def normalize_doi(raw: str | None) -> str | None:
    """Lower-case a DOI and strip resolver prefixes; None when ``raw`` is not a DOI.

    When ``raw`` lists several DOIs (arXiv's ``10.1/a, 10.2/b``), this is the first one; see
    :func:`split_dois` for all of them.
    """
    dois = split_dois(raw)
    return dois[0] if dois else None


# A separator between two DOIs: a comma or semicolon followed by the start of another DOI, or
# white space. DOIs themselves may hold ";" (SICI DOIs: "...3.0.CO;2-M"), so a ";" or ","
# splits only when a new DOI follows it.
_DOI_SEPARATOR = re.compile(r"\s*[,;]\s*(?=(?:doi:|https?://|10\.))|\s+", re.IGNORECASE)


def split_dois(raw: str | None) -> tuple[str, ...]:
    """Every DOI in a field that may list several (``10.1103/x, 10.1/y; doi:10.2/z``),
    normalized as :func:`normalize_doi` does, in order and without repeats."""
    if not raw:
        return ()
    found: dict[str, None] = {}
    for part in _DOI_SEPARATOR.split(raw.strip()):
        text = part.strip().rstrip(",;")
        lowered = text.lower()
        for prefix in _DOI_PREFIXES:
            if lowered.startswith(prefix):
                lowered = lowered[len(prefix) :]
                break
        if lowered.startswith("10.") and "/" in lowered:
            found[lowered] = None
    return tuple(found)


# DOI prefixes of preprint servers. Such a DOI names one deposit of a paper, not the paper:
# the same work may hold it beside its journal DOI (and beside another server's deposit).
# 10.1101/ is Cold Spring Harbor's, shared by bioRxiv/medRxiv (a digit follows the slash:
# 10.1101/2020.03.01.123456, 10.1101/123456) and by its journals (10.1101/gr.…): only the
# former are preprints.
PREPRINT_DOI_PREFIXES: tuple[str, ...] = (
    "10.48550/arxiv.",  # arXiv's DataCite DOIs
    "10.2196/preprints.",  # JMIR Preprints
    "10.31219/osf.io/",  # OSF Preprints
    "10.31234/osf.io/",  # PsyArXiv
    "10.31235/osf.io/",  # SocArXiv
    "10.31224/osf.io/",  # engrXiv
    "10.35542/osf.io/",  # EdArXiv
    "10.21203/rs.",  # Research Square
    "10.20944/preprints",  # Preprints.org
    "10.2139/ssrn.",  # SSRN
    "10.36227/techrxiv.",  # TechRxiv
    "10.26434/chemrxiv",  # ChemRxiv
    "10.22541/au.",  # Authorea
)
_BIORXIV = re.compile(r"10\.1101/\d")


def is_preprint_doi(doi: str) -> bool:
    """True when ``doi`` (normalized, see :func:`normalize_doi`) is a preprint server's."""
    return doi.startswith(PREPRINT_DOI_PREFIXES) or _BIORXIV.match(doi) is not None


def clean_text(raw: str | None) -> str | None:
    """Unicode-normalize, render common LaTeX markup to text and collapse white space."""
    if raw is None:
        return None
    text = _ACCENT_CMD.sub(lambda m: m.group(2) + _LATEX_ACCENTS[m.group(1)], raw)
    previous = None
    while previous != text:
        previous = text
        text = _STYLE_CMD.sub(r"\1", text)
    text = unicodedata.normalize("NFC", text)
    text = _WS.sub(" ", text).strip()
    return text or None


def fold(text: str) -> str:
    """Accent-free, lower-case, alphanumeric words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", stripped.casefold()))


def title_match_key(title: str) -> str:
    """The key two titles of the same work share (markup, case, accents removed; letters of any
    script kept, so a Chinese or Cyrillic title never folds to an empty or shared key)."""
    return title_key(clean_text(title) or "")[:255]


_WORD = re.compile(r"\w+", re.UNICODE)
_PARTICLES = frozenset(
    {"del", "van", "von", "de", "da", "di", "der", "den", "le", "la", "du", "dos"}
)


@functools.lru_cache(maxsize=1 << 17)
def title_key(title: str) -> str:
    """Case-, accent- and punctuation-free words of a title, any script (CJK stays CJK)."""
    text = unicodedata.normalize("NFKD", title.replace("$", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD.findall(text.replace("_", " ")))


@functools.lru_cache(maxsize=1 << 17)
def name_parts(name: str) -> tuple[tuple[str, ...], str]:
    """(given names, surname) of a printed name, folded; "Last, First" is turned around.

    >>> name_parts("Del Maestro, Adrian")
    (('adrian',), 'del maestro')
    >>> name_parts("X. Ma")
    (('x',), 'ma')
    """
    text = name.strip()
    if "," in text:
        last, _, first = text.partition(",")
        text = f"{first} {last}"
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    words = [w for w in re.split(r"[\s.]+", text.replace("-", " ")) if w]
    words = [w for w in (re.sub(r"[^\w]", "", w) for w in words) if w]
    if not words:
        return (), ""
    # Particles belong to the surname: "Adrian Del Maestro" -> surname "del maestro".
    surname = [words[-1]]
    rest = words[:-1]
    while rest and rest[-1] in _PARTICLES and len(rest) > 1:
        surname.insert(0, rest.pop())
    return tuple(rest), " ".join(surname)


def surname_key(name: str) -> str:
    """The folded surname, particles included ("del maestro")."""
    return name_parts(name)[1]


@functools.lru_cache(maxsize=1 << 17)
def initials_key(name: str) -> str:
    """Surname plus first initial ("ma x"): the coarse key co-author context uses."""
    given, surname = name_parts(name)
    return f"{surname} {given[0][0]}" if given else surname


def given_compatible(a: Sequence[str], b: Sequence[str]) -> tuple[bool, bool]:
    """(compatible, decided): whether two given-name lists may be one person, and whether a
    full name on both sides decided it (an initial alone never decides).

    >>> given_compatible(("xinyin",), ("xiaolong",))
    (False, True)
    >>> given_compatible(("x",), ("xinyin",))
    (True, False)
    >>> given_compatible(("adrian",), ("adrian",))
    (True, True)
    """
    if not a or not b:
        return True, False
    decided = False
    for x, y in zip(a, b, strict=False):
        if len(x) > 1 and len(y) > 1:
            if x != y and "".join(a) != "".join(b):
                return False, True
            decided = True
        elif x[0] != y[0]:
            return False, True
    # "Jiu-Cheng" folds to ("jiu", "cheng") and "Jiucheng" to ("jiucheng",): compare joined.
    if not decided and "".join(a) == "".join(b) and len("".join(a)) > 2:
        decided = True
    return True, decided


def name_key(name: str) -> str:
    """The folded form of a person's name used to find the same spelling again."""
    return fold(name)[:255]


def find_github_links(*texts: str | None) -> tuple[str, ...]:
    """GitHub repository URLs mentioned in ``texts``, as ``https://github.com/owner/repo``."""
    found: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for match in _GITHUB.finditer(text):
            owner, repo = match.group("owner"), match.group("repo")
            repo = repo.rstrip(".")
            if repo.endswith(".git"):
                repo = repo[:-4]
            if not repo or owner.lower() in _GITHUB_NON_OWNERS:
                continue
            found[f"https://github.com/{owner}/{repo}"] = None
    return tuple(found)


def is_same_person_name(printed: str, tracked: str) -> bool:
    """Whether a printed name is the tracked person's name: same surname and given names that
    agree in full (an initial alone never decides: "X. Ma" is not "Xinyin Ma" by name, and
    "Xiaolong Ma" never is).

    >>> is_same_person_name("Adrian Del Maestro", "Adrian Del Maestro")
    True
    >>> is_same_person_name("Xiaolong Ma", "Xinyin Ma")
    False
    >>> is_same_person_name("X. Ma", "Xinyin Ma")
    False
    """
    p_given, p_surname = name_parts(printed)
    t_given, t_surname = name_parts(tracked)
    if not p_surname or p_surname != t_surname:
        return False
    compatible, decided = given_compatible(p_given, t_given)
    return compatible and decided


def could_be(printed: str, tracked: str) -> bool:
    """Whether a printed name may denote the tracked person: same surname, same first initial.

    Used only where the context already names the person: the entries of their own Google
    Scholar profile (one of the listed authors is the owner). Not for search results: arXiv
    attribution uses :func:`is_same_person_name`.
    """
    p, t = name_key(printed).split(), name_key(tracked).split()
    if not p or not t:
        return False
    return p[-1] == t[-1] and p[0][0] == t[0][0]
