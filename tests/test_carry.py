"""Officers' own sheets, columns, comments and colours survive every rewrite of a workbook."""

from __future__ import annotations

from copy import copy
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from tests.officer import ARCHIVE, ID, INITIATIVES, edit, rows_by_id
from tests.test_review import Campaign, person

UNIT = "P.TG.THPT"
OWN_SHEET, OWN_COLUMN, NOTES = "Ghi chú riêng", "Cột riêng của cán bộ", "Ghi chú thẩm định"
CARRIED, TALLIES = "Ô giữ lại của cán bộ", "Tổng hợp"
RED, YELLOW = "FFFF0000", "FFFFFF00"


def _headers(sheet) -> dict[str, int]:
    return {c.value: c.column for c in sheet[1] if c.value}


def add_own_sheet(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet(OWN_SHEET)
    sheet["A1"] = "Việc cần làm"
    sheet["A1"].font = Font(bold=True, color=RED)
    sheet["A1"].fill = PatternFill("solid", fgColor=YELLOW)
    sheet["A1"].comment = Comment("Nhắc họp thứ hai", "Cán bộ")
    sheet["A2"], sheet["A3"] = 5, "=A2*2"
    sheet["B2"] = 1234.5
    sheet["B2"].number_format = "#,##0.00"
    sheet["A5"] = "Ô gộp"
    sheet.merge_cells("A5:C5")
    sheet.column_dimensions["A"].width = 30
    book.save(path)


def add_own_column(path: Path) -> dict[str, str]:
    """Insert a column after "Trạng thái", with a value per initiative, a formula on its own row,
    a fill and a comment; also a comment and a fill on a review cell. Returns id -> value."""
    book = openpyxl.load_workbook(path)
    sheet = book[INITIATIVES]
    at = _headers(sheet)["Trạng thái"] + 1
    sheet.insert_cols(at)
    sheet.cell(row=1, column=at, value=OWN_COLUMN)
    headers = _headers(sheet)
    values = {}
    for row in range(2, sheet.max_row + 1):
        initiative = sheet.cell(row=row, column=headers[ID]).value
        values[initiative] = f"riêng {initiative}"
        sheet.cell(row=row, column=at, value=values[initiative])
    formula_cell = sheet.cell(row=2, column=at, value="=LEN(A2)")
    formula_cell.fill = PatternFill("solid", fgColor=YELLOW)
    formula_cell.comment = Comment("Độ dài mã", "Cán bộ")
    notes = sheet.cell(row=3, column=headers[NOTES])
    notes.comment = Comment("Cần xem lại", "Cán bộ")
    notes.fill = PatternFill("solid", fgColor=RED)
    book.save(path)
    values[sheet.cell(row=2, column=headers[ID]).value] = "=LEN(A2)"
    return values


def excel_sort(path: Path) -> None:
    """Reverse the rows as Excel sorts: whole rows move with their fills and comments, and a
    formula's relative references with them."""
    book = openpyxl.load_workbook(path)
    sheet = book[INITIATIVES]
    rows = [
        [(c.value, copy(c.fill), c.comment) for c in row]
        for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row)
    ]
    for number, row in enumerate(reversed(rows), start=2):
        for column, (value, fill, comment) in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column)
            moved = str(value).startswith("=LEN(")
            cell.value = f"=LEN(A{number})" if moved else value
            cell.fill, cell.comment = fill, copy(comment) if comment else None
    book.save(path)


def own_cells(path: Path) -> dict[str, object]:
    book = openpyxl.load_workbook(path)
    sheet = book[INITIATIVES]
    headers = _headers(sheet)
    return {
        sheet.cell(row=r, column=headers[ID]).value: sheet.cell(row=r, column=headers[OWN_COLUMN])
        for r in range(2, sheet.max_row + 1)
    }


