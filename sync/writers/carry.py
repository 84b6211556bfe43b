"""Officers' own additions to a unit workbook, carried over when the sync rewrites it.

The sync owns its tabs' columns and nothing else. Before a workbook is replaced, `read_carried`
takes from it, as plain data: the sheets an officer added (values, formulas, widths, heights,
fills, fonts, number formats, merged cells, comments), the columns an officer inserted in a
sync tab (any header, anywhere; their cells follow their row by its key, the initiative's id),
and the comments and fills an officer put on sync and review cells. The XlsxWriter writer puts
them back (`extend_tab`, `write_row_extras`, `write_officer_sheets`); cells whose row is gone are
kept in the "carried" tab and return beside their row when it is listed again.

A workbook the sync wrote (stamped `WRITTEN_STAMP`) and nobody saved since holds nothing of the
officers' but what an earlier sync carried, which its custom property `CARRIED_PROPERTY` says:
only a saved or carrying workbook is opened. One untouched since the last sync wrote it is read
only when it is to be rewritten (`WorkbookFolder`), so a steady folder costs nothing more.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.formula import ArrayFormula
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ..errors import OutputError
from ..review.settle import Unplaced, column_positions
from ..sources.formulas import sheet_part
from ..templates import SheetLayout, Templates
from ..text import fold
from .books import retired_titles
from .plan import CellLook, ColumnPlan, HeaderLook, TabPlan, highlight_formula

CARRIED_PROPERTY = "sangkien-sync.carried"
_DIGIT_PIXELS, _PADDING_PIXELS = 7, 5  # of the default 11-point font
RowKey = tuple[str, int]  # the row's key (id) and which copy of it, for keys listed twice


@dataclass(frozen=True, slots=True)
class Look:
    """How an officer made a cell look; None fields were left as they were."""

    fill: str | None = None  # #RRGGBB
    font: str | None = None
    bold: bool = False
    italic: bool = False
    pattern: str | None = None  # number format

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"bg_color": self.fill, "font_color": self.font,
                                "num_format": self.pattern}  # fmt: skip
        spec = {k: v for k, v in spec.items() if v is not None}
        return (
            spec | ({"bold": True} if self.bold else {}) | ({"italic": True} if self.italic else {})
        )


@dataclass(frozen=True, slots=True)
class CarriedCell:
    value: Any  # a number, text, date or bool; a formula as its "=..." text
    formula: bool = False
    look: Look | None = None
    comment: str | None = None
    origin: str = "A1"  # where it was, so a formula's relative references move with it
    cached: Any = None  # a formula's value as last computed, shown until it is recomputed


@dataclass(slots=True, eq=False)  # each column is itself, hashed by identity
class OfficerColumn:
    header: str
    after: tuple[str, ...]  # keys of the sync columns on its left, nearest first
    width: float | None
    cells: dict[RowKey, CarriedCell] = field(default_factory=dict)


@dataclass(slots=True)
class TabCarry:
    """One sync tab's additions: officers' columns, and marks on the sync's own cells."""

    columns: list[OfficerColumn] = field(default_factory=list)
    left: list[LeftCell] = field(default_factory=list)  # cells on rows without a key
    marks: dict[tuple[RowKey, str], CarriedCell] = field(default_factory=dict)  # (row, key)
    headers: dict[str, str] = field(default_factory=dict)  # a marked column's key -> header


@dataclass(slots=True)
class OfficerSheet:
    title: str
    cells: dict[tuple[int, int], CarriedCell] = field(default_factory=dict)  # 0-based
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LeftCell:
    """An officer's cell whose row is not listed now, kept in the carried tab."""

    tab: str
    key: str
    header: str
    value: Any
    reason: str


@dataclass(slots=True)
class Carried:
    sheets: list[OfficerSheet] = field(default_factory=list)
    tabs: dict[str, TabCarry] = field(default_factory=dict)
    left: list[LeftCell] = field(default_factory=list)


# Where each formula cell was read (sheet, 1-based row and column) -> the mapping holding it and
# its key there, to add the value the workbook last computed for it.
Formulas = dict[str, dict[tuple[int, int], tuple[dict[Any, CarriedCell], Any]]]


