"""Sheets API `batchUpdate` requests that render the shared sheet records into a spreadsheet.

Pure functions: records and the spreadsheet's current metadata in, request bodies out. Every
value goes as a typed `userEnteredValue` (stringValue for text), which the API never parses, so a
description beginning with `=`, `+`, `-` or `@` stays text.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime
from typing import Any

from ..normalize import to_serial
from ..writers.plan import BoardCell, CellLook, ChartPlan, DashboardPlan, HeaderLook, Rule, TabPlan
from ..writers.records import Value

_NUMBER_TYPES = {"int": "NUMBER", "plain": "NUMBER", "number": "NUMBER", "money": "NUMBER",
                 "percent": "PERCENT", "date": "DATE", "datetime": "DATE_TIME",
                 "text": "TEXT"}  # fmt: skip
PIXELS_PER_WIDTH_UNIT = 7  # an Excel column width unit is about one character, 7 px


def sheet_id_for(title: str) -> int:
    """A stable tab id from its title, so a re-run addresses the same tab without a lookup."""
    return zlib.crc32(title.encode("utf-8")) & 0x3FFFFFFF


def cell(value: Value) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        return {"userEnteredValue": {"stringValue": value}}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, date | datetime):
        return {"userEnteredValue": {"numberValue": to_serial(value)}}
    return {"userEnteredValue": {"numberValue": value}}


def _hex_colour(text: str) -> dict[str, float]:
    text = text.lstrip("#")
    red, green, blue = (int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return {"red": round(red, 4), "green": round(green, 4), "blue": round(blue, 4)}


def _grid(sheet_id: int, rows: tuple[int, int], cols: tuple[int, int]) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": rows[0],
        "endRowIndex": rows[1],
        "startColumnIndex": cols[0],
        "endColumnIndex": cols[1],
    }


def _tab_properties(
    tab: TabPlan, sheet_id: int, title: str, size: tuple[int, int], existing: Any
) -> list[dict[str, Any]]:
    """Add the tab, or resize and retitle it; an owned tab's old conditional formats go, since
    the sync adds its own again."""
    properties = {
        "sheetId": sheet_id,
        "title": title,
        "gridProperties": {
            "rowCount": size[0],
            "columnCount": size[1],
            "frozenRowCount": 1,
            "frozenColumnCount": tab.freeze_columns,
        },
    }
    if existing is None:
        return [{"addSheet": {"properties": properties}}]
    requests: list[dict[str, Any]] = [
        {"updateSheetProperties": {"properties": properties, "fields": "title,gridProperties"}}
    ]
    for _ in existing.get("conditionalFormats", ()):
        requests.append({"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}})
    return requests


def _value_requests(tab: TabPlan, sheet_id: int, old_rows: int) -> list[dict[str, Any]]:
    """The header and the rows, or the words saying there is none; what is left of a longer
    previous run is cleared (owned columns only)."""
    header = {"values": [{"userEnteredValue": {"stringValue": c.header}} for c in tab.columns]}
    body = [{"values": [cell(v) for v in values]} for values in tab.rows]
    if tab.empty is not None:  # across the whole width: the last row's review cells go too
        column, text = tab.empty
        body = [{"values": [cell(text) if i == column else {} for i in range(len(tab.columns))]}]
    requests: list[dict[str, Any]] = [
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [header, *body],
                "fields": "userEnteredValue",
            }
        }
    ]
    needed_rows = len(body) + 1
    if old_rows > needed_rows:
        span = _grid(sheet_id, (needed_rows, old_rows), (0, len(tab.columns)))
        requests.append({"updateCells": {"range": span, "fields": "userEnteredValue"}})
    return requests


def _header_format(look: HeaderLook) -> dict[str, Any]:
    return {
        "textFormat": {"bold": True, "foregroundColor": _hex_colour(look.font)},
        "backgroundColor": _hex_colour(look.fill),
        "wrapStrategy": "WRAP",
        "verticalAlignment": "MIDDLE",
    }


def _note_request(tab: TabPlan, sheet_id: int) -> list[dict[str, Any]]:
    """Header notes (a code behind its Vietnamese name), apart from the values, which are
    staged and pasted on their own when a tab is large."""
    if not any(c.note for c in tab.columns):
        return []
    notes = [{"note": c.note} if c.note else {} for c in tab.columns]
    start = {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0}
    return [{"updateCells": {"start": start, "rows": [{"values": notes}], "fields": "note"}}]


def _header_requests(tab: TabPlan, sheet_id: int) -> list[dict[str, Any]]:
    """The header row, one request per run of columns that look the same, and its notes."""
    requests: list[dict[str, Any]] = _note_request(tab, sheet_id)
    start = 0
    for index in range(1, len(tab.columns) + 1):
        look = tab.columns[start].header_look
        if index < len(tab.columns) and tab.columns[index].header_look == look:
            continue
        requests.append(
            {
                "repeatCell": {
                    "range": _grid(sheet_id, (0, 1), (start, index)),
                    "cell": {"userEnteredFormat": _header_format(look)},
                    "fields": "userEnteredFormat",
                }
            }
        )
        start = index
    return requests


def _cell_format(look: CellLook) -> tuple[dict[str, Any], str]:
    """A look as Google's cell format, and the fields it sets."""
    style: dict[str, Any] = {
        "numberFormat": {"type": _NUMBER_TYPES[look.format], "pattern": look.pattern},
        "wrapStrategy": "WRAP" if look.wrap else "OVERFLOW_CELL",
        "verticalAlignment": "TOP",
    }
    if look.fill:
        style["backgroundColor"] = _hex_colour(look.fill)
    return style, "userEnteredFormat(" + ",".join(style) + ")"


