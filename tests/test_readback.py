"""Reading the officers' review back: review columns found by meaning, not only by their exact
header, and every review cell the sync cannot place reported, never dropped."""

from __future__ import annotations

import openpyxl
import pytest

from sync.review.settle import column_positions
from sync.templates import load_templates
from sync.writers.readback import read_tab
from tests.officer import ID, INITIATIVES, edit, rows_by_id
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