def _formulas(found: Carried) -> Formulas:
    wanted: Formulas = {}
    for sheet in found.sheets:
        for (row, column), cell in sheet.cells.items():
            if cell.formula:
                wanted.setdefault(sheet.title, {})[(row + 1, column + 1)] = (
                    sheet.cells,
                    (row, column),
                )
    for title, tab in found.tabs.items():
        for officer in tab.columns:
            for key, cell in officer.cells.items():
                if cell.formula:
                    letters, row = coordinate_from_string(cell.origin)
                    where = (row, column_index_from_string(letters))
                    wanted.setdefault(title, {})[where] = (officer.cells, key)
    return wanted


def _add_computed(path: Path, formulas: Formulas) -> None:
    """The values the workbook holds for its formulas (a second, streaming read of the sheets
    that have some), so LibreOffice, which does not recompute on opening, shows them."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for title, wanted in formulas.items():
            rows = book[title].iter_rows(values_only=True)
            for number, row in enumerate(rows, start=1):
                for column, value in enumerate(row, start=1):
                    if (number, column) in wanted:
                        holder, key = wanted[(number, column)]
                        holder[key] = replace(holder[key], cached=value)
    finally:
        book.close()


# -- reading ------------------------------------------------------------------------------------


def _colour(colour: Any) -> str | None:
    """#RRGGBB of an explicit colour; None for a theme or indexed one, kept as the sync's."""
    if getattr(colour, "type", None) != "rgb" or not isinstance(colour.rgb, str):
        return None
    return f"#{colour.rgb[-6:]}"


def _look(cell: Any) -> Look | None:
    if getattr(cell, "fill", None) is None:
        return None  # a cell a streaming read found empty
    fill = _colour(cell.fill.fgColor) if cell.fill.fill_type == "solid" else None
    font = cell.font
    pattern = cell.number_format if cell.number_format not in ("General", "@") else None
    look = Look(fill, _colour(font.color) if font.color else None, bool(font.b), bool(font.i),
                pattern)  # fmt: skip
    return None if look == Look() or look == Look(font="#000000") else look


def _carried_cell(cell: Any, coordinate: str) -> CarriedCell | None:
    value = cell.value
    if isinstance(value, ArrayFormula):
        value = value.text
    comment = getattr(cell, "comment", None)  # streaming reads have none
    text = comment.text if comment is not None else None
    look = _look(cell)
    if value is None and text is None and look is None:
        return None
    formula = cell.data_type == "f" and isinstance(value, str)
    return CarriedCell(value, formula, look, text, coordinate)


def _officer_sheet(sheet: Any) -> OfficerSheet:
    found = OfficerSheet(sheet.title)
    for row in sheet.iter_rows():
        for cell in row:
            carried = _carried_cell(cell, cell.coordinate)
            if carried is not None:
                found.cells[(cell.row - 1, cell.column - 1)] = carried
    for dimension in sheet.column_dimensions.values():
        if dimension.customWidth and dimension.width:
            for index in range(dimension.min or 1, (dimension.max or dimension.min or 1) + 1):
                found.widths[index - 1] = dimension.width
    for number, dimension in sheet.row_dimensions.items():
        if dimension.height:
            found.heights[number - 1] = dimension.height
    for merged in sheet.merged_cells.ranges:
        found.merged.append((merged.min_row - 1, merged.min_col - 1, merged.max_row - 1,
                             merged.max_col - 1))  # fmt: skip
    return found


def _keys(sheet: Any, position: int) -> Iterator[tuple[RowKey | None, tuple[Any, ...]]]:
    """Each data row with its key: the cell at `position` and how many times it came before."""
    seen: Counter[str] = Counter()
    for row in sheet.iter_rows(min_row=2):
        value = row[position].value if position < len(row) else None
        key = "" if value is None else str(value).strip()
        if not key:
            yield None, row
            continue
        seen[key] += 1
        yield (key, seen[key] - 1), row


_COLUMN = re.compile(rb"<col\s([^>]*)>")
_ATTRIBUTE = re.compile(rb"""(\w+)\s*=\s*["']([^"']*)["']""")
_MAX_COLUMNS = 16_384  # Excel's last column, XFD: a range to it is a whole row's formatting


