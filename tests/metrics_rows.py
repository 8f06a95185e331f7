"""Rows for the metrics tests, constructed and shaped as the loader and the identity layer
write them: authors, works with authorships, a Scholar profile and its entries linked to
works through mentions."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from models.authors import Author, Authorship, TrackedAuthor
from models.identity.tables import WorkMention
from models.provenance import SourceRecord
from models.scholar.tables import ScholarProfile, ScholarPublication
from models.works import Work

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=30)
USER = "AbCdEfGhAAAAJ"


class Builder:
    """Constructed rows: works, authorships, Scholar entries linked through mentions."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.profile: ScholarProfile | None = None

    def author(self, name: str, tracked: bool = False) -> int:
        author = Author(display_name=name, name_key=name.lower())
        self.s.add(author)
        self.s.flush()
        if tracked:
            self.s.add(TrackedAuthor(name=name, author_id=author.id))
        return author.id

    def work(self, title: str, year: int | None, authors: list[int], **fields) -> int:  # type: ignore[no-untyped-def]
        work = Work(title=title, year=year, match_key=title.lower(), canonical_source="arxiv-api")
        for k, v in fields.items():
            setattr(work, k, v)
        self.s.add(work)
        self.s.flush()
        for position, author_id in enumerate(authors):
            self.s.add(
                Authorship(
                    work_id=work.id,
                    author_id=author_id,
                    position=position,
                    raw_name=f"author {author_id}",
                    source="arxiv-api",
                )
            )
        self.s.flush()
        return work.id

    def scholar_profile(self, author_id: int, **indices: int) -> None:
        self.profile = ScholarProfile(
            scholar_id=USER,
            author_id=author_id,
            name="Owner",
            payload="{}",
            origin="harvest",
            observed_at=NOW,
            **indices,
        )
        self.s.add(self.profile)
        self.s.flush()

    def scholar_entry(
        self, work_id: int, pub: str, citations: int, observed_at: datetime, position: int = 0
    ) -> None:
        assert self.profile is not None
        source_id = f"{USER}:{pub}"
        record = SourceRecord(
            source="scholar",
            source_id=source_id,
            payload="{}",
            payload_format="json",
            content_hash=hashlib.sha256(source_id.encode()).hexdigest(),
            parsed={},
            work_id=work_id,
        )
        self.s.add(record)
        self.s.flush()
        self.s.add(
            WorkMention(
                source_record_id=record.id,
                key=f"scholar:{source_id}",
                source="scholar",
                title="t",
                title_key="t",
                profile=USER,
                ids={"scholar_pub": source_id},
                work_id=work_id,
            )
        )
        self.s.add(
            ScholarPublication(
                profile_id=self.profile.id,
                author_pub_id=source_id,
                position=position,
                title="t",
                num_citations=citations,
                payload=json.dumps({"author_pub_id": source_id}),
                observed_at=observed_at,
            )
        )
        self.s.flush()
