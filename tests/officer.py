"""What a union officer does to a unit workbook, with openpyxl: edit review cells, sort, filter,
insert and delete rows, save it in LibreOffice Calc; and reading the review back the way a
person would see it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import openpyxl

INITIATIVES, ARCHIVE = "Sáng kiến", "Lưu trữ"
ID = "Mã sáng kiến"


def workbook(out: Path, unit_id: str) -> Path:
    [path] = out.glob(f"*/{unit_id} *.xlsx")
    return path


def _headers(sheet) -> dict[str, int]:
    return {c.value: c.column for c in sheet[1] if c.value}


def rows_by_id(path: Path, tab: str = INITIATIVES) -> dict[str, dict[str, Any]]:
    book = openpyxl.load_workbook(path)
    if tab not in book.sheetnames:
        return {}
    sheet = book[tab]
    headers = _headers(sheet)
    found = {}
    for row in range(2, sheet.max_row + 1):
        values = {h: sheet.cell(row=row, column=c).value for h, c in headers.items()}
        if values.get(ID):
            found[values[ID]] = values
    return found


def save_in_calc(path: Path, folder: Path, kind: str = "xlsx") -> Path:
    """The workbook as LibreOffice Calc saves it (headless), into `folder`: every part of the
    file written Calc's way."""
    run = subprocess.run(
        ["soffice", "--headless", "--calc", "--convert-to", kind, "--outdir", str(folder),
         str(path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return folder / f"{path.stem}.{kind}"


def edit(path: Path, initiative: str, values: dict[str, Any], tab: str = INITIATIVES) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book[tab]
    headers = _headers(sheet)
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=headers[ID]).value == initiative:
            for header, value in values.items():
                sheet.cell(row=row, column=headers[header]).value = value
            book.save(path)
            return
    raise KeyError(initiative)


def reorder(path: Path, order: str = "reverse", column: str = "Họ và tên") -> None:
    """Sort the data rows (as Excel's sort does: whole rows move) and switch a filter on."""
    book = openpyxl.load_workbook(path)
    sheet = book[INITIATIVES]
    width = sheet.max_column
    rows = [
        [sheet.cell(row=r, column=c).value for c in range(1, width + 1)]
        for r in range(2, sheet.max_row + 1)
    ]
    if order == "reverse":
        rows.reverse()
    else:
        position = _headers(sheet)[column] - 1
        rows.sort(key=lambda r: str(r[position] or ""))
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            sheet.cell(row=r, column=c).value = value
    sheet.auto_filter.ref = f"A1:{sheet.cell(row=max(2, sheet.max_row), column=width).coordinate}"
    book.save(path)


def insert_blank_row(path: Path, at: int) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book[INITIATIVES]
    sheet.insert_rows(min(max(at, 2), sheet.max_row + 1))
    book.save(path)


def delete_blank_rows(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book[INITIATIVES]
    for row in range(sheet.max_row, 1, -1):
        if all(sheet.cell(row=row, column=c).value is None for c in range(1, sheet.max_column + 1)):
            sheet.delete_rows(row)
    book.save(path)


def delete_row(path: Path, initiative: str) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book[INITIATIVES]
    column = _headers(sheet)[ID]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=column).value == initiative:
            sheet.delete_rows(row)
            book.save(path)
            return