def _stored_widths(path: Path, title: str) -> dict[int, float]:
    """Each column's width, 0-based, as the sheet's XML stores it (`<cols>`, before the rows),
    for a streaming read, which gives none. Empty when the XML cannot be read: the widths fall
    back to the default, and nothing else is lost."""
    head = b""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, title)
            with archive.open(part or "") as stream:
                while b"<sheetData" not in head and (piece := stream.read(1 << 16)):
                    head += piece
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
        return {}  # a damaged workbook part (ElementTree's ParseError is a SyntaxError)
    widths = {}
    for column in _COLUMN.finditer(head.partition(b"<sheetData")[0]):
        found = {
            name.decode(): value.decode() for name, value in _ATTRIBUTE.findall(column.group(1))
        }
        try:
            first, last, width = int(found["min"]), int(found["max"]), float(found["width"])
        except (KeyError, ValueError):
            continue
        widths.update(dict.fromkeys(range(first - 1, min(last, first + _MAX_COLUMNS)), width))
    return widths


def _officer_columns(
    sheet: Any, names: list[str], positions: dict[int, str], path: Path
) -> dict[int, OfficerColumn]:
    """The columns of a sync tab that the sync does not recognise, by position."""
    found = {}
    dimensions = getattr(sheet, "column_dimensions", None)  # not in a streaming read
    stored: dict[int, float] | None = None
    for index, name in enumerate(names):
        if index not in positions:
            after = tuple(positions[i] for i in range(index - 1, -1, -1) if i in positions)
            if dimensions:
                width = dimensions[get_column_letter(index + 1)].width
            else:
                stored = _stored_widths(path, sheet.title) if stored is None else stored
                width = stored.get(index)
            found[index] = OfficerColumn(name, after, width)
    return found


def _mark(cell: CarriedCell, review: bool, sync_fill: str) -> CarriedCell | None:
    """What an officer put on a sync cell (a comment) or a review cell (a comment, a colour)."""
    fill = cell.look.fill if cell.look and review else None
    look = Look(fill=fill) if fill and fill.upper() != sync_fill.upper() else None
    return CarriedCell(None, look=look, comment=cell.comment) if look or cell.comment else None


@dataclass(frozen=True, slots=True)
class _Reading:
    path: Path
    tier: str | None  # whose layout the sync last wrote in the workbook
    sync_fill: str  # the review cells' own colour
    coloured: bool  # whether any cell has a colour the sync does not use


def _sync_tab(sheet: Any, layout: SheetLayout, reading: _Reading) -> TabCarry | None:
    """A sync tab's officers' columns and marks; None when its rows cannot be keyed. A streaming
    read (no comments) looks only at the officers' and the review columns."""
    tier, sync_fill = reading.tier, reading.sync_fill
    header = [c.value for c in next(sheet.iter_rows(max_row=1), ())]
    positions = column_positions(header, layout, layout.for_tier(tier) if tier else None)
    keys = layout.column_keys()
    position = next((i for i, k in positions.items() if k == "id"), 0 if "id" not in keys else -1)
    if position < 0:
        return None
    review = {i for i, k in positions.items() if k in {c.key for c in layout.columns if c.review}}
    names = [str(h) if h is not None else "" for h in header]
    officer = _officer_columns(sheet, names, positions, reading.path)
    carry = TabCarry(list(officer.values()))
    streamed = not hasattr(sheet, "merged_cells")
    wanted = sorted({*officer, *review} if streamed else range(len(names)))
    if streamed and not officer and not (reading.coloured and review):
        return carry  # nothing of the officers' can be in its rows: they are not read
    for number, (key, row) in enumerate(_keys(sheet, position), start=2):
        for index in wanted:
            cell = row[index] if index < len(row) else None
            carried = (
                _carried_cell(cell, f"{get_column_letter(index + 1)}{number}") if cell else None
            )
            if carried is None:
                continue
            if index in officer:
                _place(carry, officer[index], key, carried, sheet.title)
            elif key is not None and index in positions:
                mark = _mark(carried, index in review, sync_fill)
                if mark is not None:
                    carry.marks[(key, positions[index])] = mark
                    carry.headers[positions[index]] = names[index]
    carry.columns = [c for c in carry.columns if c.header or c.cells]  # not a stray blank one
    return carry


def _place(
    carry: TabCarry, column: OfficerColumn, key: RowKey | None, cell: CarriedCell, tab: str
) -> None:
    if key is not None:
        column.cells[key] = cell
    elif cell.value is not None:
        carry.left.append(LeftCell(tab, "", column.header, cell.value, "no_id"))


