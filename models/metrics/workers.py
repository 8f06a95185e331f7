"""Running a CPU-bound job over a list of tasks in forked worker processes, results in task
order, so a whole-table metrics run uses every core for the per-author Python work.

The workers are forked after the parent has read its rows: they see those rows (copy on
write) without any being sent to them, and they never use the parent's database connection
(only the parent writes, in its own transaction). Each worker receives task numbers through
a pipe and sends back each task's pickled result; the parent hands out tasks as workers
become free (a slow core does not hold the others back) and keeps at most
:data:`LOOKAHEAD` tasks per worker ahead of the one it yields next, so the results waiting
to be yielded stay bounded.

A failure fails the run: an exception raised by the job in a worker is raised again in the
parent (with the worker's traceback as a note), a worker that dies without answering raises
:class:`WorkerDied`, and the parent ending early (its own error, the caller stopping the
iteration) terminates every worker. Workers exit with ``os._exit`` (``multiprocessing``'s
fork start), so no inherited connection is closed or flushed from them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

T = TypeVar("T")

#: Tasks handed out per worker beyond the next one to yield.
LOOKAHEAD = 3
#: Seconds to wait for a worker to stop before terminating it.
JOIN_TIMEOUT = 5.0


class WorkerDied(RuntimeError):
    """A worker process ended without sending its task's result."""


def can_fork() -> bool:
    """Whether this platform can fork worker processes."""
    return hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()


def in_workers(
    tasks: Sequence[tuple[int, int]], job: Callable[[int, int], T], workers: int
) -> Iterator[T]:
    """``job(start, stop)`` for each task, yielded in task order, computed by ``workers``
    forked processes. ``job``'s result must pickle; ``job`` must not use a database
    connection the parent holds."""
    context = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):  # a child would flush the parent's buffer again
        stream.flush()
    processes: list[Any] = []
    pipes: list[Connection] = []
    finished = False
    try:
        for _ in range(max(1, min(workers, len(tasks)))):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, job, tasks), daemon=True)
            process.start()
            theirs.close()
            processes.append(process)
            pipes.append(ours)
        yield from _schedule(tasks, pipes, processes)
        finished = True
    finally:
        _stop(pipes, processes, wait_for_them=finished)


def _schedule(
    tasks: Sequence[tuple[int, int]], pipes: list[Connection], processes: list[Any]
) -> Iterator[Any]:
    """Hand out tasks, collect results, yield them in order."""
    done: dict[int, Any] = {}
    busy: dict[Connection, int] = {}
    idle = list(pipes)
    handed = emitted = 0
    limit = LOOKAHEAD * len(pipes)
    while emitted < len(tasks):
        while idle and handed < len(tasks) and handed < emitted + limit:
            pipe = idle.pop()
            pipe.send(handed)
            busy[pipe] = handed
            handed += 1
        if emitted in done:
            yield done.pop(emitted)
            emitted += 1
            continue
        for pipe in wait(list(busy)):
            assert isinstance(pipe, Connection)
            try:
                kind, payload = pipe.recv()
            except (EOFError, OSError) as exc:
                process = processes[pipes.index(pipe)]
                process.join(JOIN_TIMEOUT)
                raise WorkerDied(
                    f"metrics worker {process.pid} ended (exit code {process.exitcode}) "
                    f"without the result of task {busy[pipe]}"
                ) from exc
            if kind == "error":
                raise payload
            done[busy.pop(pipe)] = payload
            idle.append(pipe)


def _serve(
    pipe: Connection, job: Callable[[int, int], Any], tasks: Sequence[tuple[int, int]]
) -> None:
    """A worker: run the tasks it is sent (their numbers) until told to stop (None)."""
    # Ctrl-C reaches the whole process group: the parent handles it and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while (index := pipe.recv()) is not None:
        try:
            result = job(*tasks[index])
        except BaseException as exc:  # handed to the parent, which raises it
            pipe.send(("error", _portable(exc)))
            return
        pipe.send(("done", result))


def _portable(exc: BaseException) -> BaseException:
    """``exc`` with the worker's traceback as a note, or a RuntimeError saying it when
    ``exc`` does not pickle."""
    where = "in a metrics worker process:\n" + "".join(traceback.format_exception(exc))
    try:
        exc.add_note(where)
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}\n{where}")


def _stop(pipes: list[Connection], processes: list[Any], *, wait_for_them: bool) -> None:
    """Tell every worker to stop; after the last task (``wait_for_them``) let them end
    (a little while at most), else (a failure) terminate them at once."""
    for pipe in pipes:
        with contextlib.suppress(OSError):  # that worker may be gone already
            pipe.send(None)
    for process in processes:
        if wait_for_them:
            process.join(JOIN_TIMEOUT)
        if process.is_alive():
            process.terminate()
            process.join()
    for pipe in pipes:
        pipe.close()
