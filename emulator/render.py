"""Spreadsheet resources as ``spreadsheets.get`` returns them."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from .a1 import Bounds
from .store import Cell, Sheet, Spreadsheet
from .values import effective_value, formatted_value

_ROW_PIXELS = 21
_COLUMN_PIXELS = 100
_STORED_CELL_FIELDS = (
    "userEnteredValue",
    "userEnteredFormat",
    "note",
    "dataValidation",
    "hyperlink",
    "textFormatRuns",
)


def spreadsheet_json(
    spreadsheet: Spreadsheet,
    *,
    include_grid: bool = False,
    ranges: Sequence[tuple[Sheet, Bounds]] = (),
) -> dict[str, Any]:
    """The Spreadsheet resource; with ``ranges`` only their sheets (and data) are included."""
    wanted: dict[int, list[Bounds]] = {}
    for sheet, bounds in ranges:
        wanted.setdefault(sheet.sheet_id, []).append(bounds)
    sheets = []
    for sheet in spreadsheet.sheets:
        if ranges and sheet.sheet_id not in wanted:
            continue
        grid_bounds = wanted.get(sheet.sheet_id, [Bounds()]) if include_grid else []
        sheets.append(sheet_json(spreadsheet, sheet, grid_bounds))
    result: dict[str, Any] = {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "properties": copy.deepcopy(spreadsheet.properties),
        "sheets": sheets,
    }
    if spreadsheet.named_ranges:
        result["namedRanges"] = copy.deepcopy(spreadsheet.named_ranges)
    top_metadata = [
        m
        for m in spreadsheet.developer_metadata
        if m.get("location", {}).get("locationType") == "SPREADSHEET"
    ]
    if top_metadata:
        result["developerMetadata"] = copy.deepcopy(top_metadata)
    result["spreadsheetUrl"] = (
        f"https://docs.google.com/spreadsheets/d/{spreadsheet.spreadsheet_id}/edit"
    )
    return result


def sheet_json(spreadsheet: Spreadsheet, sheet: Sheet, grid: Sequence[Bounds]) -> dict[str, Any]:
    result: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
    if grid:
        result["data"] = [grid_data(spreadsheet, sheet, bounds) for bounds in grid]
    optional = {
        "merges": sheet.merges,
        "conditionalFormats": sheet.conditional_formats,
        "protectedRanges": sheet.protected_ranges,
        "basicFilter": sheet.basic_filter,
        "charts": sheet.charts,
        "developerMetadata": [
            m
            for m in spreadsheet.developer_metadata
            if m.get("location", {}).get("locationType") == "SHEET"
            and m["location"].get("sheetId") == sheet.sheet_id
        ],
    }
    for key, value in optional.items():
        if value:
            result[key] = copy.deepcopy(value)
    return result


def grid_data(spreadsheet: Spreadsheet, sheet: Sheet, bounds: Bounds) -> dict[str, Any]:
    """GridData for ``bounds``: rows up to the last non-empty one, plus row/column sizes."""
    clamped = bounds.clamp(sheet.row_count, sheet.col_count)
    end_row, end_col = clamped.end_row or 0, clamped.end_col or 0
    by_row: dict[int, dict[int, Cell]] = {}
    for (row, col), cell in sheet.grid.within(clamped):
        by_row.setdefault(row, {})[col] = cell
    default_format = spreadsheet.properties.get("defaultFormat") or {}
    row_data: list[dict[str, Any]] = []
    for row in range(clamped.start_row, max(by_row, default=clamped.start_row - 1) + 1):
        cells = by_row.get(row, {})
        last = max(cells, default=clamped.start_col - 1)
        values = [
            cell_json(cells.get(col), spreadsheet.locale, default_format)
            for col in range(clamped.start_col, last + 1)
        ]
        row_data.append({"values": values} if values else {})
    data: dict[str, Any] = {}
    if clamped.start_row:
        data["startRow"] = clamped.start_row
    if clamped.start_col:
        data["startColumn"] = clamped.start_col
    if row_data:
        data["rowData"] = row_data
    data["rowMetadata"] = [
        _dimension_json(sheet.row_meta.get(i), _ROW_PIXELS)
        for i in range(clamped.start_row, end_row)
    ]
    data["columnMetadata"] = [
        _dimension_json(sheet.col_meta.get(i), _COLUMN_PIXELS)
        for i in range(clamped.start_col, end_col)
    ]
    return data


def _dimension_json(meta: dict[str, Any] | None, default_pixels: int) -> dict[str, Any]:
    result = {"pixelSize": default_pixels}
    result.update(copy.deepcopy(meta or {}))
    return result


def cell_json(cell: Cell | None, locale: str, default_format: dict[str, Any]) -> dict[str, Any]:
    if not cell:
        return {}
    result = {k: copy.deepcopy(cell[k]) for k in _STORED_CELL_FIELDS if k in cell}
    entered = cell.get("userEnteredValue")
    if entered:
        number_format = (cell.get("userEnteredFormat") or {}).get("numberFormat")
        result["effectiveValue"] = copy.deepcopy(effective_value(entered))
        result["formattedValue"] = formatted_value(entered, number_format, locale)
    if cell.get("userEnteredFormat"):
        # effectiveFormat is only reported where it differs from the spreadsheet default.
        result["effectiveFormat"] = _merge(default_format, cell["userEnteredFormat"])
    return result


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
