"""The collector pause around a batch: nested and concurrent uses restore what was there."""

from __future__ import annotations

import gc
import threading

import pytest

from models.gc_pause import collector_paused


def test_the_collector_is_off_inside_and_back_on_after_the_outermost_use() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer batch is still running
    assert gc.isenabled()


def test_an_error_inside_still_enables_it_again() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("batch failed")
    assert gc.isenabled()


def test_a_caller_that_had_disabled_it_keeps_it_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_two_threads_at_once_leave_it_enabled() -> None:
    inside = threading.Barrier(2)

    def batch() -> None:
        with collector_paused():
            inside.wait(timeout=10)

    threads = [threading.Thread(target=batch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert gc.isenabled()
