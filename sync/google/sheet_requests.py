"""Sheets API `batchUpdate` requests that render the shared sheet records into a spreadsheet.

Pure functions: records and the spreadsheet's current metadata in, request bodies out. Every
value goes as a typed `userEnteredValue` (stringValue for text), which the API never parses, so a
description beginning with `=`, `+`, `-` or `@` stays text.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime
from typing import Any

from ..templates import SheetLayout, Templates
from ..writers.records import Dashboard, Sheet, Value
from .serials import to_serial

_HEADER_FORMAT = {
    "textFormat": {"bold": True, "foregroundColor": {"red": 1, "green": 1, "blue": 1}},
    "backgroundColor": {"red": 0.12, "green": 0.31, "blue": 0.47},
    "wrapStrategy": "WRAP",
    "verticalAlignment": "MIDDLE",
}
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
    layout: SheetLayout, sheet_id: int, title: str, size: tuple[int, int], existing: Any
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
            "frozenColumnCount": layout.freeze_columns,
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


def _value_requests(data: Sheet, sheet_id: int, old_rows: int) -> list[dict[str, Any]]:
    """The header and the rows; what is left of a longer previous run is cleared (owned
    columns only)."""
    layout = data.layout
    header = {"values": [{"userEnteredValue": {"stringValue": c.header}} for c in layout.columns]}
    body = [{"values": [cell(v) for v in values]} for values in data.rows]
    requests: list[dict[str, Any]] = [
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [header, *body],
                "fields": "userEnteredValue",
            }
        }
    ]
    needed_rows = len(data.rows) + 1
    if old_rows > needed_rows:
        span = _grid(sheet_id, (needed_rows, old_rows), (0, len(layout.columns)))
        requests.append({"updateCells": {"range": span, "fields": "userEnteredValue"}})
    return requests


def _column_requests(
    layout: SheetLayout, templates: Templates, sheet_id: int, rows: int
) -> list[dict[str, Any]]:
    """Each column's number format, wrapping, width and visibility."""
    requests: list[dict[str, Any]] = []
    for index, column in enumerate(layout.columns):
        number_format = {
            "type": _NUMBER_TYPES[column.format],
            "pattern": templates.formats[column.format],
        }
        style = {
            "numberFormat": number_format,
            "wrapStrategy": "WRAP" if column.wrap else "OVERFLOW_CELL",
            "verticalAlignment": "TOP",
        }
        requests.append(
            {
                "repeatCell": {
                    "range": _grid(sheet_id, (1, rows), (index, index + 1)),
                    "cell": {"userEnteredFormat": style},
                    "fields": "userEnteredFormat(numberFormat,wrapStrategy,verticalAlignment)",
                }
            }
        )
        span = {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": index,
                "endIndex": index + 1}  # fmt: skip
        properties = {
            "pixelSize": int(column.width * PIXELS_PER_WIDTH_UNIT),
            "hiddenByUser": column.hidden,
        }
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": span,
                    "properties": properties,
                    "fields": "pixelSize,hiddenByUser",
                }
            }
        )
    return requests


def _highlight_requests(layout: SheetLayout, sheet_id: int, rows: int) -> list[dict[str, Any]]:
    keys = layout.column_keys()
    requests: list[dict[str, Any]] = []
    for rule in layout.highlights:
        letter = _column_letter(keys.index(rule.column))
        value = rule.equals.replace('"', '""')
        condition = {
            "type": "CUSTOM_FORMULA",
            "values": [{"userEnteredValue": f'=${letter}2="{value}"'}],
        }
        fill = {"backgroundColor": _hex_colour(rule.fill)}
        span = _grid(sheet_id, (1, rows), (0, len(layout.columns)))
        added = {"ranges": [span], "booleanRule": {"condition": condition, "format": fill}}
        requests.append({"addConditionalFormatRule": {"index": 0, "rule": added}})
    return requests


def tab_requests(
    data: Sheet,
    templates: Templates,
    existing: dict[str, Any] | None,
    title: str | None = None,
) -> list[dict[str, Any]]:
    """Create or refresh one tab the sync owns. `existing` is the tab's current `sheets[]` entry
    from spreadsheets.get (None when it is new): its size, filters and conditional formats."""
    layout: SheetLayout = data.layout
    title = title or layout.name
    sheet_id = existing["properties"]["sheetId"] if existing else sheet_id_for(title)
    width = len(layout.columns)
    needed_rows = len(data.rows) + 1
    grid = (existing or {}).get("properties", {}).get("gridProperties", {})
    old_rows = grid.get("rowCount", 0)
    rows = max(needed_rows, old_rows, 2)
    size = (rows, max(width, grid.get("columnCount", 0)))
    requests = _tab_properties(layout, sheet_id, title, size, existing)
    requests += _value_requests(data, sheet_id, old_rows)
    requests.append(
        {
            "repeatCell": {
                "range": _grid(sheet_id, (0, 1), (0, width)),
                "cell": {"userEnteredFormat": _HEADER_FORMAT},
                "fields": "userEnteredFormat",
            }
        }
    )
    requests += _column_requests(layout, templates, sheet_id, rows)
    requests += _review_requests(layout, templates, sheet_id, rows)
    requests.append(
        {"setBasicFilter": {"filter": {"range": _grid(sheet_id, (0, needed_rows), (0, width))}}}
    )
    return requests + _highlight_requests(layout, sheet_id, rows)


