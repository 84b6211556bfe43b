"""Local workbooks, written with XlsxWriter from the shared sheet records.

XlsxWriter streams rows to disk (constant memory), writes native charts and conditional formats,
and never turns a string into a formula when asked to write a string. A tab's data rows, millions
of cells at national scale, skip its per-cell objects: `_RowXml` renders each row as the XML
XlsxWriter itself would write, and `_TabSheet` places it among XlsxWriter's own rows.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.workbook
from isal import isal_zlib
from xlsxwriter.format import Format
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable
from xlsxwriter.worksheet import Worksheet

from ..a1 import column_letter
from ..errors import writing
from ..templates import SheetLayout, Templates
from .atomic import atomic_file
from .carry import (
    CARRIED_PROPERTY,
    WRITTEN_STAMP,
    Carried,
    RowExtras,
    extend_tab,
    left_rows,
    write_officer_sheets,
    write_row_extras,
)
from .plan import (
    VALIDATION_SPARE_ROWS,
    CellLook,
    ChartPlan,
    DashboardPlan,
    HeaderLook,
    PagePlan,
    Planner,
    Rule,
    TabPlan,
)
from .records import Dashboard, Sheet, Value

_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "default_date_format": "dd/mm/yyyy",
}


class _Formats:
    """XlsxWriter formats for the plan's looks, made once per workbook."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.book = book
        self._made: dict[object, Format] = {}

    def _format(self, key: object, spec: dict[str, Any]) -> Format:
        if key not in self._made:
            self._made[key] = self.book.add_format(spec)
        return self._made[key]

    def cell(self, look: CellLook) -> Format:
        spec: dict[str, Any] = {"num_format": look.pattern, "valign": "top"}
        if look.wrap:
            spec["text_wrap"] = True
        if look.fill:
            spec["bg_color"] = look.fill
        if look.unlocked:
            spec["locked"] = False
        return self._format(look, spec)

    def header(self, look: HeaderLook) -> Format:
        spec = {"bold": True, "bg_color": look.fill, "font_color": look.font, "text_wrap": True,
                "valign": "vcenter", "border": 1}  # fmt: skip
        return self._format(look, spec)

    def fill(self, colour: str) -> Format:
        return self._format(("fill", colour), {"bg_color": colour})

    def title(self, size: int) -> Format:
        return self._format(("title", size), {"bold": True, "font_size": size})

    def note(self) -> Format:
        return self._format("note", {"italic": True, "font_color": "#595959"})


_KINDS = {"list": "list", "decimal": "decimal", "whole": "integer"}


def _validation(rule: Rule) -> dict[str, Any]:
    """XlsxWriter's options for a plan's rule: lists only warn, ranges stop."""
    options: dict[str, Any] = {
        "validate": _KINDS[rule.kind],
        "input_title": rule.title,
        "input_message": rule.message,
        "error_title": rule.title,
        "error_message": rule.message,
        "error_type": "stop" if rule.strict else "warning",
    }
    if rule.kind == "list":
        return options | {"source": list(rule.choices)}
    return options | {"criteria": "between", "minimum": rule.low, "maximum": rule.high}


def write_value(sheet: Worksheet, row: int, col: int, value: Value, fmt: Format) -> None:
    """Each value through its own typed call, so text is always written as text."""
    if isinstance(value, str):
        sheet.write_string(row, col, value, fmt)
    elif isinstance(value, datetime | date):
        sheet.write_datetime(row, col, value, fmt)
    else:
        sheet.write_number(row, col, value, fmt)


_LINE_HEIGHT = 15  # points per line of 11-point text
_MAX_LINES = 12  # a message is read in full; a long description is read in the formula bar
_A4 = 9  # Excel's paper code