def _left_cells(sheet: Any, layout: SheetLayout) -> list[LeftCell]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, ())
    positions = column_positions(header, layout)
    keys = {k: i for i, k in positions.items()}
    if len(keys) < len(layout.columns):
        return []
    found = []
    for row in rows:
        tab, key, header_text, value, reason = (
            row[keys[k]] if keys[k] < len(row) else None
            for k in ("tab", "key", "column", "value", "reason")
        )
        if tab and value is not None:
            found.append(LeftCell(str(tab), str(key or ""), str(header_text or ""), value,
                                  str(reason or "")))  # fmt: skip
    return found


def _owned_titles(templates: Templates) -> set[str]:
    titles = {layout.name for layout in templates.sheets.values()}
    return titles | {templates.dashboard.title}


def _full_list_as_read(templates: Templates) -> SheetLayout:
    """The full list's columns, and the review list's sync-owned ones an earlier, wider full
    list showed: recognised as the sync's, so they are dropped from an old workbook rather
    than kept as an officer's. Its review columns are not: a "Ghi chú" an officer added to
    the full list is theirs."""
    lean = templates.sheets["all_initiatives"]
    keys = set(lean.column_keys())
    wide = [c for c in templates.sheets["initiatives"].columns if not (c.review or c.key in keys)]
    return replace(lean, columns=(*lean.columns, *wide))


def _layouts(written: Mapping[str, SheetLayout], templates: Templates) -> dict[str, SheetLayout]:
    """Each sync tab's columns by its title: as written (`written`, a tally per field, sector
    and code expanded, so those columns are the sync's, not an officer's)."""
    layouts = {layout.name: layout for layout in (*templates.sheets.values(), *written.values())}
    full = _full_list_as_read(templates)
    layouts[full.name] = full
    return layouts


# Every workbook the sync writes says it was created and last modified at this moment; Excel,
# LibreOffice and openpyxl set the modification time when they save, so a workbook still
# stamped so was saved by nobody since (a finer test than comparing times to the second).
WRITTEN_STAMP = datetime(2000, 1, 1)
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]*)<")


def worth_opening(path: Path) -> bool:
    """Whether a workbook may hold officers' additions: saved since the sync wrote it, or
    carrying some already."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        core = archive.read("docProps/core.xml") if "docProps/core.xml" in names else b""
        custom = archive.read("docProps/custom.xml") if "docProps/custom.xml" in names else b""
    modified = _MODIFIED.search(core)
    stamp = WRITTEN_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return modified is None or modified.group(1) != stamp or CARRIED_PROPERTY.encode() in custom


_FILLS = re.compile(rb"<fills[^>]*>(.*?)</fills>", re.DOTALL)
_RGB = re.compile(rb'rgb="[0-9A-Fa-f]{2}([0-9A-Fa-f]{6})"')


def _coloured(path: Path, templates: Templates) -> bool:
    """Whether the workbook's cell fills include a colour the sync does not use: only then can
    an officer have coloured a review cell (the conditional highlights are kept apart)."""
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml") if "xl/styles.xml" in archive.namelist() else b""
    fills = _FILLS.search(styles)
    used = {m.decode().upper() for m in _RGB.findall(fills.group(1))} if fills else set()
    colours = templates.styles
    sync = {colours.header_fill, colours.review_header_fill, colours.review_cell_fill}
    return bool(used - {c.lstrip("#").upper() for c in sync})


# A comment's cell reference (`<comment ref="R1" ...>`, the element prefixed by some writers):
# its row number.
_COMMENT_ROW = re.compile(rb"""<(?:\w+:)?comment\s[^>]*?\bref\s*=\s*["']\$?[A-Za-z]+\$?(\d+)""")


def _commented_below_header(archive: zipfile.ZipFile) -> bool:
    """Whether any comment sits below a header row, or a comments part could not be read so
    (then it may). The sync writes notes on its tabs' headers only, and a header's comment is
    never carried; a streaming read gives no comments at all."""
    for part in (n for n in archive.namelist() if n.startswith("xl/comments")):
        rows = _COMMENT_ROW.findall(archive.read(part))
        if not rows or any(row != b"1" for row in rows):
            return True
    return False


