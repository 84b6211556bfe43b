"""Sheets v4 methods: spreadsheets, spreadsheets.values, developerMetadata, sheets.copyTo."""

from __future__ import annotations

import json
from typing import Any

from . import fieldmask
from .a1 import Bounds, RangeParseError, column_letters, format_range
from .access import SERVICE_ACCOUNT_QUOTA_MESSAGE, WRITER, at_least, is_service_account, role_of
from .batch import (
    BatchContext,
    RequestError,
    UnsupportedRequest,
    apply_requests,
    clone_sheet,
    matching_metadata,
)
from .cells import (
    clear_values,
    has_value,
    move_dimension,
    read_matrix,
    transpose,
    write_matrix,
)
from .context import Call, Handler
from .errors import invalid_argument, not_found, permission_denied, unimplemented
from .protection import ProtectedCellError, check_unchanged, protected_error, snapshot
from .render import spreadsheet_json
from .store import Sheet, Spreadsheet, Store
from .values import ValueInputError

_INPUT_OPTIONS = ("RAW", "USER_ENTERED")
CELL_LIMIT = 10_000_000  # cells in a workbook, all sheets together


# ------------------------------------------------------------------------------- helpers


def open_spreadsheet(
    call: Call, spreadsheet_id: str | None = None, *, write: bool | None = None
) -> Spreadsheet:
    """The spreadsheet, if the caller may read it (and edit it, for a write).

    Sheets answers 404 only for ids that do not exist; a spreadsheet that is not shared with
    the caller, or shared read-only for a write, is a 403.
    """
    spreadsheet_id = spreadsheet_id or call.path["spreadsheetId"]
    spreadsheet = call.store.spreadsheets.get(spreadsheet_id)
    file = call.store.files.get(spreadsheet_id)
    role = "owner" if file is None else role_of(call.store, file, call.account)
    if call.store.is_denied(spreadsheet_id, call.account) or (spreadsheet and role is None):
        raise permission_denied()
    if spreadsheet is None:
        raise not_found()
    if (call.write if write is None else write) and not at_least(role, WRITER):
        raise permission_denied()
    return spreadsheet


def commit_checked(
    call: Call, original: Spreadsheet, work: Spreadsheet, *, cells_checked: bool = False
) -> None:
    """Store a modified copy unless Google would refuse it: a protected cell changed by a
    non-editor (batchUpdate checks that per request: ``cells_checked``), or the workbook
    grown past its cell limit."""
    if not cells_checked:
        try:
            check_unchanged(snapshot(call.store, original, call.account), work, call.account)
        except ProtectedCellError:
            raise protected_error() from None
    check_cell_limit(call.store, work)
    call.store.commit(work)


def check_cell_limit(store: Store, spreadsheet: Spreadsheet) -> None:
    cells = sum(sheet.row_count * sheet.col_count for sheet in spreadsheet.sheets)
    if store.strict and cells > CELL_LIMIT:
        raise invalid_argument(
            "This action would increase the number of cells in the workbook above the limit "
            f"of {CELL_LIMIT} cells."
        )


