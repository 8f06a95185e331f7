"""How many requests a citation refresh of 10,000 known works costs (Semantic Scholar and
OpenAlex), a second refresh the same day, and a nightly run after new works arrive, against the
naive baseline of one request per work.

Run: ``uv run python bench/citation_requests.py [--works 10000]``

Both APIs are replaced by an in-process ``httpx.MockTransport`` whose answers are **built**
(constructed, not recorded): S2's ``POST /graph/v1/paper/batch`` answers a paper object (paperId,
externalIds, title, year, authors, citationCount) per known id and ``null`` for 1% unknown ids;
OpenAlex's ``GET /works?filter=doi:…`` answers the matching works. It counts every request. The
scholarflow side is the real pipeline (``flows.pipelines.citations``) on a temporary SQLite
database whose works were loaded through the real loader.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.pipelines.citations import harvest_citations
from harvesters.openalex.client import OpenAlexClient
from harvesters.openalex.harvester import OpenAlexHarvester
from harvesters.records import AuthorName, WorkRecord
from harvesters.s2.client import S2Client
from harvesters.s2.harvester import S2Harvester
from models.engine import make_engine, session_factory
from models.loader import load_batch
from models.migrate import upgrade

DAY = date(2026, 12, 2)


def doi_of(n: int) -> str:
    return f"10.5555/bench.{n}"


def title_of(n: int) -> str:
    """A distinct title per work of pseudo-words, so that nothing merges by title and the
    blocks stay small, as with real titles."""
    digest = hashlib.sha256(str(n).encode()).hexdigest()
    letters = "".join("abcdefghijklmnop"[int(c, 16)] for c in digest)
    return " ".join(letters[i : i + 7] for i in range(0, 35, 7))


def author_of(n: int) -> str:
    """One author per work, with a name of its own (no name-based author merging)."""
    word = title_of(n + 10_000_000).split()[0]
    return f"{word[:5].title()} {word[2:].title()}"


def seed_record(n: int) -> WorkRecord:
    ids = {"doi": doi_of(n)}
    if n % 4 == 0:
        ids["arxiv"] = f"2{n // 10000:03d}.{n % 10000:05d}"
    return WorkRecord(
        source="arxiv-api",
        source_id=f"bench-{n}",
        title=title_of(n),
        raw=f"<entry>constructed {n}</entry>",
        raw_format="xml",
        authors=(AuthorName(author_of(n)),),
        identifiers=ids,
        year=2000 + n % 25,
    )


@dataclass
class FakeApis:
    """Built answers for S2 batches and OpenAlex filters; counts requests per API."""

    works: int
    requests: dict[str, int] = field(default_factory=lambda: {"s2": 0, "openalex": 0})

    def number(self, doi: str) -> int | None:
        prefix = "10.5555/bench."
        if not doi.lower().startswith(prefix):
            return None
        n = int(doi[len(prefix) :])
        return n if n < self.works and n % 100 != 99 else None  # 1% unknown

    def paper(self, n: int) -> dict:
        return {
            "paperId": hashlib.sha1(str(n).encode()).hexdigest(),
            "externalIds": {"DOI": doi_of(n), "CorpusId": 1_000_000 + n},
            "title": title_of(n),
            "year": 2000 + n % 25,
            "venue": "",
            "publicationDate": None,
            "citationCount": n % 50,
            "authors": [{"authorId": str(50_000_000 + n), "name": author_of(n)}],
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.semanticscholar.org":
            self.requests["s2"] += 1
            ids = json.loads(request.content)["ids"]
            answers = []
            for asked in ids:
                n = self.number(asked.removeprefix("DOI:")) if asked.startswith("DOI:") else None
                if n is None and not asked.startswith(("DOI:", "ARXIV:")):
                    n = next(
                        (
                            k
                            for k in (int(asked[:8], 16) % self.works,)
                            if self.paper(k)["paperId"] == asked
                        ),
                        None,
                    )
                answers.append(self.paper(n) if n is not None else None)
            return httpx.Response(200, json=answers)
        self.requests["openalex"] += 1
        query = parse_qs(request.url.query.decode())
        values = query["filter"][0].split(":", 1)[1].split("|")
        results = []
        for value in values:
            n = self.number(value)
            if n is not None:
                results.append(
                    {
                        "id": f"https://openalex.org/W{9_000_000 + n}",
                        "doi": f"https://doi.org/{doi_of(n)}",
                        "display_name": title_of(n),
                        "publication_year": 2000 + n % 25,
                        "cited_by_count": n % 40,
                        "counts_by_year": [{"year": 2025, "cited_by_count": n % 40}],
                        "authorships": [],
                    }
                )
        return httpx.Response(200, json={"meta": {"count": len(results)}, "results": results})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=10_000)
    args = parser.parse_args()
    n = args.works
    fake = FakeApis(works=n + 100)
    transport = httpx.MockTransport(fake.handle)

    def s2() -> S2Harvester:
        return S2Harvester(S2Client(min_interval=0.0, sleep=lambda _s: None, transport=transport))

    def openalex() -> OpenAlexHarvester:
        client = OpenAlexClient(min_interval=0.0, sleep=lambda _s: None, transport=transport)
        return OpenAlexHarvester(client)

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        sessions = session_factory(engine)
        started = time.perf_counter()
        for start in range(0, n, 1000):
            with sessions() as session:
                load_batch(
                    session, [seed_record(i) for i in range(start, min(n, start + 1000))], None
                )
                session.commit()
        seeded = time.perf_counter() - started

        rows: list[tuple[str, str, int, float, str]] = []

        def measure(label: str, source: str, make, day: date, **kw) -> None:  # type: ignore[no-untyped-def]
            before = dict(fake.requests)
            t0 = time.perf_counter()
            summary = harvest_citations(sessions, make(), today=day, **kw)
            elapsed = time.perf_counter() - t0
            asked = fake.requests[source] - before[source]
            rows.append((label, source, asked, elapsed, summary.status))

        measure(f"S2: first refresh of {n} works", "s2", s2, DAY)
        measure("S2: second refresh the same day", "s2", s2, DAY)
        measure(f"OpenAlex: first refresh of {n} works", "openalex", openalex, DAY)
        measure("OpenAlex: second refresh the same day", "openalex", openalex, DAY)
        with sessions() as session:
            load_batch(session, [seed_record(i) for i in range(n, n + 100)], None)
            session.commit()
        tomorrow = DAY + timedelta(days=1)
        measure("S2: next night, 100 new works", "s2", s2, tomorrow)
        measure("OpenAlex: next night, 100 new works", "openalex", openalex, tomorrow)
        measure(
            f"S2: after the max age (7 days), {n + 100} works", "s2", s2, DAY + timedelta(days=8)
        )
        engine.dispose()

    print(f"Citation refresh of {n} known works (in-process fake APIs with built answers)")
    print(f"seeding {n} works through the loader: {seeded:.1f}s")
    print(f"{'scenario':52} {'requests':>9} {'naive':>7} {'seconds':>8} status")
    for label, _source, asked, elapsed, status in rows:
        naive = n if "first" in label or "max age" in label else 0
        naive = n + 100 if "max age" in label else (100 if "new works" in label else naive)
        print(f"{label:52} {asked:9d} {naive:7d} {elapsed:8.1f} {status}")
    targets = {"S2": 20, "OpenAlex": 200}
    ok = all(
        asked
        <= (targets[label.split(":")[0]] if "first" in label else 0 if "second" in label else asked)
        for label, _, asked, _, _ in rows
    )
    print(
        f"targets (first <= 20 S2 / 200 OpenAlex requests, second 0): {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