def assert_own_sheet(path: Path) -> None:
    sheet = openpyxl.load_workbook(path)[OWN_SHEET]
    assert sheet["A1"].value == "Việc cần làm"
    assert sheet["A1"].font.b and sheet["A1"].font.color.rgb.endswith("FF0000")
    assert sheet["A1"].fill.fgColor.rgb.endswith("FFFF00")
    assert sheet["A1"].comment.text == "Nhắc họp thứ hai"
    assert (sheet["A2"].value, sheet["A3"].value, sheet["B2"].value) == (5, "=A2*2", 1234.5)
    assert sheet["B2"].number_format == "#,##0.00"
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A5:C5"]
    assert sheet["A5"].value == "Ô gộp"
    assert sheet.column_dimensions["A"].width == pytest.approx(30, abs=1)


def assert_own_column(path: Path, expected: dict[str, str]) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book[INITIATIVES]
    names = [c.value for c in sheet[1]]
    assert names[names.index("Trạng thái") + 1] == OWN_COLUMN
    for initiative, cell in own_cells(path).items():
        if initiative not in expected:
            assert cell.value is None  # a new initiative: the officer's cell is blank
        elif expected[initiative].startswith("="):
            assert cell.value == f"=LEN(A{cell.row})"  # the formula moved with its row
            assert cell.fill.fgColor.rgb.endswith("FFFF00")
            assert cell.comment.text == "Độ dài mã"
        else:
            assert cell.value == expected[initiative]


def test_own_sheet_and_column_survive_ten_syncs(small_campaign, tmp_path) -> None:
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(4)])
    campaign.sync()
    book = campaign.book(UNIT)
    add_own_sheet(book)
    expected = add_own_column(book)
    commented = list(rows_by_id(book))[1]
    for round_number in range(10):
        rows = [person(i) for i in range(4 + (round_number >= 4))]  # a new response arrives
        campaign.sync(rows=rows)
        assert_own_sheet(book)
        assert_own_column(book, expected)
        if round_number in (2, 6):
            excel_sort(book)
    sheet = openpyxl.load_workbook(book)[INITIATIVES]
    headers = _headers(sheet)
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == commented)
    notes = sheet.cell(row=row, column=headers[NOTES])
    assert notes.comment.text == "Cần xem lại" and notes.fill.fgColor.rgb.endswith("FF0000")


def test_cells_of_an_archived_row_are_kept_and_come_back(small_campaign, tmp_path) -> None:
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(4)])
    campaign.sync()
    book = campaign.book(UNIT)
    expected = add_own_column(book)
    gone = campaign.ids(UNIT)[person(3)["title"]]
    campaign.sync(rows=[person(i) for i in range(3)])
    assert gone not in own_cells(book)
    sheet = openpyxl.load_workbook(book)[CARRIED]
    names = [c.value for c in sheet[1]]
    kept = [dict(zip(names, row, strict=False)) for row in sheet.iter_rows(2, values_only=True)]
    [cell] = [v for v in kept if v["Khóa dòng (mã)"] == gone]
    assert (cell["Trang tính"], cell["Cột"], cell["Giá trị"]) == (
        INITIATIVES, OWN_COLUMN, expected[gone])  # fmt: skip
    campaign.sync(rows=[person(i) for i in range(3)])  # kept across syncs
    campaign.sync(rows=[person(i) for i in range(4)])
    assert own_cells(book)[gone].value == expected[gone]
    assert gone not in rows_by_id(book, ARCHIVE)


def test_an_untouched_workbook_is_not_opened_in_full(small_campaign, tmp_path) -> None:
    from sync.templates import load_templates
    from sync.writers.carry import read_carried, worth_opening

    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(2)])
    campaign.sync()
    book = campaign.book(UNIT)
    assert (
        not worth_opening(book) and read_carried(book, load_templates(), {}, "grassroots") is None
    )
    add_own_sheet(book)
    campaign.sync()
    assert worth_opening(book)  # it carries the officer's sheet now


