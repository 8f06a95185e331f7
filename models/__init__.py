"""The scholarflow schema and write path: SQLAlchemy models, engine, loader, queries.

Nothing here does network I/O; harvesters hand typed records to ``models.loader``.
"""

from models.authors import Author, AuthorIdentifier, AuthorNameVariant, Authorship, TrackedAuthor
from models.base import Base
from models.citations.author_reports import AuthorReport
from models.citations.tables import CitationLookup, CitationObservation
from models.github.tables import (
    GitHubAuthorRepository,
    GitHubRepository,
    GitHubRepositoryAlias,
    GitHubRepositorySnapshot,
    GitHubWorkRepository,
)
from models.identity.tables import (
    AuthorMention,
    AuthorMentionIdentifier,
    IdentityOverride,
    IdentityRedirect,
    MentionBlock,
    MentionIdentifier,
    MergeDecision,
    MergeLock,
    WorkMention,
)
from models.metrics.changes import MetricsChange
from models.metrics.tables import AuthorMetrics, AuthorMetricsSnapshot
from models.provenance import HarvestCursor, HarvestRun, QuarantinedRecord, SourceRecord
from models.scholar.tables import ScholarObservation, ScholarProfile, ScholarPublication
from models.works import Work, WorkIdentifier, WorkLink

__all__ = [
    "Author",
    "AuthorIdentifier",
    "AuthorMention",
    "AuthorMentionIdentifier",
    "AuthorMetrics",
    "AuthorMetricsSnapshot",
    "AuthorNameVariant",
    "AuthorReport",
    "Authorship",
    "Base",
    "CitationLookup",
    "CitationObservation",
    "GitHubAuthorRepository",
    "GitHubRepository",
    "GitHubRepositoryAlias",
    "GitHubRepositorySnapshot",
    "GitHubWorkRepository",
    "HarvestCursor",
    "HarvestRun",
    "IdentityOverride",
    "IdentityRedirect",
    "MentionBlock",
    "MentionIdentifier",
    "MergeDecision",
    "MergeLock",
    "MetricsChange",
    "QuarantinedRecord",
    "ScholarObservation",
    "ScholarProfile",
    "ScholarPublication",
    "SourceRecord",
    "TrackedAuthor",
    "Work",
    "WorkIdentifier",
    "WorkLink",
    "WorkMention",
]