def _validation_rule(spec: dict[str, Any], templates: Templates) -> dict[str, Any]:
    """Google's form of a declarative `validations` spec: lists only warn (an officer's own
    spelling of a tick is read leniently), number ranges reject."""
    if "list" in spec:
        choices = templates.review["choices"][spec["list"]]
        return {
            "condition": {
                "type": "ONE_OF_LIST",
                "values": [{"userEnteredValue": choice} for choice in choices],
            },
            "inputMessage": spec["message"],
            "strict": False,
            "showCustomUi": True,
        }
    kind = "decimal" if "decimal" in spec else "whole"
    low, high = spec[kind]
    return {
        "condition": {
            "type": "NUMBER_BETWEEN",
            "values": [{"userEnteredValue": str(low)}, {"userEnteredValue": str(high)}],
        },
        "inputMessage": spec["message"],
        "strict": True,
    }


def _review_requests(
    layout: SheetLayout, templates: Templates, sheet_id: int, rows: int
) -> list[dict[str, Any]]:
    """Officer-owned columns: their own header colour, a tinted body, and dropdowns/ranges."""
    requests: list[dict[str, Any]] = []
    fills = {
        (0, 1): {**_HEADER_FORMAT, "backgroundColor": _hex_colour(templates.review["header_fill"])},
        (1, rows): {"backgroundColor": _hex_colour(templates.review["cell_fill"])},
    }
    for index, column in enumerate(layout.columns):
        if not column.review:
            continue
        for span, style in fills.items():
            requests.append(
                {
                    "repeatCell": {
                        "range": _grid(sheet_id, span, (index, index + 1)),
                        "cell": {"userEnteredFormat": style},
                        "fields": "userEnteredFormat(" + ",".join(style) + ")",
                    }
                }
            )
        if column.validation:
            spec = templates.validations[column.validation]
            requests.append(
                {
                    "setDataValidation": {
                        "range": _grid(sheet_id, (1, rows), (index, index + 1)),
                        "rule": _validation_rule(spec, templates),
                    }
                }
            )
    return requests


def owned_column_runs(layout: SheetLayout) -> list[tuple[int, int]]:
    """Runs [start, end) of sync-owned columns; the officers' review columns lie between."""
    runs: list[tuple[int, int]] = []
    for index, column in enumerate(layout.columns):
        if column.review:
            continue
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_CHART_TYPES = {"by_day": "LINE", "by_unit": "BAR", "by_field": "PIE", "by_status": "PIE"}
_CHART_ANCHORS = {"by_day": (1, 3), "by_unit": (19, 3), "by_field": (1, 11), "by_status": (19, 11)}


def dashboard_requests(
    board: Dashboard, templates: Templates, existing: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The dashboard tab (totals, then native charts over the chart-data tab). The whole tab is
    the sync's: its charts are replaced, not added to."""
    title = templates.dashboard["title"]
    data_tab = sheet_id_for(board.chart_data.layout.name)
    rows = [[board.heading], [board.generated], []]
    rows += [[label, value] for label, value, _ in board.totals]
    layout = SheetLayout(name=title, columns=())
    sheet = Sheet(layout, rows)
    sheet_id = existing["properties"]["sheetId"] if existing else sheet_id_for(title)
    requests: list[dict[str, Any]] = []
    if existing is None:
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": title}}})
    for chart in (existing or {}).get("charts", ()):
        requests.append({"deleteEmbeddedObject": {"objectId": chart["chartId"]}})
    requests.append(
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": [cell(v) for v in values]} for values in sheet.rows],
                "fields": "userEnteredValue",
            }
        }
    )
    captions = templates.dashboard["charts"]
    for key, (first, last) in board.charts.items():
        requests.append(
            _chart(
                sheet_id, data_tab, key, captions[key], (first + 1, last + 2), _CHART_ANCHORS[key]
            )
        )
    return requests


def _chart(
    sheet_id: int,
    data_tab: int,
    key: str,
    caption: str,
    rows: tuple[int, int],
    anchor: tuple[int, int],
) -> dict[str, Any]:
    domain = {"sourceRange": {"sources": [_grid(data_tab, rows, (0, 1))]}}
    series = {"sourceRange": {"sources": [_grid(data_tab, rows, (1, 2))]}}
    if _CHART_TYPES[key] == "PIE":
        spec: dict[str, Any] = {"pieChart": {"domain": domain, "series": series,
                                             "legendPosition": "RIGHT_LEGEND"}}  # fmt: skip
    else:
        spec = {
            "basicChart": {
                "chartType": _CHART_TYPES[key],
                "legendPosition": "NO_LEGEND",
                "domains": [{"domain": domain}],
                "series": [{"series": series}],
                "headerCount": 0,
            }
        }
    return {
        "addChart": {
            "chart": {
                "spec": {"title": caption, **spec},
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": anchor[0],
                            "columnIndex": anchor[1],
                        },
                        "widthPixels": 620,
                        "heightPixels": 340,
                    }
                },
            }
        }
    }