def test_a_carrying_workbook_is_read_only_when_it_is_rewritten(
    small_campaign, tmp_path, monkeypatch
) -> None:
    """A workbook that carries an officer's sheet, untouched since the last sync wrote it, is
    not opened while nothing in it changes (every scheduled sync would read it again); when a
    new response rewrites it, the sheet is still there."""
    import sync.writers.carry as carry

    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(2)])
    campaign.sync()
    book = campaign.book(UNIT)
    add_own_sheet(book)
    campaign.sync()  # the officer's save is read and carried
    opened = []
    load = openpyxl.load_workbook
    monkeypatch.setattr(
        carry.openpyxl,
        "load_workbook",
        lambda path, **options: opened.append(path) or load(path, **options),
    )
    campaign.sync()
    assert opened == []
    campaign.sync(rows=[person(i) for i in range(3)])
    assert_own_sheet(book)


def test_a_saved_review_alone_leaves_nothing_to_carry(small_campaign, tmp_path) -> None:
    """An officer who only typed reviews added nothing of their own: once the sync has written
    the workbook again it is not marked as carrying, so later syncs leave it unopened (the
    tallies' columns per field, sector and code are the sync's, not the officer's)."""
    from sync.writers.carry import worth_opening

    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(2)])
    campaign.sync()
    books = [campaign.book(unit) for unit in (UNIT, "P.TG", "P")]
    for book in books:
        workbook = openpyxl.load_workbook(book)
        workbook.save(book)  # saved as a spreadsheet program saves it
    first = next(iter(rows_by_id(books[0])))
    edit(books[0], first, {NOTES: "đã xem"})
    campaign.sync(rows=[person(i) for i in range(3)])  # every workbook is written again
    assert [worth_opening(book) for book in books] == [False, False, False]
    assert rows_by_id(books[0])[first][NOTES] == "đã xem"


def test_a_superiors_charts_stay_beside_an_officers_sheet(small_campaign, tmp_path) -> None:
    import zipfile

    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(3)])
    campaign.sync()
    book = campaign.book("P.TG")  # a superior's workbook: a dashboard with charts
    add_own_sheet(book)  # openpyxl drops the charts here; the sync draws them again
    campaign.sync()
    assert_own_sheet(book)
    with zipfile.ZipFile(book) as archive:
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist())


FULL_LIST, LOOKUP = "Toàn bộ sáng kiến", "Tra cứu kết quả"
# Sync-owned headers the full list showed before it was made lean.
WIDE_ONLY = ["Tóm tắt nội dung", "Năm sinh", "Giới tính", "Số điện thoại", "Email", "Chức vụ",
             "Khối", "Mô tả sáng kiến", "Thời gian bắt đầu áp dụng", "Giá trị làm lợi (đồng)",
             "Đồng tác giả", "Giống nội dung của", "Nguồn", "Dòng trong nguồn"]  # fmt: skip
DISTRICT_NOTE, PROVINCE_LOOKUP_NOTE = "Ghi chú của huyện", "Đã báo tác giả"


def make_old_layout(path: Path) -> dict[str, str]:
    """Turn a province's book into one an earlier version wrote: a wide full list with an
    officer's column in the middle (after «Số điện thoại») and one at the end, a «Ghi chú»
    column of the officer's own, and the public lookup as a tab with an officer's column.
    Returns id -> the officer's middle-column value."""
    book = openpyxl.load_workbook(path)
    lean = book[FULL_LIST]
    headers = [c.value for c in lean[1]]
    rows = [list(r) for r in lean.iter_rows(min_row=2, values_only=True)]
    del book[FULL_LIST]
    wide = book.create_sheet(FULL_LIST)
    wide_headers = [*headers[:3], *WIDE_ONLY[:4], DISTRICT_NOTE, *WIDE_ONLY[4:], *headers[3:],
                    "Ghi chú"]  # fmt: skip
    wide.append(wide_headers)
    middle = {}
    for row in rows:
        middle[row[0]] = f"đã gọi {row[0]}"
        values = dict(zip(headers, row, strict=True)) | {DISTRICT_NOTE: middle[row[0]]}
        values |= {h: "cũ" for h in WIDE_ONLY} | {"Ghi chú": f"xem {row[0]}"}
        wide.append([values[h] for h in wide_headers])
    lookup = book.create_sheet(LOOKUP)
    lookup.append(["Mã sáng kiến", "Tên sáng kiến", "Công đoàn cơ sở", "Kết quả",
                   "Cập nhật ngày", PROVINCE_LOOKUP_NOTE])  # fmt: skip
    lookup.append([rows[0][0], "x", "y", "Chưa thẩm định", None, "rồi"])
    book.save(path)
    return middle


