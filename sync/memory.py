"""Keeping the sync's memory, and the cycle collector's work over it, bounded at national scale:
a million responses are tens of millions of Python objects."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector: building hundreds of thousands of small lists and tuples makes
    it rescan every object in memory again and again (seconds at a million rows). For work that
    builds no reference cycle (XlsxWriter's workbooks do: never around writing one)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def shared_with_forks() -> Iterator[None]:
    """Around forking workers that read this process's objects. A child shares every page with
    its parent until one is written to, and the cycle collector writes to every object it scans:
    frozen objects are never scanned, in the children or here. The heap's freed pages go back to
    the system first, so that no child starts with them."""
    gc.freeze()
    return_free_heap()
    try:
        yield
    finally:
        gc.unfreeze()


def return_free_heap() -> None:
    """Give the C heap's free pages back to the system (glibc; elsewhere there is no such call
    and nothing to do)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        libc.malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass
