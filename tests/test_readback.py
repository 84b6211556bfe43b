"""Reading the officers' review back: review columns found by meaning, not only by their exact
header, and every review cell the sync cannot place reported, never dropped."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import datetime

import openpyxl
import pytest
import xlsxwriter

from sync.review.settle import column_positions
from sync.templates import load_templates
from sync.writers.readback import read_review, read_tab
from tests.officer import ID, INITIATIVES, edit, rows_by_id, save_in_calc
from tests.test_review import Campaign, person

UNIT = "P.TG.THPT"
NOTES, SCORE, APPRAISAL = "Ghi chú thẩm định", "Điểm (0–100)", "Kết quả thẩm định"


@pytest.fixture(scope="module")
def layout():
    return load_templates().sheets["initiatives"]


def _header(layout, **renamed: str) -> list[str]:
    """The grassroots header row, with some columns (by key) given other headers."""
    columns = layout.for_tier("grassroots").columns
    return [renamed.get(c.key.replace("review.", ""), c.header) for c in columns]


@pytest.mark.parametrize(
    ("notes", "score"),
    [("Ghi chú", "Điểm"), ("GHI CHU", "Score"), ("ghi chú (cán bộ)", "Điểm số"), ("Notes", "diem")],
)
def test_renamed_or_translated_review_headers_are_recognised(layout, notes, score) -> None:
    header = _header(layout, notes=notes, score=score)
    found = column_positions(header, layout)
    assert found[header.index(notes)] == "review.notes"
    assert found[header.index(score)] == "review.score"


def test_a_review_column_is_found_by_its_last_position_as_a_last_resort(layout) -> None:
    header = _header(layout, notes="Cột ghi của tổ thẩm định")
    written = layout.for_tier("grassroots")
    assert column_positions(header, layout, written)[header.index("Cột ghi của tổ thẩm định")] == (
        "review.notes")  # fmt: skip
    assert header.index("Cột ghi của tổ thẩm định") not in column_positions(header, layout)


def test_an_officers_own_column_is_not_taken_for_a_review_column(layout) -> None:
    header = _header(layout)
    header.insert(3, "Cột riêng của cán bộ")  # shifts every review column right
    found = column_positions(header, layout, layout.for_tier("grassroots"))
    assert 3 not in found and found[header.index(NOTES)] == "review.notes"


def test_review_cells_on_rows_without_an_id_are_unplaced(layout) -> None:
    header = _header(layout)
    at = {name: header.index(name) for name in (ID, SCORE, NOTES)}
    rows = [[None] * len(header) for _ in range(3)]
    rows[0][at[ID]], rows[0][at[SCORE]] = "SK-1", 80
    rows[1][at[SCORE]] = 75  # typed on a row without an id
    rows[2][at[ID]], rows[2][at[SCORE]], rows[2][at[NOTES]] = "SK-1", 80, "khác"  # a copy
    found, unplaced = read_tab([header, *rows], layout)
    assert [r["id"] for r in found] == ["SK-1"]
    assert [(u.sheet, u.row, u.column, u.value) for u in unplaced] == [
        (INITIATIVES, 3, SCORE, 75),
        (INITIATIVES, 4, NOTES, "khác"),
    ]


def _typed(sheet, book, row: int, column: int, kind: str) -> None:
    """The score cell as an officer's spreadsheet program may store it."""
    dated = book.add_format({"num_format": "dd/mm/yyyy"})
    {
        "whole": lambda: sheet.write_number(row, column, 85),
        "fraction": lambda: sheet.write_number(row, column, 72.5),
        "big": lambda: sheet.write_number(row, column, 2.0**60),
        "tick": lambda: sheet.write_boolean(row, column, True),
        "date": lambda: sheet.write_datetime(row, column, datetime(2021, 4, 10), dated),
        "moment": lambda: sheet.write_datetime(row, column, datetime(2021, 4, 10, 8, 30), dated),
        "text": lambda: sheet.write_string(row, column, "Đạt"),
        "break": lambda: sheet.write_string(row, column, "tám\rmươi"),
        "escape-like": lambda: sheet.write_string(row, column, "a_x000D_b"),
        "empty text": lambda: sheet.write_string(row, column, ""),
        "error": lambda: sheet.write_formula(row, column, "=1/0", None, "#DIV/0!"),
        "not available": lambda: sheet.write_formula(row, column, "=NA()", None, "#N/A"),
        "formula": lambda: sheet.write_formula(row, column, "=40+45", None, 85),
        "no value": lambda: sheet.write_formula(row, column, "=40+45", None, ""),
    }[kind]()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("whole", 85),
        ("fraction", 72.5),
        ("big", 2.0**60),
        ("tick", True),
        ("date", datetime(2021, 4, 10)),
        ("moment", datetime(2021, 4, 10, 8, 30)),
        ("text", "Đạt"),
        ("break", "tám\rmươi"),
        ("escape-like", "a_x000D_b"),  # typed as it shows: not taken for Excel's escape
        ("empty text", None),
        ("error", "#DIV/0!"),  # not a blank: the officer is told the score is wrong
        ("not available", "#N/A"),
        ("formula", 85),
        ("no value", None),
    ],
)
def test_review_cells_read_back_as_stored(layout, tmp_path, kind, expected) -> None:
    header = _header(layout)
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(INITIATIVES)
    for column, text in enumerate(header):
        sheet.write_string(0, column, text)
    for row in (1, 3):  # a blank row between, as after an officer deletes one
        sheet.write_string(row, header.index(ID), f"SK-{row}")
        _typed(sheet, book, row, header.index(SCORE), kind)
    book.close()
    readback = read_review(path, load_templates(), "grassroots")
    assert readback is not None and readback.archived == [] and readback.unplaced == []
    assert [r["id"] for r in readback.listed] == ["SK-1", "SK-3"]
    for row in readback.listed:
        assert row["review.score"] == expected and type(row["review.score"]) is type(expected)


def rename_headers(path, renamed: dict[str, str]) -> None:
    book = openpyxl.load_workbook(path)
    for cell in book[INITIATIVES][1]:
        if cell.value in renamed:
            cell.value = renamed[cell.value]
    book.save(path)


def test_a_renamed_review_header_keeps_its_values_and_new_text(small_campaign, tmp_path) -> None:
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(3)])
    campaign.sync()
    book = campaign.book(UNIT)
    first, second = list(rows_by_id(book))[:2]
    edit(book, first, {NOTES: "Ghi chú cũ", SCORE: 70, APPRAISAL: "Đạt"})
    campaign.sync()
    rename_headers(book, {NOTES: "Ghi chú", SCORE: "Score", APPRAISAL: "Appraisal"})
    edit(book, first, {"Ghi chú": "Ghi chú mới", "Score": 85})
    edit(book, second, {"Ghi chú": "Dòng hai"})
    campaign.sync()
    rows = rows_by_id(book)
    assert (rows[first][NOTES], rows[first][SCORE], rows[first][APPRAISAL]) == (
        "Ghi chú mới", 85, "Đạt")  # fmt: skip
    assert rows[second][NOTES] == "Dòng hai"
    assert "Ghi chú" not in rows[first] and "Score" not in rows[first]  # headers restored
    review = [e for e in campaign.audit() if e["change"] == "review" and e["id"] == first]
    assert review[-1]["values"]["review.notes"] == ["Ghi chú cũ", "Ghi chú mới"]


def test_an_unplaced_cell_is_in_the_problems_tab_and_the_audit(small_campaign, tmp_path) -> None:
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(2)])
    campaign.sync()
    book = campaign.book(UNIT)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[INITIATIVES]
    headers = {c.value: c.column for c in sheet[1]}
    row = sheet.max_row + 1
    sheet.cell(row=row, column=headers[SCORE], value=77)
    workbook.save(book)
    campaign.sync()
    problems = openpyxl.load_workbook(book)["Lỗi cần sửa"]
    names = [c.value for c in problems[1]]
    found = [dict(zip(names, r, strict=False)) for r in problems.iter_rows(2, values_only=True)]
    [cell] = [p for p in found if p["Mã lỗi"] == "UNPLACED_CELL"]
    assert (cell["Nguồn"], cell["Dòng trong nguồn"], cell["Cột"], cell["Giá trị đã nhập"]) == (
        INITIATIVES, row, SCORE, "77")  # fmt: skip
    kept = openpyxl.load_workbook(book)["Ô giữ lại của cán bộ"]
    assert [(r[0], r[2], r[3]) for r in kept.iter_rows(2, values_only=True)] == [
        (INITIATIVES, SCORE, 77)
    ]
    [entry] = [e for e in campaign.audit() if e["change"] == "unplaced"]
    assert (entry["unit"], entry["sheet"], entry["row"], entry["column"], entry["value"]) == (
        UNIT, INITIATIVES, row, SCORE, 77)  # fmt: skip
    campaign.sync()  # still there: listed in the problems tab again, logged only once
    assert len([e for e in campaign.audit() if e["change"] == "unplaced"]) == 1


