"""The cycle collector is paused, objects frozen and freed memory kept only while the sync needs
it: a scheduled sync runs in one long process, where a collector left off or objects left frozen
would keep every cycle of every later sync in memory, and a heap left kept every page it ever
had."""

from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path

import numpy as np
import pytest

from sync.config import read_settings
from sync.errors import OutputError
from sync.memory import (
    _numpy_huge_pages,
    heap_kept,
    no_cycle_collection,
    return_free_heap,
    shared_with_forks,
)
from sync.pipeline import run_sync
from sync.writers import xlsx


@pytest.fixture
def collector_on():
    enabled = gc.isenabled()
    gc.enable()
    yield
    if not enabled:
        gc.disable()


def test_a_sync_leaves_the_collector_on_and_nothing_frozen(small_campaign, collector_on) -> None:
    run_sync(read_settings(small_campaign([{}, {"full_name": "Lê Thị Hoa"}])))
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_failed_write_leaves_the_collector_on_and_nothing_frozen(
    small_campaign, collector_on, monkeypatch
) -> None:
    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx, "write_table", crash)
    with pytest.raises(OutputError):
        run_sync(read_settings(small_campaign([{}, {"full_name": "Lê Thị Hoa"}])))
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_paused_collector_stays_paused_after_nested_work(collector_on) -> None:
    with no_cycle_collection():
        with no_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_objects_are_frozen_only_while_forks_share_them(collector_on) -> None:
    with pytest.raises(RuntimeError), shared_with_forks():
        assert gc.get_freeze_count() > 0
        raise RuntimeError("a writer failed")
    assert gc.get_freeze_count() == 0


def _glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError, OSError):
        return False


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


_ARRAY_BYTES = 256 << 20  # as large as de-duplication's arrays at some 200,000 rows


def _resident_after_freeing_an_array() -> int:
    """How much more memory this process holds after making and freeing one large array, while
    a small one made after it is still held: had the large one come from the heap, below the
    small one, the heap could not give its pages back by shrinking."""
    before = _resident_bytes()
    array = np.ones(_ARRAY_BYTES, dtype=np.uint8)  # every page touched
    later = np.ones(1 << 20, dtype=np.uint8)
    del array
    held = _resident_bytes() - before
    del later
    return held


@pytest.mark.skipif(not _glibc(), reason="the heap is kept by glibc's malloc only")
def test_freed_arrays_stay_with_the_process_only_while_the_heap_is_kept() -> None:
    return_free_heap()
    with heap_kept():
        kept = _resident_after_freeing_an_array()
        reused = _resident_after_freeing_an_array()
    start = _resident_bytes()
    return_free_heap()
    given_back = start - _resident_bytes()
    after = _resident_after_freeing_an_array()
    assert kept > 0.9 * _ARRAY_BYTES
    assert reused < 0.1 * _ARRAY_BYTES  # the second array took the first one's pages
    assert given_back < 0.1 * _ARRAY_BYTES  # leaving gave them back already
    assert after < 0.1 * _ARRAY_BYTES  # and a large array is its own mapping again


@pytest.mark.skipif(not _glibc(), reason="the heap is kept by glibc's malloc only")
def test_the_heap_is_given_back_when_the_work_inside_fails() -> None:
    return_free_heap()
    start = _resident_bytes()
    with pytest.raises(RuntimeError), heap_kept():
        array = np.ones(_ARRAY_BYTES, dtype=np.uint8)
        del array
        raise RuntimeError("de-duplication failed")
    assert _resident_bytes() - start < 0.1 * _ARRAY_BYTES
    assert _resident_after_freeing_an_array() < 0.1 * _ARRAY_BYTES


@pytest.mark.skipif(not _glibc(), reason="the heap is kept by glibc's malloc only")
@pytest.mark.parametrize("fails", [False, True])
def test_numpy_asks_for_huge_pages_again_once_the_heap_is_no_longer_kept(fails: bool) -> None:
    """Inside, numpy's large arrays take ordinary pages; after, even when the work failed, the
    process asks for huge pages as it did before (a scheduled sync runs in one long process)."""
    _numpy_huge_pages(True)
    inside = None
    with contextlib.suppress(RuntimeError), heap_kept():
        inside = _numpy_huge_pages(False)  # what it was set to inside
        if fails:
            raise RuntimeError("de-duplication failed")
    assert inside is False
    assert _numpy_huge_pages(True) is True
