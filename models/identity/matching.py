"""Which mentions are one work, and which author mentions are one person: pure, deterministic.

No database here: the merge step (``models.identity.merge``) reads mentions with SQL, hands them
to :func:`resolve_works` / :func:`resolve_authors`, and writes the clusters and decisions back.
The labeled-set benchmark (``bench/identity_quality.py``) calls the same functions.

Determinism: every edge is considered in one sorted order (rule strength, then keys), never in
input order, so the same mentions in any order, in any batch split, give the same clusters.

Works, in this order (architecture.md, "Merging"):

1. operator force-merges; force-splits are cannot-link constraints that every later union obeys;
2. shared identifiers (doi, arxiv, acl, s2, openalex, dblp, pmid, a Scholar entry's own id);
3. fuzzy title (rapidfuzz) + year window + author-surname overlap, inside blocks (exact title,
   first and last content words, first-author surname + first word) so that cost grows with the
   number of mentions, not its square.

Guards: a cluster never holds two different values of one exclusive id scheme (two arXiv ids, two
DOIs, two ACL ids; Scholar ids count per profile), two entries of one Scholar profile are never
merged by title (they are reported for review), generic titles (Preface, Erratum, ...) and titles
that differ in a part or volume number never merge on title, and a supplement never merges into
its paper. Two ids never exclude each other where one paper legitimately has several: a
preprint server's DOI (a deposit, beside the journal DOI and other deposits) and the aggregators'
ids (Semantic Scholar and OpenAlex keep a preprint and its published version as two records);
they still link the mentions that share them.

Authors: strong ids (tracked, scholar, orcid, acl, github, s2, openalex) first, then the same
printed person on two versions of one work, then the same name confirmed by shared co-authors.
An initial alone never decides: "X. Ma" joins "Xinyin Ma" only with two shared co-authors, and
"Xiaolong Ma" never joins "Xinyin Ma" by name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from harvesters.normalize import (
    given_compatible,
    initials_key,
    is_preprint_doi,
    name_parts,
    surname_key,
    title_key,
)

# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class WorkMention:
    """One source's view of a work. ``key`` is stable across harvests (``source:source_id``)."""

    key: str
    source: str
    title: str
    year: int | None = None
    venue: str | None = None
    ids: Mapping[str, str] = field(default_factory=dict)
    authors: tuple[str, ...] = ()
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorMention:
    """One printed author on one work mention (``key`` = ``work_key#position``)."""

    key: str
    name: str
    ids: Mapping[str, str] = field(default_factory=dict)
    work_key: str = ""
    position: int = 0
    coauthors: tuple[str, ...] = ()
    venue: str | None = None
    year: int | None = None
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """Why two mentions are (or are not) one entity: the rule, its score and what it saw."""

    left: str
    right: str
    outcome: str  # "merge", "keep-apart", "review"
    rule: str
    score: float | None = None
    inputs: Mapping[str, object] = field(default_factory=dict)


@dataclass
class Resolution:
    """Clusters (sorted lists of mention keys, sorted by first key) and the decisions taken."""

    clusters: list[list[str]]
    decisions: list[Decision]

    def cluster_of(self) -> dict[str, int]:
        """Mention key -> index in ``clusters``."""
        return {key: i for i, members in enumerate(self.clusters) for key in members}


# Identifier schemes that name exactly one work: a cluster may hold one value of each.
WORK_ID_SCHEMES: tuple[str, ...] = (
    "doi",
    "arxiv",
    "acl",
    "s2",
    "openalex",
    "dblp",
    "pmid",
    "scholar_pub",
)
AUTHOR_ID_SCHEMES: tuple[str, ...] = (
    "tracked",
    "scholar",
    "orcid",
    "acl",
    "github",
    "s2",
    "openalex",
)

