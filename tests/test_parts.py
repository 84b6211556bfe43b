"""A large sheet read in parts gives the very rows the whole parse gives, and a sheet the parts
cannot serve (shared strings, damage, unnumbered rows) is read whole, with the same answer or
the same refusal."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter

from sync.errors import SourceError
from sync.sources import parts
from sync.sources.files import UNCALCULATED, Workbook
from sync.sources.parts import parsed_in_parts

SHEET = "Câu trả lời"
SHEET_XML = "xl/worksheets/sheet1.xml"


@pytest.fixture(autouse=True)
def small_parts(monkeypatch):
    """Parts of a few kilobytes, unzipped a few hundred bytes at a time, so a sheet of a few
    hundred rows is cut many times and rows span the pieces."""
    monkeypatch.setattr(parts, "PART_BYTES", 4096)
    monkeypatch.setattr(parts, "PARTED_MIN_BYTES", 8192)
    monkeypatch.setattr(parts, "_UNZIPPED_AT_ONCE", 300)


def _write(
    path: Path, cells: dict[tuple[int, int], object], inline: bool = True, second: bool = False
) -> Path:
    """A workbook of these cells ((row, column): value), text inline as a constant-memory
    export writes it, or in a shared strings table; `second`: on the second sheet, after one of
    instructions."""
    book = xlsxwriter.Workbook(path, {"constant_memory": inline})
    if second:
        book.add_worksheet("Hướng dẫn").write(0, 0, "Đọc kỹ trước khi điền")
    sheet = book.add_worksheet(SHEET)
    dates = book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    for (row, column), value in sorted(cells.items()):
        if isinstance(value, datetime):
            sheet.write_datetime(row, column, value, dates)
        else:
            sheet.write(row, column, value)
    book.close()
    return path


def _answers(rows: int, first_row: int = 0, first_column: int = 0, **skip: object) -> dict:
    """A header and `rows` answers of every kind of value a form gives, from (first_row,
    first_column). skip: rows left out (`blank_rows`), the last column only in the first rows
    (`last_column_until`), the first column from a row on (`first_column_until`)."""
    cells: dict[tuple[int, int], object] = {}
    headers = ["Dấu thời gian", "Họ và tên", "Năm sinh", "Đồng ý", "Mô tả sáng kiến", "Ghi chú"]
    for column, header in enumerate(headers):
        cells[first_row, first_column + column] = header
    blank = set(skip.get("blank_rows", ()))
    for index in range(1, rows + 1):
        if index in blank:
            continue
        values = [
            datetime(2021, 3, 1 + index % 28, 8, index % 60),
            f"Nguyễn Văn {index}",
            1970 + index % 40,
            index % 3 == 0,
            f"Sáng kiến số {index}: " + "cải tiến quy trình " * (index % 7),
            "ghi chú",
        ]
        for column, value in enumerate(values):
            if column == 0 and index > skip.get("first_column_until", rows + 1):
                continue
            if column == len(values) - 1 and index > skip.get("last_column_until", rows + 1):
                continue
            cells[first_row + index, first_column + column] = value
    return cells


SHAPES = {
    "plain": {},
    "blank rows, some where a part is cut": {"blank_rows": range(100, 400, 3)},
    "a last column that later parts lack": {"last_column_until": 50},
    "a first column that later parts lack": {"first_column_until": 200},
}


@pytest.mark.parametrize("inline", [True, False], ids=["inline text", "small shared strings"])
@pytest.mark.parametrize("skip", SHAPES.values(), ids=SHAPES.keys())
def test_a_sheet_read_in_parts_gives_the_rows_of_the_whole_parse(tmp_path, skip, inline) -> None:
    path = _write(tmp_path / "book.xlsx", _answers(600, **skip), inline)
    book = Workbook(path)
    parted = parsed_in_parts(path.read_bytes(), SHEET)
    whole, _ = book._read_whole(SHEET)
    assert parted is not None and not parted.has_formula
    assert parted.rows == whole
    assert book.read(SHEET) == whole


def test_the_named_sheet_is_read_when_another_comes_first(tmp_path) -> None:
    path = _write(tmp_path / "book.xlsx", _answers(600), second=True)
    parted = parsed_in_parts(path.read_bytes(), SHEET)
    assert parted is not None
    assert parted.rows == Workbook(path)._read_whole(SHEET)[0]
    assert parted.rows[0][0] == "Dấu thời gian"


def test_a_sheet_starting_away_from_a1_reads_from_a1_as_whole(tmp_path) -> None:
    path = _write(tmp_path / "book.xlsx", _answers(600, first_row=2, first_column=1))
    parted = parsed_in_parts(path.read_bytes(), SHEET)
    whole, _ = Workbook(path)._read_whole(SHEET)
    assert parted is not None
    assert parted.rows == whole
    assert whole[0] == [""] * 7 and whole[2][:2] == ["", "Dấu thời gian"]


def test_each_part_is_a_share_of_the_sheet(tmp_path, monkeypatch) -> None:
    """The sheet really is cut: every part but the last ends before a numbered row."""
    path = _write(tmp_path / "book.xlsx", _answers(600))
    member = parts._sheet_member(path.read_bytes(), SHEET)
    assert member is not None
    cut = list(parts._CutXml(member.xml()).parts())
    assert len(cut) > 10
    for xml in cut[1:]:
        assert xml[1].startswith(b'<row r="')


@pytest.mark.parametrize("why", ["small", "shared strings"])
def test_a_sheet_the_parts_would_not_serve_is_parsed_whole(tmp_path, monkeypatch, why) -> None:
    if why == "small":
        monkeypatch.setattr(parts, "PARTED_MIN_BYTES", 1 << 30)
    else:  # a table each part would parse again
        monkeypatch.setattr(parts, "OTHERS_MAX_BYTES", 8192)
    path = _write(tmp_path / "book.xlsx", _answers(600), inline=why != "shared strings")
    assert parsed_in_parts(path.read_bytes(), SHEET) is None
    book = Workbook(path)
    assert book.read(SHEET) == book._read_whole(SHEET)[0]


def _rezipped(path: Path, change) -> Path:
    """The workbook again, its sheet's XML passed through `change`."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in members:
            changed = change(content) if info.filename == SHEET_XML else content
            archive.writestr(info.filename, changed)
    rezipped = path.with_name("changed.xlsx")
    rezipped.write_bytes(out.getvalue())
    return rezipped


