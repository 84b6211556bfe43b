"""Read the officers' review back from an existing unit workbook (calamine), by header and id.

Columns are found by meaning (`review.settle.column_positions`: the header, a review column's
aliases, its last written position), rows by the "Mã sáng kiến" id cell, so sorting, filtering,
moving, renaming and inserting rows or columns changes nothing. A review cell no initiative can
take is returned as `Unplaced`, for the unit's "Lỗi cần sửa" tab and the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from ..errors import OutputError
from ..report import Report
from ..review.settle import ReadBack, Unplaced, column_positions
from ..review.values import cell_value
from ..rules.codes import code
from ..sources.formulas import error_cells
from ..templates import SheetLayout, Templates


def lock_files(path: Path) -> Iterator[Path]:
    """The owner files Excel (`~$name`) and LibreOffice (`.~lock.name#`) keep while it is open."""
    yield path.with_name(f"~${path.name}")
    yield path.with_name(f"~${path.name[2:]}")
    yield path.with_name(f".~lock.{path.name}#")


def read_tab(
    values: Iterable[Sequence[Any]], layout: SheetLayout, written: SheetLayout | None = None
) -> tuple[list[dict[str, Any]], list[Unplaced]]:
    """Rows of a tab as read (header first), keyed by column key (see `column_positions`), and
    the review cells no initiative can take: typed on a row without an id, or on a second copy
    of a row that says otherwise. Shared by the workbook and the Google read-back."""
    rows = iter(values)
    header = list(next(rows, ()))
    positions = column_positions(header, layout, written)
    if "id" not in positions.values():
        return [], []
    review = {c.key for c in layout.columns if c.review}
    found: list[dict[str, Any]] = []
    first: dict[str, dict[str, Any]] = {}
    unplaced: list[Unplaced] = []
    for number, row in enumerate(rows, start=2):
        record = {key: row[i] if i < len(row) else None for i, key in positions.items()}
        initiative = record.get("id")
        if initiative not in (None, "") and str(initiative).strip() not in first:
            first[str(initiative).strip()] = record
            found.append(record)
            continue
        kept = first.get(str(initiative or "").strip(), {})
        for index, key in positions.items():
            value = cell_value(record[key])
            if key in review and value is not None and value != cell_value(kept.get(key)):
                unplaced.append(Unplaced(layout.name, number, str(header[index] or ""), value))
    return found, unplaced


def rows_by_header(values: Iterable[Sequence[Any]], layout: SheetLayout) -> list[dict[str, Any]]:
    """Rows of a tab as read (header first), keyed by column key; rows without an id dropped."""
    return read_tab(values, layout)[0]


def unplaced_rows(
    report: Report, unit_id: str, layout: SheetLayout, severity: str
) -> list[list[Any]]:
    """The unit's "Lỗi cần sửa" rows for the review cells no initiative could take."""
    cells = report.review.unplaced.get(unit_id, []) if report.review else []
    found = []
    for cell in cells:
        details = {"sheet": cell.sheet, "row": cell.row, "column": cell.column, "value": cell.value}
        violation = code("UNPLACED_CELL").violation(raw_value=cell.value, **details)
        values = {"source": cell.sheet, "row": cell.row, "id": "", "full_name": "", "unit": "",
                  "code": violation.code, "severity": severity, "column": cell.column,
                  "raw_value": violation.raw_value, "message": violation.message}  # fmt: skip
        found.append([values.get(k) for k in layout.column_keys()])
    return found


_EXACT_INTEGERS = 2**53  # a float holds every whole number below this exactly


def _as_stored(value: Any) -> Any:
    """A calamine value as the cell stores it: a whole number as an int (calamine gives every
    number as a float), a date as midnight (a date cell holds a moment), nothing for a blank."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float and value.is_integer() and abs(value) < _EXACT_INTEGERS:
        return int(value)
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value


def _rows(book: CalamineWorkbook, path: Path, name: str) -> Iterator[list[Any]]:
    """The tab's cells from A1 as stored; an error cell (`#DIV/0!` in a score typed as a
    formula) as its text, which calamine reads as a blank, so the officer is told it is wrong."""
    errors: dict[int, list[tuple[int, str]]] = {}
    for (row, column), text in error_cells(path, name).items():
        errors.setdefault(row, []).append((column, text))
    for number, row in enumerate(book.get_sheet_by_name(name).to_python(skip_empty_area=False)):
        values = [_as_stored(v) for v in row]
        for column, text in errors.get(number, ()):
            values.extend([None] * (column + 1 - len(values)))
            values[column] = text
        yield values


def _tab(
    book: CalamineWorkbook, path: Path, layout: SheetLayout, tier: str | None
) -> tuple[list[dict[str, Any]], list[Unplaced]]:
    """A review tab as `read_tab` reads it; none when the tab is gone or empty. A header row
    without the id column is refused: no review could be matched to its initiative, and
    rewriting the workbook would lose what the officers typed since the last sync."""
    if layout.name not in book.sheet_names:
        return [], []
    written = layout.for_tier(tier) if tier else None
    rows = _rows(book, path, layout.name)
    header = next(rows, [])
    headed = any(value is not None for value in header)
    if headed and "id" not in column_positions(header, layout, written).values():
        id_header = next(c.header for c in layout.columns if c.key == "id")
        raise OutputError(
            f"{path}: the tab «{layout.name}» has no «{id_header}» column, so the officers' "
            "review cannot be matched to its initiatives; restore that header (or the file), "
            "then sync again"
        )
    return read_tab(chain([header], rows), layout, written)


def readback_of(
    listed: tuple[list[dict[str, Any]], list[Unplaced]],
    archived: tuple[list[dict[str, Any]], list[Unplaced]],
) -> ReadBack:
    """A unit's read-back from its two tabs as `read_tab` returns them."""
    return ReadBack(listed=listed[0], archived=archived[0], unplaced=listed[1] + archived[1])


def read_review(path: Path, templates: Templates, tier: str | None = None) -> ReadBack | None:
    """The unit's workbook as the officers left it; None when it does not exist yet. A workbook
    that cannot be read is an OutputError: the caller leaves it as it is, so no decision is
    ever overwritten (one open in Excel or LibreOffice is read, and also left alone)."""
    if not path.exists():
        return None
    try:
        book = CalamineWorkbook.from_path(str(path))
        try:
            if not book.sheet_names:  # every workbook the sync writes has its tabs
                raise CalamineError("the workbook lists no sheet")
            sheets = templates.sheets
            listed = _tab(book, path, sheets["initiatives"], tier)
            return readback_of(listed, _tab(book, path, sheets["archive"], tier))
        finally:
            book.close()
    except (OSError, CalamineError) as exc:  # calamine's types name every kind of damage
        raise OutputError(
            f"{path}: cannot read the workbook to keep the officers' review ({exc}); repair or "
            "restore it, or move it away to start it afresh"
        ) from None
