"""Google Scholar tables: profiles, their publication lists, and dated observations.

``scholar_profile`` and ``scholar_publication`` hold the latest state (what the newest
snapshot, harvested or imported, said); ``scholar_observation`` keeps every number Scholar
reported, one row per subject, metric and day, so history can be drawn and Scholar's own
metrics set beside computed ones. The publications also reach canonical works through the
loader (``source_record`` with source ``scholar``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, UTCDateTime, utcnow


class ScholarProfile(Base):
    """A Google Scholar profile as last reported.

    ``payload`` is scholarly's Author dict as JSON text (key order kept, ``publications`` an
    empty placeholder), the source of ``scholarflow export gs-data``. ``observed_at`` is when
    that snapshot was taken (harvest time, or a gs_data.json's ``updated``); an older snapshot
    never replaces a newer one. ``organization`` is text: Scholar's ids exceed 64-bit integers.
    """

    __tablename__ = "scholar_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    scholar_id: Mapped[str] = mapped_column(String(64), unique=True)
    tracked_author_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracked_author.id", ondelete="SET NULL")
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("author.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255))
    affiliation: Mapped[str | None] = mapped_column(Text)
    organization: Mapped[str | None] = mapped_column(String(32))
    interests: Mapped[list[str]] = mapped_column(JSONType, default=list)
    email_domain: Mapped[str | None] = mapped_column(String(255))
    homepage: Mapped[str | None] = mapped_column(Text)
    url_picture: Mapped[str | None] = mapped_column(Text)
    citedby: Mapped[int | None] = mapped_column(Integer)
    citedby5y: Mapped[int | None] = mapped_column(Integer)
    hindex: Mapped[int | None] = mapped_column(Integer)
    hindex5y: Mapped[int | None] = mapped_column(Integer)
    i10index: Mapped[int | None] = mapped_column(Integer)
    i10index5y: Mapped[int | None] = mapped_column(Integer)
    recent_since: Mapped[int | None] = mapped_column(Integer)
    cites_per_year: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    payload: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"))


class ScholarPublication(Base):
    """A publication on a Scholar profile, as last reported.

    ``payload`` is scholarly's Publication dict as JSON text. ``listed`` is false once a
    complete later snapshot of the profile no longer showed it. ``filled_at`` is when its
    own page was last fetched (None: never).
    """

    __tablename__ = "scholar_publication"
    __table_args__ = (UniqueConstraint("profile_id", "author_pub_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("scholar_profile.id", ondelete="CASCADE"), index=True
    )
    author_pub_id: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    pub_year: Mapped[int | None] = mapped_column(Integer)
    num_citations: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[str] = mapped_column(Text)
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScholarObservation(Base):
    """One number Scholar reported on one day: ``(subject_kind, subject, metric, observed_on)``
    is unique, so a second harvest on the same day updates the day's value instead of adding
    a row, and a harvest on a later day adds that day's row.

    ``subject`` is a scholar id (kind ``profile``) or an ``author_pub_id`` (kind
    ``publication``). Metrics use scholarly's names: ``citedby``, ``citedby5y``, ``hindex``,
    ``hindex5y``, ``i10index``, ``i10index5y``, ``num_citations``, and ``cites:<year>`` for
    citations per year. ``origin`` is ``harvest`` or ``gs-data`` (an imported crawler file).
    """

    __tablename__ = "scholar_observation"
    __table_args__ = (UniqueConstraint("subject_kind", "subject", "metric", "observed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(160))
    metric: Mapped[str] = mapped_column(String(32))
    observed_on: Mapped[date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    origin: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"), index=True)
