"""The scholarflow schema and write path: SQLAlchemy models, engine, loader, queries.

Nothing here does network I/O; harvesters hand typed records to ``models.loader``.
"""

from models.authors import Author, AuthorIdentifier, AuthorNameVariant, Authorship, TrackedAuthor
from models.base import Base
from models.provenance import HarvestCursor, HarvestRun, QuarantinedRecord, SourceRecord
from models.works import Work, WorkIdentifier, WorkLink

__all__ = [
    "Author",
    "AuthorIdentifier",
    "AuthorNameVariant",
    "Authorship",
    "Base",
    "HarvestCursor",
    "HarvestRun",
    "QuarantinedRecord",
    "SourceRecord",
    "TrackedAuthor",
    "Work",
    "WorkIdentifier",
    "WorkLink",
]
