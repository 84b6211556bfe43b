"""What the state remembers of each written review list: the digest of every sync-owned cell
as written, by column, the officers' review columns left out."""

from __future__ import annotations

from typing import Any

from sync.review.stage import ValueTable, value_digests
from sync.review.values import fingerprint
from sync.templates import Column, SheetLayout
from sync.writers.books import sheet_digests
from sync.writers.records import Sheet

LAYOUT = SheetLayout(
    "Sáng kiến",
    (
        Column(key="id", header="Mã"),
        Column(key="title", header="Tên sáng kiến"),
        Column(key="review.score", header="Điểm", review=True),
        Column(key="outcome", header="Kết quả đề xuất"),
        Column(key="row", header="Dòng"),
    ),
)
VALUES: dict[str, dict[str, Any]] = {
    "SK-1": {"id": "SK-1", "title": "Máy bơm tiết kiệm điện", "row": 1002},
    "SK-2": {"id": "SK-2", "title": "Sổ sách điện tử", "row": 1003},
}
TABLE = ValueTable.from_items(VALUES.items())
EMPTY = ValueTable.from_items([])


def shown(initiative: str, **changes: Any) -> list[Any]:
    """A written row: the initiative's very values, the unit's own cells, maybe changed."""
    values = VALUES[initiative] | {"review.score": 85, "outcome": None} | changes
    return [values[key] for key in LAYOUT.column_keys()]


def cell_by_cell(row: list[Any]) -> dict[str, str]:
    return {c.key: fingerprint(v) for c, v in zip(LAYOUT.columns, row, strict=True) if not c.review}


def test_each_sync_owned_cell_as_written_in_the_layouts_order() -> None:
    rows = [shown("SK-1"), shown("SK-2", outcome="Đã đề xuất lên cấp trên")]
    found = sheet_digests(Sheet(LAYOUT, rows), TABLE, value_digests(TABLE))
    assert found == {"SK-1": cell_by_cell(rows[0]), "SK-2": cell_by_cell(rows[1])}
    assert list(found["SK-1"]) == ["id", "outcome", "row", "title"]  # as the state file packs them


def test_a_cell_showing_other_than_its_initiatives_value_is_digested_as_shown() -> None:
    rows = [shown("SK-1", title="Tiêu đề khác"), shown("SK-2", row=int("1003"))]
    found = sheet_digests(Sheet(LAYOUT, rows), TABLE, value_digests(TABLE))
    assert found["SK-1"] == cell_by_cell(rows[0])
    assert found["SK-1"]["title"] == fingerprint("Tiêu đề khác")
    assert found["SK-2"] == cell_by_cell(rows[1])


def test_without_the_values_every_cell_is_digested() -> None:
    rows = [shown("SK-1"), shown("SK-2")]
    with_values = sheet_digests(Sheet(LAYOUT, rows), TABLE, value_digests(TABLE))
    assert sheet_digests(Sheet(LAYOUT, rows)) == with_values
    listed_elsewhere = [shown("SK-1")]  # an initiative the values do not hold
    assert sheet_digests(Sheet(LAYOUT, listed_elsewhere), EMPTY, value_digests(EMPTY)) == {
        "SK-1": cell_by_cell(listed_elsewhere[0])
    }
