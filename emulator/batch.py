"""``spreadsheets.batchUpdate`` request kinds, applied to a working copy of a spreadsheet.

Each handler gets the request's inner object (e.g. the value of ``addSheet``) and either
returns the reply object or raises :class:`RequestError` with Google's wording; the caller
turns that into ``Invalid requests[i].kind: ...`` and discards the working copy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import fieldmask
from .a1 import Bounds, bounds_grid_range, format_range, grid_range_bounds
from .cells import has_value, move_dimension, update_cells, value_extent
from .discovery import Discovery
from .protection import check_unchanged, snapshot
from .store import Cell, Sheet, Spreadsheet, Store
from .values import formatted_value, render_value

Reply = dict[str, Any] | None
RequestHandler = Callable[["BatchContext", dict[str, Any]], Reply]
_HANDLERS: dict[str, RequestHandler] = {}
_ROW_PIXELS = 21


class RequestError(ValueError):
    """A request that is well-formed but cannot be applied (unknown sheet, bad index...)."""


class UnsupportedRequest(Exception):
    """A request kind or option the emulator does not model."""


def implemented_kinds() -> list[str]:
    return sorted(_HANDLERS)


def handles(kind: str) -> Callable[[RequestHandler], RequestHandler]:
    def register(function: RequestHandler) -> RequestHandler:
        _HANDLERS[kind] = function
        return function

    return register


@dataclass
class BatchContext:
    spreadsheet: Spreadsheet
    store: Store
    account: str
    discovery: Discovery

    def sheet(self, sheet_id: int | None) -> Sheet:
        sheet = self.spreadsheet.sheet_by_id(sheet_id or 0)
        if sheet is None:
            raise RequestError(f"No grid with id: {sheet_id or 0}")
        return sheet

    def grid_range(self, grid_range: dict[str, Any] | None) -> tuple[Sheet, Bounds]:
        """Sheet and clamped bounds of a GridRange, rejecting ranges outside the grid."""
        grid_range = grid_range or {}
        sheet = self.sheet(grid_range.get("sheetId"))
        bounds = grid_range_bounds(grid_range)
        check_bounds(sheet, bounds)
        return sheet, bounds.clamp(sheet.row_count, sheet.col_count)

    def check_mask(self, fields: str | None, schema: str) -> str:
        if not fields:
            raise RequestError("At least one field must be specified in 'fields'.")
        try:
            paths = fieldmask.leaf_paths(fields)
        except fieldmask.FieldMaskError:
            raise RequestError(f"Invalid field mask: '{fields}'") from None
        for path in paths:
            if path != ("*",) and not self.discovery.has_field_path("sheets", schema, path):
                raise RequestError(f"Invalid field mask: '{'.'.join(path)}' is not in {schema}")
        return fields

    def masked(self, target: dict, source: dict, fields: str | None, schema: str) -> dict:
        return fieldmask.apply_update(target, source, self.check_mask(fields, schema))

    def used_object_ids(self) -> set[int]:
        ids = {c.get("chartId") for s in self.spreadsheet.sheets for c in s.charts}
        ids |= {
            p.get("protectedRangeId") for s in self.spreadsheet.sheets for p in s.protected_ranges
        }
        ids |= {m.get("metadataId") for m in self.spreadsheet.developer_metadata}
        return {i for i in ids if i is not None}


def check_bounds(sheet: Sheet, bounds: Bounds) -> None:
    if min(bounds.start_row, bounds.start_col) < 0:
        raise RequestError("Range indexes must be non-negative.")
    for start, end, name in (
        (bounds.start_row, bounds.end_row, "Row"),
        (bounds.start_col, bounds.end_col, "Column"),
    ):
        if end is not None and end < start:
            raise RequestError(f"{name} start index must not be greater than its end index.")
    rows, cols = sheet.row_count, sheet.col_count
    if bounds.exceeds(rows, cols) and not _is_empty_edge(bounds, rows, cols):
        shown = Bounds(
            bounds.start_row,
            rows if bounds.end_row is None else bounds.end_row,
            bounds.start_col,
            cols if bounds.end_col is None else bounds.end_col,
        )
        raise RequestError(
            f"Range ({format_range(sheet.title, shown)}) exceeds grid limits. "
            f"Max rows: {rows}, max columns: {cols}"
        )


def _is_empty_edge(bounds: Bounds, rows: int, cols: int) -> bool:
    """An open range starting right at the grid's edge selects nothing but is legal."""
    return (bounds.end_row is None and bounds.start_row == rows) or (
        bounds.end_col is None and bounds.start_col == cols
    )


# Requests that edit cells in place; a protected range refuses them from non-editors.
CELL_EDITS = frozenset(
    {"updateCells", "repeatCell", "appendCells", "pasteData", "findReplace", "copyPaste",
     "cutPaste", "autoFill", "setDataValidation", "updateBorders", "randomizeRange"}
)  # fmt: skip