def test_an_old_wide_full_list_and_lookup_tab_are_upgraded_keeping_officers_cells(
    small_campaign, tmp_path
) -> None:
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(4)])
    campaign.sync()
    book = campaign.book("P")
    middle = make_old_layout(book)
    first = next(iter(middle))
    campaign.sync(rows=[person(i) for i in range(5)])  # the next sync rewrites the book
    upgraded = openpyxl.load_workbook(book)
    assert LOOKUP not in upgraded.sheetnames  # the lookup lives in its own file only
    sheet = upgraded[FULL_LIST]
    headers = [c.value for c in sheet[1]]
    assert not set(WIDE_ONLY) & set(headers)  # the old wide columns are gone, not "the officer's"
    # the officers' columns survive, each after the nearest column still listed on its left
    assert headers[headers.index("Trạng thái") + 1] == DISTRICT_NOTE
    assert headers[-1] == "Ghi chú"
    kept = rows_by_id(book, FULL_LIST)
    assert len(kept) == 5
    for initiative, value in middle.items():
        assert kept[initiative][DISTRICT_NOTE] == value
        assert kept[initiative]["Ghi chú"] == f"xem {initiative}"
    carried = upgraded[CARRIED]
    names = [c.value for c in carried[1]]
    left = [dict(zip(names, row, strict=False)) for row in carried.iter_rows(2, values_only=True)]
    assert [(c["Trang tính"], c["Khóa dòng (mã)"], c["Cột"], c["Giá trị"]) for c in left] == [
        (LOOKUP, first, PROVINCE_LOOKUP_NOTE, "rồi")]  # fmt: skip
    campaign.sync(rows=[person(i) for i in range(5)])  # and stay so
    assert rows_by_id(book, FULL_LIST) == kept
    assert LOOKUP not in openpyxl.load_workbook(book).sheetnames


def test_a_comment_on_a_cell_the_sheet_no_longer_shows_is_kept_in_the_carried_tab(
    small_campaign, tmp_path
) -> None:
    """Comments on a dropped wide column's cell, on the cell of a row no longer listed and on
    the retired lookup tab are kept as text in the carried tab, naming the tab, the row's id
    and the column; one on a listed row's cell stays on it."""
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(4)])
    campaign.sync()
    book = campaign.book("P")
    make_old_layout(book)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[FULL_LIST]
    headers = [c.value for c in sheet[1]]
    ids = [sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)]
    sheet.cell(2, headers.index("Số điện thoại") + 1).comment = Comment("Số đã đổi", "Cán bộ")
    for row, initiative in enumerate(ids, start=2):
        sheet.cell(row, 2).comment = Comment(f"Xem {initiative}", "Cán bộ")
    old_lookup = workbook[LOOKUP]
    old_lookup.cell(2, 4).comment = Comment("Đã báo qua điện thoại", "Cán bộ")
    workbook.save(book)
    campaign.sync(rows=[person(i) for i in range(2)])
    upgraded = openpyxl.load_workbook(book)
    carried = upgraded[CARRIED]
    names = [c.value for c in carried[1]]
    left = [dict(zip(names, row, strict=False)) for row in carried.iter_rows(2, values_only=True)]
    found = {(c["Trang tính"], c["Khóa dòng (mã)"], c["Cột"], c["Giá trị"]) for c in left}
    listed = {row[0].value: row[1] for row in upgraded[FULL_LIST].iter_rows(min_row=2)}
    assert 0 < len(listed) < len(ids)
    assert (FULL_LIST, ids[0], "Số điện thoại", "Số đã đổi") in found
    looked_up = old_lookup.cell(2, 1).value
    assert (LOOKUP, looked_up, "Kết quả", "Đã báo qua điện thoại") in found
    for initiative in ids:
        if initiative in listed:
            assert listed[initiative].comment.text == f"Xem {initiative}"
        else:
            assert (FULL_LIST, initiative, "Tên sáng kiến", f"Xem {initiative}") in found


