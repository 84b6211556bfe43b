"""Local workbooks, written with XlsxWriter from the shared sheet records.

XlsxWriter streams rows to disk (constant memory), writes native charts and conditional formats,
and never turns a string into a formula when asked to write a string.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from datetime import date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ..errors import OutputError
from ..templates import Templates
from .atomic import atomic_file
from .records import Dashboard, Sheet, Value

_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "default_date_format": "dd/mm/yyyy",
}
_HEADER = {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "text_wrap": True,
           "valign": "vcenter", "border": 1}  # fmt: skip


class _Styles:
    def __init__(self, book: xlsxwriter.Workbook, templates: Templates):
        self.book = book
        self.templates = templates
        self.numbers = templates.formats
        self._cache: dict[tuple, Format] = {}
        self.header = book.add_format(_HEADER)
        self.review_header = book.add_format(
            {**_HEADER, "bg_color": templates.review["header_fill"]}
        )
        self.title = book.add_format({"bold": True, "font_size": 14})

    def cell(self, kind: str, wrap: bool, review: bool = False) -> Format:
        """Officer-owned cells are tinted and unlocked, so protecting a sheet (an officer's
        choice) still leaves them editable; sync-owned cells keep Excel's default lock."""
        key = (kind, wrap, review)
        if key not in self._cache:
            spec: dict[str, Any] = {"num_format": self.numbers[kind], "valign": "top"}
            if wrap:
                spec["text_wrap"] = True
            if review:
                spec |= {"bg_color": self.templates.review["cell_fill"], "locked": False}
            self._cache[key] = self.book.add_format(spec)
        return self._cache[key]


# Rows below the data that still get the dropdowns, for rows an officer inserts or appends.
_VALIDATION_SPARE_ROWS = 500
_KINDS = {"decimal": "decimal", "whole": "integer"}


def _validation(spec: dict[str, Any], templates: Templates) -> dict[str, Any]:
    """XlsxWriter's options for a declarative spec of outputs.yaml `validations`. Lists only
    warn, so an officer's own spelling ("X", "có") is accepted and read leniently; ranges stop."""
    texts = {
        "input_title": spec["title"],
        "input_message": spec["message"],
        "error_title": spec["title"],
        "error_message": spec["message"],
    }
    if "list" in spec:
        choices = templates.review["choices"][spec["list"]]
        return {"validate": "list", "source": list(choices), "error_type": "warning", **texts}
    kind = next(k for k in _KINDS if k in spec)
    low, high = spec[kind]
    return {
        "validate": _KINDS[kind],
        "criteria": "between",
        "minimum": low,
        "maximum": high,
        "error_type": "stop",
        **texts,
    }


def _write_value(sheet: Worksheet, row: int, col: int, value: Value, fmt: Format) -> None:
    """Each value through its own typed call, so text is always written as text."""
    if isinstance(value, str):
        sheet.write_string(row, col, value, fmt)
    elif isinstance(value, datetime | date):
        sheet.write_datetime(row, col, value, fmt)
    else:
        sheet.write_number(row, col, value, fmt)


_LINE_HEIGHT = 15  # points per line of 11-point text
_MAX_LINES = 3  # keeps a list scannable; a long description is read in the formula bar


