"""Normalization at the edge: identifiers, titles, names and code links."""

from __future__ import annotations

import re
import unicodedata

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
    """The key two titles of the same work share (markup, case, accents removed)."""
    return fold(clean_text(title.replace("$", "")) or "")[:255]


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


def could_be(printed: str, tracked: str) -> bool:
    """Whether a printed name may denote the tracked person: same surname, same first initial.

    Used only on results of that person's own query (arXiv has no author ids), so
    ``A. Del Maestro`` on a result of ``au:del_maestro`` counts as ``Adrian Del Maestro``.
    """
    p, t = name_key(printed).split(), name_key(tracked).split()
    if not p or not t:
        return False
    return p[-1] == t[-1] and p[0][0] == t[0][0]