def resolve_range(spreadsheet: Spreadsheet, text: str) -> tuple[Sheet, Bounds]:
    """Resolve an A1 range and reject explicit edges beyond the grid, as Google does."""
    try:
        sheet, bounds = spreadsheet.resolve(text)
    except RangeParseError:
        raise invalid_argument(f"Unable to parse range: {text}") from None
    if bounds.exceeds(sheet.row_count, sheet.col_count):
        raise invalid_argument(
            f"Range ({text}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    return sheet, bounds


def _input_option(value: str | None) -> str:
    if value not in _INPUT_OPTIONS:
        raise invalid_argument(
            f"Invalid valueInputOption: {value or 'INPUT_VALUE_OPTION_UNSPECIFIED'}"
        )
    return value


def _rows_of(value_range: dict[str, Any]) -> list[list[Any]]:
    """The ``values`` of a ValueRange as rows, checking each value's type."""
    matrix = value_range.get("values") or []
    for i, row in enumerate(matrix):
        for j, raw in enumerate(row or []):
            if raw is not None and not isinstance(raw, bool | int | float | str):
                shown = json.dumps(raw, ensure_ascii=False)
                raise invalid_argument(f"Invalid values[{i}][{j}]: {shown}")
    if value_range.get("majorDimension") == "COLUMNS":
        width = max((len(column or []) for column in matrix), default=0)
        return [
            [(column or [])[i] if i < len(column or []) else None for column in matrix]
            for i in range(width)
        ]
    return [list(row or []) for row in matrix]


def value_range_json(spreadsheet: Spreadsheet, text: str, options: dict[str, Any]) -> dict:
    sheet, bounds = resolve_range(spreadsheet, text)
    clamped = bounds.clamp(sheet.row_count, sheet.col_count)
    matrix = read_matrix(
        sheet,
        clamped,
        options.get("valueRenderOption") or "FORMATTED_VALUE",
        options.get("dateTimeRenderOption") or "SERIAL_NUMBER",
        spreadsheet.locale,
    )
    major = options.get("majorDimension") or "ROWS"
    if major == "DIMENSION_UNSPECIFIED":
        major = "ROWS"
    if major == "COLUMNS":
        matrix = transpose(matrix)
    result: dict[str, Any] = {"range": format_range(sheet.title, clamped), "majorDimension": major}
    if matrix:
        result["values"] = matrix
    return result


def write_value_range(
    spreadsheet: Spreadsheet, text: str, value_range: dict[str, Any], option: str
) -> dict[str, Any]:
    """Write one ValueRange; returns UpdateValuesResponse."""
    sheet, bounds = resolve_range(spreadsheet, text)
    return write_values(spreadsheet, sheet, bounds, value_range, option, label=text)


def write_values(
    spreadsheet: Spreadsheet,
    sheet: Sheet,
    bounds: Bounds,
    value_range: dict[str, Any],
    option: str,
    *,
    label: str,
) -> dict[str, Any]:
    """Write values into ``bounds``; data running past an anchor cell grows the grid.

    ``label`` is the range as the caller wrote it, for error messages.
    """
    matrix = _rows_of(value_range)
    height = len(matrix)
    width = max((len(row) for row in matrix), default=0)
    if not bounds.single_cell:
        if bounds.end_row is not None and height > bounds.row_count:
            raise invalid_argument(
                f"Requested writing within range [{label}], but tried writing to row "
                f"[{bounds.start_row + height}]"
            )
        if bounds.end_col is not None and width > bounds.col_count:
            raise invalid_argument(
                f"Requested writing within range [{label}], but tried writing to column "
                f"[{column_letters(bounds.start_col + width - 1)}]"
            )
    sheet.grow_to(bounds.start_row + height, bounds.start_col + width)
    try:
        stats = write_matrix(
            sheet, bounds.start_row, bounds.start_col, matrix, option, spreadsheet.locale
        )
    except ValueInputError as error:
        raise invalid_argument(f"Invalid value type in values: {error}") from None
    written = Bounds(
        bounds.start_row,
        bounds.start_row + max(height, 1),
        bounds.start_col,
        bounds.start_col + max(width, 1),
    )
    response: dict[str, Any] = {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "updatedRange": format_range(sheet.title, written),
    }
    if stats.cells:
        response.update(
            updatedRows=stats.rows, updatedColumns=stats.columns, updatedCells=stats.cells
        )
    return response


def _with_values(
    spreadsheet: Spreadsheet, response: dict, options: dict[str, Any], wanted: bool
) -> dict:
    """Add ``updatedData`` when ``includeValuesInResponse`` asked for it."""
    if wanted:
        response["updatedData"] = value_range_json(
            spreadsheet,
            response["updatedRange"],
            {
                "valueRenderOption": options.get("responseValueRenderOption"),
                "dateTimeRenderOption": options.get("responseDateTimeRenderOption"),
            },
        )
    return response


# ----------------------------------------------------------------------- spreadsheets


def spreadsheets_get(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    include_grid = bool(call.query.get("includeGridData"))
    fields = call.query.get("fields")
    if fields:
        # Google ignores includeGridData when a field mask is given; the mask decides.
        include_grid = fieldmask.selects(fields, ("sheets", "data"))
    ranges = [resolve_range(spreadsheet, text) for text in call.query.get("ranges") or []]
    return spreadsheet_json(spreadsheet, include_grid=include_grid, ranges=ranges)


def spreadsheets_create(call: Call) -> dict[str, Any]:
    """Creates in the caller's My Drive, which a service account has no storage quota for."""
    if call.store.strict and is_service_account(call.account):
        raise permission_denied(SERVICE_ACCOUNT_QUOTA_MESSAGE)
    body = call.body or {}
    properties = body.get("properties") or {}
    store = call.store
    sheets = [sheet.get("properties") or {} for sheet in body.get("sheets") or []]
    spreadsheet = store.new_spreadsheet(
        properties.get("title") or "Untitled spreadsheet",
        locale=properties.get("locale"),
        time_zone=properties.get("timeZone"),
        sheets=sheets or None,
    )
    for sheet, source in zip(spreadsheet.sheets, body.get("sheets") or [], strict=False):
        for data in source.get("data") or []:
            _write_grid_data(sheet, data)
    check_cell_limit(store, spreadsheet)
    store.add_spreadsheet(spreadsheet, owner=call.account)
    return spreadsheet_json(spreadsheet)


def _write_grid_data(sheet: Sheet, data: dict[str, Any]) -> None:
    row0, col0 = data.get("startRow") or 0, data.get("startColumn") or 0
    for i, row in enumerate(data.get("rowData") or []):
        for j, cell in enumerate(row.get("values") or []):
            if cell:
                sheet.grid.put(row0 + i, col0 + j, dict(cell))


def spreadsheets_batch_update(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    body = call.body or {}
    requests = body.get("requests") or []
    if not requests:
        raise invalid_argument("Must specify at least one request.")
    work = spreadsheet.clone()
    context = BatchContext(work, call.store, call.account, call.discovery)
    try:
        replies = apply_requests(context, requests)
    except RequestError as error:
        raise invalid_argument(str(error)) from None
    except ProtectedCellError:
        raise protected_error() from None
    except UnsupportedRequest as error:
        raise unimplemented(str(error)) from None
    commit_checked(call, spreadsheet, work, cells_checked=True)
    response: dict[str, Any] = {"spreadsheetId": work.spreadsheet_id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        ranges = [resolve_range(work, text) for text in body.get("responseRanges") or []]
        response["updatedSpreadsheet"] = spreadsheet_json(
            work, include_grid=bool(body.get("responseIncludeGridData")), ranges=ranges
        )
    return response


# ----------------------------------------------------------------------------- values


def values_get(call: Call) -> dict[str, Any]:
    return value_range_json(open_spreadsheet(call), call.path["range"], call.query)


def values_batch_get(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    response: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    ranges = call.query.get("ranges") or []
    if ranges:
        response["valueRanges"] = [value_range_json(spreadsheet, r, call.query) for r in ranges]
    return response


def values_update(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    option = _input_option(call.query.get("valueInputOption"))
    body = call.body or {}
    text = call.path["range"]
    if body.get("range") and _canonical(spreadsheet, body["range"]) != _canonical(
        spreadsheet, text
    ):
        raise invalid_argument(
            f"Requested range [{text}] and the range in the request body [{body['range']}] "
            "must be the same."
        )
    work = spreadsheet.clone()
    response = write_value_range(work, text, body, option)
    commit_checked(call, spreadsheet, work)
    return _with_values(work, response, call.query, bool(call.query.get("includeValuesInResponse")))


def _canonical(spreadsheet: Spreadsheet, text: str) -> tuple[int, Bounds]:
    sheet, bounds = resolve_range(spreadsheet, text)
    return sheet.sheet_id, bounds


def values_batch_update(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    body = call.body or {}
    option = _input_option(body.get("valueInputOption"))
    work = spreadsheet.clone()
    responses = []
    for index, value_range in enumerate(body.get("data") or []):
        if not value_range.get("range"):
            raise invalid_argument(f"Invalid data[{index}]: range is required.")
        response = write_value_range(work, value_range["range"], value_range, option)
        responses.append(
            _with_values(work, response, body, bool(body.get("includeValuesInResponse")))
        )
    commit_checked(call, spreadsheet, work)
    written = [r for r in responses if r.get("updatedCells")]
    result: dict[str, Any] = {"spreadsheetId": work.spreadsheet_id}
    if written:
        result.update(
            totalUpdatedRows=sum(r["updatedRows"] for r in written),
            totalUpdatedColumns=sum(r["updatedColumns"] for r in written),
            totalUpdatedCells=sum(r["updatedCells"] for r in written),
            totalUpdatedSheets=len({r["updatedRange"].rpartition("!")[0] for r in written}),
        )
    if responses:
        result["responses"] = responses
    return result


def values_append(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    option = _input_option(call.query.get("valueInputOption"))
    work = spreadsheet.clone()
    sheet, bounds = resolve_range(work, call.path["range"])
    start_row, table = _append_position(sheet, bounds)
    matrix = _rows_of(call.body or {})
    if call.query.get("insertDataOption") == "INSERT_ROWS" and start_row < sheet.row_count:
        move_dimension(work, sheet, "ROWS", start_row, len(matrix))
    # Google appends "starting with the first column of the table".
    column = table.start_col if table is not None else bounds.start_col
    anchor = Bounds(start_row, start_row + 1, column, column + 1, single_cell=True)
    updates = write_values(work, sheet, anchor, call.body or {}, option, label=call.path["range"])
    commit_checked(call, spreadsheet, work)
    response: dict[str, Any] = {"spreadsheetId": work.spreadsheet_id}
    if table is not None:
        response["tableRange"] = format_range(sheet.title, table)
    wanted = bool(call.query.get("includeValuesInResponse"))
    response["updates"] = _with_values(work, updates, call.query, wanted)
    return response


def _append_position(sheet: Sheet, bounds: Bounds) -> tuple[int, Bounds | None]:
    """Row to append at, and the existing table found, following Google's table search.

    The first run of consecutive non-empty rows in the range is the table; values go to the
    row after it, so a blank row inside the data is filled first. A one-cell range is an
    anchor: its columns extend right, and an empty anchor cell is written in place (which is
    what gspread's insert_rows and insert_cols rely on).
    """
    search = Bounds(
        bounds.start_row, None, bounds.start_col, None if bounds.single_cell else bounds.end_col
    )
    columns_by_row: dict[int, list[int]] = {}
    for (row, col), cell in sheet.grid.within(search):
        if has_value(cell):
            columns_by_row.setdefault(row, []).append(col)
    if not columns_by_row:
        return bounds.start_row, None
    first = min(columns_by_row)
    if bounds.single_cell and bounds.start_col not in columns_by_row.get(bounds.start_row, ()):
        # An empty anchor cell is written in place, even beside data (gspread's insert_cols).
        return bounds.start_row, None
    last = first
    while last + 1 in columns_by_row:
        last += 1
    columns = [c for r in range(first, last + 1) for c in columns_by_row[r]]
    return last + 1, Bounds(first, last + 1, min(columns), max(columns) + 1)


def values_clear(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    work = spreadsheet.clone()
    cleared = _clear(work, call.path["range"])
    commit_checked(call, spreadsheet, work)
    return {"spreadsheetId": work.spreadsheet_id, "clearedRange": cleared}


def values_batch_clear(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    work = spreadsheet.clone()
    cleared = [_clear(work, text) for text in (call.body or {}).get("ranges") or []]
    commit_checked(call, spreadsheet, work)
    response: dict[str, Any] = {"spreadsheetId": work.spreadsheet_id}
    if cleared:
        response["clearedRanges"] = cleared
    return response


def _clear(spreadsheet: Spreadsheet, text: str) -> str:
    sheet, bounds = resolve_range(spreadsheet, text)
    clamped = bounds.clamp(sheet.row_count, sheet.col_count)
    clear_values(sheet, clamped)
    return format_range(sheet.title, clamped)


# --------------------------------------------------------------- metadata and copyTo


def developer_metadata_search(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    matches = []
    for data_filter in (call.body or {}).get("dataFilters") or []:
        try:
            found = matching_metadata(spreadsheet, [data_filter])
        except RequestError as error:
            raise invalid_argument(str(error)) from None
        except UnsupportedRequest as error:
            raise unimplemented(str(error)) from None
        matches.extend({"developerMetadata": m, "dataFilters": [data_filter]} for m in found)
    return {"matchedDeveloperMetadata": matches} if matches else {}


def developer_metadata_get(call: Call) -> dict[str, Any]:
    spreadsheet = open_spreadsheet(call)
    wanted = int(call.path["metadataId"])
    for metadata in spreadsheet.developer_metadata:
        if metadata.get("metadataId") == wanted:
            return metadata
    raise not_found(f"No developer metadata with ID: {wanted}")


def sheets_copy_to(call: Call) -> dict[str, Any]:
    source = open_spreadsheet(call, write=False)  # reading the source is enough
    sheet = source.sheet_by_id(int(call.path["sheetId"]))
    if sheet is None:
        raise not_found(f"No grid with id: {call.path['sheetId']}")
    target_id = (call.body or {}).get("destinationSpreadsheetId") or ""
    target = open_spreadsheet(call, target_id).clone()
    title = f"Copy of {sheet.title}"
    number = 2
    while target.sheet_by_title(title) is not None:
        title, number = f"Copy of {sheet.title} {number}", number + 1
    copy_of = clone_sheet(call.store, target, sheet, title)
    copy_of.protected_ranges = []  # Protection does not travel with a copied sheet.
    target.sheets.append(copy_of)
    target.reindex()
    call.store.commit(target)
    return dict(copy_of.properties)


HANDLERS: dict[str, Handler] = {
    "sheets.spreadsheets.get": spreadsheets_get,
    "sheets.spreadsheets.create": spreadsheets_create,
    "sheets.spreadsheets.batchUpdate": spreadsheets_batch_update,
    "sheets.spreadsheets.values.get": values_get,
    "sheets.spreadsheets.values.batchGet": values_batch_get,
    "sheets.spreadsheets.values.update": values_update,
    "sheets.spreadsheets.values.batchUpdate": values_batch_update,
    "sheets.spreadsheets.values.append": values_append,
    "sheets.spreadsheets.values.clear": values_clear,
    "sheets.spreadsheets.values.batchClear": values_batch_clear,
    "sheets.spreadsheets.developerMetadata.search": developer_metadata_search,
    "sheets.spreadsheets.developerMetadata.get": developer_metadata_get,
    "sheets.spreadsheets.sheets.copyTo": sheets_copy_to,
}
