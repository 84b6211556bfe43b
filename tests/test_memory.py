"""The cycle collector is paused and objects frozen only while the sync needs it: a scheduled
sync runs in one long process, where a collector left off or objects left frozen would keep
every cycle of every later sync in memory."""

from __future__ import annotations

import gc

import pytest

from sync.config import read_settings
from sync.errors import OutputError
from sync.memory import no_cycle_collection, shared_with_forks
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
