"""Local response files: the export of a Google Form's sheet as .xlsx/.xls/.ods or .csv.

Whatever an officer sends, the result is a table or one SourceError line naming the file and
what to do: calamine parses lazily, so every step that touches the workbook is guarded.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SourceError
from .formulas import uncalculated_cells
from .messages import refuse, where
from .parts import parsed_in_parts
from .table import SharedTexts

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

# Excel's "CSV UTF-8" adds a BOM, "Unicode text" is UTF-16 (tab-separated), plain "CSV" on a
# Vietnamese Windows is Windows-1258. Tried in this order when the file has no BOM.
_FALLBACK_ENCODINGS = ("utf-8", "cp1258")


class Uncalculated(str):
    """A formula cell saved without its value: blank text, but not a blank answer."""


UNCALCULATED = Uncalculated("")
# Excel writes "sep=;" as the first line of a CSV saved for a locale whose separator differs.
_SEP_HINT = re.compile(r"^\ufeff?sep=(.)\r?\n", re.IGNORECASE)
# Office files in the old compound format: .xls workbooks and password-protected .xlsx ones.
_COMPOUND_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_PASSWORD = "được bảo vệ bằng mật khẩu, password-protected: save a copy without a password"
_RESAVE = "open it in Excel or LibreOffice and save it again as .xlsx"
# Rows of a sheet parsed whole turned into Python at a time.
_ROWS_AT_ONCE = 2_000


def read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise refuse(where(path), "response file not found; check `path` in config.yaml") from None
    except IsADirectoryError:
        raise refuse(where(path), "is a folder, not a response file") from None
    except OSError as exc:
        raise refuse(where(path), f"cannot read ({exc.strerror or exc})") from None
    if not data.strip():
        raise refuse(where(path), "the file is empty; export the responses again")
    return data


def _decode(data: bytes, encoding: str | None, path: Path) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise refuse(where(path), f"cannot decode as {encoding} ({exc})") from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    for candidate in _FALLBACK_ENCODINGS:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise refuse(where(path), "unknown text encoding; save it as CSV UTF-8")


def _line_of_unclosed_quote(text: str, delimiter: str) -> int:
    """The line on which the field whose quote is never closed starts (1-based)."""
    line, opened, quoted, at_field_start = 1, 1, False, True
    chars = iter(enumerate(text))
    for index, char in chars:
        if quoted:
            if char == '"' and text[index + 1 : index + 2] == '"':
                next(chars, None)  # a doubled quote is a quote inside the field
            elif char == '"':
                quoted = False
        elif char == '"' and at_field_start:
            quoted, opened = True, line
        at_field_start = not quoted and (char == delimiter or char == "\n")
        line += char == "\n"
    return opened


def _rows(text: str, delimiter: str, path: Path, first_line: int) -> list[list[Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return SharedTexts().rows(list(reader))
    except csv.Error as exc:
        if "end of data" in str(exc):
            line = first_line - 1 + _line_of_unclosed_quote(text, delimiter)
            problem = f'line {line}: a quote (") opens a field that is never closed'
        else:
            problem = f"line {first_line + reader.line_num - 1}: broken quoting ({exc})"
        raise refuse(where(path), problem + "; fix the quotes or export again") from None


def read_csv_table(path: Path, encoding: str | None = None) -> list[list[Any]]:
    text = _decode(read_bytes(path), encoding, path)
    first_line = 1
    if hint := _SEP_HINT.match(text):
        delimiter = hint.group(1)
        text, first_line = text[hint.end() :], 2
    else:
        header = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=header.count)
    return _rows(text, delimiter, path, first_line)


def _values(sheet: CalamineSheet) -> list[list[Any]]:
    """The sheet's cells from A1, each repeated text one object. A sheet starting at A1 (every
    Forms export) is turned into Python some rows at a time, so its copies of the same texts are
    dropped as it goes instead of all being held at once."""
    share = SharedTexts()
    if sheet.start != (0, 0):
        return share.rows(sheet.to_python(skip_empty_area=False))
    rows = sheet.iter_rows()
    table: list[list[Any]] = []
    while some := list(islice(rows, _ROWS_AT_ONCE)):
        table.extend(share.rows(some))
    return table


class Workbook:
    """An .xlsx/.xls/.ods file opened by its content (an old .xls named .xlsx reads too), with
    every calamine failure turned into a one-line refusal naming the file and sheet."""

    def __init__(self, path: Path):
        from python_calamine import CalamineWorkbook, SheetTypeEnum

        self.path = path
        self._data = data = read_bytes(path)
        if data.startswith(_COMPOUND_MAGIC) and _ENCRYPTED_STREAM in data:
            raise refuse(where(path), _PASSWORD)
        try:
            self._book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            metadata = self._book.sheets_metadata
        except Exception as exc:  # calamine raises its own types for every kind of damage
            raise self._refusal(exc, None) from None
        # Chart and macro sheets hold no cells; hidden sheets stay candidates (Forms hides none).
        self.sheets = [m.name for m in metadata if m.typ == SheetTypeEnum.WorkSheet]
        if not self.sheets:
            raise refuse(where(path), f"the workbook lists no worksheet; {_RESAVE}")

    def _refusal(self, exc: Exception, sheet: str | None) -> SourceError:
        detail = " ".join(str(exc).split())[:80]
        kind = type(exc).__name__
        if kind == "PasswordError" or "password" in detail.lower() or "encrypt" in detail.lower():
            return refuse(where(self.path, sheet), _PASSWORD)
        if kind == "WorksheetNotFound":
            return refuse(where(self.path, sheet), f"the sheet's data is missing; {_RESAVE}")
        return refuse(
            where(self.path, sheet), f"damaged or not a spreadsheet ({detail}); {_RESAVE}"
        )

    def read(self, sheet: str) -> list[list[Any]]:
        """Values as stored (numbers, dates, text); the header is row 1. A formula saved without
        its value reads as UNCALCULATED rather than as a blank."""
        parted = parsed_in_parts(self._data, sheet)
        if parted is not None:
            table = parted.rows
            formulas = uncalculated_cells(self._data, sheet) if parted.has_formula else set()
        else:
            table, formulas = self._read_whole(sheet)
        for row, column in formulas:
            if row < len(table):
                cells = table[row]  # calamine leaves valueless cells out of the row's width
                cells.extend([""] * (column + 1 - len(cells)))
                if cells[column] == "":
                    cells[column] = UNCALCULATED
        return table

    def _read_whole(self, sheet: str) -> tuple[list[list[Any]], set[tuple[int, int]]]:
        # The formulas are looked for beside calamine's parse, which lets other threads run.
        with ThreadPoolExecutor(max_workers=1) as beside:
            formulas = beside.submit(uncalculated_cells, self._data, sheet)
            try:
                table = _values(self._book.get_sheet_by_name(sheet))
            except Exception as exc:  # the sheet's XML is parsed only now
                raise self._refusal(exc, sheet) from None
        return table, formulas.result()
