"""SQLite WAL checkpoints off the loader's path (:func:`checkpoint_soon`).

In WAL mode a commit appends the pages it changed to ``<database>-wal``; a *checkpoint* copies
them back into the database file and ``fsync``s it. SQLite runs one inside ``COMMIT`` whenever
the log has grown past ``wal_autocheckpoint`` pages, so the loader waited for it. A batch
dirties one page per insert into each random-keyed index (blocks, names, titles) once the
indexes outgrow the batch, and the checkpoint writes those pages scattered over the file: at
153,000 records loaded it took 1.36 ms of the loader's wall time per record (0.38 with
``synchronous=OFF``, i.e. without the ``fsync``; ``bench/identity_load.py``'s harness).

Here writer connections checkpoint on their own only past :data:`AUTOCHECKPOINT_PAGES` (a
bound on the log, should nobody else checkpoint), and :func:`checkpoint_soon`, called after each
batch's commit (``flows.pipelines.runs.RunTracker``), asks a background thread to run a
``PASSIVE`` checkpoint on a connection of its own. ``PASSIVE`` never blocks a reader or the
writer, and the thread waits on the disk while the loader builds the next batch. Durability is
unchanged: a committed transaction is in the log whether or not it has been copied yet.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import weakref
from pathlib import Path

from sqlalchemy import Connection, Engine, event

from models.dialect import sqlite_file

logger = logging.getLogger(__name__)

# A writer connection's own checkpoint threshold (pages of the page size; 4 KiB by default):
# 256 MiB of log. SQLite's default is 1,000 pages.
AUTOCHECKPOINT_PAGES = 65536

_checkpointers: weakref.WeakKeyDictionary[Engine, _Checkpointer] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


class _Checkpointer:
    """One daemon thread per database file; a request while it runs leads to one more pass."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()  # a request and the end of a pass do not interleave
        self.passes = 0
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name=f"wal-checkpoint:{path.name}", daemon=True
        )
        self._thread.start()

    def request(self) -> None:
        with self._lock:
            self._idle.clear()
            self._wanted.set()

    def stop(self) -> None:
        """End the thread after its current pass (when its engine is disposed or collected)."""
        self._stopping = True
        self._wanted.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no pass is requested or running; False on timeout."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                break
            try:
                if connection is None:
                    connection = sqlite3.connect(self.path, check_same_thread=False)
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.passes += 1
            except sqlite3.Error as exc:  # the next request tries again; the writer's bound holds
                logger.debug("background checkpoint of %s failed: %s", self.path.name, exc)
                if connection is not None:
                    connection.close()
                    connection = None
            with self._lock:
                if not self._wanted.is_set():
                    self._idle.set()
        if connection is not None:
            connection.close()
        self._idle.set()


def _stop_on_dispose(engine: Engine) -> None:
    """``engine.dispose()``: end its thread (a later request starts a new one)."""
    with _registry_lock:
        checkpointer = _checkpointers.pop(engine, None)
    if checkpointer is not None:
        checkpointer.stop()


def checkpoint_soon(bind: Engine | Connection) -> _Checkpointer | None:
    """Ask for a background checkpoint of ``bind``'s SQLite file (returns at once; no-op,
    returning None, for other databases and in-memory SQLite). Call it after a commit."""
    engine = bind.engine
    path = sqlite_file(engine)
    if path is None:
        return None
    with _registry_lock:
        checkpointer = _checkpointers.get(engine)
        if checkpointer is None:
            checkpointer = _checkpointers[engine] = _Checkpointer(path)
            weakref.finalize(engine, checkpointer.stop)
            if not event.contains(engine, "engine_disposed", _stop_on_dispose):
                event.listen(engine, "engine_disposed", _stop_on_dispose)
    checkpointer.request()
    return checkpointer
