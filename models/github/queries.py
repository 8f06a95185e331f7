"""Read side of the GitHub tables: a work's repositories, an author's, and star history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.github.tables import (
    GitHubAuthorRepository,
    GitHubRepository,
    GitHubRepositorySnapshot,
    GitHubWorkRepository,
)

_IN_CHUNK = 500


def repository_view(row: GitHubRepository) -> dict[str, Any]:
    """The fields a summary shows for one repository."""
    return {
        "full_name": row.full_name,
        "url": row.html_url or f"https://github.com/{row.full_name}",
        "stars": row.stars,
        "forks": row.forks,
        "language": row.language,
        "status": row.status,
    }


def repositories_by_work(session: Session, work_ids: Sequence[int]) -> dict[int, list[dict]]:
    """Each work's linked repositories (most stars first), for the works given."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in work_ids}
    for start in range(0, len(work_ids), _IN_CHUNK):
        rows = session.execute(
            select(GitHubWorkRepository.work_id, GitHubRepository)
            .join(GitHubRepository, GitHubRepository.id == GitHubWorkRepository.repository_id)
            .where(GitHubWorkRepository.work_id.in_(work_ids[start : start + _IN_CHUNK]))
            .order_by(GitHubRepository.stars.desc().nulls_last(), GitHubRepository.name_key)
        )
        for work_id, repo in rows:
            found[work_id].append(repository_view(repo))
    return found


def author_repositories(
    session: Session, author_id: int, work_ids: Sequence[int] = ()
) -> list[dict[str, Any]]:
    """Repositories of the author's GitHub login (``relation`` ``owner``) and of their works
    (``paper``), each once, most stars first."""
    owned = set(
        session.scalars(
            select(GitHubAuthorRepository.repository_id).where(
                GitHubAuthorRepository.author_id == author_id
            )
        )
    )
    papers: set[int] = set()
    for start in range(0, len(work_ids), _IN_CHUNK):
        papers |= set(
            session.scalars(
                select(GitHubWorkRepository.repository_id).where(
                    GitHubWorkRepository.work_id.in_(work_ids[start : start + _IN_CHUNK])
                )
            )
        )
    ids = owned | papers
    if not ids:
        return []
    rows = session.scalars(select(GitHubRepository).where(GitHubRepository.id.in_(ids)))
    views = [
        {**repository_view(r), "relation": "owner" if r.id in owned else "paper"} for r in rows
    ]
    return sorted(views, key=lambda v: (-(v["stars"] or 0), v["full_name"].lower()))


def star_history(session: Session, full_name: str) -> list[tuple[Any, int | None]]:
    """``(observed_at, stars)`` of every snapshot of the repository, oldest first."""
    from models.github.store import find_repository

    row = find_repository(session, full_name)
    if row is None:
        return []
    return list(
        session.execute(
            select(GitHubRepositorySnapshot.observed_at, GitHubRepositorySnapshot.stars)
            .where(GitHubRepositorySnapshot.repository_id == row.id)
            .order_by(GitHubRepositorySnapshot.observed_at, GitHubRepositorySnapshot.id)
        ).tuples()
    )
