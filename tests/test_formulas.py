"""Cells no reader gives as they are, found in the sheet's XML: formulas saved without a value,
and error cells, wherever they fall in the pieces the sheet is scanned in."""

from __future__ import annotations

import pytest
import xlsxwriter

from sync.sources import formulas
from sync.sources.formulas import error_cells, uncalculated_cells


def _workbook(path, rows: int) -> None:
    """A sheet of `rows` text rows with, on row 500, a formula without a value in B, an error in
    C and a calculated formula in D."""
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Sáng kiến")
    for row in range(rows):
        sheet.write_string(row, 0, f"dòng {row}")
    sheet.write_formula(499, 1, "=A1&A2", None, "")
    sheet.write_formula(499, 2, "=1/0", None, "#DIV/0!")
    sheet.write_formula(499, 3, "=1+1", None, 2)
    sheet.write_formula(700, 2, "=NA()", None, "#N/A")
    book.close()


# Pieces of every size from one that splits each cell's markup to one holding the whole sheet.
@pytest.mark.parametrize("piece", [7, 64, 1000, 1 << 20])
def test_cells_are_found_whatever_the_piece_size(tmp_path, monkeypatch, piece) -> None:
    monkeypatch.setattr(formulas, "_PIECE_BYTES", piece)
    path = tmp_path / "book.xlsx"
    _workbook(path, 1000)
    assert uncalculated_cells(path, "Sáng kiến") == {(499, 1)}
    assert uncalculated_cells(path.read_bytes(), "Sáng kiến") == {(499, 1)}
    assert error_cells(path, "Sáng kiến") == {(499, 2): "#DIV/0!", (700, 2): "#N/A"}


def test_a_sheet_without_such_cells_or_a_file_that_is_not_xlsx_gives_none(tmp_path) -> None:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Sáng kiến").write_string(0, 0, 't="e" <f> #DIV/0!')  # text, not cells
    book.close()
    assert error_cells(path, "Sáng kiến") == {} and uncalculated_cells(path, "Sáng kiến") == set()
    assert error_cells(path, "Không có") == {}
    (tmp_path / "notes.csv").write_text("a,b\n")
    assert error_cells(tmp_path / "notes.csv", "Sáng kiến") == {}
    assert error_cells(b"not a zip", "Sáng kiến") == {}
