"""Grid operations shared by the values API and batchUpdate requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .a1 import Bounds
from .store import Cell, Sheet, Spreadsheet
from .values import input_value, render_value


@dataclass(frozen=True)
class WriteStats:
    rows: int
    columns: int
    cells: int
    bounds: Bounds | None  # Smallest rectangle holding the written cells.


def has_value(cell: Cell | None) -> bool:
    return bool(cell and cell.get("userEnteredValue"))


def value_extent(sheet: Sheet, bounds: Bounds) -> tuple[int, int] | None:
    """``(last_row, last_col)`` holding a value inside ``bounds``, or None if empty."""
    last_row = last_col = -1
    for (row, col), cell in sheet.grid.within(bounds):
        if has_value(cell):
            last_row = max(last_row, row)
            last_col = max(last_col, col)
    return None if last_row < 0 else (last_row, last_col)


def read_matrix(
    sheet: Sheet, bounds: Bounds, value_option: str, date_option: str, locale: str
) -> list[list[Any]]:
    """Values of ``bounds`` (already clamped) row by row, trailing empties trimmed."""
    rows: dict[int, dict[int, Any]] = {}
    for (row, col), cell in sheet.grid.within(bounds):
        rendered = render_value(cell, value_option, date_option, locale)
        if rendered is not None:
            rows.setdefault(row, {})[col] = rendered
    if not rows:
        return []
    matrix: list[list[Any]] = []
    for row in range(bounds.start_row, max(rows) + 1):
        found = rows.get(row, {})
        if not found:
            matrix.append([])
            continue
        matrix.append([found.get(col, "") for col in range(bounds.start_col, max(found) + 1)])
    return matrix


def transpose(matrix: list[list[Any]], fill: Any = "") -> list[list[Any]]:
    width = max((len(row) for row in matrix), default=0)
    columns = [[row[i] if i < len(row) else fill for row in matrix] for i in range(width)]
    # Trailing fillers are trimmed the same way rows are.
    return [_trim_trailing(column, fill) for column in columns]


def _trim_trailing(items: list[Any], fill: Any) -> list[Any]:
    end = len(items)
    while end and items[end - 1] == fill:
        end -= 1
    return items[:end]


def write_matrix(
    sheet: Sheet,
    row0: int,
    col0: int,
    matrix: list[list[Any]],
    input_option: str,
    locale: str,
) -> WriteStats:
    """Write values starting at ``(row0, col0)``; None entries leave cells untouched."""
    rows_written: set[int] = set()
    cols_written: set[int] = set()
    count = 0
    cells = sheet.grid.cells  # direct access: this loop runs once per written cell
    for i, values in enumerate(matrix):
        for j, raw in enumerate(values):
            if raw is None:
                continue
            row, col = row0 + i, col0 + j
            new = _with_value(cells.get((row, col)), raw, input_option, locale)
            if new:
                cells[(row, col)] = new
            else:
                cells.pop((row, col), None)
            rows_written.add(row)
            cols_written.add(col)
            count += 1
    if not count:
        return WriteStats(0, 0, 0, None)
    bounds = Bounds(
        min(rows_written), max(rows_written) + 1, min(cols_written), max(cols_written) + 1
    )
    return WriteStats(len(rows_written), len(cols_written), count, bounds)


def _with_value(cell: Cell | None, raw: Any, input_option: str, locale: str) -> Cell:
    entered, number_format = input_value(raw, input_option, locale)
    new = dict(cell or {})
    if entered is None:
        new.pop("userEnteredValue", None)
    else:
        new["userEnteredValue"] = entered
    if number_format is not None:
        cell_format = dict(new.get("userEnteredFormat") or {})
        cell_format["numberFormat"] = number_format
        new["userEnteredFormat"] = cell_format
    return new


def clear_values(sheet: Sheet, bounds: Bounds) -> None:
    """Remove values only; formats, notes and validation stay, as values.clear does."""
    for key, cell in list(sheet.grid.within(bounds)):
        if "userEnteredValue" in cell:
            remaining = {k: v for k, v in cell.items() if k != "userEnteredValue"}
            sheet.grid.put(*key, remaining)


def update_cells(sheet: Sheet, bounds: Bounds, change: Callable[[Cell], Cell]) -> None:
    """Replace every cell in (clamped) ``bounds`` with ``change(old)``."""
    assert bounds.end_row is not None and bounds.end_col is not None
    for row in range(bounds.start_row, bounds.end_row):
        for col in range(bounds.start_col, bounds.end_col):
            sheet.grid.put(row, col, change(sheet.grid.get(row, col) or {}))


# ----------------------------------------------------------------------- moving rows/cols


def shift_index(index: int, at: int, delta: int) -> int | None:
    """New position of row/column ``index`` after inserting (delta>0) or deleting rows."""
    if delta > 0:
        return index + delta if index >= at else index
    end = at - delta
    if index >= end:
        return index + delta
    return None if index >= at else index


def shift_span(start: int, end: int | None, at: int, delta: int) -> tuple[int, int | None] | None:
    """Move a half-open span; None when a deletion removes it entirely."""
    if delta > 0:
        new_start = start + delta if start >= at else start
        new_end = None if end is None else (end + delta if end > at else end)
        return new_start, new_end
    removed_end = at - delta

    def squeeze(point: int, is_end: bool) -> int:
        if point < at or (is_end and point == at):
            return point
        return point + delta if point >= removed_end else at

    new_start = squeeze(start, is_end=False)
    if end is None:
        return new_start, None
    new_end = squeeze(end, is_end=True)
    return None if new_end <= new_start else (new_start, new_end)


def shift_grid_range(
    grid_range: dict[str, Any], sheet_id: int, dimension: str, at: int, delta: int
) -> dict[str, Any] | None:
    """A GridRange after rows/columns moved on ``sheet_id``; None if it was deleted."""
    if grid_range.get("sheetId", 0) != sheet_id:
        return grid_range
    keys = (
        ("startRowIndex", "endRowIndex")
        if dimension == "ROWS"
        else (
            "startColumnIndex",
            "endColumnIndex",
        )
    )
    span = shift_span(grid_range.get(keys[0]) or 0, grid_range.get(keys[1]), at, delta)
    if span is None:
        return None
    moved = dict(grid_range)
    moved[keys[0]] = span[0]
    if span[1] is not None:
        moved[keys[1]] = span[1]
    return moved


def move_dimension(
    spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, at: int, delta: int
) -> None:
    """Insert (delta>0) or delete (delta<0) rows/columns at ``at`` and move everything along."""
    rows = dimension == "ROWS"

    def move_cell(row: int, col: int) -> tuple[int, int] | None:
        moved = shift_index(row if rows else col, at, delta)
        if moved is None:
            return None
        return (moved, col) if rows else (row, moved)

    sheet.grid.remap(move_cell)
    shifted: dict[int, dict[str, Any]] = {}
    for index, properties in (sheet.row_meta if rows else sheet.col_meta).items():
        moved = shift_index(index, at, delta)
        if moved is not None:
            shifted[moved] = properties
    if rows:
        sheet.row_meta = shifted
        sheet.grid_properties["rowCount"] = sheet.row_count + delta
    else:
        sheet.col_meta = shifted
        sheet.grid_properties["columnCount"] = sheet.col_count + delta
    _shift_ranges(spreadsheet, sheet, dimension, at, delta)


def _shift_ranges(
    spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, at: int, delta: int
) -> None:
    sheet_id = sheet.sheet_id

    def shift(grid_range: dict[str, Any]) -> dict[str, Any] | None:
        return shift_grid_range(grid_range, sheet_id, dimension, at, delta)

    sheet.merges = [m for m in map(shift, sheet.merges) if m is not None]
    for rule in sheet.conditional_formats:
        rule["ranges"] = [r for r in map(shift, rule.get("ranges", [])) if r is not None]
    sheet.conditional_formats = [r for r in sheet.conditional_formats if r["ranges"]]
    kept = []
    for protected in sheet.protected_ranges:
        if "range" in protected:
            protected["range"] = shift(protected["range"])
        if protected.get("range", {}) is not None:
            kept.append(protected)
    sheet.protected_ranges = kept
    if sheet.basic_filter is not None:
        moved = shift(sheet.basic_filter.get("range", {"sheetId": sheet_id}))
        if moved is None:
            sheet.basic_filter = None
        else:
            sheet.basic_filter["range"] = moved
    for named in spreadsheet.named_ranges:
        moved = shift(named.get("range", {}))
        if moved is not None:
            named["range"] = moved
    _shift_metadata(spreadsheet, sheet_id, dimension, at, delta)


def _shift_metadata(
    spreadsheet: Spreadsheet, sheet_id: int, dimension: str, at: int, delta: int
) -> None:
    kept = []
    for metadata in spreadsheet.developer_metadata:
        location = metadata.get("location", {})
        span_holder = location.get("dimensionRange")
        if (
            span_holder
            and span_holder.get("sheetId", 0) == sheet_id
            and span_holder.get("dimension") == dimension
        ):
            span = shift_span(
                span_holder.get("startIndex") or 0, span_holder.get("endIndex"), at, delta
            )
            if span is None:
                continue
            span_holder["startIndex"], span_holder["endIndex"] = span
        kept.append(metadata)
    spreadsheet.developer_metadata = kept
