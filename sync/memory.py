"""Keeping the sync's memory, and the cycle collector's work over it, bounded at national scale:
a million responses are tens of millions of Python objects."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import numpy as np


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector: building hundreds of thousands of small lists and tuples makes
    it rescan every object in memory again and again (seconds at a million rows). For work that
    builds no reference cycle, or few that can wait: XlsxWriter's workbooks hold cycles, so it
    is paused around one workbook at a time, and they are freed once it is written."""
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
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


# glibc's `mallopt` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_MMAP_MAX = -4
# While the heap is kept: a free top of the heap is given back beyond this (`mallopt` takes an
# int), and no block is mapped on its own.
_KEPT_FREE_TOP_MAX = 2**31 - 1
# After: what glibc's own adjustment settles at on a 64-bit system once blocks of tens of
# megabytes have been freed, as they are by the time de-duplication starts. Blocks from 32 MB
# are mapped on their own, a free top beyond twice that is given back, and up to glibc's
# default count of mappings are made.
_SETTLED_MMAP_THRESHOLD = 32 << 20
_DEFAULT_MMAP_MAX = 65536


@contextmanager
def heap_kept() -> Iterator[None]:
    """Keep the memory freed by the work inside in this process, then give it back (glibc;
    elsewhere nothing changes). By default glibc maps each block of some megabytes on its own and
    unmaps it as it is freed, so the next one gets fresh pages from the kernel, which zeroes
    them; on a virtual machine that reports free pages to its host, the host supplies them
    again too. De-duplication makes and frees arrays of hundreds of megabytes one after another:
    kept, each reuses pages an earlier one touched, and at a million rows the stage takes about
    a sixth less time, for some 700 MB more at its peak (benchmarks/HISTORY.md). Not nested:
    leaving it sets glibc's settled values back."""
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, _KEPT_FREE_TOP_MAX)
    huge = _numpy_huge_pages(False)
    try:
        yield
    finally:
        _numpy_huge_pages(huge)
        libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
        libc.mallopt(_M_MMAP_THRESHOLD, _SETTLED_MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * _SETTLED_MMAP_THRESHOLD)
        libc.malloc_trim(0)


def _numpy_huge_pages(wanted: bool) -> bool:
    """Whether numpy asks Linux for huge pages for its large arrays (`madvise`), set to `wanted`;
    the setting before. Kept pages are reused from array to array, so little is gained by huge
    ones, and each first touch of one zeroes 2 MB (after compacting memory to find it): at a
    hundred thousand rows de-duplication took 1.94 to 2.07 s without, 2.21 to 2.26 s with.
    numpy names no public switch for it; where it has none, nothing changes."""
    core = getattr(np, "_core", None) or getattr(np, "core", None)  # numpy 2, numpy 1
    switch = getattr(core, "multiarray", None)
    set_huge = getattr(switch, "_set_madvise_hugepage", None)
    return bool(set_huge(wanted)) if set_huge is not None else wanted


@cache
def _glibc() -> ctypes.CDLL | None:
    """The C library, when it is glibc: the calls above are its own."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        return ctypes.CDLL(ctypes.util.find_library("c") or None)
    except (AttributeError, ValueError, OSError):  # no confstr, no such name, no library
        return None
