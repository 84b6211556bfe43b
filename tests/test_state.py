"""The review state as kept between syncs: a row's cell digests packed as written, the file the
same whichever way they are held, and read back as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.review.state import (
    STATE_FILE,
    Cells,
    Entry,
    Mark,
    ReviewState,
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


def test_the_file_is_the_same_whether_digests_are_packed_or_a_dict(tmp_path: Path) -> None:
    text = "".join(state_text(state(held_as_cells=True)))
    assert text == "".join(state_text(state(held_as_cells=False)))
    unit = json.loads(text)["units"]["U1"]
    assert unit["columns"] == list(COLUMNS)
    assert unit["entries"]["SK-1"]["cells"] == PACKED
    assert unit["entries"]["SK-2"]["cells"] == "0000000d" + "-" * 8 + "0000000e"
    (tmp_path / STATE_FILE).write_text(text, encoding="utf-8")
    entries = load_state(tmp_path / STATE_FILE).units["U1"]
    assert entries["SK-1"].cells == Cells(COLUMNS, PACKED)
    assert entries["SK-2"].cells == {"id": "0000000d", "title": "0000000e"}
    assert entries["SK-3"].cells == {}