def _open(path: Path, templates: Templates) -> Any:
    """The workbook, streamed when it has neither officers' sheets nor comments on rows (the
    only parts a streaming read cannot give), so a long list costs little time and memory."""
    with zipfile.ZipFile(path) as archive:
        commented = _commented_below_header(archive)
    book = openpyxl.load_workbook(path, read_only=True)
    owned = _owned_titles(templates)
    if not commented and all(title in owned for title in book.sheetnames):
        return book
    book.close()
    return openpyxl.load_workbook(path)


def read_carried(
    path: Path,
    templates: Templates,
    written: Mapping[str, SheetLayout],
    tier: str | None,
    unplaced: Sequence[Unplaced] = (),
) -> Carried | None:
    """The officers' additions to the workbook at `path` (whose tabs the sync wrote with the
    `written` layouts), and the review cells the read-back could not place (kept in the
    carried tab); None when there is nothing to carry."""
    found = _read_carried(path, templates, written, tier)
    left = [LeftCell(u.sheet, "", u.column, u.value, "no_id") for u in unplaced]
    if left:
        found = found or Carried()
        found.left += left
    return found


def _read_carried(
    path: Path, templates: Templates, written: Mapping[str, SheetLayout], tier: str | None
) -> Carried | None:
    try:
        if not path.exists() or not worth_opening(path):
            return None
        book = _open(path, templates)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise OutputError(
            f"{path}: cannot read the workbook to keep the officers' own sheets and columns "
            f"({exc}); repair or restore it, or move it away; nothing was written"
        ) from None
    found = Carried()
    owned, layouts = _owned_titles(templates), _layouts(written, templates)
    retired = retired_titles(templates)
    carried_tab = templates.sheets["carried"]
    reading = _Reading(path, tier, templates.styles.review_cell_fill, _coloured(path, templates))
    for sheet in book.worksheets:
        if sheet.title == carried_tab.name:
            found.left.extend(_left_cells(sheet, carried_tab))
        elif sheet.title not in owned:
            found.sheets.append(_officer_sheet(sheet))
        elif sheet.title in layouts and sheet.title != templates.dashboard.title:
            carry = _sync_tab(sheet, layouts[sheet.title], reading)
            if carry is not None:
                found.left.extend(carry.left)
                if sheet.title in retired:  # no row of it is listed now: its cells wait
                    found.left.extend(_gone(carry, set(), sheet.title))
                    found.left.extend(_unplaced_comments(carry, set(), set(), sheet.title))
                else:
                    found.tabs[sheet.title] = carry
    book.close()
    formulas = _formulas(found)
    if formulas:
        _add_computed(path, formulas)
    empty = not found.sheets and not found.left
    if empty and not any(t.columns or t.marks for t in found.tabs.values()):
        return None
    return found


# -- writing ------------------------------------------------------------------------------------


def _order(keys: tuple[str, ...], columns: list[OfficerColumn]) -> list[int | OfficerColumn]:
    """The new column order: sync columns by index, each officer column after the nearest sync
    column on its left that is still written (first when none is, as when it led the tab)."""
    anchor = {c: next((k for k in c.after if k in keys), None) for c in columns}
    order: list[int | OfficerColumn] = [c for c in columns if anchor[c] is None]
    for index, key in enumerate(keys):
        order.append(index)
        order.extend(c for c in columns if anchor[c] == key)
    return order


def _row_keys(rows: list[list[Any]], position: int) -> list[RowKey | None]:
    seen: Counter[str] = Counter()
    found: list[RowKey | None] = []
    for row in rows:
        value = row[position] if position < len(row) else None
        key = "" if value is None else str(value).strip()
        seen[key] += 1
        found.append((key, seen[key] - 1) if key else None)
    return found


@dataclass(slots=True)
class RowExtras:
    """Officers' cells to write on each data row of one tab (1-based sheet row -> cells)."""

    cells: dict[int, list[tuple[int, CarriedCell]]] = field(default_factory=dict)
    formats: dict[tuple[CellLook, Look | None], Format] = field(default_factory=dict)


