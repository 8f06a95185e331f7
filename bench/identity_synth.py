"""Synthetic WorkRecords shaped like the real ones, with a known ground truth of distinct papers.

:func:`measure_profile` reads the recordings under ``tests/fixtures`` (arXiv API and OAI-PMH
feeds, ACL Anthology XML, Scholar profile pages) and the Semantic Scholar sample
(``tests/fixtures/semantic_scholar/Paper_trimmed.json``, 1,015 real papers) and measures: title
lengths in words, title vocabulary, abstract lengths, author counts, how often a name recurs
(mentions per distinct S2/ACL author id), the surname and given-name pools and their Zipf
exponents, the rate of initials-only printed names per source, years, venues and the
identifier mix (DOI / arXiv / ACL shares; DOIs printed on arXiv and ACL records).

:class:`Generator` samples from that profile. Paper ``i`` is drawn from its own seeded RNG
(``seed:i``), so records stream in batches without holding N records in memory and the same seed
always gives the same records. A share ``pair_rate`` of papers appears twice: once as an arXiv
preprint and once as its ACL or Scholar publication, with the same title or a slightly changed
one (case, punctuation, a stopword, -ize/-ise). Every pair is checked against the matcher's own
rule (``models.identity.matching.score_work_pair``) or shares an identifier, so "one work per
paper" is the ground truth the merge must reach.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from lxml import etree

from harvesters.acl.parse import parse_collection
from harvesters.arxiv.oai import parse_list_records
from harvesters.normalize import name_parts, title_key
from harvesters.records import AuthorName, WorkRecord
from harvesters.scholar.parse import parse_profile_page
from models.identity import matching

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
S2_SAMPLE = FIXTURES / "semantic_scholar" / "Paper_trimmed.json"
RAW_FORMAT = "bench-json"
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"


@dataclass
class Profile:
    """What the real records look like (all lists are samples to draw from)."""

    title_words: list[int] = field(default_factory=list)
    abstract_words: list[int] = field(default_factory=list)
    author_counts: list[int] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    vocabulary: Counter[str] = field(default_factory=Counter)
    surnames: Counter[str] = field(default_factory=Counter)
    given: Counter[str] = field(default_factory=Counter)
    initials_rate: dict[str, float] = field(default_factory=dict)
    mentions_per_author: float = 1.0
    share: dict[str, float] = field(default_factory=dict)
    venues: dict[str, list[str]] = field(default_factory=dict)
    acl_author_id_rate: float = 0.0
    acl_orcid_rate: float = 0.0
    zipf_surname: float = 1.0
    zipf_given: float = 1.0

    def summary(self) -> dict[str, object]:
        """The measured distributions, JSON-ready (for printing)."""

        def quantiles(xs: list[int]) -> dict[str, float]:
            s = sorted(xs)
            return {
                "n": len(s),
                "mean": round(sum(s) / len(s), 2),
                "p10": s[len(s) // 10],
                "p50": s[len(s) // 2],
                "p90": s[len(s) * 9 // 10],
                "max": s[-1],
            }

        return {
            "title_words": quantiles(self.title_words),
            "abstract_words": quantiles(self.abstract_words),
            "author_counts": quantiles(self.author_counts),
            "author_count_hist": dict(
                sorted(Counter(min(c, 11) for c in self.author_counts).items())
            ),
            "years": quantiles(self.years),
            "vocabulary_size": len(self.vocabulary),
            "distinct_surnames": len(self.surnames),
            "distinct_given_names": len(self.given),
            "top_surnames": self.surnames.most_common(8),
            "zipf_exponent_surnames": round(self.zipf_surname, 2),
            "zipf_exponent_given": round(self.zipf_given, 2),
            "mentions_per_distinct_author": round(self.mentions_per_author, 3),
            "initials_only_rate": {k: round(v, 3) for k, v in self.initials_rate.items()},
            "identifier_share": {k: round(v, 3) for k, v in self.share.items()},
            "acl_author_id_rate": round(self.acl_author_id_rate, 3),
            "acl_orcid_rate": round(self.acl_orcid_rate, 3),
        }


def _initials_only(name: str) -> bool:
    given, surname = name_parts(name)
    return bool(surname) and bool(given) and all(len(g) == 1 for g in given)


def _zipf_exponent(counts: Counter[str]) -> float:
    """Least-squares slope of log(frequency) on log(rank), over ranks with frequency >= 2 (the
    singletons' plateau says how small the sample is, not how names are spread)."""
    freqs = [c for _, c in counts.most_common() if c >= 2]
    if len(freqs) < 3:
        return 1.0
    xs = [math.log(r + 1) for r in range(len(freqs))]
    ys = [math.log(f) for f in freqs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return min(max(-slope, 0.5), 1.5)


def _recordings(folder: Path) -> Iterator[dict[str, str]]:
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "body" in data:
            yield data


def measure_profile(fixtures: Path = FIXTURES) -> Profile:
    """Measure the real records' shapes from the recordings and the S2 sample."""
    p = Profile()
    names: dict[str, list[str]] = {"arxiv": [], "acl": [], "scholar": [], "s2": []}
    abstracts: list[str] = []

    def add_title(title: str) -> None:
        words = title_key(title).split()
        if words:
            p.title_words.append(len(words))
            p.vocabulary.update(words)

    # arXiv: API feeds (Atom) and OAI-PMH pages, each paper once.
    seen: set[str] = set()
    arxiv_total = arxiv_doi = 0
    for rec in _recordings(fixtures / "arxiv" / "recordings"):
        body = rec["body"].encode()
        if b"<feed" in body[:400]:
            root = etree.fromstring(body)
            for entry in root.iterfind(f"{_ATOM}entry"):
                eid = (entry.findtext(f"{_ATOM}id") or "").strip()
                title = " ".join((entry.findtext(f"{_ATOM}title") or "").split())
                if not eid or eid in seen or not title or title == "Error":
                    continue
                seen.add(eid)
                add_title(title)
                abstracts.append(entry.findtext(f"{_ATOM}summary") or "")
                authors = [
                    a.findtext(f"{_ATOM}name") or "" for a in entry.iterfind(f"{_ATOM}author")
                ]
                names["arxiv"] += authors
                p.author_counts.append(len(authors))
                arxiv_total += 1
                arxiv_doi += entry.find(f"{_ARXIV}doi") is not None
        elif b"OAI-PMH" in body[:400]:
            prefix = parse_qs(urlparse(rec["url"]).query).get("metadataPrefix", ["arXiv"])[0]
            page = parse_list_records(body, rec["url"], prefix)
            for item in page.items if page else ():
                if not isinstance(item, WorkRecord) or item.source_id in seen:
                    continue
                seen.add(item.source_id)
                add_title(item.title)
                abstracts.append(item.abstract or "")
                names["arxiv"] += [a.name for a in item.authors]
                p.author_counts.append(len(item.authors))
                arxiv_total += 1
                arxiv_doi += "doi" in item.identifiers

    # ACL Anthology collection files.
    acl_total = acl_doi = acl_authors = acl_with_id = acl_with_orcid = 0
    acl_ids: list[str] = []
    venues_acl: list[str] = []
    for path in sorted((fixtures / "acl" / "xml").glob("*.xml")):
        for item in parse_collection(path.read_bytes(), path.stem):
            if not isinstance(item, WorkRecord):
                continue
            add_title(item.title)
            abstracts.append(item.abstract or "")
            names["acl"] += [a.name for a in item.authors]
            p.author_counts.append(len(item.authors))
            acl_total += 1
            acl_doi += "doi" in item.identifiers
            if item.venue:
                venues_acl.append(item.venue)
            for a in item.authors:
                acl_authors += 1
                acl_with_id += "acl" in a.ids
                acl_with_orcid += "orcid" in a.ids
                if "acl" in a.ids:
                    acl_ids.append(a.ids["acl"])

    # Google Scholar profile pages: publication rows (titles, printed author lists).
    for rec in _recordings(fixtures / "scholar" / "recordings"):
        user = parse_qs(urlparse(rec["url"]).query).get("user", ["?"])[0]
        page = parse_profile_page(rec["body"], user)
        for row in page.rows:
            add_title(str(row.publication.get("bib", {}).get("title") or ""))
            names["scholar"] += list(row.authors)

    # Semantic Scholar: 1,015 real papers with external ids and author ids.
    s2 = json.loads((fixtures / S2_SAMPLE.relative_to(FIXTURES)).read_text())
    papers = [s2, *s2["citations"], *s2["references"]]
    author_ids: list[str] = []
    ext: Counter[str] = Counter()
    venues_s2: list[str] = []
    for paper in papers:
        if not paper.get("title"):
            continue
        add_title(paper["title"])
        authors = paper.get("authors") or []
        p.author_counts.append(len(authors))
        names["s2"] += [a.get("name") or "" for a in authors]
        author_ids += [a["authorId"] for a in authors if a.get("authorId")]
        if paper.get("year"):
            p.years.append(int(paper["year"]))
        if paper.get("venue"):
            venues_s2.append(paper["venue"])
        ext.update(k for k, v in (paper.get("externalIds") or {}).items() if v)
    n_s2 = len(papers)

    for source, printed in names.items():
        printed = [n for n in printed if n.strip()]
        p.initials_rate[source] = sum(map(_initials_only, printed)) / max(len(printed), 1)
        for n in printed:
            given, surname = name_parts(n)
            if surname:
                p.surnames[surname] += 1
            if given and len(given[0]) > 1:
                p.given[given[0]] += 1
    reuse = [len(author_ids) / max(len(set(author_ids)), 1)]
    if acl_ids:
        reuse.append(len(acl_ids) / len(set(acl_ids)))
    p.mentions_per_author = max(sum(reuse) / len(reuse), 1.0)
    p.abstract_words = [len(a.split()) for a in abstracts if a.strip()]
    p.share = {
        "s2_doi": ext["DOI"] / n_s2,
        "s2_arxiv": ext["ArXiv"] / n_s2,
        "s2_acl": ext["ACL"] / n_s2,
        "s2_dblp": ext["DBLP"] / n_s2,
        "arxiv_record_with_doi": arxiv_doi / max(arxiv_total, 1),
        "acl_record_with_doi": acl_doi / max(acl_total, 1),
    }
    p.acl_author_id_rate = acl_with_id / max(acl_authors, 1)
    p.acl_orcid_rate = acl_with_orcid / max(acl_authors, 1)
    p.venues = {"acl": venues_acl or ["Proceedings"], "scholar": venues_s2 or ["Journal"]}
    p.zipf_surname = _zipf_exponent(p.surnames)
    p.zipf_given = _zipf_exponent(p.given)
    return p


# ----------------------------------------------------------------------------- sampling


class _Zipf:
    """Items ranked by real frequency, extended with synthetic ones to ``size``, drawn with
    probability proportional to ``1 / rank**s``."""

    def __init__(self, real: Counter[str], size: int, s: float, salt: str) -> None:
        items = [w for w, _ in real.most_common()]
        syllables = sorted(
            {w[:3] for w in items if len(w) >= 3} | {w[-3:] for w in items if len(w) >= 3}
        )
        i = 0
        known = set(items)
        while len(items) < size:
            h = int(hashlib.blake2b(f"{salt}{i}".encode(), digest_size=8).hexdigest(), 16)
            word = syllables[h % len(syllables)] + syllables[(h >> 20) % len(syllables)]
            if h >> 40 & 1:
                word += syllables[(h >> 44) % len(syllables)]
            i += 1
            if word not in known:
                known.add(word)
                items.append(word)
        self.items = items[:size]
        total = 0.0
        self.cum: list[float] = []
        for r in range(len(self.items)):
            total += 1.0 / (r + 1) ** s
            self.cum.append(total)

    def draw(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_left(self.cum, rng.random() * self.cum[-1])]


_STOP_INSERT = ("a", "the", "of", "for", "and")
_CASE_CHANGES = ("lower", "title", "colon")


def _hash_id(text: str, n: int = 12) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    h = int(hashlib.blake2b(text.encode(), digest_size=12).hexdigest(), 16)
    out = []
    for _ in range(n):
        h, r = divmod(h, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def _capitalize(words: list[str]) -> str:
    return " ".join(w.capitalize() if i == 0 or len(w) > 3 else w for i, w in enumerate(words))


@dataclass
class Truth:
    """Ground truth of a generated set: papers, and how many appear as a preprint+published pair."""

    papers: int
    pairs: int
    records: int


class Generator:
    """``n`` records from ``profile``: papers drawn one RNG per paper (deterministic, streamable).

    ``pair_rate`` of papers appear twice (arXiv + ACL or Scholar, ``acl_pair_share`` of them
    ACL); ``changed_title_rate`` of those with a slightly changed title.
    """

    def __init__(
        self,
        profile: Profile,
        n: int,
        seed: int = 20261202,
        *,
        pair_rate: float = 0.10,
        acl_pair_share: float = 0.5,
        changed_title_rate: float = 0.3,
    ) -> None:
        self.profile = profile
        self.seed = seed
        self.pair_rate = pair_rate
        self.acl_pair_share = acl_pair_share
        self.changed_title_rate = changed_title_rate
        # n records = papers + pairs, pairs ~ pair_rate * papers.
        self.papers = max(1, round(n / (1 + pair_rate)))
        rng = random.Random(f"{seed}:slots")
        paired = set(rng.sample(range(self.papers), n - self.papers)) if n > self.papers else set()
        self.paired = paired
        # One slot per record: 2*i (the paper's first record), 2*i+1 (its published version).
        # Shuffled so a pair's two halves usually land in different batches, as two harvests would.
        self.slots = [2 * i for i in range(self.papers)] + [2 * i + 1 for i in sorted(paired)]
        rng.shuffle(self.slots)
        mean_authors = sum(profile.author_counts) / len(profile.author_counts)
        self.persons = max(10, int(n * mean_authors / profile.mentions_per_author))
        self.surnames = _Zipf(
            profile.surnames,
            max(len(profile.surnames), self.persons // 20),
            profile.zipf_surname,
            "s",
        )
        self.given = _Zipf(
            profile.given, max(len(profile.given), self.persons // 50), profile.zipf_given, "g"
        )
        words = profile.vocabulary.most_common()
        self.vocab = [w for w, _ in words]
        self.vocab_cum: list[int] = []
        total = 0
        for _, c in words:
            total += c
            self.vocab_cum.append(total)
        self.truth = Truth(papers=self.papers, pairs=len(paired), records=len(self.slots))

    # -- people

    def _person(self, idx: int) -> tuple[str, str]:
        rng = random.Random(f"{self.seed}:p:{idx}")
        return self.given.draw(rng).capitalize(), " ".join(
            w.capitalize() for w in self.surnames.draw(rng).split()
        )

    def _printed(self, person: tuple[str, str], source: str, rng: random.Random) -> str:
        given, surname = person
        rate = self.profile.initials_rate.get(source, self.profile.initials_rate.get("s2", 0.1))
        if rng.random() < rate:
            return f"{given[0]} {surname}" if source == "scholar" else f"{given[0]}. {surname}"
        return f"{given} {surname}"

    # -- papers

    def _words(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.vocab, cum_weights=self.vocab_cum, k=k)

    def _paper(self, i: int) -> dict:
        rng = random.Random(f"{self.seed}:w:{i}")
        prof = self.profile
        paired = i in self.paired
        while True:
            length = rng.choice(prof.title_words)
            if not paired or length >= 3:
                break
        title = _capitalize(self._words(rng, length))
        if paired and matching.is_generic_title(title_key(title)):
            title += " " + _capitalize(self._words(rng, 3))
        count = max(1, rng.choice(prof.author_counts))
        people: list[int] = []
        while len(people) < min(count, 40):
            # Productive people recur: index ~ persons * u^2 (mean reuse as measured).
            idx = int(self.persons * rng.random() ** 2)
            if idx not in people:
                people.append(idx)
        year = rng.choice(prof.years)
        if paired:
            first = "arxiv"
        else:
            u = rng.random()
            first = (
                "arxiv"
                if u < prof.share["s2_arxiv"]
                else "acl"
                if u < prof.share["s2_arxiv"] + prof.share["s2_acl"]
                else "scholar"
            )
        second = "acl" if rng.random() < self.acl_pair_share else "scholar"
        return {
            "i": i,
            "rng_seed": rng.random(),
            "title": title,
            "people": people,
            "year": year,
            "first": first,
            "second": second,
            "abstract_words": rng.choice(prof.abstract_words),
            "doi": f"10.{1000 + i % 9000}/bench.{i}"
            if rng.random() < prof.share["s2_doi"]
            else None,
        }

    def _changed(self, title: str, rng: random.Random) -> str:
        words = title.split()
        how = rng.choice((*_CASE_CHANGES, "stopword", "spelling"))
        if how == "lower":
            return title.lower()
        if how == "title":
            return " ".join(w.capitalize() for w in words)
        if how == "colon" and len(words) > 3:
            return " ".join(words[:2]) + ": " + " ".join(words[2:])
        if how == "stopword":
            at = rng.randrange(1, len(words))
            return " ".join([*words[:at], rng.choice(_STOP_INSERT), *words[at:]])
        if how == "spelling":
            swapped = re.sub(r"iz(e|ed|es|ing|ation)\b", r"is\1", title)
            return swapped if swapped != title else title.rstrip(".") + "."
        return title + "."

    def _record(
        self, paper: dict, source: str, title: str, year: int, rng: random.Random
    ) -> WorkRecord:
        i = paper["i"]
        people = paper["people"]
        authors: list[AuthorName] = []
        owner_user = None
        if source == "scholar":
            owner = people[rng.randrange(len(people))]
            owner_user = _hash_id(f"user:{owner}")
        for idx in people:
            person = self._person(idx)
            ids: dict[str, str] = {}
            if source == "acl":
                if rng.random() < self.profile.acl_author_id_rate:
                    ids["acl"] = f"{person[0]}-{person[1]}-{idx}".lower().replace(" ", "-")
                if rng.random() < self.profile.acl_orcid_rate:
                    ids["orcid"] = (
                        f"0000-000{idx % 10}-{idx // 10000 % 10000:04d}-{idx % 10000:04d}"
                    )
            if source == "scholar" and owner_user and _hash_id(f"user:{idx}") == owner_user:
                ids["scholar"] = owner_user
            authors.append(AuthorName(name=self._printed(person, source, rng), ids=ids))
        words = max(0, paper["abstract_words"])
        abstract = " ".join(self._words(rng, words)).capitalize() + "." if words else None
        identifiers: dict[str, str] = {}
        venue = None
        if source == "arxiv":
            source_id = f"{year % 100:02d}{1 + i % 12:02d}.{i // 12:05d}"
            identifiers["arxiv"] = source_id
            if paper["doi"] and rng.random() < self.profile.share["arxiv_record_with_doi"]:
                identifiers["doi"] = paper["doi"]
        elif source == "acl":
            source_id = f"{year}.bench-long.{i}"
            identifiers["acl"] = source_id
            if paper["doi"] and rng.random() < self.profile.share["acl_record_with_doi"]:
                identifiers["doi"] = paper["doi"]
            venue = rng.choice(self.profile.venues["acl"])
        else:
            source_id = f"{owner_user}:{_hash_id(f'pub:{i}')}"
            identifiers["scholar_pub"] = source_id
            venue = rng.choice(self.profile.venues["scholar"])
        fields = {
            "source": source,
            "source_id": source_id,
            "title": title,
            "abstract": abstract,
            "authors": [{"name": a.name, "ids": a.ids} for a in authors],
            "identifiers": identifiers,
            "year": year,
            "venue": venue,
        }
        return WorkRecord(
            source=source,
            source_id=source_id,
            title=title,
            raw=json.dumps(fields, sort_keys=True),
            raw_format=RAW_FORMAT,
            abstract=abstract,
            authors=tuple(authors),
            identifiers=identifiers,
            year=year,
            venue=venue,
        )

    def records_of(self, i: int) -> list[WorkRecord]:
        """Paper ``i``'s records: one, or the preprint and its publication (checked to merge)."""
        paper = self._paper(i)
        rng = random.Random(paper["rng_seed"])
        first = self._record(paper, paper["first"], paper["title"], paper["year"], rng)
        if i not in self.paired:
            return [first]
        year = paper["year"] + rng.choice((0, 0, 1))
        title = paper["title"]
        if rng.random() < self.changed_title_rate:
            title = self._changed(title, rng)
        second = self._record(paper, paper["second"], title, year, rng)
        if not _will_merge(first, second):
            second = self._record(
                paper, paper["second"], paper["title"], year, random.Random(paper["rng_seed"] + 1)
            )
        return [first, second]

    def papers_of_keys(self) -> dict[str, int]:
        """Ground truth: ``source:source_id`` of every record -> the paper it is a version of."""
        return {
            f"{r.source}:{r.source_id}": i for i in range(self.papers) for r in self.records_of(i)
        }

    def record_at(self, slot: int) -> WorkRecord:
        records = self.records_of(slot // 2)
        return records[slot % 2]

    def batches(self, size: int) -> Iterator[list[WorkRecord]]:
        """Every record, in the shuffled harvest order, ``size`` at a time."""
        for start in range(0, len(self.slots), size):
            yield [self.record_at(s) for s in self.slots[start : start + size]]


def _as_mention(r: WorkRecord) -> matching.WorkMention:
    return matching.WorkMention(
        key=f"{r.source}:{r.source_id}",
        source=r.source,
        title=r.title,
        year=r.year,
        venue=r.venue,
        ids=dict(r.identifiers),
        authors=tuple(a.name for a in r.authors),
    )


def _will_merge(a: WorkRecord, b: WorkRecord) -> bool:
    if set(a.identifiers.items()) & set(b.identifiers.items()):
        return True
    pa, pb = matching.prepare_work(_as_mention(a)), matching.prepare_work(_as_mention(b))
    if not set(matching.work_block_keys(pa)) & set(matching.work_block_keys(pb)):
        return False  # never compared
    decision = matching.score_work_pair(pa, pb)
    return decision is not None and decision.outcome == "merge"