# Titles that name a kind of document, not a work: never merged on the title alone.
GENERIC_TITLES = frozenset(
    {
        "preface",
        "foreword",
        "introduction",
        "editorial",
        "front matter",
        "frontmatter",
        "back matter",
        "table of contents",
        "contents",
        "index",
        "author index",
        "erratum",
        "errata",
        "corrigendum",
        "correction",
        "retraction",
        "retraction notice",
        "reply",
        "response",
        "discussion",
        "comment",
        "commentary",
        "book review",
        "review",
        "abstracts",
        "keynote",
        "invited talk",
        "panel",
        "tutorial",
        "obituary",
        "in memoriam",
        "acknowledgments",
        "acknowledgements",
        "supplementary material",
        "supplemental material",
        "supplementary information",
        "appendix",
        "proceedings",
        "untitled",
        "title",
        "0",
    }
)
_DERIVED_MARKERS = (
    "supplementary",
    "supplemental",
    "erratum",
    "corrigendum",
    "retraction",
    "reply to",
    "comment on",
    "response to",
    "appendix",
)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "and",
        "in",
        "on",
        "with",
        "to",
        "from",
        "by",
        "at",
        "via",
        "is",
        "are",
        "as",
        "its",
        "using",
        "towards",
        "toward",
    ]
)
_ROMAN = frozenset(["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"])

# Fuzzy thresholds (rapidfuzz scores, 0-100) and windows.
TITLE_SAME = 96.0  # near-identical titles: one work when years and authors agree
TITLE_CLOSE = 90.0  # changed titles: one work only with strong author overlap
NEAR_MISS = 85.0  # below the bar but recorded as a keep-apart decision (for explain)
YEAR_WINDOW = 2  # a preprint may precede its publication by up to two years
MAX_BLOCK = 60  # blocks larger than this are not compared pairwise (too generic a key)


# ----------------------------------------------------------------------------- text keys


def _content_words(key: str) -> list[str]:
    return [w for w in key.split() if w not in _STOPWORDS]


def _numbers(key: str) -> frozenset[str]:
    """Part, volume and edition markers: digits and roman numerals as words."""
    return frozenset(w for w in key.split() if w.isdigit() or w in _ROMAN)


def is_generic_title(key: str) -> bool:
    """Whether a (keyed) title names a kind of document rather than one work."""
    words = [w for w in key.split() if not w.isdigit() and w not in _ROMAN]
    stripped = " ".join(words)
    return not stripped or stripped in GENERIC_TITLES or len(stripped) < 4


def _derived(key: str) -> bool:
    return any(marker in key for marker in _DERIVED_MARKERS)


# ----------------------------------------------------------------------------- union-find


