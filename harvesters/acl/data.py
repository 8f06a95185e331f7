"""The ACL Anthology's collection files on disk, and keeping a local copy in sync with GitHub.

A data folder is anything with the repository's layout: a checkout of acl-org/acl-anthology,
its ``data/`` folder, or a folder holding ``xml/*.xml``. Every file is identified by its git blob
SHA (``sha1("blob <size>\\0" + content)``), the same value GitHub's tree listing gives, so a
local file and the remote one compare without downloading, and a harvest can remember which
version of each file it has parsed.

The sync lists ``data/xml`` of a branch through the GitHub API (4 small requests) and downloads
from raw.githubusercontent.com only the files whose blob SHA differs from the local copy, pinned
to the listed commit and checked against the listed SHA before being written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvesters.errors import SourceResponseError
from harvesters.http.client import PoliteHttpClient

logger = logging.getLogger(__name__)

DEFAULT_REPO = "acl-org/acl-anthology"
DEFAULT_BRANCH = "master"
GITHUB_API = "https://api.github.com"
GITHUB_RAW = "https://raw.githubusercontent.com"

Select = Callable[[str], bool]


class AclDataMissingError(FileNotFoundError):
    """The given folder holds no ACL Anthology collection files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"no ACL Anthology data in {path}: expected xml/*.xml, data/xml/*.xml or *.xml "
            "(a checkout of acl-org/acl-anthology or a folder with its data/ layout)"
        )


def git_blob_sha(content: bytes) -> str:
    """The git blob SHA-1 of ``content``, as ``git hash-object`` and GitHub's trees give it."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class CollectionFile:
    """One collection file: its id (the file name without ``.xml``), path and blob SHA."""

    collection_id: str
    path: Path
    sha: str


def find_xml_dir(data_dir: Path) -> Path:
    """The folder holding the collection files under ``data_dir`` (``data/xml``, ``xml`` or
    ``data_dir`` itself). Raises AclDataMissingError when none has any ``*.xml``."""
    for candidate in (data_dir / "data" / "xml", data_dir / "xml", data_dir):
        if candidate.is_dir() and any(candidate.glob("*.xml")):
            return candidate
    raise AclDataMissingError(data_dir)


class LocalAnthology:
    """The collection files of a data folder (read-only)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.xml_dir = find_xml_dir(self.data_dir)

    def collections(self, select: Select | None = None) -> list[CollectionFile]:
        """The collection files (optionally those whose id ``select`` accepts), by id, each
        with the blob SHA of its current content."""
        files = []
        for path in sorted(self.xml_dir.glob("*.xml")):
            collection_id = path.stem
            if select is not None and not select(collection_id):
                continue
            files.append(CollectionFile(collection_id, path, git_blob_sha(path.read_bytes())))
        return files

    @staticmethod
    def read(file: CollectionFile) -> bytes:
        return file.path.read_bytes()


@dataclass
class SyncResult:
    """What a sync did: the commit it reached and which collection files it changed."""

    repo: str
    branch: str
    commit: str
    fetched: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def as_cursor(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "branch": self.branch,
            "commit": self.commit,
            "fetched": self.fetched,
            "removed": self.removed,
            "unchanged": self.unchanged,
        }


