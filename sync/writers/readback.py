"""Read the officers' review back from an existing unit workbook (openpyxl), by header and id.

Columns are found by their header text, rows by the "Mã sáng kiến" id cell, so sorting,
filtering, moving and inserting rows or columns changes nothing.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import OutputError
from ..review.settle import ReadBack
from ..templates import SheetLayout, Templates
from ..text import decode_excel_escapes, fold

_UNREADABLE = (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError)


def lock_files(path: Path) -> Iterator[Path]:
    """The owner files Excel (`~$name`) and LibreOffice (`.~lock.name#`) keep while it is open."""
    yield path.with_name(f"~${path.name}")
    yield path.with_name(f"~${path.name[2:]}")
    yield path.with_name(f".~lock.{path.name}#")


def rows_by_header(values: Iterable[Sequence[Any]], layout: SheetLayout) -> list[dict[str, Any]]:
    """Rows of a tab as read (header first), keyed by column key: columns found by header text,
    rows without an id dropped. Shared by the workbook and the Google read-back."""
    rows = iter(values)
    header = next(rows, ())
    keys = {fold(c.header): c.key for c in layout.columns}
    positions = {i: keys[fold(str(h))] for i, h in enumerate(header) if h and fold(str(h)) in keys}
    if "id" not in positions.values():
        return []
    found = []
    for row in rows:
        record = {key: row[i] if i < len(row) else None for i, key in positions.items()}
        if record.get("id") not in (None, ""):
            found.append(record)
    return found


def _rows(book: Any, layout: SheetLayout) -> list[dict[str, Any]]:
    if layout.name not in book.sheetnames:
        return []
    rows = book[layout.name].iter_rows(values_only=True)
    return rows_by_header((tuple(map(decode_excel_escapes, row)) for row in rows), layout)


def read_review(path: Path, templates: Templates) -> ReadBack | None:
    """The unit's workbook as the officers left it; None when it does not exist yet. A workbook
    that cannot be read is an OutputError: the caller leaves it as it is, so no decision is
    ever overwritten (one open in Excel or LibreOffice is read, and also left alone)."""
    if not path.exists():
        return None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return ReadBack(
                listed=_rows(book, templates.sheets["initiatives"]),
                archived=_rows(book, templates.sheets["archive"]),
            )
        finally:
            book.close()
    except _UNREADABLE as exc:
        raise OutputError(
            f"{path}: cannot read the workbook to keep the officers' review ({exc}); repair or "
            "restore it, or move it away to start it afresh"
        ) from None