def test_a_saved_workbook_with_only_the_syncs_header_notes_is_streamed(
    small_campaign, tmp_path, monkeypatch
) -> None:
    """The province's workbook carries the sync's notes on its tallies' headers, which no read
    carries; once saved it is still streamed (a full read of a national list takes minutes and
    gigabytes), and an officer's column in it keeps its values and width."""
    import sync.writers.carry as carry
    from sync.config import read_settings
    from sync.templates import load_templates
    from sync.writers.records import expanded_layouts

    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(4)])
    campaign.sync()
    book = campaign.book("P")
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[TALLIES]
    assert any(c.comment for c in sheet[1])
    column = sheet.max_column + 1
    sheet.cell(row=1, column=column, value=OWN_COLUMN)
    sheet.cell(row=2, column=column, value="ghi của tỉnh")
    sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = 41
    workbook.save(book)
    opened = []
    load = openpyxl.load_workbook
    monkeypatch.setattr(
        carry.openpyxl,
        "load_workbook",
        lambda path, read_only=False: opened.append(read_only) or load(path, read_only=read_only),
    )
    templates = load_templates()
    written = expanded_layouts(templates, read_settings(campaign.config))
    found = carry.read_carried(book, templates, written, "province")
    assert opened == [True]
    [own] = found.tabs[TALLIES].columns  # a tally per field, sector and code is the sync's
    assert own.header == OWN_COLUMN and own.width == pytest.approx(41)
    assert [c.value for c in own.cells.values()] == ["ghi của tỉnh"]
    monkeypatch.undo()
    campaign.sync(rows=[person(i) for i in range(5)])  # the workbook is rewritten
    sheet = openpyxl.load_workbook(book)[TALLIES]
    at = _headers(sheet)[OWN_COLUMN]
    assert sheet.cell(row=2, column=at).value == "ghi của tỉnh"
    assert sheet.column_dimensions[openpyxl.utils.get_column_letter(at)].width == pytest.approx(
        41, abs=1
    )


TALLY_NOTE = "Số liệu cần đối chiếu"


def _province_with_a_comment_on_a_tally_row(campaign: Campaign) -> Path:
    campaign.sync()
    book = campaign.book("P")
    workbook = openpyxl.load_workbook(book)
    workbook[TALLIES]["B2"].comment = Comment(TALLY_NOTE, "Cán bộ")
    workbook.save(book)
    return book


def _prefix_comment_elements(book: Path) -> None:
    """The comments part as some programs write it, every element prefixed (`<x:comment>`)."""
    import re
    import zipfile

    with zipfile.ZipFile(book) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    for name in [n for n in parts if n.startswith("xl/comments")]:
        xml = re.sub(rb"<(/?)(?!\?)(\w+)", rb"<\1x:\2", parts[name])
        parts[name] = xml.replace(b' xmlns="', b' xmlns:x="', 1)
        assert b"<x:comment " in parts[name]
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("prefixed", [False, True])
def test_a_comment_on_a_row_opens_the_workbook_in_full(small_campaign, tmp_path, prefixed) -> None:
    campaign = Campaign(small_campaign, tmp_path, [person(i) for i in range(2)])
    book = _province_with_a_comment_on_a_tally_row(campaign)
    if prefixed:
        _prefix_comment_elements(book)
    campaign.sync(rows=[person(i) for i in range(3)])  # the workbook is rewritten
    assert openpyxl.load_workbook(book)[TALLIES]["B2"].comment.text == TALLY_NOTE
