"""The review state as kept between syncs: a row's cell digests packed as written, the file the
same whichever way they are held, and read back as written."""

from __future__ import annotations

import gc
import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.review.state import (
    STATE_FILE,
    Cells,
    Entry,
    ListedCells,
    Mark,
    ReviewState,
    load_last_round,
    load_state,
    state_text,
)

COLUMNS = ("id", "status", "title")
PACKED = "0000000a" + "0000000b" + "0000000c"


def test_cells_read_as_a_mapping_of_column_to_digest() -> None:
    cells = Cells(COLUMNS, PACKED)
    assert cells["status"] == "0000000b"
    assert list(cells) == list(COLUMNS) and len(cells) == 3
    assert cells == {"id": "0000000a", "status": "0000000b", "title": "0000000c"}
    assert "outcome" not in cells and cells.get("outcome") is None
    with pytest.raises(KeyError):
        cells["outcome"]
    assert list(cells.items()) == [
        ("id", "0000000a"), ("status", "0000000b"), ("title", "0000000c")]  # fmt: skip
    assert ("status", "0000000b") in cells.items() and len(cells.items()) == 3


def state(held_as_cells: bool) -> ReviewState:
    as_dict = dict(Cells(COLUMNS, PACKED))
    listed = Entry(cells=Cells(COLUMNS, PACKED) if held_as_cells else as_dict)
    return ReviewState(
        initiatives={"SK-1": Mark("0badcafe", "valid", "grassroots", "U1")},
        units={
            "U1": {
                "SK-1": listed,
                "SK-2": Entry(cells={"id": "0000000d", "title": "0000000e"}),  # no status
                "SK-3": Entry(review={"review.score": 90}, archived_at="2021-04-01T09:00:00"),
            }
        },
    )


def test_a_review_lists_digests_travel_packed_and_read_as_each_rows_cells() -> None:
    """What a writer process hands back: one columns tuple and a text per row, which pickle
    much faster than a `Cells` per row, and read as those `Cells`."""
    listed = ListedCells(COLUMNS, {"SK-1": PACKED, "SK-2": "0" * 24})
    assert listed["SK-1"] == Cells(COLUMNS, PACKED) and list(listed) == ["SK-1", "SK-2"]
    assert listed["SK-2"]["title"] == "00000000" and len(listed) == 2
    travelled = pickle.loads(pickle.dumps(listed))
    assert travelled == {
        "SK-1": dict(Cells(COLUMNS, PACKED)),
        "SK-2": dict.fromkeys(COLUMNS, "0" * 8),
    }
    with pytest.raises(KeyError):
        listed["SK-3"]


def test_the_file_is_the_same_whether_digests_are_packed_or_a_dict(tmp_path: Path) -> None:
    text = b"".join(state_text(state(held_as_cells=True)))
    assert text == b"".join(state_text(state(held_as_cells=False)))
    unit = json.loads(text)["units"]["U1"]
    assert unit["columns"] == list(COLUMNS)
    assert unit["entries"]["SK-1"]["cells"] == PACKED
    assert unit["entries"]["SK-2"]["cells"] == "0000000d" + "-" * 8 + "0000000e"
    (tmp_path / STATE_FILE).write_bytes(text)
    entries = load_state(tmp_path / STATE_FILE).units["U1"]
    assert entries["SK-1"].cells == Cells(COLUMNS, PACKED)
    # Read back still packed when every column was written: no dict per row of every unit.
    assert isinstance(entries["SK-1"].cells, Cells)
    assert entries["SK-2"].cells == {"id": "0000000d", "title": "0000000e"}
    assert entries["SK-3"].cells == {}


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every cycle collection that starts while the test runs."""
    started: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    enabled = gc.isenabled()
    gc.enable()
    gc.callbacks.append(seen)
    yield started
    gc.callbacks.remove(seen)
    if not enabled:
        gc.disable()


def test_a_large_state_loads_without_rescanning_memory(tmp_path: Path, collections) -> None:
    """The state is read while every response is in memory: the collector, rescanning them
    all each time enough objects had been made, took seconds at 100,000 rows."""
    entries = {f"SK-{n}": Entry(cells=Cells(COLUMNS, PACKED)) for n in range(3_000)}
    text = b"".join(state_text(ReviewState(units={"U1": entries})))
    (tmp_path / STATE_FILE).write_bytes(text)
    (tmp_path / "damaged.json").write_bytes(text[: len(text) // 2])
    gc.collect()  # what making the file left
    collections.clear()
    assert len(load_state(tmp_path / STATE_FILE).units["U1"]) == 3_000
    assert load_state(tmp_path / "damaged.json").unreadable
    # At most one, once the state is read: of the objects just made, not of all memory again.
    assert len(collections) <= 1 and gc.isenabled()


def _saved(tmp_path: Path, state: ReviewState) -> Path:
    path = tmp_path / STATE_FILE
    path.write_bytes(b"".join(state_text(state)))
    return path


def test_the_last_round_is_read_from_the_end_of_the_file_as_the_whole_state_gives_it(
    tmp_path: Path,
) -> None:
    # A reviewed title quoting the very bytes that mark where the last round begins.
    tricky = Entry(review={"appraisal": "passed"}, title='x}, "books": {"a": 1}, "steady": "no"')
    saved = ReviewState(
        initiatives={"SK-1": Mark("0000000a", "valid", "grassroots", "U1")},
        units={"U1": {"SK-1": tricky}},
        books={"1-tinh/a.xlsx": "f1"},
        stamps={"1-tinh/a.xlsx": "10:20:30", "tra-cuu.xlsx": "1:2:3"},
        unplaced=['U1|}, "books": '],
        steady="round-key",
    )
    last = load_last_round(_saved(tmp_path, saved))
    whole = load_state(tmp_path / STATE_FILE)
    assert last is not None and whole.units["U1"]["SK-1"].title == tricky.title
    assert (last.steady, last.stamps) == (whole.steady, whole.stamps) == (
        "round-key", saved.stamps)  # fmt: skip
    assert load_last_round(_saved(tmp_path, ReviewState())) is not None  # no unit at all


@pytest.mark.parametrize(
    "text", ["", "not json", '{"version": 2, "initiatives": {}, "units": {}}', '{"units": {']
)
def test_no_last_round_from_a_file_that_does_not_end_with_one(tmp_path: Path, text: str) -> None:
    path = tmp_path / STATE_FILE
    path.write_text(text, encoding="utf-8")
    assert load_last_round(path) is None
    assert load_last_round(tmp_path / "missing.json") is None


def test_a_review_holding_a_whole_number_beyond_64_bits_is_kept(tmp_path: Path) -> None:
    """An officer's typo (a score of 1e25) must not stop the sync from saving its state."""
    typo = int(1e25)
    kept = ReviewState(units={"U1": {"SK-1": Entry(review={"review.score": typo}, title="Đạt")}})
    path = tmp_path / STATE_FILE
    path.write_bytes(b"".join(state_text(kept)))
    assert load_state(path).units["U1"]["SK-1"].review == {"review.score": typo}