def apply_requests(context: BatchContext, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply requests in order; the first failure raises with its ``requests[i]`` label."""
    replies: list[dict[str, Any]] = []
    for index, request in enumerate(requests):
        kinds = [kind for kind, value in request.items() if value is not None]
        if len(kinds) != 1:
            raise RequestError(
                f"Invalid requests[{index}]: exactly one kind of request must be set, "
                f"found {len(kinds)}."
            )
        kind = kinds[0]
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise UnsupportedRequest(f"requests[{index}].{kind}")
        edits = kind in CELL_EDITS
        guarded = snapshot(context.store, context.spreadsheet, context.account) if edits else None
        try:
            reply = handler(context, request[kind])
            check_unchanged(guarded, context.spreadsheet, context.account)
        except RequestError as error:
            raise RequestError(f"Invalid requests[{index}].{kind}: {error}") from None
        except UnsupportedRequest as error:
            raise UnsupportedRequest(f"requests[{index}].{kind} ({error})") from None
        replies.append({kind: reply} if reply is not None else {})
    return replies


# ----------------------------------------------------------------------------- sheets


def check_title(spreadsheet: Spreadsheet, title: str | None, own: Sheet | None = None) -> None:
    if title is None or not title.strip():
        raise RequestError("Sheet name cannot be empty.")
    existing = spreadsheet.sheet_by_title(title)
    if existing is not None and existing is not own:
        raise RequestError(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )


@handles("addSheet")
def add_sheet(context: BatchContext, request: dict[str, Any]) -> Reply:
    spreadsheet = context.spreadsheet
    properties = copy.deepcopy(request.get("properties") or {})
    if "sheetId" in properties and spreadsheet.sheet_by_id(properties["sheetId"]):
        raise RequestError(f"Sheet with ID {properties['sheetId']} already exists.")
    if "title" in properties:
        check_title(spreadsheet, properties["title"])
    index = properties.pop("index", len(spreadsheet.sheets))
    sheet = context.store.new_sheet(spreadsheet, properties)
    spreadsheet.sheets.insert(max(0, min(index, len(spreadsheet.sheets))), sheet)
    spreadsheet.reindex()
    return {"properties": copy.deepcopy(sheet.properties)}


@handles("deleteSheet")
def delete_sheet(context: BatchContext, request: dict[str, Any]) -> Reply:
    spreadsheet = context.spreadsheet
    sheet = context.sheet(request.get("sheetId"))
    if len(spreadsheet.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.reindex()
    gone = sheet.sheet_id
    spreadsheet.named_ranges = [
        n for n in spreadsheet.named_ranges if n.get("range", {}).get("sheetId", 0) != gone
    ]
    spreadsheet.developer_metadata = [
        m for m in spreadsheet.developer_metadata if _metadata_sheet(m) != gone
    ]
    return None


@handles("duplicateSheet")
def duplicate_sheet(context: BatchContext, request: dict[str, Any]) -> Reply:
    spreadsheet = context.spreadsheet
    source = context.sheet(request.get("sourceSheetId"))
    new_id = request.get("newSheetId")
    if new_id is not None and spreadsheet.sheet_by_id(new_id):
        raise RequestError(f"Sheet with ID {new_id} already exists.")
    title = request.get("newSheetName") or _copy_title(spreadsheet, source.title)
    check_title(spreadsheet, title)
    copy_of = clone_sheet(context.store, spreadsheet, source, title, new_id)
    index = request.get("insertSheetIndex", len(spreadsheet.sheets))
    spreadsheet.sheets.insert(max(0, min(index, len(spreadsheet.sheets))), copy_of)
    spreadsheet.reindex()
    return {"properties": copy.deepcopy(copy_of.properties)}


def clone_sheet(
    store: Store, target: Spreadsheet, source: Sheet, title: str, new_id: int | None = None
) -> Sheet:
    """A copy of ``source`` for ``target`` with fresh ids everywhere ids must be unique."""
    copy_of = source.clone()
    if new_id is None:
        new_id = store.new_int_id({s.sheet_id for s in target.sheets})
    old_id = copy_of.sheet_id
    copy_of.properties.update({"sheetId": new_id, "title": title})
    for holder in (copy_of.merges, copy_of.conditional_formats, copy_of.charts):
        _retarget(holder, old_id, new_id)
    _retarget(copy_of.protected_ranges, old_id, new_id)
    used: set[int] = set()
    for protected in copy_of.protected_ranges:
        protected["protectedRangeId"] = store.new_int_id(used)
        used.add(protected["protectedRangeId"])
    for chart in copy_of.charts:
        chart["chartId"] = store.new_int_id(used)
        used.add(chart["chartId"])
    if copy_of.basic_filter is not None:
        _retarget(copy_of.basic_filter, old_id, new_id)
    return copy_of


def _retarget(value: Any, old_id: int, new_id: int) -> None:
    """Point every ``sheetId`` inside ``value`` that equals ``old_id`` at ``new_id``."""
    if isinstance(value, dict):
        if value.get("sheetId", None) == old_id:
            value["sheetId"] = new_id
        for child in value.values():
            _retarget(child, old_id, new_id)
    elif isinstance(value, list):
        for child in value:
            _retarget(child, old_id, new_id)


def _copy_title(spreadsheet: Spreadsheet, title: str) -> str:
    candidate, number = f"Copy of {title}", 2
    while spreadsheet.sheet_by_title(candidate) is not None:
        candidate, number = f"Copy of {title} {number}", number + 1
    return candidate


@handles("updateSheetProperties")
def update_sheet_properties(context: BatchContext, request: dict[str, Any]) -> Reply:
    spreadsheet = context.spreadsheet
    properties = request.get("properties") or {}
    sheet = context.sheet(properties.get("sheetId"))
    updated = context.masked(sheet.properties, properties, request.get("fields"), "SheetProperties")
    if updated.get("sheetId", 0) != sheet.sheet_id:
        raise RequestError("The sheetId of a sheet cannot be changed.")
    if updated.get("title") != sheet.title:
        check_title(spreadsheet, updated.get("title"), own=sheet)
    _check_grid_properties(sheet, updated.get("gridProperties") or {})
    old_index = sheet.properties.get("index", 0)
    new_index = updated.get("index", old_index)
    sheet.properties = updated
    sheet.resize(sheet.row_count, sheet.col_count)
    if new_index != old_index:
        _move_sheet(spreadsheet, sheet, new_index)
    return None


def _check_grid_properties(sheet: Sheet, grid: dict[str, Any]) -> None:
    rows = grid.get("rowCount", sheet.row_count)
    cols = grid.get("columnCount", sheet.col_count)
    if sheet.properties.get("sheetType", "GRID") == "GRID" and (rows < 1 or cols < 1):
        raise RequestError("You can't delete all the rows or columns on the sheet.")
    frozen_rows = grid.get("frozenRowCount", 0)
    frozen_cols = grid.get("frozenColumnCount", 0)
    if frozen_rows and frozen_rows >= rows:
        raise RequestError("You can't freeze all visible rows on the sheet.")
    if frozen_cols and frozen_cols >= cols:
        raise RequestError("You can't freeze all visible columns on the sheet.")
    for merge in sheet.merges:
        bounds = grid_range_bounds(merge)
        if frozen_rows and bounds.start_row < frozen_rows < (bounds.end_row or 0):
            raise RequestError("You can't freeze rows which contain only part of a merged cell.")
        if frozen_cols and bounds.start_col < frozen_cols < (bounds.end_col or 0):
            raise RequestError("You can't freeze columns which contain only part of a merged cell.")


def _move_sheet(spreadsheet: Spreadsheet, sheet: Sheet, new_index: int) -> None:
    old_index = spreadsheet.sheets.index(sheet)
    # Google reads the target index in "before the move" terms.
    if new_index > old_index:
        new_index -= 1
    spreadsheet.sheets.remove(sheet)
    spreadsheet.sheets.insert(max(0, min(new_index, len(spreadsheet.sheets))), sheet)
    spreadsheet.reindex()


@handles("updateSpreadsheetProperties")
def update_spreadsheet_properties(context: BatchContext, request: dict[str, Any]) -> Reply:
    spreadsheet = context.spreadsheet
    updated = context.masked(
        spreadsheet.properties,
        request.get("properties") or {},
        request.get("fields"),
        "SpreadsheetProperties",
    )
    if not (updated.get("title") or "").strip():
        raise RequestError("Spreadsheet title cannot be empty.")
    spreadsheet.properties = updated
    return None


# ------------------------------------------------------------------------------- cells


@handles("updateCells")
def update_cells_request(context: BatchContext, request: dict[str, Any]) -> Reply:
    fields = context.check_mask(request.get("fields"), "CellData")
    rows = [row.get("values") or [] for row in request.get("rows") or []]
    width = max((len(values) for values in rows), default=0)
    if request.get("start") is not None:
        start = request["start"]
        sheet = context.sheet(start.get("sheetId"))
        row0, col0 = start.get("rowIndex") or 0, start.get("columnIndex") or 0
        region = Bounds(row0, row0 + len(rows), col0, col0 + width)
        check_bounds(sheet, region)
        clear_rest = False
    elif request.get("range") is not None:
        sheet, region = context.grid_range(request["range"])
        clear_rest = True
    else:
        raise RequestError("Either 'start' or 'range' must be set.")
    for i, values in enumerate(rows):
        for j, cell in enumerate(values):
            row, col = region.start_row + i, region.start_col + j
            if region.contains(row, col):
                old = sheet.grid.get(row, col) or {}
                sheet.grid.put(row, col, fieldmask.apply_update(old, cell or {}, fields))
    if clear_rest:
        # Cells of the range not covered by ``rows`` get the masked fields cleared.
        def clear(old: dict) -> dict:
            return fieldmask.apply_update(old, {}, fields)

        for row in range(region.start_row, region.end_row or 0):
            for col in range(region.start_col, region.end_col or 0):
                i, j = row - region.start_row, col - region.start_col
                if i >= len(rows) or j >= len(rows[i]):
                    sheet.grid.put(row, col, clear(sheet.grid.get(row, col) or {}))
    return None


@handles("repeatCell")
def repeat_cell(context: BatchContext, request: dict[str, Any]) -> Reply:
    fields = context.check_mask(request.get("fields"), "CellData")
    sheet, bounds = context.grid_range(request.get("range"))
    cell = request.get("cell") or {}
    update_cells(sheet, bounds, lambda old: fieldmask.apply_update(old, cell, fields))
    return None


@handles("appendCells")
def append_cells(context: BatchContext, request: dict[str, Any]) -> Reply:
    fields = context.check_mask(request.get("fields"), "CellData")
    sheet = context.sheet(request.get("sheetId"))
    extent = value_extent(sheet, Bounds())
    row0 = extent[0] + 1 if extent else 0
    rows = [row.get("values") or [] for row in request.get("rows") or []]
    width = max((len(values) for values in rows), default=0)
    sheet.grow_to(row0 + len(rows), width)
    for i, values in enumerate(rows):
        for j, cell in enumerate(values):
            old = sheet.grid.get(row0 + i, j) or {}
            sheet.grid.put(row0 + i, j, fieldmask.apply_update(old, cell or {}, fields))
    return None


@handles("setDataValidation")
def set_data_validation(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, bounds = context.grid_range(request.get("range"))
    rule = request.get("rule")
    if rule is not None:
        _check_condition(rule.get("condition") or {}, "rule.condition")

    def apply(old: dict) -> dict:
        new = {k: v for k, v in old.items() if k != "dataValidation"}
        if rule is not None:
            new["dataValidation"] = copy.deepcopy(rule)
        return new

    update_cells(sheet, bounds, apply)
    return None


def _check_condition(condition: dict[str, Any], where: str) -> None:
    kind = condition.get("type")
    values = condition.get("values") or []
    if not kind:
        raise RequestError(f"{where}.type is required.")
    if kind == "CUSTOM_FORMULA":
        entered = values[0].get("userEnteredValue", "") if len(values) == 1 else ""
        if not entered.startswith("="):
            raise RequestError(f"Invalid {where}: CUSTOM_FORMULA needs one value starting '='.")
    if kind in ("ONE_OF_LIST", "ONE_OF_RANGE") and not values:
        raise RequestError(f"Invalid {where}: {kind} needs at least one value.")


@handles("updateBorders")
def update_borders(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, bounds = context.grid_range(request.get("range"))
    last_row, last_col = (bounds.end_row or 1) - 1, (bounds.end_col or 1) - 1
    for row in range(bounds.start_row, last_row + 1):
        for col in range(bounds.start_col, last_col + 1):
            sides = {
                "top": request.get("top" if row == bounds.start_row else "innerHorizontal"),
                "bottom": request.get("bottom" if row == last_row else "innerHorizontal"),
                "left": request.get("left" if col == bounds.start_col else "innerVertical"),
                "right": request.get("right" if col == last_col else "innerVertical"),
            }
            chosen = {side: border for side, border in sides.items() if border is not None}
            if chosen:
                old = sheet.grid.get(row, col) or {}
                cell_format = copy.deepcopy(old.get("userEnteredFormat") or {})
                cell_format.setdefault("borders", {}).update(copy.deepcopy(chosen))
                sheet.grid.put(row, col, {**old, "userEnteredFormat": cell_format})
    return None


@handles("mergeCells")
def merge_cells(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, bounds = context.grid_range(request.get("range"))
    merge_type = request.get("mergeType") or "MERGE_ALL"
    grid = sheet.grid_properties
    for frozen, start, end, what in (
        (grid.get("frozenRowCount", 0), bounds.start_row, bounds.end_row, "rows"),
        (grid.get("frozenColumnCount", 0), bounds.start_col, bounds.end_col, "columns"),
    ):
        if frozen and start < frozen < (end or 0):
            raise RequestError(f"You can't merge frozen and non-frozen {what}.")
    pieces = _merge_pieces(bounds, merge_type)
    kept = []
    for merge in sheet.merges:
        existing = grid_range_bounds(merge)
        if _inside(existing, bounds):
            continue  # Re-merging a larger area absorbs smaller merges.
        if _overlaps(existing, bounds):
            raise RequestError("You can't merge cells that partially overlap an existing merge.")
        kept.append(merge)
    for piece in pieces:
        kept.append(bounds_grid_range(sheet.sheet_id, piece))
        _keep_only_anchor_value(sheet, piece)
    sheet.merges = kept
    return None


def _merge_pieces(bounds: Bounds, merge_type: str) -> list[Bounds]:
    end_row, end_col = bounds.end_row or 0, bounds.end_col or 0
    if merge_type == "MERGE_ROWS":
        return [
            Bounds(r, r + 1, bounds.start_col, end_col) for r in range(bounds.start_row, end_row)
        ]
    if merge_type == "MERGE_COLUMNS":
        return [
            Bounds(bounds.start_row, end_row, c, c + 1) for c in range(bounds.start_col, end_col)
        ]
    return [bounds]


def _keep_only_anchor_value(sheet: Sheet, piece: Bounds) -> None:
    for (row, col), cell in list(sheet.grid.within(piece)):
        if (row, col) != (piece.start_row, piece.start_col) and has_value(cell):
            sheet.grid.put(row, col, {k: v for k, v in cell.items() if k != "userEnteredValue"})


def _inside(inner: Bounds, outer: Bounds) -> bool:
    return (
        outer.start_row <= inner.start_row
        and (inner.end_row or 0) <= (outer.end_row or 0)
        and outer.start_col <= inner.start_col
        and (inner.end_col or 0) <= (outer.end_col or 0)
    )


def _overlaps(a: Bounds, b: Bounds) -> bool:
    return (
        a.start_row < (b.end_row or 0)
        and b.start_row < (a.end_row or 0)
        and a.start_col < (b.end_col or 0)
        and b.start_col < (a.end_col or 0)
    )


@handles("unmergeCells")
def unmerge_cells(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, bounds = context.grid_range(request.get("range"))
    sheet.merges = [m for m in sheet.merges if not _overlaps(grid_range_bounds(m), bounds)]
    return None


# ------------------------------------------------------------------------ copy and paste

# What a paste carries over from each source cell; formulas are refused, their relative
# references would need shifting.
_PASTED_PARTS = {
    "PASTE_NORMAL": None,
    "PASTE_VALUES": ("userEnteredValue",),
    "PASTE_FORMAT": ("userEnteredFormat",),
}


def _source_cells(
    context: BatchContext, grid_range: dict[str, Any] | None, paste_type: str | None
) -> tuple[Sheet, Bounds, dict[tuple[int, int], Cell]]:
    """The source's cells keyed by offset from its top-left corner, cut to the paste type."""
    kind = paste_type or "PASTE_NORMAL"
    if kind not in _PASTED_PARTS:
        raise UnsupportedRequest(f"pasteType {kind}")
    sheet, bounds = context.grid_range(grid_range)
    parts = _PASTED_PARTS[kind]
    cells: dict[tuple[int, int], Cell] = {}
    for (row, col), cell in sheet.grid.within(bounds):
        if "formulaValue" in (cell.get("userEnteredValue") or {}):
            raise UnsupportedRequest("pasting formulas")
        kept = cell if parts is None else {k: v for k, v in cell.items() if k in parts}
        cells[(row - bounds.start_row, col - bounds.start_col)] = kept
    return sheet, bounds, cells


def _paste(
    target: Sheet, top: int, left: int, source: Bounds, cells: dict[tuple[int, int], Cell]
) -> None:
    for row in range(source.row_count):
        for col in range(source.col_count):
            target.grid.put(top + row, left + col, cells.get((row, col)))


@handles("copyPaste")
def copy_paste(context: BatchContext, request: dict[str, Any]) -> Reply:
    """Copy the source into the destination, repeated to fill a larger destination."""
    if (request.get("pasteOrientation") or "NORMAL") != "NORMAL":
        raise UnsupportedRequest("pasteOrientation TRANSPOSE")
    _, source, cells = _source_cells(context, request.get("source"), request.get("pasteType"))
    target, destination = context.grid_range(request.get("destination"))
    height, width = max(source.row_count, 1), max(source.col_count, 1)
    rows = max(destination.row_count // height, 1)
    cols = max(destination.col_count // width, 1)
    for row in range(rows):
        for col in range(cols):
            top, left = destination.start_row + row * height, destination.start_col + col * width
            _paste(target, top, left, source, cells)
    return None


@handles("cutPaste")
def cut_paste(context: BatchContext, request: dict[str, Any]) -> Reply:
    """Move the source to the destination coordinate, leaving the source empty."""
    sheet, source, cells = _source_cells(context, request.get("source"), request.get("pasteType"))
    for key, _ in list(sheet.grid.within(source)):
        sheet.grid.put(*key, None)
    where = request.get("destination") or {}
    target = context.sheet(where.get("sheetId"))
    _paste(target, where.get("rowIndex") or 0, where.get("columnIndex") or 0, source, cells)
    return None


@handles("sortRange")
def sort_range(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, bounds = context.grid_range(request.get("range"))
    specs = request.get("sortSpecs") or []
    locale = context.spreadsheet.locale
    rows = list(range(bounds.start_row, bounds.end_row or 0))
    columns = range(bounds.start_col, bounds.end_col or 0)
    snapshot = {r: [sheet.grid.get(r, c) for c in columns] for r in rows}
    ordered = list(rows)
    # Sort by the last key first so earlier specs take precedence (stable sort).
    for spec in reversed(specs):
        column = spec.get("dimensionIndex") or 0
        if not bounds.start_col <= column < (bounds.end_col or 0):
            raise RequestError(f"Sort column {column} is outside the range.")
        descending = spec.get("sortOrder") == "DESCENDING"

        def key(row: int, column: int = column) -> tuple:
            return _sort_key(sheet.grid.get(row, column), locale)

        filled = sorted([r for r in ordered if key(r)[0] == 0], key=key, reverse=descending)
        blanks = [r for r in ordered if key(r)[0] == 1]
        ordered = filled + blanks  # Blank cells always sort last.
    for target, source in zip(rows, ordered, strict=True):
        for offset, col in enumerate(columns):
            sheet.grid.put(target, col, snapshot[source][offset])
    return None


def _sort_key(cell: dict | None, locale: str) -> tuple:
    value = render_value(cell, "UNFORMATTED_VALUE", "SERIAL_NUMBER", locale)
    if value is None or value == "":
        return (1, 0, 0)
    if isinstance(value, bool):
        return (0, 2, value)
    if isinstance(value, int | float):
        return (0, 0, value)
    return (0, 1, str(value).casefold())


# -------------------------------------------------------------------------- dimensions


def _dimension_range(context: BatchContext, dimension_range: dict[str, Any] | None) -> tuple:
    """``(sheet, dimension, start, end)`` with the end defaulting to the grid edge."""
    if not dimension_range:
        raise UnsupportedRequest("only 'range'/'dimensions' DimensionRange targets")
    sheet = context.sheet(dimension_range.get("sheetId"))
    dimension = dimension_range.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise RequestError("dimension must be ROWS or COLUMNS.")
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    start = dimension_range.get("startIndex") or 0
    end = dimension_range.get("endIndex", limit)
    if start < 0 or end < start:
        raise RequestError(f"Invalid dimension range: startIndex {start}, endIndex {end}.")
    if end > limit:
        what = "rows" if dimension == "ROWS" else "columns"
        raise RequestError(f"Range exceeds grid limits. Max {what}: {limit}")
    return sheet, dimension, start, end


@handles("updateDimensionProperties")
def update_dimension_properties(context: BatchContext, request: dict[str, Any]) -> Reply:
    if request.get("dataSourceSheetRange") is not None:
        raise UnsupportedRequest("dataSourceSheetRange")
    fields = context.check_mask(request.get("fields"), "DimensionProperties")
    sheet, dimension, start, end = _dimension_range(context, request.get("range"))
    source = request.get("properties") or {}
    meta = sheet.row_meta if dimension == "ROWS" else sheet.col_meta
    for index in range(start, end):
        meta[index] = fieldmask.apply_update(meta.get(index, {}), source, fields)
    return None


@handles("autoResizeDimensions")
def auto_resize_dimensions(context: BatchContext, request: dict[str, Any]) -> Reply:
    if request.get("dataSourceSheetDimensions") is not None:
        raise UnsupportedRequest("dataSourceSheetDimensions")
    sheet, dimension, start, end = _dimension_range(context, request.get("dimensions"))
    locale = context.spreadsheet.locale
    longest: dict[int, int] = {}
    for (row, col), cell in sheet.grid.cells.items():
        index = row if dimension == "ROWS" else col
        if start <= index < end:
            text = formatted_value(cell.get("userEnteredValue"), None, locale) or ""
            size = text.count("\n") + 1 if dimension == "ROWS" else len(text)
            longest[index] = max(longest.get(index, 0), size)
    meta = sheet.row_meta if dimension == "ROWS" else sheet.col_meta
    for index, size in longest.items():
        # A rough text-width model: enough for tests to see that a resize happened.
        pixels = size * _ROW_PIXELS if dimension == "ROWS" else max(size * 7 + 10, 20)
        meta[index] = {**meta.get(index, {}), "pixelSize": pixels}
    return None


@handles("insertDimension")
def insert_dimension(context: BatchContext, request: dict[str, Any]) -> Reply:
    dimension_range = request.get("range") or {}
    sheet = context.sheet(dimension_range.get("sheetId"))
    dimension = dimension_range.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise RequestError("dimension must be ROWS or COLUMNS.")
    start = dimension_range.get("startIndex") or 0
    end = dimension_range.get("endIndex") or 0
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if end <= start or start > limit:
        raise RequestError(f"Invalid range: startIndex {start}, endIndex {end}.")
    if start == 0 and request.get("inheritFromBefore"):
        raise RequestError("Cannot inherit properties from before when inserting at index 0.")
    move_dimension(context.spreadsheet, sheet, dimension, start, end - start)
    return None


@handles("appendDimension")
def append_dimension(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet = context.sheet(request.get("sheetId"))
    length = request.get("length") or 0
    if length <= 0:
        raise RequestError("length must be positive.")
    if request.get("dimension") == "ROWS":
        sheet.grow_to(sheet.row_count + length, sheet.col_count)
    elif request.get("dimension") == "COLUMNS":
        sheet.grow_to(sheet.row_count, sheet.col_count + length)
    else:
        raise RequestError("dimension must be ROWS or COLUMNS.")
    return None


@handles("deleteDimension")
def delete_dimension(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, dimension, start, end = _dimension_range(context, request.get("range"))
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if end - start >= limit:
        what = "rows" if dimension == "ROWS" else "columns"
        raise RequestError(f"You can't delete all the {what} on the sheet.")
    if end > start:
        move_dimension(context.spreadsheet, sheet, dimension, start, start - end)
    return None


# ---------------------------------------------------------------- filters and formats


@handles("setBasicFilter")
def set_basic_filter(context: BatchContext, request: dict[str, Any]) -> Reply:
    basic_filter = copy.deepcopy(request.get("filter") or {})
    if basic_filter.get("tableId"):
        raise UnsupportedRequest("basic filters on tables")
    sheet, bounds = context.grid_range(basic_filter.get("range"))
    # Google stores the filter with explicit edges, so a later get shows the full range.
    basic_filter["range"] = bounds_grid_range(sheet.sheet_id, bounds)
    sheet.basic_filter = basic_filter
    return None


@handles("clearBasicFilter")
def clear_basic_filter(context: BatchContext, request: dict[str, Any]) -> Reply:
    context.sheet(request.get("sheetId")).basic_filter = None
    return None


def _checked_rule(context: BatchContext, rule: dict[str, Any]) -> tuple[Sheet, dict[str, Any]]:
    rule = copy.deepcopy(rule)
    ranges = rule.get("ranges") or []
    if not ranges:
        raise RequestError("A conditional format rule needs at least one range.")
    if {r.get("sheetId", 0) for r in ranges} != {ranges[0].get("sheetId", 0)}:
        raise RequestError("All ranges of a conditional format rule must be on one sheet.")
    if (rule.get("booleanRule") is None) == (rule.get("gradientRule") is None):
        raise RequestError("Exactly one of booleanRule or gradientRule must be set.")
    sheet = None
    for grid_range in ranges:
        sheet, _ = context.grid_range(grid_range)
    if rule.get("booleanRule") is not None:
        _check_condition(rule["booleanRule"].get("condition") or {}, "booleanRule.condition")
    assert sheet is not None
    return sheet, rule


@handles("addConditionalFormatRule")
def add_conditional_format_rule(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, rule = _checked_rule(context, request.get("rule") or {})
    index = request.get("index") or 0
    if not 0 <= index <= len(sheet.conditional_formats):
        raise RequestError(
            f"Invalid index {index}: the sheet has {len(sheet.conditional_formats)} rules."
        )
    sheet.conditional_formats.insert(index, rule)
    return None


def _rule_at(context: BatchContext, request: dict[str, Any]) -> tuple[Sheet, int]:
    sheet = context.sheet(request.get("sheetId"))
    index = request.get("index") or 0
    if not 0 <= index < len(sheet.conditional_formats):
        raise RequestError(f"No conditional format on sheet {sheet.sheet_id} at index {index}")
    return sheet, index


@handles("updateConditionalFormatRule")
def update_conditional_format_rule(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, index = _rule_at(context, request)
    old = sheet.conditional_formats[index]
    if request.get("rule") is not None:
        _, new = _checked_rule(context, request["rule"])
        sheet.conditional_formats[index] = new
        return {"newRule": new, "newIndex": index, "oldRule": old, "oldIndex": index}
    new_index = request.get("newIndex")
    if new_index is None or not 0 <= new_index < len(sheet.conditional_formats):
        raise RequestError("Either a valid 'rule' or 'newIndex' must be set.")
    sheet.conditional_formats.insert(new_index, sheet.conditional_formats.pop(index))
    return {"newRule": old, "newIndex": new_index, "oldRule": old, "oldIndex": index}


@handles("deleteConditionalFormatRule")
def delete_conditional_format_rule(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, index = _rule_at(context, request)
    return {"rule": sheet.conditional_formats.pop(index)}


# ----------------------------------------------------------------------------- charts


@handles("addChart")
def add_chart(context: BatchContext, request: dict[str, Any]) -> Reply:
    chart = copy.deepcopy(request.get("chart") or {})
    if chart.get("chartId") is not None and chart["chartId"] in context.used_object_ids():
        raise RequestError(f"An object with id {chart['chartId']} already exists.")
    chart.setdefault("chartId", context.store.new_int_id(context.used_object_ids()))
    position = chart.setdefault("position", {"newSheet": True})
    if position.get("newSheet"):
        host = context.store.new_sheet(
            context.spreadsheet, {"title": _chart_sheet_title(context), "sheetType": "OBJECT"}
        )
        context.spreadsheet.sheets.append(host)
        context.spreadsheet.reindex()
        chart["position"] = {"sheetId": host.sheet_id}
    else:
        anchor = (position.get("overlayPosition") or {}).get("anchorCell") or {}
        host = context.sheet(position.get("sheetId", anchor.get("sheetId")))
    host.charts.append(chart)
    return {"chart": copy.deepcopy(chart)}


def _chart_sheet_title(context: BatchContext) -> str:
    number = 1
    while context.spreadsheet.sheet_by_title(f"Chart{number}") is not None:
        number += 1
    return f"Chart{number}"


def _find_chart(context: BatchContext, chart_id: int | None) -> tuple[Sheet, dict[str, Any]]:
    for sheet in context.spreadsheet.sheets:
        for chart in sheet.charts:
            if chart.get("chartId") == chart_id:
                return sheet, chart
    raise RequestError(f"No chart with id: {chart_id}")


@handles("updateChartSpec")
def update_chart_spec(context: BatchContext, request: dict[str, Any]) -> Reply:
    _, chart = _find_chart(context, request.get("chartId"))
    chart["spec"] = copy.deepcopy(request.get("spec") or {})
    return None


@handles("deleteEmbeddedObject")
def delete_embedded_object(context: BatchContext, request: dict[str, Any]) -> Reply:
    object_id = request.get("objectId")
    try:
        sheet, chart = _find_chart(context, object_id)
    except RequestError:
        raise RequestError(f"No object with id: {object_id}") from None
    sheet.charts.remove(chart)
    return None


# ---------------------------------------------------------------------- protection


@handles("addProtectedRange")
def add_protected_range(context: BatchContext, request: dict[str, Any]) -> Reply:
    protected = copy.deepcopy(request.get("protectedRange") or {})
    sheet = _protected_sheet(context, protected)
    wanted = protected.get("protectedRangeId")
    if wanted is not None and wanted in context.used_object_ids():
        raise RequestError(f"A protected range with id {wanted} already exists.")
    if protected.get("warningOnly") and protected.get("editors"):
        raise RequestError("A warning-only protected range cannot have editors.")
    if wanted is None:
        protected["protectedRangeId"] = context.store.new_int_id(context.used_object_ids())
    # Output only: the requester is always left able to edit what it protects.
    protected["requestingUserCanEdit"] = True
    protected.setdefault("editors", {})
    reply = copy.deepcopy(protected)
    # The reply echoes the editors asked for; the stored range also lists the requester and
    # the spreadsheet's owner, who is always an editor (as spreadsheets.get then shows).
    users = protected["editors"].setdefault("users", [])
    for editor in (context.account, _owner(context)):
        if editor is not None and editor not in users:
            users.append(editor)
    sheet.protected_ranges.append(protected)
    return {"protectedRange": reply}


def _owner(context: BatchContext) -> str | None:
    file = context.store.files.get(context.spreadsheet.spreadsheet_id)
    return file.owner if file is not None and file.drive_id is None else None


def _protected_sheet(context: BatchContext, protected: dict[str, Any]) -> Sheet:
    if protected.get("namedRangeId"):
        if protected.get("range"):
            raise RequestError("Only one of range or namedRangeId may be set.")
        named = _named_range(context, protected["namedRangeId"])
        return context.sheet(named.get("range", {}).get("sheetId"))
    sheet, _ = context.grid_range(protected.get("range"))
    for unprotected in protected.get("unprotectedRanges") or []:
        context.grid_range(unprotected)
    return sheet


def _find_protected(context: BatchContext, range_id: int | None) -> tuple[Sheet, dict]:
    for sheet in context.spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected.get("protectedRangeId") == range_id:
                return sheet, protected
    raise RequestError(f"No protected range with id: {range_id}")


@handles("updateProtectedRange")
def update_protected_range(context: BatchContext, request: dict[str, Any]) -> Reply:
    source = request.get("protectedRange") or {}
    sheet, protected = _find_protected(context, source.get("protectedRangeId"))
    updated = context.masked(protected, source, request.get("fields"), "ProtectedRange")
    updated["protectedRangeId"] = protected["protectedRangeId"]
    if updated.get("warningOnly") and updated.get("editors"):
        raise RequestError("A warning-only protected range cannot have editors.")
    new_sheet = _protected_sheet(context, updated)
    sheet.protected_ranges.remove(protected)
    new_sheet.protected_ranges.append(updated)
    return None


@handles("deleteProtectedRange")
def delete_protected_range(context: BatchContext, request: dict[str, Any]) -> Reply:
    sheet, protected = _find_protected(context, request.get("protectedRangeId"))
    sheet.protected_ranges.remove(protected)
    return None


# ----------------------------------------------------------------------- named ranges


def _named_range(context: BatchContext, named_range_id: str) -> dict[str, Any]:
    for named in context.spreadsheet.named_ranges:
        if named.get("namedRangeId") == named_range_id:
            return named
    raise RequestError(f"No named range with id: {named_range_id}")


def _check_named(context: BatchContext, named: dict[str, Any], own: dict | None) -> None:
    name = named.get("name") or ""
    if not name or " " in name or name[0].isdigit():
        raise RequestError(f"Invalid named range name: '{name}'")
    for other in context.spreadsheet.named_ranges:
        if other is not own and other.get("name", "").casefold() == name.casefold():
            raise RequestError(f"A named range with the name '{name}' already exists.")
    context.grid_range(named.get("range"))


@handles("addNamedRange")
def add_named_range(context: BatchContext, request: dict[str, Any]) -> Reply:
    named = copy.deepcopy(request.get("namedRange") or {})
    _check_named(context, named, None)
    named.setdefault("namedRangeId", context.store.new_id(12))
    context.spreadsheet.named_ranges.append(named)
    return {"namedRange": copy.deepcopy(named)}


@handles("updateNamedRange")
def update_named_range(context: BatchContext, request: dict[str, Any]) -> Reply:
    source = request.get("namedRange") or {}
    named = _named_range(context, source.get("namedRangeId") or "")
    updated = context.masked(named, source, request.get("fields"), "NamedRange")
    _check_named(context, updated, named)
    named.clear()
    named.update(updated)
    return None


@handles("deleteNamedRange")
def delete_named_range(context: BatchContext, request: dict[str, Any]) -> Reply:
    named = _named_range(context, request.get("namedRangeId") or "")
    context.spreadsheet.named_ranges.remove(named)
    return None


# ----------------------------------------------------------------- developer metadata


def _metadata_sheet(metadata: dict[str, Any]) -> int | None:
    location = metadata.get("location", {})
    if "sheetId" in location:
        return location["sheetId"]
    if "dimensionRange" in location:
        return location["dimensionRange"].get("sheetId", 0)
    return None


def _normalised_location(context: BatchContext, location: dict[str, Any]) -> dict[str, Any]:
    chosen = [key for key in ("spreadsheet", "sheetId", "dimensionRange") if key in location]
    if len(chosen) != 1:
        raise RequestError("Exactly one of spreadsheet, sheetId or dimensionRange must be set.")
    if "spreadsheet" in location:
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if "sheetId" in location:
        context.sheet(location["sheetId"])
        return {"locationType": "SHEET", "sheetId": location["sheetId"]}
    sheet, dimension, start, end = _dimension_range(context, location["dimensionRange"])
    kind = "ROW" if dimension == "ROWS" else "COLUMN"
    span = {"sheetId": sheet.sheet_id, "dimension": dimension, "startIndex": start, "endIndex": end}
    return {"locationType": kind, "dimensionRange": span}


@handles("createDeveloperMetadata")
def create_developer_metadata(context: BatchContext, request: dict[str, Any]) -> Reply:
    metadata = copy.deepcopy(request.get("developerMetadata") or {})
    if metadata.get("visibility") in (None, "DEVELOPER_METADATA_VISIBILITY_UNSPECIFIED"):
        raise RequestError("Developer metadata visibility must be specified.")
    if not metadata.get("metadataKey"):
        raise RequestError("Developer metadata key must be specified.")
    metadata["location"] = _normalised_location(context, metadata.get("location") or {})
    wanted = metadata.get("metadataId")
    if wanted is not None and wanted in context.used_object_ids():
        raise RequestError(f"Developer metadata with id {wanted} already exists.")
    if wanted is None:
        metadata["metadataId"] = context.store.new_int_id(context.used_object_ids())
    context.spreadsheet.developer_metadata.append(metadata)
    return {"developerMetadata": copy.deepcopy(metadata)}


@handles("updateDeveloperMetadata")
def update_developer_metadata(context: BatchContext, request: dict[str, Any]) -> Reply:
    fields = context.check_mask(request.get("fields"), "DeveloperMetadata")
    source = copy.deepcopy(request.get("developerMetadata") or {})
    if "location" in source:
        source["location"] = _normalised_location(context, source["location"])
    matched = matching_metadata(context.spreadsheet, request.get("dataFilters") or [])
    updated = []
    for metadata in matched:
        new = fieldmask.apply_update(metadata, source, fields)
        new["metadataId"] = metadata["metadataId"]
        metadata.clear()
        metadata.update(new)
        updated.append(copy.deepcopy(new))
    return {"developerMetadata": updated}


@handles("deleteDeveloperMetadata")
def delete_developer_metadata(context: BatchContext, request: dict[str, Any]) -> Reply:
    data_filter = request.get("dataFilter") or {}
    matched = matching_metadata(context.spreadsheet, [data_filter])
    ids = {id(m) for m in matched}
    spreadsheet = context.spreadsheet
    spreadsheet.developer_metadata = [m for m in spreadsheet.developer_metadata if id(m) not in ids]
    return {"deletedDeveloperMetadata": copy.deepcopy(matched)}


def matching_metadata(
    spreadsheet: Spreadsheet, data_filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Metadata matched by any of the filters (developerMetadataLookup filters only)."""
    matched = []
    for metadata in spreadsheet.developer_metadata:
        if any(metadata_matches(metadata, f) for f in data_filters):
            matched.append(metadata)
    return matched


def metadata_matches(metadata: dict[str, Any], data_filter: dict[str, Any]) -> bool:
    lookup = data_filter.get("developerMetadataLookup")
    if lookup is None:
        raise UnsupportedRequest("data filters other than developerMetadataLookup")
    if not lookup:
        raise RequestError("A developerMetadataLookup must set at least one criterion.")
    location = metadata.get("location", {})
    simple = {
        "metadataId": metadata.get("metadataId"),
        "metadataKey": metadata.get("metadataKey"),
        "metadataValue": metadata.get("metadataValue"),
        "visibility": metadata.get("visibility"),
        "locationType": location.get("locationType"),
    }
    for key, actual in simple.items():
        if key in lookup and lookup[key] != actual:
            return False
    wanted = lookup.get("metadataLocation")
    if wanted is None:
        return True
    strategy = lookup.get("locationMatchingStrategy") or "EXACT_LOCATION"
    return _location_matches(location, wanted, strategy == "INTERSECTING_LOCATION")


def _location_matches(actual: dict, wanted: dict, intersecting: bool) -> bool:
    if wanted.get("spreadsheet"):
        return intersecting or actual.get("locationType") == "SPREADSHEET"
    if "sheetId" in wanted:
        if actual.get("locationType") == "SHEET":
            return actual.get("sheetId") == wanted["sheetId"]
        span = actual.get("dimensionRange")
        return intersecting and bool(span) and span.get("sheetId", 0) == wanted["sheetId"]
    wanted_span = wanted.get("dimensionRange") or {}
    span = actual.get("dimensionRange")
    if not span or span.get("sheetId", 0) != wanted_span.get("sheetId", 0):
        return False
    if span.get("dimension") != wanted_span.get("dimension"):
        return False
    a = (span.get("startIndex") or 0, span.get("endIndex") or 0)
    b = (wanted_span.get("startIndex") or 0, wanted_span.get("endIndex") or 0)
    return a[0] < b[1] and b[0] < a[1] if intersecting else a == b