class GitHubAnthologySync:
    """Keeps ``dest/xml/*.xml`` equal to ``data/xml`` of a branch of the Anthology repository.

    Only files whose blob SHA differs are downloaded. HTTP goes through a PoliteHttpClient
    (delay, retries on 429/5xx, clear errors).
    """

    def __init__(
        self,
        client: PoliteHttpClient,
        dest: str | Path,
        *,
        repo: str = DEFAULT_REPO,
        branch: str = DEFAULT_BRANCH,
        api_url: str = GITHUB_API,
        raw_url: str = GITHUB_RAW,
    ) -> None:
        self.client = client
        self.dest = Path(dest)
        self.repo = repo
        self.branch = branch
        self.api_url = api_url.rstrip("/")
        self.raw_url = raw_url.rstrip("/")

    @property
    def xml_dir(self) -> Path:
        return self.dest / "xml"

    def remote_files(self) -> tuple[str, dict[str, str]]:
        """The branch's commit SHA and ``{collection_id: blob_sha}`` of its ``data/xml``.

        Raises SourceHTTPError/SourceUnavailableError from the client and SourceResponseError
        when an answer lacks what the GitHub API documents (or the listing is truncated).
        """
        branch_url = f"{self.api_url}/repos/{self.repo}/branches/{self.branch}"
        branch = self._json(branch_url)
        try:
            commit = branch["commit"]["sha"]
            tree = branch["commit"]["commit"]["tree"]["sha"]
        except (KeyError, TypeError) as exc:
            raise SourceResponseError(
                branch_url, f"no commit/tree in branch answer ({exc})"
            ) from exc
        _check_sha(branch_url, "commit", commit)
        _check_sha(branch_url, "tree", tree)
        for folder in ("data", "xml"):
            tree = self._subtree(tree, folder)
        listing_url = f"{self.api_url}/repos/{self.repo}/git/trees/{tree}"
        listing = self._json(listing_url)
        if listing.get("truncated"):
            raise SourceResponseError(listing_url, "tree listing truncated")
        files: dict[str, str] = {}
        for entry in _tree_entries(listing_url, listing):
            path = entry.get("path")
            if entry.get("type") != "blob" or not isinstance(path, str):
                continue
            if not path.endswith(".xml"):
                continue  # schema.rnc and other non-collection files
            collection_id = path[: -len(".xml")]
            if not is_safe_collection_id(collection_id):
                # A listed name like "../../PWNED.xml" must never become a file path.
                raise SourceResponseError(
                    listing_url,
                    f"refusing listed path data/xml/{path[:120]!r}: not a plain "
                    "data/xml/<collection-id>.xml",
                )
            sha = entry.get("sha")
            if not isinstance(sha, str) or not _BLOB_SHA.match(sha):
                raise SourceResponseError(listing_url, f"no blob SHA for data/xml/{path}")
            files[collection_id] = sha
        return commit, files

    def sync(self, select: Select | None = None) -> SyncResult:
        """Download the changed (and new) collection files that ``select`` accepts (all when
        None); with no ``select``, also delete local files the branch no longer has.

        Each file is written atomically after its blob SHA is checked, so an interrupted sync
        keeps what it fetched. Raises the client's errors and SourceResponseError (a file
        whose content does not match the listed SHA is not written).
        """
        commit, remote = self.remote_files()
        self.xml_dir.mkdir(parents=True, exist_ok=True)
        local = {p.stem: p for p in self.xml_dir.glob("*.xml")}
        result = SyncResult(self.repo, self.branch, commit)
        for collection_id, sha in sorted(remote.items()):
            if select is not None and not select(collection_id):
                continue
            path = local.get(collection_id)
            if path is not None and git_blob_sha(path.read_bytes()) == sha:
                result.unchanged += 1
                continue
            self._download(commit, collection_id, sha)
            result.fetched.append(collection_id)
            if path is None:
                result.added.append(collection_id)
        if select is None:
            for collection_id in sorted(set(local) - set(remote)):
                local[collection_id].unlink()
                result.removed.append(collection_id)
        logger.info(
            "ACL sync %s@%s (%s): %d fetched, %d unchanged, %d removed",
            self.repo,
            self.branch,
            commit[:12],
            len(result.fetched),
            result.unchanged,
            len(result.removed),
        )
        return result

    def _download(self, commit: str, collection_id: str, sha: str) -> None:
        url = f"{self.raw_url}/{self.repo}/{commit}/data/xml/{collection_id}.xml"
        content = self.client.get(url).content
        actual = git_blob_sha(content)
        if actual != sha:
            raise SourceResponseError(
                url, f"content has blob SHA {actual}, the tree lists {sha}; not written"
            )
        target = self._target(collection_id)
        partial = target.with_suffix(".xml.part")
        partial.write_bytes(content)
        os.replace(partial, target)

    def _target(self, collection_id: str) -> Path:
        """Where a collection file goes: inside ``xml_dir``, checked after resolving (the id
        was checked already; this guards against anything the check missed, and symlinks)."""
        if not is_safe_collection_id(collection_id):
            raise SourceResponseError(self.repo, f"unsafe collection id {collection_id[:120]!r}")
        folder = self.xml_dir.resolve()
        target = (folder / f"{collection_id}.xml").resolve()
        if target.parent != folder:
            raise SourceResponseError(
                self.repo, f"collection {collection_id!r} would be written outside {folder}"
            )
        return target

    def _subtree(self, tree: str, name: str) -> str:
        url = f"{self.api_url}/repos/{self.repo}/git/trees/{tree}"
        for entry in _tree_entries(url, self._json(url)):
            if entry.get("path") == name and entry.get("type") == "tree":
                return _check_sha(url, f"tree {name!r}", entry.get("sha"))
        raise SourceResponseError(url, f"no folder {name!r} in the tree")

    def _json(self, url: str) -> dict[str, Any]:
        response = self.client.get(url)
        try:
            data = response.json()
        except ValueError as exc:
            raise SourceResponseError(url, f"not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise SourceResponseError(url, "expected a JSON object")
        return data


# Collection ids as the Anthology names its files: "2023.acl", "P18", "2020.findings-emnlp".
# Letters and digits joined by single ".", "_" or "-": no "/", no "..", no leading dot.
_COLLECTION_ID = re.compile(r"^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$")
_BLOB_SHA = re.compile(r"^[0-9a-f]{40}$")
# What a commit or tree SHA may hold before it goes into a URL path.
_SHA_TOKEN = re.compile(r"^[A-Za-z0-9]{1,64}$")


def is_safe_collection_id(collection_id: str) -> bool:
    """Whether ``collection_id`` can name a file ``<id>.xml`` inside the data folder."""
    return len(collection_id) <= 100 and bool(_COLLECTION_ID.match(collection_id))


def _check_sha(url: str, what: str, value: Any) -> str:
    if not isinstance(value, str) or not _SHA_TOKEN.match(value):
        raise SourceResponseError(url, f"{what} SHA is not a git SHA: {str(value)[:60]!r}")
    return value


def _tree_entries(url: str, listing: dict[str, Any]) -> list[dict[str, Any]]:
    entries = listing.get("tree", [])
    if not isinstance(entries, list):
        raise SourceResponseError(url, "tree listing without a list of entries")
    return [e for e in entries if isinstance(e, dict)]