def _column_requests(tab: TabPlan, sheet_id: int, rows: int) -> list[dict[str, Any]]:
    """Each column's cell format, width, visibility and dropdown or range."""
    requests: list[dict[str, Any]] = []
    for index, column in enumerate(tab.columns):
        span = _grid(sheet_id, (1, rows), (index, index + 1))
        style, fields = _cell_format(column.look)
        requests.append(
            {"repeatCell": {"range": span, "cell": {"userEnteredFormat": style}, "fields": fields}}
        )
        dimension = {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": index,
                     "endIndex": index + 1}  # fmt: skip
        properties = {
            "pixelSize": int(column.width * PIXELS_PER_WIDTH_UNIT),
            "hiddenByUser": column.hidden,
        }
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": dimension,
                    "properties": properties,
                    "fields": "pixelSize,hiddenByUser",
                }
            }
        )
        if column.rule is not None:
            rule = _validation_rule(column.rule)
            requests.append({"setDataValidation": {"range": span, "rule": rule}})
    return requests


def _highlight_requests(tab: TabPlan, sheet_id: int, rows: int) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = []
    for highlight in tab.highlights:
        condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": highlight.formula}]}
        fill = {"backgroundColor": _hex_colour(highlight.fill)}
        span = _grid(sheet_id, (1, rows), (0, len(tab.columns)))
        added = {"ranges": [span], "booleanRule": {"condition": condition, "format": fill}}
        requests.append({"addConditionalFormatRule": {"index": 0, "rule": added}})
    return requests


def tab_requests(
    tab: TabPlan, existing: dict[str, Any] | None, title: str | None = None
) -> list[dict[str, Any]]:
    """Create or refresh one tab the sync owns. `existing` is the tab's current `sheets[]` entry
    from spreadsheets.get (None when it is new): its size, filters and conditional formats."""
    title = title or tab.title
    sheet_id = existing["properties"]["sheetId"] if existing else sheet_id_for(title)
    width = len(tab.columns)
    needed_rows = len(tab.rows) + 1
    grid = (existing or {}).get("properties", {}).get("gridProperties", {})
    old_rows = grid.get("rowCount", 0)
    rows = max(needed_rows, old_rows, 2)
    size = (rows, max(width, grid.get("columnCount", 0)))
    requests = _tab_properties(tab, sheet_id, title, size, existing)
    requests += _value_requests(tab, sheet_id, old_rows)
    requests += _header_requests(tab, sheet_id)
    requests += _column_requests(tab, sheet_id, rows)
    requests.append(
        {"setBasicFilter": {"filter": {"range": _grid(sheet_id, (0, needed_rows), (0, width))}}}
    )
    return requests + _highlight_requests(tab, sheet_id, rows)