def test_rows_without_numbers_are_one_part_with_the_same_rows(tmp_path) -> None:
    path = _write(tmp_path / "book.xlsx", _answers(600))
    unnumbered = _rezipped(path, lambda xml: re.sub(rb'<row r="\d+"', b"<row", xml))
    parted = parsed_in_parts(unnumbered.read_bytes(), SHEET)
    assert parted is not None
    assert parted.rows == Workbook(path)._read_whole(SHEET)[0]


def test_damage_in_a_late_part_is_refused_as_the_whole_parse_refuses_it(tmp_path) -> None:
    path = _write(tmp_path / "book.xlsx", _answers(600))
    damaged = _rezipped(path, lambda xml: xml.replace(b'<row r="500"', b'<row r="500"><c><', 1))
    assert parsed_in_parts(damaged.read_bytes(), SHEET) is None
    with pytest.raises(SourceError, match="damaged or not a spreadsheet"):
        Workbook(damaged).read(SHEET)


def test_a_sheet_that_does_not_unzip_whole_is_parsed_whole(tmp_path) -> None:
    path = _write(tmp_path / "book.xlsx", _answers(600))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET_XML)
    data[info.header_offset + 200] ^= 0xFF  # inside the sheet's deflated XML
    assert parsed_in_parts(bytes(data), SHEET) is None


def test_a_formula_without_its_value_in_a_late_part_reads_as_uncalculated(tmp_path) -> None:
    cells = _answers(600)
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet(SHEET)
    for (row, column), value in sorted(cells.items()):
        if (row, column) == (550, 5):
            sheet.write_formula(row, column, "=B551&C551", None, "")
        else:
            sheet.write(row, column, value)
    book.close()
    parted = parsed_in_parts(path.read_bytes(), SHEET)
    assert parted is not None and parted.has_formula
    table = Workbook(path).read(SHEET)
    assert table[550][5] is UNCALCULATED
    assert table[549][5] == "ghi chú"


def test_a_formula_tag_split_between_two_pieces_is_seen() -> None:
    xml = parts._CutXml(iter(()))
    xml._look_for_formula(b"", b'<c r="A1" t="inlineStr"><is><t>1 &lt; 2</t></is></c><c r="B1"><')
    assert not xml.has_formula
    xml._look_for_formula(b"<", b"f>A1&amp;A2</f></c>")
    assert xml.has_formula