def _lines_needed(values: list[Value], wrapped: list[tuple[int, float]]) -> int:
    """Rows have no automatic height in a file: LibreOffice draws wrapped text over the next row
    and Excel keeps one line. Estimate the lines from the text length and the column width."""
    lines = 1
    for index, width in wrapped:
        value = values[index]
        if isinstance(value, str) and value:
            per_line = max(int(width * 1.1), 1)
            needed = sum(len(part) // per_line + 1 for part in value.split("\n"))
            lines = max(lines, needed)
    return min(lines, _MAX_LINES)


def write_table(book: xlsxwriter.Workbook, styles: _Styles, data: Sheet, title: str | None = None):
    layout = data.layout
    sheet = book.add_worksheet(title or layout.name)
    columns = layout.columns
    formats = [styles.cell(c.format, c.wrap, c.review) for c in columns]
    for index, column in enumerate(columns):
        # The column's own format styles the cells left blank (and those an officer adds), so
        # blank values need no cell at all: a third of a typical sheet.
        sheet.set_column(index, index, column.width, formats[index], {"hidden": column.hidden})
    sheet.set_row(0, 32)
    for index, column in enumerate(columns):
        header = styles.review_header if column.review else styles.header
        sheet.write_string(0, index, column.header, header)
        if column.validation:
            spec = styles.templates.validations[column.validation]
            last = len(data.rows) + _VALIDATION_SPARE_ROWS
            sheet.data_validation(1, index, last, index, _validation(spec, styles.templates))
    wrapped = [(i, c.width) for i, c in enumerate(columns) if c.wrap and c.sets_height]
    for row_number, values in enumerate(data.rows, start=1):
        lines = _lines_needed(values, wrapped)
        if lines > 1:
            sheet.set_row(row_number, _LINE_HEIGHT * lines)
        for index, value in enumerate(values):
            if value is not None and value != "":
                _write_value(sheet, row_number, index, value, formats[index])
    last_row = max(len(data.rows), 1)
    sheet.autofilter(0, 0, last_row, len(columns) - 1)
    sheet.freeze_panes(1, layout.freeze_columns)
    keys = layout.column_keys()
    for rule in layout.highlights:
        letter = xl_col_to_name(keys.index(rule.column))
        value = rule.equals.replace('"', '""')
        sheet.conditional_format(
            1, 0, last_row, len(columns) - 1,
            {"type": "formula", "criteria": f'=${letter}2="{value}"',
             "format": book.add_format({"bg_color": rule.fill})},
        )  # fmt: skip
    return sheet


def _write_dashboard(book: xlsxwriter.Workbook, styles: _Styles, board: Dashboard, templates):
    sheet = book.add_worksheet(templates.dashboard["title"])
    sheet.set_column(0, 0, 38)
    sheet.set_column(1, 1, 20)
    sheet.write_string(0, 0, board.heading, styles.title)
    sheet.write_string(1, 0, board.generated)
    for offset, (label, value, kind) in enumerate(board.totals, start=3):
        sheet.write_string(offset, 0, label, styles.header)
        sheet.write_number(offset, 1, value or 0, styles.cell(kind, False))
    data_title = board.chart_data.layout.name
    captions = templates.dashboard["charts"]
    kinds = {"by_day": "line", "by_unit": "bar", "by_field": "pie", "by_status": "pie"}
    anchors = {"by_day": "D2", "by_unit": "D20", "by_field": "L2", "by_status": "L20"}
    for key, (first, last) in board.charts.items():
        chart = book.add_chart({"type": kinds[key]})
        quoted = "'" + data_title.replace("'", "''") + "'"
        chart.add_series(
            {
                "name": captions[key],
                "categories": f"={quoted}!$A${first + 2}:$A${last + 2}",
                "values": f"={quoted}!$B${first + 2}:$B${last + 2}",
                "data_labels": {"value": kinds[key] == "pie"},
            }
        )
        chart.set_title({"name": captions[key]})
        chart.set_legend({"none": kinds[key] != "pie"})
        chart.set_size({"width": 620, "height": 340})
        sheet.insert_chart(anchors[key], chart)
    sheet.activate()
    return sheet


# Below this many rows a workbook is built in memory: streaming through one temporary file per
# sheet costs more than it saves for the hundreds of small grassroots workbooks.
_STREAM_FROM_ROWS = 20_000


def _options(sheets: list[Sheet]) -> dict[str, Any]:
    if sum(len(s.rows) for s in sheets) >= _STREAM_FROM_ROWS:
        return _WORKBOOK_OPTIONS
    return {**_WORKBOOK_OPTIONS, "constant_memory": False, "in_memory": True}


@dataclass(frozen=True, slots=True)
class WorkbookJob:
    path: Path
    sheets: list[Sheet]
    dashboard: Dashboard | None = None


def _size(job: WorkbookJob) -> int:
    return sum(len(s.rows) for s in job.sheets)


def _shares(jobs: list[WorkbookJob], workers: int) -> list[list[WorkbookJob]]:
    """Jobs dealt largest first to the least loaded worker, so one big workbook does not start
    last and leave a core idle."""
    loads = [0] * workers
    shares: list[list[WorkbookJob]] = [[] for _ in range(workers)]
    for job in sorted(jobs, key=_size, reverse=True):
        least = loads.index(min(loads))
        shares[least].append(job)
        loads[least] += _size(job) + 1
    return shares


def _write_share(jobs: list[WorkbookJob], templates: Templates, report: Connection) -> None:
    """A forked worker: write its jobs, then send back None or the error that stopped it."""
    outcome: BaseException | None = None
    try:
        for job in jobs:
            write_workbook(job.path, templates, job.sheets, job.dashboard)
    except Exception as exc:  # sent to the parent, which raises it
        outcome = exc
    report.send(outcome)
    report.close()


def write_workbooks(jobs: list[WorkbookJob], templates: Templates) -> None:
    """Write many workbooks, on every core where the system can fork: each forked worker gets
    its share of the rendered rows by the fork itself instead of through pipes. Each file is
    still replaced atomically; the first error is raised here once every worker has finished."""
    workers = min(os.cpu_count() or 1, len(jobs))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for job in jobs:
            write_workbook(job.path, templates, job.sheets, job.dashboard)
        return
    context = multiprocessing.get_context("fork")
    running = []
    for share in _shares(jobs, workers):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_write_share, args=(share, templates, sender))
        process.start()
        sender.close()
        running.append((process, receiver))
    failures: list[BaseException] = []
    for process, receiver in running:
        try:
            outcome = receiver.recv()
        except EOFError:
            outcome = OutputError(f"a workbook writer stopped unexpectedly ({process.pid})")
        process.join()
        if outcome is not None:
            failures.append(outcome)
    if failures:
        raise failures[0]


def write_workbook(
    path: Path,
    templates: Templates,
    sheets: list[Sheet],
    dashboard: Dashboard | None = None,
) -> None:
    """Write one workbook atomically: readers see the old file or the new one, never half."""
    with atomic_file(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), _options(sheets))
        styles = _Styles(book, templates)
        if dashboard is not None:
            _write_dashboard(book, styles, dashboard, templates)
        for data in sheets:
            write_table(book, styles, data)
        if dashboard is not None:
            write_table(book, styles, dashboard.chart_data)
        book.close()