class _Clusters:
    """Union-find whose unions respect exclusive ids and cannot-link pairs."""

    def __init__(self, keys: Iterable[str], exclusive: Mapping[str, Mapping[str, str]]) -> None:
        self.parent = {k: k for k in keys}
        # root -> {namespace: value}: the exclusive ids the cluster holds.
        self.ids: dict[str, dict[str, str]] = {k: dict(exclusive.get(k, {})) for k in self.parent}
        self.apart: dict[str, set[str]] = defaultdict(set)  # root -> roots it may not join

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def forbid(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        self.apart[ra].add(rb)
        self.apart[rb].add(ra)

    def conflict(self, a: str, b: str) -> str | None:
        """Why ``a`` and ``b`` may not be one cluster, or None."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if rb in self.apart.get(ra, ()) or ra in self.apart.get(rb, ()):
            return "operator-split"
        small, large = sorted((self.ids[ra], self.ids[rb]), key=len)
        # Namespaces in sorted order: the reason named is the same whatever order the ids
        # were read in (SQLite and PostgreSQL return rows in different orders).
        for namespace, value in sorted(small.items()):
            other = large.get(namespace)
            if other is not None and other != value:
                return f"different {namespace.split(':')[0]} ids ({value} vs {other})"
        return None

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.conflict(a, b) is not None:
            return False
        keep, gone = sorted((ra, rb))  # the smaller key is the root: order-independent
        self.parent[gone] = keep
        self.ids[keep].update(self.ids.pop(gone))
        moved = self.apart.pop(gone, set())
        self.apart[keep] |= moved
        for other in moved:
            self.apart[other].discard(gone)
            self.apart[other].add(keep)
        return True

    def groups(self) -> list[list[str]]:
        members: dict[str, list[str]] = defaultdict(list)
        for key in sorted(self.parent):
            members[self.find(key)].append(key)
        return sorted(members.values(), key=lambda m: m[0])


# ----------------------------------------------------------------------------- works


# Aggregators' work ids: two of them may name one paper (its preprint and published records).
AGGREGATOR_SCHEMES = frozenset({"s2", "openalex"})


def _work_namespace(scheme: str, value: str) -> str:
    """The namespace in which a cluster holds at most one value.

    Scholar entry ids are exclusive per profile; a preprint DOI and an aggregator's id are a
    namespace of their own (so they exclude nothing); every other scheme as a whole.
    """
    if scheme == "scholar_pub":
        return "scholar_pub:" + value.split(":", 1)[0]
    if scheme in AGGREGATOR_SCHEMES or (scheme == "doi" and is_preprint_doi(value)):
        return f"{scheme}:{value}"
    return scheme


@dataclass(frozen=True, slots=True)
class _Prepared:
    mention: WorkMention
    key: str  # title key
    words: tuple[str, ...]
    numbers: frozenset[str]
    surnames: tuple[str, ...]
    generic: bool
    derived: bool


def prepare_work(m: WorkMention) -> _Prepared:
    key = title_key(m.title)
    return _Prepared(
        mention=m,
        key=key,
        words=tuple(_content_words(key)),
        numbers=_numbers(key),
        surnames=tuple(s for s in (surname_key(a) for a in m.authors) if s),
        generic=is_generic_title(key),
        derived=_derived(key),
    )


def work_block_keys(p: _Prepared) -> list[str]:
    """The blocks a mention is compared within (never for generic titles)."""
    if p.generic or not p.key:
        return []
    keys = ["t:" + p.key]
    if len(p.words) >= 3:
        keys.append("f:" + " ".join(p.words[:4]))
        keys.append("l:" + " ".join(p.words[-4:]))
    if p.surnames and p.words:
        keys.append(f"a:{p.surnames[0]}:{p.words[0]}")
    return keys


AUTHOR_PAIR_BLOCK = "ac:"  # two initials keys printed together on one work mention
AUTHOR_PROFILE_BLOCK = "ap:"  # one initials key on one Scholar profile's entry
AUTHOR_BLOCK_PREFIXES = (AUTHOR_PAIR_BLOCK, AUTHOR_PROFILE_BLOCK)
# Name edges are looked for through co-authors printed at most this many positions away, so a
# work mention stores at most ``authors * COAUTHOR_WINDOW`` pair blocks (every pair up to 11
# authors; a 3,000-author paper writes 30,000 blocks, not 4.5 million).
COAUTHOR_WINDOW = 10


def author_block_keys(work_key: str, names: Sequence[str]) -> list[str]:
    """The author blocks of one work mention (stored beside its work blocks).

    :func:`resolve_authors` compares two author mentions by name only when both print the same
    initials key X together with a co-author key Y (block ``ac:X|Y``, the pair unordered), or
    both print X on entries of one Scholar profile P (block ``ap:P|X``); every other name edge
    needs a shared strong id or one work cluster. So the author mentions that can join a given
    one are found through these blocks, whose size depends on how often two names appear
    together, not on how many papers carry a common surname.
    """
    printed = [initials_key(n) for n in names]
    pairs = {
        (a, b) if a < b else (b, a)
        for i, a in enumerate(printed)
        for b in printed[i + 1 : i + 1 + COAUTHOR_WINDOW]
        if a != b
    }
    blocks = [f"{AUTHOR_PAIR_BLOCK}{a}|{b}" for a, b in sorted(pairs)]
    profile = _scholar_profile(work_key)
    if profile:
        blocks += [f"{AUTHOR_PROFILE_BLOCK}{profile}|{k}" for k in sorted(set(printed)) if k]
    return blocks


def near_coauthor_keys(m: AuthorMention) -> set[str]:
    """Initials keys of the co-authors printed within ``COAUTHOR_WINDOW`` positions of ``m``
    (its own key left out): the co-authors a name edge is looked for through, the same pairs
    :func:`author_block_keys` stores."""
    # ``coauthors`` leaves ``m`` out: printed positions position-W .. position+W (but its own)
    # are the items position-W .. position+W-1.
    window = m.coauthors[max(0, m.position - COAUTHOR_WINDOW) : m.position + COAUTHOR_WINDOW]
    near = {initials_key(c) for c in window}
    near.discard(initials_key(m.name))
    return near


def author_overlap(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Shared surnames over the shorter list (None when a side lists no authors)."""
    if not a or not b:
        return None
    shared = len(set(a) & set(b))
    return shared / min(len(set(a)), len(set(b)))


def score_work_pair(a: _Prepared, b: _Prepared) -> Decision | None:
    """The fuzzy rule for one candidate pair: a merge, a keep-apart worth recording, or None."""
    ma, mb = a.mention, b.mention
    left, right = sorted((ma.key, mb.key))
    if a.generic or b.generic:
        return None
    similarity = max(fuzz.ratio(a.key, b.key), fuzz.token_sort_ratio(a.key, b.key))
    if similarity < NEAR_MISS:
        return None
    years = (ma.year, mb.year)
    gap = abs(ma.year - mb.year) if ma.year is not None and mb.year is not None else None
    overlap = author_overlap(a.surnames, b.surnames)
    inputs: dict[str, object] = {
        "title_similarity": round(similarity, 1),
        "years": list(years),
        "author_overlap": None if overlap is None else round(overlap, 2),
    }

    def apart(rule: str) -> Decision:
        return Decision(left, right, "keep-apart", rule, similarity, inputs)

    if (
        ma.source == "scholar"
        and mb.source == "scholar"
        and ma.profile
        and ma.profile == mb.profile
    ):
        return Decision(left, right, "review", "one-scholar-profile", similarity, inputs)
    if a.numbers != b.numbers:
        return apart("different part or volume numbers")
    if a.derived != b.derived:
        return apart("supplement, erratum or reply vs the work itself")
    if gap is not None and gap > YEAR_WINDOW:
        return apart(f"years {gap} apart")
    if overlap is not None and overlap < 0.5:
        return apart("authors differ")
    if similarity >= TITLE_SAME:
        if overlap is None and (gap is None or gap > 1):
            return apart("title alone, years unknown or far apart")
        return Decision(left, right, "merge", "title+year+authors", similarity, inputs)
    if similarity >= TITLE_CLOSE and overlap is not None and overlap >= 0.75 and gap is not None:
        return Decision(left, right, "merge", "changed-title+authors", similarity, inputs)
    return apart("title similar but below the bar")


def resolve_works(
    mentions: Sequence[WorkMention],
    *,
    force_merge: Iterable[tuple[str, str]] = (),
    force_split: Iterable[tuple[str, str]] = (),
    oversized_blocks: Collection[str] = (),
    prepared: Mapping[str, _Prepared] | None = None,
) -> Resolution:
    """Cluster work mentions; returns the clusters and every decision taken.
    ``oversized_blocks`` are blocks known (from the whole database) to hold more than
    ``MAX_BLOCK`` mentions: they are not compared, as if all their mentions were here.
    ``prepared`` may hold :func:`prepare_work` of mentions by key (a caller that has them)."""
    by_key = {m.key: m for m in mentions}
    keys = sorted(by_key)
    exclusive = {
        k: {_work_namespace(s, v): v for s, v in by_key[k].ids.items() if s in WORK_ID_SCHEMES}
        for k in keys
    }
    clusters = _Clusters(keys, exclusive)
    decisions: list[Decision] = []
    _apply_overrides(clusters, decisions, force_merge, force_split, by_key)

    # Identifier edges, strongest scheme first, each group in key order.
    groups: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for k in keys:
        for scheme, value in by_key[k].ids.items():
            if value and scheme in WORK_ID_SCHEMES:
                groups[(WORK_ID_SCHEMES.index(scheme), scheme, value)].append(k)
    for (_, scheme, value), members in sorted(groups.items()):
        first = members[0]
        for other in members[1:]:
            _union(clusters, decisions, first, other, f"same {scheme}", 1.0, {scheme: value})

    # Fuzzy edges inside blocks, best score first.
    known = prepared or {}
    prepared = {k: known[k] if k in known else prepare_work(by_key[k]) for k in keys}
    blocks: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        for block in work_block_keys(prepared[k]):
            blocks[block].append(k)
    pairs: set[tuple[str, str]] = set()
    skipped = set(oversized_blocks)
    for block, members in blocks.items():
        if 1 < len(members) <= MAX_BLOCK and block[:255] not in skipped:
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    pairs.add((a, b))
    scored = [d for d in (score_work_pair(prepared[a], prepared[b]) for a, b in pairs) if d]
    scored.sort(key=lambda d: (d.outcome != "merge", -(d.score or 0), d.left, d.right))
    for decision in scored:
        if decision.outcome != "merge":
            decisions.append(decision)
            continue
        _union(
            clusters,
            decisions,
            decision.left,
            decision.right,
            decision.rule,
            decision.score,
            decision.inputs,
        )
    return Resolution(clusters.groups(), _settled(clusters, decisions))


def _settled(clusters: _Clusters, decisions: list[Decision]) -> list[Decision]:
    """The decisions worth keeping: merges that joined two clusters, and keep-aparts of pairs
    that did end apart (a near miss between mentions joined by an id says nothing)."""
    kept = []
    for d in decisions:
        together = clusters.find(d.left) == clusters.find(d.right)
        if d.outcome == "merge" and d.rule.endswith("(already one)"):
            continue
        if d.outcome != "merge" and together:
            continue
        kept.append(d)
    return kept


def _apply_overrides(
    clusters: _Clusters,
    decisions: list[Decision],
    force_merge: Iterable[tuple[str, str]],
    force_split: Iterable[tuple[str, str]],
    known: Mapping[str, object],
) -> None:
    for a, b in sorted(tuple(sorted(p)) for p in force_split):
        if a in known and b in known:
            clusters.forbid(a, b)
            decisions.append(Decision(a, b, "keep-apart", "operator-split", None, {}))
    for a, b in sorted(tuple(sorted(p)) for p in force_merge):
        if a in known and b in known:
            # An operator's merge wins over exclusive ids (the operator knows better); only an
            # operator split can refuse it.
            ra, rb = clusters.find(a), clusters.find(b)
            if ra != rb and rb not in clusters.apart.get(ra, ()):
                keep, gone = sorted((ra, rb))
                clusters.parent[gone] = keep
                clusters.ids[keep] = {**clusters.ids.pop(gone), **clusters.ids[keep]}
                clusters.apart[keep] |= clusters.apart.pop(gone, set())
                decisions.append(Decision(a, b, "merge", "operator-merge", None, {}))
            else:
                decisions.append(
                    Decision(a, b, "keep-apart", "operator-merge refused by a split", None, {})
                )


def _union(
    clusters: _Clusters,
    decisions: list[Decision],
    a: str,
    b: str,
    rule: str,
    score: float | None,
    inputs: Mapping[str, object],
) -> None:
    left, right = sorted((a, b))
    if clusters.find(left) == clusters.find(right):
        if rule.startswith("same "):
            return  # implied by an earlier decision; not worth a row per shared id
        decisions.append(Decision(left, right, "merge", rule + " (already one)", score, inputs))
        return
    why = clusters.conflict(left, right)
    if why is None:
        clusters.union(left, right)
        decisions.append(Decision(left, right, "merge", rule, score, inputs))
    else:
        decisions.append(
            Decision(left, right, "keep-apart", f"{rule} refused: {why}", score, inputs)
        )


def cluster_works(mentions: Sequence[WorkMention]) -> list[frozenset[str]]:
    """Clusters of work-mention keys (the labeled-set benchmark's entry point)."""
    return [frozenset(c) for c in resolve_works(mentions).clusters]


# ----------------------------------------------------------------------------- authors


GIVEN_NAMES_DIFFER = "given names differ"


@dataclass(frozen=True, slots=True)
class NameContext:
    """What rule 3 of :func:`resolve_authors` reads of one author mention."""

    own: str  # its initials key
    given: str
    surname: str
    near: frozenset[str]  # co-author keys printed within COAUTHOR_WINDOW (its block pairs)
    printed: frozenset[str]  # every key printed on its work mention, its own included


def name_context(m: AuthorMention) -> NameContext:
    """The view of ``m`` rule 3 compares (see :func:`confirmed_by_coauthors`)."""
    own = initials_key(m.name)
    given, surname = name_parts(m.name)
    printed = frozenset(initials_key(c) for c in m.coauthors) | {own}
    return NameContext(own, given, surname, frozenset(near_coauthor_keys(m)), printed)


def work_name_contexts(printed: Sequence[tuple[int, str]]) -> list[NameContext]:
    """:func:`name_context` of every author of one work mention, given its ``(position,
    name)`` pairs in order, in linear time: the printed keys are one set shared by all."""
    keys = [initials_key(name) for _, name in printed]
    everyone = frozenset(keys)
    contexts = []
    for i, (position, name) in enumerate(printed):
        # The window of near_coauthor_keys: items position-W .. position+W-1 of the list
        # without this author, i.e. keys[lo:min(hi, i)] and keys[max(lo, i) + 1 : hi + 1].
        lo, hi = max(0, position - COAUTHOR_WINDOW), position + COAUTHOR_WINDOW
        near = set(keys[lo : min(hi, i)])
        near.update(keys[max(lo, i) + 1 : hi + 1])
        near.discard(keys[i])
        given, surname = name_parts(name)
        contexts.append(NameContext(keys[i], given, surname, frozenset(near), everyone))
    return contexts


def confirmed_by_coauthors(a: NameContext, b: NameContext) -> int | None:
    """Rule 3 on two mentions of one initials key printed near one co-author key, on two
    different work mentions: None when their given names differ (kept apart), else how many
    co-author keys they share when that confirms them (one when the given names decide, two
    when they only do not conflict, e.g. an initial), else 0 (no decision)."""
    ok, decided = given_compatible(a.given, b.given)
    if not ok:
        return None
    shared = len(a.printed & b.printed) - (a.own in b.printed)
    return shared if shared >= (1 if decided else 2) else 0


def resolve_authors(
    mentions: Sequence[AuthorMention],
    work_cluster_of: Mapping[str, str] | None = None,
    *,
    force_merge: Iterable[tuple[str, str]] = (),
    force_split: Iterable[tuple[str, str]] = (),
    oversized_pairs: Collection[tuple[str, str]] = (),
) -> Resolution:
    """Cluster author mentions. ``work_cluster_of`` maps a work-mention key to its work cluster,
    so the same person printed on two versions of one work is found. ``oversized_pairs`` are
    ``(own, co-author)`` initials-key pairs known (from the whole database) to be printed
    together more than ``4 * MAX_BLOCK`` times: they are not compared, as if all their
    mentions were here."""
    by_key = {m.key: m for m in mentions}
    keys = sorted(by_key)
    exclusive = {
        k: {s: v for s, v in by_key[k].ids.items() if s in AUTHOR_ID_SCHEMES and v} for k in keys
    }
    clusters = _Clusters(keys, exclusive)
    decisions: list[Decision] = []
    _apply_overrides(clusters, decisions, force_merge, force_split, by_key)
    parts = {k: name_parts(by_key[k].name) for k in keys}

    # 1. Strong ids.
    groups: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for k in keys:
        for scheme, value in exclusive[k].items():
            groups[(AUTHOR_ID_SCHEMES.index(scheme), scheme, value)].append(k)
    for (_, scheme, value), members in sorted(groups.items()):
        for other in members[1:]:
            _union(clusters, decisions, members[0], other, f"same {scheme}", 1.0, {scheme: value})

    # 2. The same person printed on two versions of one work: same surname, compatible given
    #    names, and the only such author on each side.
    work_of = work_cluster_of or {}
    on_work: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        cluster = work_of.get(by_key[k].work_key)
        if cluster is not None:
            on_work[cluster].append(k)
    candidates: list[tuple[str, str, str, float]] = []
    for members in on_work.values():
        by_surname: dict[str, list[str]] = defaultdict(list)
        for k in members:
            by_surname[parts[k][1]].append(k)
        for surname, same in by_surname.items():
            if not surname or len(same) < 2:
                continue
            works = {by_key[k].work_key for k in same}
            for i, a in enumerate(same):
                for b in same[i + 1 :]:
                    if by_key[a].work_key == by_key[b].work_key:
                        continue
                    ok, _ = given_compatible(parts[a][0], parts[b][0])
                    # Two people of one surname on one paper (father and son, two Wangs):
                    # only a unique match per work mention decides.
                    unique = all(
                        sum(1 for k in same if by_key[k].work_key == w) == 1 for w in works
                    )
                    if ok and unique:
                        candidates.append((a, b, "same person on one work's versions", 1.0))

    # 2b. One Scholar profile's entries: the same surname and initial across them is the profile
    #     owner (every entry lists them), unless two such authors are on one entry.
    by_profile: dict[tuple[str, str], list[str]] = defaultdict(list)
    for k in keys:
        profile = _scholar_profile(by_key[k].work_key)
        if profile and parts[k][1]:
            by_profile[(profile, initials_key(by_key[k].name))].append(k)
    for (profile, _), same in sorted(by_profile.items()):
        per_work = Counter(by_key[k].work_key for k in same)
        if len(per_work) < 2 or max(per_work.values()) > 1:
            continue
        for other in same[1:]:
            ok, _ = given_compatible(parts[same[0]][0], parts[other][0])
            if ok:
                candidates.append((same[0], other, f"same name on Scholar profile {profile}", 1.0))

    # 3. Same name, confirmed by shared co-authors.
    context = {k: name_context(by_key[k]) for k in keys}
    index: dict[tuple[str, str], list[str]] = defaultdict(list)
    for k in keys:
        if not parts[k][1]:
            continue
        # Candidates through nearby co-authors only (the stored blocks' pairs, so the merge's
        # closure reaches every pair compared here); the confirmation counts all of them.
        for co in context[k].near:
            index[(context[k].own, co)].append(k)
    seen: set[tuple[str, str]] = set()
    skipped = set(oversized_pairs)
    # Only keys printed on two mentions at least can pair anything: sorting every key of a
    # large closure cost more than comparing the few that can.
    comparable = [
        (pair_key, members)
        for pair_key, members in index.items()
        if 2 <= len(members) <= MAX_BLOCK * 4 and pair_key not in skipped
    ]
    for _pair_key, members in sorted(comparable):
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pair = (a, b) if a < b else (b, a)
                if pair in seen or by_key[a].work_key == by_key[b].work_key:
                    continue
                seen.add(pair)
                shared = confirmed_by_coauthors(context[a], context[b])
                if shared is None:
                    decisions.append(
                        Decision(pair[0], pair[1], "keep-apart", GIVEN_NAMES_DIFFER, 0.0, {})
                    )
                elif shared:
                    candidates.append((pair[0], pair[1], "same name + shared co-authors", shared))
    candidates.sort(key=lambda c: (-c[3], c[0], c[1]))
    for a, b, rule, score in candidates:
        names = {"names": [by_key[a].name, by_key[b].name]}
        _union(clusters, decisions, a, b, rule, float(score), names)
    return Resolution(clusters.groups(), _settled(clusters, decisions))


def _scholar_profile(work_key: str) -> str | None:
    """The profile of a Scholar entry's mention key (``scholar:USER:PUB``), else None."""
    source, _, rest = work_key.partition(":")
    return rest.split(":", 1)[0] if source == "scholar" and ":" in rest else None


def cluster_authors(
    mentions: Sequence[AuthorMention], work_cluster_of: Mapping[str, str] | None = None
) -> list[frozenset[str]]:
    """Clusters of author-mention keys (the labeled-set benchmark's entry point)."""
    return [frozenset(c) for c in resolve_authors(mentions, work_cluster_of).clusters]
