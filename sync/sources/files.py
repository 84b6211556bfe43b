"""Local response files: the export of a Google Form's sheet as .xlsx/.xls/.ods or .csv."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

from ..errors import SourceError

# Excel's "CSV UTF-8" adds a BOM, "Unicode text" is UTF-16 (tab-separated), plain "CSV" on a
# Vietnamese Windows is Windows-1258. Tried in this order when the file has no BOM.
_FALLBACK_ENCODINGS = ("utf-8", "cp1258")


def _decode(data: bytes, encoding: str | None, path: Path) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise SourceError(f"{path}: cannot decode as {encoding} ({exc})") from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for candidate in _FALLBACK_ENCODINGS:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{path}: unknown text encoding; save it as CSV UTF-8")


def read_csv_table(path: Path, encoding: str | None = None) -> list[list[Any]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: response file not found") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc})") from None
    text = _decode(data, encoding, path)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def read_workbook_table(path: Path, sheet: str | None) -> list[list[Any]]:
    """Read .xlsx, .xls or .ods with calamine: values as stored (numbers, dates, text)."""
    from python_calamine import CalamineWorkbook

    if not path.exists():
        raise SourceError(f"{path}: response file not found")
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise SourceError(f"{path}: not a readable spreadsheet ({exc})") from None
    names = workbook.sheet_names
    if sheet is not None and sheet not in names:
        raise SourceError(f"{path}: no sheet named {sheet!r}; sheets found: {names}")
    worksheet = workbook.get_sheet_by_name(sheet or names[0])
    return worksheet.to_python(skip_empty_area=False)