def test_a_score_that_became_an_error_is_flagged_not_taken_as_blank(
    small_campaign, tmp_path
) -> None:
    """A score typed as a formula that fails (`=B2/0`) is saved as an error cell; the officer is
    told, rather than the score silently counting as not given."""
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(2)])
    campaign.sync()
    book = campaign.book(UNIT)
    first = next(iter(rows_by_id(book)))
    edit(book, first, {SCORE: "#DIV/0!", APPRAISAL: "Đạt"})  # openpyxl stores it as an error
    campaign.sync()
    problems = openpyxl.load_workbook(book)["Lỗi cần sửa"]
    names = [c.value for c in problems[1]]
    found = [dict(zip(names, r, strict=False)) for r in problems.iter_rows(2, values_only=True)]
    assert [(p["Mã sáng kiến"], p["Cột"], p["Giá trị đã nhập"]) for p in found
            if p["Mã lỗi"] == "BAD_REVIEW_VALUE"] == [(first, SCORE, "#DIV/0!")]  # fmt: skip


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_workbook_saved_by_libreoffice_reads_back_the_same(small_campaign, tmp_path) -> None:
    """Calc writes every part of the file its own way (its shared strings, its dates, the
    results of formulas it works out): the review read back is the same, and a score typed as a
    failing formula reads as the error Calc shows."""
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(3)])
    campaign.sync()
    book = campaign.book(UNIT)
    first, second = list(rows_by_id(book))[:2]
    edit(book, first, {SCORE: 85.5, NOTES: "Tốt, cần nhân rộng\nở các trường", APPRAISAL: "Đạt"})
    edit(book, second, {SCORE: "=40/0", APPRAISAL: "Không đạt"})  # saved without its result
    templates = load_templates()
    before = read_review(book, templates, "grassroots")
    after = read_review(save_in_calc(book, tmp_path / "calc"), templates, "grassroots")
    assert before is not None and after is not None
    expected = {row["id"]: row for row in before.listed}
    expected[second] = {**expected[second], "review.score": "#DIV/0!"}
    assert {row["id"]: row for row in after.listed} == expected
    assert expected[first]["review.score"] == 85.5 and before.unplaced == after.unplaced == []


def test_a_review_tab_without_its_id_header_is_left_as_it_is(small_campaign, tmp_path) -> None:
    """With "Mã sáng kiến" renamed, no review can be matched to its initiative: the workbook is
    left as the officer saved it (rewriting it would lose what they typed), and named."""
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(2)])
    campaign.sync()
    book = campaign.book(UNIT)
    first = next(iter(rows_by_id(book)))
    edit(book, first, {APPRAISAL: "Đạt"})
    rename_headers(book, {ID: "Mã SK"})
    saved = book.read_bytes()
    campaign.sync(rows=[person(i) for i in range(3)])
    assert book.read_bytes() == saved
    [held] = campaign.report()["not_written"]
    assert held["path"] == str(book) and f"«{ID}»" in held["reason"]
    rename_headers(book, {"Mã SK": ID})
    campaign.sync(rows=[person(i) for i in range(3)])
    assert rows_by_id(book)[first][APPRAISAL] == "Đạt" and not campaign.report()["not_written"]


def _damaged(data: bytes, how: str) -> bytes:
    """The workbook's bytes with one kind of damage a disk, a copy or a program can do."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet2"))
    if how == "truncated":
        return data[: len(data) // 2]
    if how == "corrupt deflate":  # the zip's directory intact, a part's compressed bytes not
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(sheet)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        middle = start + info.compress_size // 2
        return (
            data[:middle]
            + bytes(b ^ 0x5A for b in data[middle : middle + 64])
            + data[middle + 64 :]
        )
    changed = {
        "no workbook part": {k: v for k, v in parts.items() if k != "xl/workbook.xml"},
        "no sheet part": {k: v for k, v in parts.items() if k != sheet},
        "cut sheet": {**parts, sheet: parts[sheet][: len(parts[sheet]) // 2]},
        "bad string index": {**parts, sheet: parts[sheet].replace(b"<v>", b"<v>x", 5)},
    }[how]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in changed.items():
            archive.writestr(name, part)
    return out.getvalue()


@pytest.mark.parametrize(
    "how",
    ["truncated", "corrupt deflate", "no workbook part", "no sheet part", "cut sheet",
     "bad string index"],
)  # fmt: skip
def test_a_damaged_workbook_is_left_as_it_is_and_named(small_campaign, tmp_path, how) -> None:
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(2)])
    campaign.sync()
    book = campaign.book(UNIT)
    first = next(iter(rows_by_id(book)))
    edit(book, first, {APPRAISAL: "Đạt", NOTES: "đã xem"})
    book.write_bytes(_damaged(book.read_bytes(), how))
    damaged = book.read_bytes()
    campaign.sync(rows=[person(i) for i in range(3)])
    assert book.read_bytes() == damaged
    assert [held["path"] for held in campaign.report()["not_written"]] == [str(book)]