def _validation_rule(rule: Rule) -> dict[str, Any]:
    """Google's form of a plan's rule: lists only warn, number ranges reject."""
    if rule.kind == "list":
        return {
            "condition": {
                "type": "ONE_OF_LIST",
                "values": [{"userEnteredValue": choice} for choice in rule.choices],
            },
            "inputMessage": rule.message,
            "strict": rule.strict,
            "showCustomUi": True,
        }
    values = [
        {"userEnteredValue": _number_text(rule.low)},
        {"userEnteredValue": _number_text(rule.high)},
    ]
    return {
        "condition": {"type": "NUMBER_BETWEEN", "values": values},
        "inputMessage": rule.message,
        "strict": rule.strict,
    }


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_CHART_TYPES = {"line": "LINE", "bar": "BAR", "column": "COLUMN", "pie": "PIE"}


def _board_cell(cell_plan: BoardCell, title_size: int) -> dict[str, Any]:
    found = cell(cell_plan.value)
    if cell_plan.title:
        found["userEnteredFormat"] = {"textFormat": {"bold": True, "fontSize": title_size}}
    elif isinstance(cell_plan.look, HeaderLook):
        found["userEnteredFormat"] = _header_format(cell_plan.look)
    elif cell_plan.look is not None:
        found["userEnteredFormat"] = _cell_format(cell_plan.look)[0]
    return found


def _board_rows(board: DashboardPlan) -> list[dict[str, Any]]:
    """The dashboard's cells as rows from A1, blanks where nothing is written."""
    height = max(c.row for c in board.cells) + 1
    width = max(c.column for c in board.cells) + 1
    grid: list[list[dict[str, Any]]] = [[{} for _ in range(width)] for _ in range(height)]
    for found in board.cells:
        grid[found.row][found.column] = _board_cell(found, board.title_size)
    return [{"values": values} for values in grid]


def dashboard_requests(
    board: DashboardPlan, existing: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The dashboard tab (its tables, then native charts over the chart-data tab), laid out by
    the same plan as the workbook's. The whole tab is the sync's: its cells are rewritten and
    its charts replaced, not added to."""
    sheet_id = existing["properties"]["sheetId"] if existing else sheet_id_for(board.title)
    requests: list[dict[str, Any]] = []
    if existing is None:
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": board.title}}})
    else:
        everything = {"sheetId": sheet_id}
        requests.append({"updateCells": {"range": everything, "fields": "*"}})
    for chart in (existing or {}).get("charts", ()):
        requests.append({"deleteEmbeddedObject": {"objectId": chart["chartId"]}})
    for index, width in enumerate(board.widths):
        dimension = {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": index,
                     "endIndex": index + 1}  # fmt: skip
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": dimension,
                    "properties": {"pixelSize": int(width * PIXELS_PER_WIDTH_UNIT)},
                    "fields": "pixelSize",
                }
            }
        )
    requests.append(
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": _board_rows(board),
                "fields": "userEnteredValue,userEnteredFormat",
            }
        }
    )
    return requests + [_chart(sheet_id, plan) for plan in board.charts]


def _chart(sheet_id: int, plan: ChartPlan) -> dict[str, Any]:
    data_tab = sheet_id_for(plan.data_tab)
    domain = {"sourceRange": {"sources": [_grid(data_tab, plan.rows, (0, 1))]}}
    series = {"sourceRange": {"sources": [_grid(data_tab, plan.rows, (1, 2))]}}
    legend = "RIGHT_LEGEND" if plan.legend else "NO_LEGEND"
    if plan.kind == "pie":
        spec: dict[str, Any] = {"pieChart": {"domain": domain, "series": series,
                                             "legendPosition": legend}}  # fmt: skip
    else:
        chart_series: dict[str, Any] = {"series": series}
        if plan.value_labels:
            chart_series["dataLabel"] = {"type": "DATA", "placement": "OUTSIDE_END"}
        spec = {
            "basicChart": {
                "chartType": _CHART_TYPES[plan.kind],
                "legendPosition": legend,
                "domains": [{"domain": domain}],
                "series": [chart_series],
                "headerCount": 0,
            }
        }
    anchor = {"sheetId": sheet_id, "rowIndex": plan.anchor[0], "columnIndex": plan.anchor[1]}
    position = {
        "overlayPosition": {
            "anchorCell": anchor,
            "offsetXPixels": plan.offset[0],
            "offsetYPixels": plan.offset[1],
            "widthPixels": plan.size[0],
            "heightPixels": plan.size[1],
        }
    }
    return {"addChart": {"chart": {"spec": {"title": plan.caption, **spec}, "position": position}}}