def _restore(carry: TabCarry, left: list[LeftCell], tab: str) -> list[LeftCell]:
    """Put back, into the officers' columns, the cells kept aside while their row was gone."""
    by_header = {c.header: c for c in carry.columns}
    kept = []
    for cell in left:
        column = by_header.get(cell.header) if cell.tab == tab and cell.key else None
        if column is None or (cell.key, 0) in column.cells:
            kept.append(cell)
        else:
            column.cells[(cell.key, 0)] = CarriedCell(cell.value, str(cell.value).startswith("="))
    return kept


def _characters(stored: float) -> float:
    """A column width as a file stores it (padding included) in the characters XlsxWriter's
    `set_column` takes, so a carried width does not grow by the padding at every sync."""
    return max((round(stored * _DIGIT_PIXELS) - _PADDING_PIXELS) / _DIGIT_PIXELS, 1)


def _officer_plan(column: OfficerColumn, header_look: HeaderLook) -> ColumnPlan:
    look = CellLook("general", "General", wrap=False, unlocked=True)
    width = _characters(column.width) if column.width else 14
    return ColumnPlan(column.header, width, False, False, header_look, look, None,
                      sets_height=False)  # fmt: skip


def extend_tab(
    tab: TabPlan, layout: SheetLayout, carried: Carried, header_look: HeaderLook
) -> tuple[TabPlan, RowExtras]:
    """The tab with the officers' columns back in place and their cells beside their rows; the
    cells whose row is not listed move to `carried.left`."""
    carry = carried.tabs.get(tab.title, TabCarry())
    if not carry.columns and not carry.marks:
        return tab, RowExtras()  # nothing of the officers' in this tab: written as planned
    rendered = {fold(c.header) for c in tab.columns}
    carry.columns = [c for c in carry.columns if fold(c.header) not in rendered]
    carried.left = _restore(carry, carried.left, tab.title)
    keys = layout.column_keys()
    order = _order(keys, carry.columns)
    where = {item: new for new, item in enumerate(order) if not isinstance(item, int)}
    moved = {item: new for new, item in enumerate(order) if isinstance(item, int)}
    row_keys = _row_keys(tab.rows, keys.index("id") if "id" in keys else 0)
    listed = {key for key in row_keys if key is not None}
    rows, extras = [], RowExtras()
    for number, (row, key) in enumerate(zip(tab.rows, row_keys, strict=True), start=1):
        cells = {c: c.cells.get(key) for c in carry.columns} if key else {}
        rows.append([row[i] if isinstance(i, int) else _plain(cells.get(i)) for i in order])
        placed = [(where[c], cell) for c, cell in cells.items() if cell is not None]
        placed += [(moved[keys.index(k)], cell) for (rk, k), cell in carry.marks.items()
                   if rk == key and k in keys]  # fmt: skip
        if placed:
            extras.cells[number] = placed
    carried.left += _gone(carry, listed, tab.title)
    carried.left += _unplaced_comments(carry, listed, set(keys), tab.title)
    columns = tuple(
        tab.columns[i] if isinstance(i, int) else _officer_plan(i, header_look) for i in order
    )
    return _renumbered(tab, layout, columns, moved, rows), extras


def _gone(carry: TabCarry, listed: set[RowKey], tab: str) -> list[LeftCell]:
    return [
        LeftCell(tab, key[0], column.header, cell.value, "gone")
        for column in carry.columns
        for key, cell in column.cells.items()
        if key not in listed and cell.value is not None
    ]


def _unplaced_comments(
    carry: TabCarry, listed: set[RowKey], keys: set[str], tab: str
) -> list[LeftCell]:
    """An officer's comment on a sync cell the tab no longer shows (its row is not listed, or
    its column was dropped from the layout): kept, as text, in the carried tab."""
    return [
        LeftCell(tab, row[0], carry.headers.get(key, key), cell.comment, "comment")
        for (row, key), cell in carry.marks.items()
        if cell.comment and (row not in listed or key not in keys)
    ]


def _plain(cell: CarriedCell | None) -> Any:
    return None if cell is None or cell.formula else cell.value


def _renumbered(
    tab: TabPlan, layout: SheetLayout, columns: tuple[ColumnPlan, ...], moved: dict[int, int],
    rows: list[list[Any]],
) -> TabPlan:  # fmt: skip
    keys = layout.column_keys()
    highlights = tuple(
        replace(old, formula=highlight_formula(moved[keys.index(rule.column)], rule))
        for old, rule in zip(tab.highlights, layout.highlights, strict=True)
    )
    frozen = moved[tab.freeze_columns - 1] + 1 if tab.freeze_columns else 0
    return replace(tab, columns=columns, rows=rows, highlights=highlights, freeze_columns=frozen)