def _lines_needed(rows: list[list[Value]], wrapped: list[tuple[int, int]]) -> list[int]:
    """Rows have no automatic height in a file: LibreOffice draws wrapped text over the next row
    and Excel keeps one line. Estimate each row's lines from the text length and the characters
    a line of the column holds (`_per_line`), a column at a time."""
    lines = [1] * len(rows)
    for index, per_line in wrapped:
        needed = [
            (len(value) // per_line + 1 if "\n" not in value else _lines_of(value, per_line))
            if type(value) is str and value
            else 1
            for value in map(itemgetter(index), rows)
        ]
        lines = list(map(max, lines, needed))
    return [min(count, _MAX_LINES) for count in lines]


def _lines_of(text: str, per_line: int) -> int:
    return sum(len(part) // per_line + 1 for part in text.split("\n"))


def _per_line(width: float) -> int:
    """Characters a line of a column `width` wide holds."""
    return max(int(width), 1)


def _row_height(lines: int) -> float:
    return _LINE_HEIGHT * lines


def _number_shared(table: SharedStringTable, texts: Iterable[str]) -> None:
    """XlsxWriter's `_get_shared_string_index` for each text in turn, for many at once: the
    texts new to the table numbered in the order they first come, and every text counted.
    The books of 100,000 responses made 2.43 million such calls; 2.4 million texts numbered
    20,000 at a time take 0.47 s, against 1.0 to 1.3 s a call each."""
    texts = list(texts)
    places = table.string_table
    new = [text for text in dict.fromkeys(texts) if text not in places]
    places.update(zip(new, range(len(places), len(places) + len(new)), strict=True))
    table.unique_count = len(places)
    table.count += len(texts)


class _TabSheet(Worksheet):
    """A worksheet that also takes data rows already rendered as XML (see `_RowXml`), placed in
    row order among the rows XlsxWriter writes itself (the header, a row with officers' cells).
    It works with XlsxWriter's own row buffer and dimensions, which are not public:
    tests/test_xlsx.py reads its rows back against XlsxWriter's cells, for any version."""

    def __init__(self) -> None:
        super().__init__()
        # A book built in memory writes its rows at close: [first, last] rows and their XML.
        self._rendered: list[tuple[int, int, str]] = []

    def write_rendered(self, first: int, last: int, last_column: int, xml: str) -> None:
        """Rows `first`..`last`, below every row written so far."""
        self._check_dimensions(first, 0)
        self._check_dimensions(last, last_column)
        if not self.constant_memory:
            self._rendered.append((first, last, xml))
            return
        if first > self.previous_row:
            self._write_single_row(first)  # XlsxWriter's row still open goes out first
        self.fh.write(xml)
        self.previous_row = last

    def _write_rows(self) -> None:
        """XlsxWriter's own rows between the rendered ones (a book built in memory)."""
        low, high = self.dim_rowmin, self.dim_rowmax
        start = low
        for first, last, xml in self._rendered:
            self._write_own_rows(start, first - 1)
            self.fh.write(xml)
            start = last + 1
        self._write_own_rows(start, high)
        self.dim_rowmin, self.dim_rowmax = low, high

    def _write_own_rows(self, first: int, last: int) -> None:
        if first <= last:
            self.dim_rowmin, self.dim_rowmax = first, last
            super()._write_rows()

    def _write_optimized_sheet_data(self) -> None:
        """A streamed sheet's rows copied into its XML file as bytes, where XlsxWriter decodes
        and encodes them again 64 kB at a time."""
        if self.dim_rowmin is None or not isinstance(self.fh, io.TextIOWrapper):
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.fh.flush()
        self.row_data_fh.close()
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, self.fh.buffer, _COPY_BYTES)
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


def _controls(controls: str) -> re.Pattern[str]:
    return re.compile(f"[{controls}\\ufffe\\uffff]")


# Text XlsxWriter escapes in ways of its own (control characters, its "_xHHHH_" escapes): such a
# row goes through XlsxWriter's cells.
_CONTROLS = _controls(r"\x00-\x08\x0b-\x1f")
# The same but for "\x01", which parts the strings of a shared strings table (`_SharedStrings`).
_CONTROLS_BUT_SEPARATOR = _controls(r"\x00\x02-\x08\x0b-\x1f")
_HEX_ESCAPE = re.compile("_x[0-9a-fA-F]{4}_")


def _escaped_its_own_way(text: str, controls: re.Pattern[str] = _CONTROLS) -> bool:
    """Whether `text` holds a character of `controls` or an "_xHHHH_" that XlsxWriter escapes
    its own way. Cheapest first: text that is all printable holds no control character, and
    most holds no "_x" (one pattern of both, tried at every character, took four times as
    long)."""
    return bool(
        (not text.isprintable() and controls.search(text))
        or ("_x" in text and _HEX_ESCAPE.search(text))
    )


_ROWS_PER_WRITE = 2_000
_COPY_BYTES = 1 << 20


class _RowXml:
    """A tab's data rows as the XML XlsxWriter writes for its cells, one f-string a cell: text
    inline (streamed books) or in the shared strings (books built in memory), numbers and dates
    as numbers, every cell in its column's format. A row it cannot render exactly (a value of
    another type, very long text, a character XlsxWriter escapes itself) is None: the caller
    writes that row through XlsxWriter."""

    def __init__(self, sheet: _TabSheet, cells: list[Format]):
        self.sheet = sheet
        self.names = [column_letter(i) for i in range(len(cells))]
        self.styles = [f' s="{fmt._get_xf_index()}"' for fmt in cells]
        self.longest = sheet.xls_strmax // 2  # shorter text is within Excel's limit
        self.serials: dict[date, float] = {}
        # A book built in memory keeps its text in the shared strings table; None: inline.
        self.shared = None if sheet.constant_memory else sheet.str_table._get_shared_string_index

    def row(self, row: int, values: list[Value], lines: int) -> str | None:
        number = row + 1
        parts = [f'<row r="{number}"{_HEIGHT_ATTRIBUTES[lines]}']
        names, styles, longest, shared = self.names, self.styles, self.longest, self.shared
        for index, value in enumerate(values):
            if value is None or value == "":
                continue
            if type(value) is not str:
                cell = self._cell(value)
                if cell is None:
                    return None
            elif len(value) > longest:
                return None
            elif shared is not None:
                cell = f' t="s"><v>{shared(value)}</v>'
            else:
                cell = _inline(value)
            parts.append(f'<c r="{names[index]}{number}"{styles[index]}{cell}</c>')
        parts.append("</row>")
        xml = "".join(parts)
        # Inline text XlsxWriter would escape its own way: searched once a row, as no tag or
        # escape this writer adds holds such a character or "_x" and four hex digits.
        if shared is None and _escaped_its_own_way(xml):
            return None
        return xml

    def rows(self, first: int, chunk: list[list[Value]], lines: list[int]) -> list[str | None]:
        """`row` for consecutive rows, `first` the number of the first, worked a column at a
        time: a column of text (or blanks) takes one expression for all its cells, where each
        cell's type was tested, and the text of the whole chunk is searched at once for what
        XlsxWriter escapes its own way. The same XML, shared strings numbered in the same
        order. Rows of other widths, or a column mixing text with other values, go through
        `row`."""
        width = len(chunk[0]) if chunk else 0
        if not 0 < width <= len(self.names) or any(len(values) != width for values in chunk):
            return list(map(self.row, range(first, first + len(chunk)), chunk, lines))
        numbers = range(first + 1, first + 1 + len(chunk))
        columns = list(zip(*chunk, strict=True))
        kinds = [set(map(type, column)) - {type(None)} for column in columns]
        if any(str in kind and len(kind) > 1 for kind in kinds):
            return list(map(self.row, range(first, first + len(chunk)), chunk, lines))
        texts = [column for column, kind in zip(columns, kinds, strict=True) if str in kind]
        if self.shared is not None:  # numbered in the order `row` would number them
            _number_shared(
                self.sheet.str_table, filter(None, chain.from_iterable(zip(*texts, strict=True)))
            )
        unrenderable: set[int] = set()
        cells = [
            self._text_cells(index, column, numbers, unrenderable)
            if str in kind
            else self._other_cells(index, column, numbers, unrenderable)
            for index, (column, kind) in enumerate(zip(columns, kinds, strict=True))
        ]
        # As `row` searches each row: no tag or escape added holds what is looked for.
        searched = self.shared is None and _escaped_its_own_way(
            " ".join(filter(None, chain.from_iterable(texts)))
        )
        rendered: list[str | None] = []
        heights = _HEIGHT_ATTRIBUTES
        every_row = zip(numbers, lines, zip(*cells, strict=True), strict=True)
        for place, (number, count, parts) in enumerate(every_row):
            xml = None
            if place not in unrenderable:
                xml = f'<row r="{number}"{heights[count]}{"".join(parts)}</row>'
                if searched and _escaped_its_own_way(xml):
                    xml = None
            rendered.append(xml)
        return rendered

    def _text_cells(
        self, index: int, column: tuple[Any, ...], numbers: range, unrenderable: set[int]
    ) -> list[str]:
        """A column of text or blanks: each cell's XML, "" for a blank."""
        head, style = f'<c r="{self.names[index]}', self.styles[index]
        longest = self.longest
        if max(map(len, filter(None, column)), default=0) > longest:
            unrenderable.update(k for k, text in enumerate(column) if text and len(text) > longest)
        if self.shared is None:
            opening = _INLINE
            return [
                f'{head}{number}"{style}{opening[text[0].isspace() or text[-1].isspace()]}'
                f"{text}</t></is></c>"
                if text
                else ""
                for text, number in zip(
                    _all_escaped([text or "" for text in column]), numbers, strict=True
                )
            ]
        places = self.sheet.str_table.string_table
        return [
            f'{head}{number}"{style} t="s"><v>{places[text]}</v></c>' if text else ""
            for text, number in zip(column, numbers, strict=True)
        ]

    def _other_cells(
        self, index: int, column: tuple[Any, ...], numbers: range, unrenderable: set[int]
    ) -> list[str]:
        """A column without text: numbers, dates, blanks."""
        head, style = f'<c r="{self.names[index]}', self.styles[index]
        kinds = set(map(type, column)) - {type(None)}
        if not kinds:  # a review column nobody has typed in yet
            return [""] * len(column)
        if kinds == {int}:
            return [
                "" if value is None else f'{head}{number}"{style}><v>{value:.16G}</v></c>'
                for value, number in zip(column, numbers, strict=True)
            ]
        if kinds == {date} or kinds == {datetime}:
            serials = self.serials
            for day in set(column) - serials.keys() - {None}:
                serials[day] = self.sheet._convert_date_time(day)
            return [
                "" if value is None else f'{head}{number}"{style}><v>{serials[value]:.16G}</v></c>'
                for value, number in zip(column, numbers, strict=True)
            ]
        found = []
        for place, (value, number) in enumerate(zip(column, numbers, strict=True)):
            cell = None if value is None else self._cell(value)
            if cell is not None:
                found.append(f'{head}{number}"{style}{cell}</c>')
                continue
            found.append("")
            if value is not None:
                unrenderable.add(place)  # a value XlsxWriter writes its own way
        return found

    def _cell(self, value: Value) -> str | None:
        """What follows a cell's reference and style, up to its closing tag, for a value that
        is not text."""
        if isinstance(value, datetime | date):
            serial = self.serials.get(value)
            if serial is None:
                serial = self.serials[value] = self.sheet._convert_date_time(value)
            return f"><v>{serial:.16G}</v>"
        if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
            return f"><v>{value:.16G}</v>"
        return None  # not a value XlsxWriter writes as a number: its own call says why


def _height_attributes(lines: int) -> str:
    """What follows a row's number in its tag, for a row of this many lines."""
    if lines == 1:
        return ">"
    pixels = int(_row_height(lines) * 4 / 3 + 0.5)  # as XlsxWriter's set_row rounds
    return f' ht="{pixels * 0.75:.16g}" customHeight="1">'


_HEIGHT_ATTRIBUTES = [_height_attributes(lines) for lines in range(_MAX_LINES + 1)]


def _inline(text: str) -> str:
    """An inline text cell, for a text with no character XlsxWriter escapes its own way."""
    if "&" in text or "<" in text or ">" in text:
        text = _xml_escaped(text)
    return f"{_INLINE[text[0].isspace() or text[-1].isspace()]}{text}</t></is>"


# An inline text cell's start: as XlsxWriter writes it, and for a text that starts or ends with
# a space (indexed by whether it does).
_INLINE = (' t="inlineStr"><is><t>', ' t="inlineStr"><is><t xml:space="preserve">')


def _xml_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _all_escaped(texts: list[str]) -> list[str]:
    """`_xml_escaped` of each text, worked on all of them joined (a few passes in C, where each
    text was searched three times); one by one if a text holds the character joining them."""
    joined = "\x00".join(texts)
    if "&" not in joined and "<" not in joined and ">" not in joined:
        return texts
    pieces = _xml_escaped(joined).split("\x00")
    return pieces if len(pieces) == len(texts) else list(map(_xml_escaped, texts))


class _SharedStrings(SharedStrings):
    """The shared strings table as XlsxWriter writes it, a whole table at a time: its own
    writer escapes and tests every string with a few regular expressions, a fifth of the time
    spent writing the workbooks of a province. A table holding a character or text XlsxWriter
    escapes its own way, or a string it would take for rich text, is left to XlsxWriter."""

    def _write_sst_strings(self) -> None:
        strings = self.string_table.string_array
        # "\x01", a control character, parts them: a table where it splits off more pieces
        # than it has strings holds one, and is left to XlsxWriter.
        joined = "\x01".join(strings)
        own_way = _escaped_its_own_way(joined, _CONTROLS_BUT_SEPARATOR) or "<r>" in joined
        if own_way or joined.count("\x01") != len(strings) - 1:
            super()._write_sst_strings()
            return
        escaped = _xml_escaped(joined)
        parts = [
            f'<si><t xml:space="preserve">{text}</t></si>'
            if text[:1].isspace() or text[-1:].isspace()
            else f"<si><t>{text}</t></si>"
            for text in escaped.split("\x01")
        ]
        self.fh.write("".join(parts))


class _Packager(Packager):
    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        table = _SharedStrings()
        table.string_table = self.workbook.str_table
        table._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        table._assemble_xml_file()


# The workbooks' zip is deflated by ISA-L (`isal`), whose level 1 packs the XML of 100,000
# responses' workbooks in a fifth of the time zlib's level 2 takes, into files about as large
# (benchmarks/HISTORY.md). XlsxWriter leaves zlib's default (6), three times slower again.
DEFLATE_LEVEL = 1


class _ZipFile(zipfile.ZipFile):
    """The zip XlsxWriter packs a workbook into, each deflated part deflated by ISA-L at
    `DEFLATE_LEVEL`: both those XlsxWriter writes from its temporary files and those it writes
    from memory. The zip module makes its compressor as it opens a part for writing
    (`_open_to_write`, not public: tests/test_xlsx.py checks every part's deflated bytes)."""

    def _open_to_write(self, zinfo: zipfile.ZipInfo, force_zip64: bool = False) -> Any:
        part = super()._open_to_write(zinfo, force_zip64)  # type: ignore[misc]
        if zinfo.compress_type == zipfile.ZIP_DEFLATED:
            part._compressor = isal_zlib.compressobj(DEFLATE_LEVEL, isal_zlib.DEFLATED, -15)
        return part


# XlsxWriter gives no option for the level; its workbook module names the zip class it makes
# (tests/test_xlsx.py checks that it still does).
xlsxwriter.workbook.ZipFile = _ZipFile  # type: ignore[misc]


class Book(xlsxwriter.Workbook):
    """XlsxWriter's workbook with the faster shared strings writer (`_get_packager` is the
    override XlsxWriter provides for its packager), packed by `_ZipFile`."""

    def _get_packager(self) -> Packager:
        return _Packager()


def _write_head(sheet: Worksheet, formats: _Formats, tab: TabPlan) -> list[Format]:
    """Column widths and formats, the header row and the dropdowns; the cell formats back."""
    cells = [formats.cell(c.look) for c in tab.columns]
    for index, column in enumerate(tab.columns):
        # The column's own format styles the cells left blank (and those an officer adds), so
        # blank values need no cell at all: a third of a typical sheet.
        sheet.set_column(index, index, column.width, cells[index], {"hidden": column.hidden})
    headers = [c.header for c in tab.columns]
    widths = [(i, _per_line(c.width)) for i, c in enumerate(tab.columns)]
    [header_lines] = _lines_needed([headers], widths)
    sheet.set_row(0, _LINE_HEIGHT * max(header_lines, 2) + 2)
    for index, column in enumerate(tab.columns):
        sheet.write_string(0, index, column.header, formats.header(column.header_look))
        if column.note:
            sheet.write_comment(0, index, column.note)
        if column.rule is not None:
            last = len(tab.rows) + VALIDATION_SPARE_ROWS
            sheet.data_validation(1, index, last, index, _validation(column.rule))
    return cells


def _write_cells(sheet: Worksheet, row: int, values: list[Value], cells: list[Format]) -> None:
    """One data row through XlsxWriter's cells."""
    for index, value in enumerate(values):
        if value is not None and value != "":
            write_value(sheet, row, index, value, cells[index])


class _Run:
    """Consecutive rendered rows, handed to the sheet a few thousand at a time."""

    def __init__(self, sheet: _TabSheet, last_column: int):
        self.sheet, self.last_column = sheet, last_column
        self.first = 0
        self.rows: list[str] = []

    def add(self, row: int, xml: str) -> None:
        if len(self.rows) == _ROWS_PER_WRITE:
            self.flush()
        if not self.rows:
            self.first = row
        self.rows.append(xml)

    def flush(self) -> None:
        if self.rows:
            last = self.first + len(self.rows) - 1
            self.sheet.write_rendered(self.first, last, self.last_column, "".join(self.rows))
            self.rows.clear()


def _write_rows(
    book: xlsxwriter.Workbook, sheet: _TabSheet, tab: TabPlan, cells: list[Format],
    extras: RowExtras | None,
) -> None:  # fmt: skip
    """The data rows: rendered in runs, except a row with officers' cells (written over the
    row's own) or one `_RowXml` cannot render, which go through XlsxWriter's cells."""
    render, run = _RowXml(sheet, cells), _Run(sheet, len(tab.columns) - 1)
    wrapped = [(i, _per_line(c.width)) for i, c in enumerate(tab.columns) if c.sets_height]
    for start in range(0, len(tab.rows), _ROWS_PER_WRITE):
        chunk = tab.rows[start : start + _ROWS_PER_WRITE]
        heights = _lines_needed(chunk, wrapped)
        numbers = range(start + 1, start + 1 + len(chunk))
        if extras is None:
            rendered = render.rows(start + 1, chunk, heights)
            if None not in rendered:  # the whole chunk at once
                run.flush()
                sheet.write_rendered(numbers[0], numbers[-1], run.last_column, "".join(rendered))
                continue
        else:  # a row with officers' cells is not rendered: its text goes to XlsxWriter alone
            rendered = [
                None if number in extras.cells else render.row(number, values, lines)
                for number, values, lines in zip(numbers, chunk, heights, strict=True)
            ]
        for row_number, values, lines, xml in zip(numbers, chunk, heights, rendered, strict=True):
            if xml is not None:
                run.add(row_number, xml)
                continue
            run.flush()
            if lines > 1:
                sheet.set_row(row_number, _row_height(lines))
            _write_cells(sheet, row_number, values, cells)
            if extras is not None and row_number in extras.cells:
                write_row_extras(book, sheet, tab, extras, row_number)
    run.flush()


def write_table(
    book: xlsxwriter.Workbook, formats: _Formats, tab: TabPlan, extras: RowExtras | None = None
) -> Worksheet:
    """A tab from its plan; `extras` are the officers' cells carried over (see carry.py)."""
    sheet = book.add_worksheet(tab.title, worksheet_class=_TabSheet)
    cells = _write_head(sheet, formats, tab)
    _write_rows(book, sheet, tab, cells, extras)
    if tab.empty is not None:
        sheet.write_string(1, tab.empty[0], tab.empty[1], formats.note())
    last_row, last_column = max(len(tab.rows), 1), len(tab.columns) - 1
    sheet.autofilter(0, 0, last_row, last_column)
    sheet.freeze_panes(1, tab.freeze_columns)
    for rule in tab.highlights:
        options = {"type": "formula", "criteria": rule.formula, "format": formats.fill(rule.fill)}
        sheet.conditional_format(1, 0, last_row, last_column, options)
    _page_setup(sheet, tab.page, last_row)
    return sheet


def _escaped(text: str) -> str:
    """Header and footer text, where "&" starts a code."""
    return text.replace("&", "&&")


def _page_setup(sheet: Worksheet, page: PagePlan, last_row: int) -> None:
    """A4, fitted to the page width, the header row on every page; the title and the page
    number at the head of every page, the unit and the sheet at its foot; only the printed
    columns (and rows) are in the print area."""
    sheet.set_paper(_A4)
    if page.landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.fit_to_pages(*page.fit)
    sheet.set_margins(left=0.5, right=0.4, top=0.7, bottom=0.6)
    number = _escaped(page.page).replace("{page}", "&P").replace("{pages}", "&N")
    title = f"&C&B{_escaped(page.header)}" if page.header else ""
    sheet.set_header(f"{title}&R{number}")
    # Alone in the footer: a long unit's name wraps there without running under anything.
    sheet.set_footer(f"&L{_escaped(page.footer)}")
    if page.fit[1] != 1:
        sheet.repeat_rows(0)
    sheet.print_area(0, 0, page.rows - 1 if page.rows else last_row, page.columns - 1)


def _chart(book: xlsxwriter.Workbook, plan: ChartPlan) -> Any:
    chart = book.add_chart({"type": plan.kind})
    quoted = "'" + plan.data_tab.replace("'", "''") + "'"
    first, end = plan.rows
    chart.add_series(
        {
            "name": plan.caption,
            "categories": f"={quoted}!$A${first + 1}:$A${end}",
            "values": f"={quoted}!$B${first + 1}:$B${end}",
            "data_labels": {"value": plan.value_labels},
        }
    )
    chart.set_title({"name": plan.caption, "name_font": {"size": 12}})
    chart.set_legend({"none": not plan.legend})
    if plan.top_down:  # Excel draws a bar chart's first category at the bottom
        chart.set_y_axis({"reverse": True, "num_font": {"size": 8}, "interval_unit": 1})
    chart.set_size({"width": plan.size[0], "height": plan.size[1]})
    return chart


def _write_dashboard(book: xlsxwriter.Workbook, formats: _Formats, board: DashboardPlan) -> None:
    sheet = book.add_worksheet(board.title)
    for index, width in enumerate(board.widths):
        sheet.set_column(index, index, width)
    for cell in board.cells:
        if cell.title:
            style = formats.title(board.title_size)
        elif isinstance(cell.look, HeaderLook):
            style = formats.header(cell.look)
        else:
            style = formats.cell(cell.look) if cell.look is not None else None
        if isinstance(cell.value, str):
            sheet.write_string(cell.row, cell.column, cell.value, style)
        elif cell.value is not None:
            write_value(sheet, cell.row, cell.column, cell.value, style)
    for plan in board.charts:
        offsets = {"x_offset": plan.offset[0], "y_offset": plan.offset[1]}
        sheet.insert_chart(plan.anchor[0], plan.anchor[1], _chart(book, plan), offsets)
    _page_setup(sheet, board.page, board.page.rows)
    sheet.activate()


# Below this many rows a workbook is built in memory: streaming through one temporary file per
# sheet costs more than it saves for the hundreds of small grassroots workbooks.
_STREAM_FROM_ROWS = 20_000


def _options(sheets: list[Sheet]) -> dict[str, Any]:
    if sum(len(s.rows) for s in sheets) >= _STREAM_FROM_ROWS:
        return _WORKBOOK_OPTIONS
    return {**_WORKBOOK_OPTIONS, "constant_memory": False, "in_memory": True}


@dataclass(frozen=True, slots=True)
class WorkbookJob:
    """A workbook to write: its tabs and its dashboard (what officers added to the one before is
    read only if it is written)."""

    path: Path  # the workbook as officers know it
    sheets: list[Sheet]
    dashboard: Dashboard | None = None


def write_workbook(
    path: Path,
    templates: Templates,
    sheets: list[Sheet],
    dashboard: Dashboard | None = None,
    carried: Carried | None = None,
    *,
    into: Path | None = None,
) -> None:
    """Write one workbook: into the temporary `into` that the caller commits, or atomically
    over `path`. Readers see the old file or the new one, never half."""
    if into is not None:
        with writing(path):
            _build(into, templates, sheets, dashboard, carried)
        return
    with atomic_file(path) as temporary:
        _build(temporary, templates, sheets, dashboard, carried)


def _build(
    target: Path,
    templates: Templates,
    sheets: list[Sheet],
    dashboard: Dashboard | None,
    carried: Carried | None,
) -> None:
    book = Book(str(target), _options(sheets))
    book.set_properties({"created": WRITTEN_STAMP})
    formats, planner = _Formats(book), Planner(templates)
    board = planner.dashboard(dashboard) if dashboard is not None else None
    if board is not None:
        _write_dashboard(book, formats, board)
    for data in sheets:
        _write_tab(book, formats, planner, planner.tab(data), carried, data.layout)
    if board is not None and dashboard is not None:
        _write_tab(book, formats, planner, board.data, carried, dashboard.chart_data.layout)
    if carried is not None:
        _write_carried(book, formats, planner, carried)
    book.close()


def _write_tab(
    book: xlsxwriter.Workbook, formats: _Formats, planner: Planner, tab: TabPlan,
    carried: Carried | None, layout: SheetLayout,
) -> None:  # fmt: skip
    if carried is None:
        write_table(book, formats, tab)
    else:
        write_table(book, formats, *extend_tab(tab, layout, carried, planner.review_header))


def _write_carried(
    book: xlsxwriter.Workbook, formats: _Formats, planner: Planner, carried: Carried
) -> None:
    """The officers' own sheets, then their cells whose row is gone, in a tab of their own."""
    write_officer_sheets(book, carried)
    if carried.left:
        layout = planner.templates.sheets["carried"]
        rows = left_rows(carried, layout, planner.templates)
        write_table(book, formats, planner.tab(Sheet(layout, rows)))
    book.set_custom_property(CARRIED_PROPERTY, "1")