def _format(book: Workbook, extras: RowExtras, base: CellLook, look: Look | None) -> Format:
    if (base, look) not in extras.formats:
        spec: dict[str, Any] = {"num_format": base.pattern, "valign": "top"}
        spec |= {"text_wrap": base.wrap} if base.wrap else {}
        spec |= {"bg_color": base.fill} if base.fill else {}
        spec |= {"locked": False} if base.unlocked else {}
        extras.formats[(base, look)] = book.add_format(spec | (look.spec() if look else {}))
    return extras.formats[(base, look)]


def write_value(sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None) -> None:
    """Any cell value through its typed call, so text is never read as a formula."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        sheet.write_string(row, col, value, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    elif hasattr(value, "year"):
        sheet.write_datetime(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def _shown(value: Any) -> Any:
    """A computed value as XlsxWriter stores it beside a formula (0 when there is none)."""
    return 0 if value is None else value if isinstance(value, str | int | float) else str(value)


def _moved(formula: str, origin: str, row: int, col: int) -> str:
    """The formula with its relative references moved as its cell moved (as Excel moves them
    when rows are sorted); as it was when a reference would leave the sheet."""
    try:
        return Translator(formula, origin=origin).translate_formula(
            f"{get_column_letter(col + 1)}{row + 1}"
        )
    except TranslatorError:
        return formula


def _write_cell(sheet: Worksheet, row: int, col: int, cell: CarriedCell, value: Any,
                fmt: Format | None) -> None:  # fmt: skip
    if cell.formula:
        formula = _moved(str(cell.value), cell.origin, row, col)
        sheet.write_formula(row, col, formula, fmt, _shown(cell.cached))
    else:
        write_value(sheet, row, col, value, fmt)
    if cell.comment:
        sheet.write_comment(row, col, cell.comment)


def write_row_extras(
    book: Workbook, sheet: Worksheet, tab: TabPlan, extras: RowExtras, row: int
) -> None:
    """Write row `row`'s officers' cells over what the table wrote (same row: allowed when the
    workbook streams its rows)."""
    for col, cell in extras.cells.get(row, ()):
        fmt = _format(book, extras, tab.columns[col].look, cell.look)
        value = cell.value if cell.value is not None else tab.rows[row - 1][col]
        _write_cell(sheet, row, col, cell, value, fmt)


def write_officer_sheets(book: Workbook, carried: Carried) -> None:
    """The sheets officers added, as they left them."""
    made: dict[Look | None, Format | None] = {None: None}
    for found in carried.sheets:
        sheet = book.add_worksheet(found.title)
        for index, width in found.widths.items():
            sheet.set_column(index, index, _characters(width))
        for number, height in found.heights.items():
            sheet.set_row(number, height)
        for (row, col), cell in sorted(found.cells.items()):
            if cell.look not in made:
                made[cell.look] = book.add_format(cell.look.spec()) if cell.look else None
            _write_cell(sheet, row, col, cell, cell.value, made[cell.look])
        for first_row, first_col, last_row, last_col in found.merged:
            top = found.cells.get((first_row, first_col))
            value = "" if top is None or top.formula else top.value
            fmt = made.get(top.look) if top is not None else None
            sheet.merge_range(first_row, first_col, last_row, last_col, value, fmt)
            if top is not None and top.formula:
                _write_cell(sheet, first_row, first_col, top, None, fmt)


def left_rows(carried: Carried, layout: SheetLayout, templates: Templates) -> list[list[Any]]:
    """The carried tab's rows: officers' cells whose row is not listed now."""
    reasons = templates.review.carried_reason.model_dump()
    found = []
    for cell in carried.left:
        value = cell.value if isinstance(cell.value, str | int | float) else str(cell.value)
        values = {"tab": cell.tab, "key": cell.key, "column": cell.header, "value": value,
                  "reason": reasons.get(cell.reason, cell.reason)}  # fmt: skip
        found.append([values[k] for k in layout.column_keys()])
    return found
