"""Every accepted input format lands as the same RawRows, numbered as in the sheet."""

import shutil
import unicodedata
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from sync.a1 import cell_position, column_letter
from sync.config import SourceSettings, read_settings
from sync.errors import SourceError
from sync.sources import read_source
from sync.sources.table import SharedTexts, build_table
from sync.templates import load_templates
from sync.text import clean_text
from tests.officer import save_in_calc

FORM = load_templates().form
VI_HEADERS = [q.vi for q in FORM.questions]
EN_HEADERS = [q.en for q in FORM.questions]
ROW = ["15/03/2021 08:30:00", "Lò Văn Thắng", "1985", "Nam", "0912820510", "t@example.vn",
       "Giáo viên", "LĐLĐ huyện Tuần Giáo", "THPT Tuần Giáo", "Khối hành chính sự nghiệp",
       "Tạo ra sản phẩm mới", "Sổ tay điện tử", "Mô tả", "03/2021", "1.500.000 đ", ""]  # fmt: skip


@pytest.fixture(scope="module")
def settings(request):
    return read_settings(Path(request.config.rootpath) / "config.yaml")


def read(settings, path: Path, kind: str, **options):
    source = SourceSettings(name="s", kind=kind, path=path, **options)
    return read_source(source, settings, FORM)


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def windows_1258(text: str) -> bytes:
    """Encode as Windows does for Vietnamese: letters with a hat or horn precomposed, the tone
    mark as a separate combining character."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in parts if c in TONE_MARKS)
            letter = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
            out += (letter + tones).encode("cp1258")
    return bytes(out)


def write_csv(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path:
    text = "\r\n".join(delimiter.join(f'"{c}"' for c in row) for row in rows) + "\r\n"
    path.write_bytes(windows_1258(text) if encoding == "cp1258" else text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ","), ("utf-16", "\t"), ("cp1258", ","), ("utf-8", ";")],
)
def test_csv_encodings_excel_writes(settings, tmp_path, encoding, delimiter) -> None:
    path = write_csv(tmp_path / "r.csv", [VI_HEADERS, ROW], encoding, delimiter)
    table = read(settings, path, "csv")
    [row] = table.rows
    assert clean_text(row.cells["full_name"]) == "Lò Văn Thắng"
    assert clean_text(row.cells["grassroots_unit"]) == "THPT Tuần Giáo"
    assert row.row == 2 and table.locale == "vi"


def test_xlsx_keeps_types_and_row_numbers(settings, tmp_path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Câu trả lời biểu mẫu 1"
    sheet.append([*VI_HEADERS, "Ghi chú của cán bộ"])
    stamped = [datetime(2021, 4, 22, 23, 59, 59), *ROW[1:], "đã gọi điện"]
    sheet.append(stamped)
    sheet.append([None] * len(stamped))  # a blank row keeps its number but yields nothing
    sheet.append([datetime(2021, 4, 23), *ROW[1:]])
    book.save(tmp_path / "r.xlsx")
    table = read(settings, tmp_path / "r.xlsx", "xlsx")
    assert [r.row for r in table.rows] == [2, 4]
    assert table.rows[0].cells["timestamp"] == datetime(2021, 4, 22, 23, 59, 59)
    assert table.rows[0].extra == {"Ghi chú của cán bộ": "đã gọi điện"}


def test_english_headers_and_locale(settings, tmp_path) -> None:
    path = write_csv(tmp_path / "r.csv", [EN_HEADERS, ["4/22/2021 23:59:59", *ROW[1:]]], "utf-8")
    table = read(settings, path, "csv")
    assert table.locale == "en"
    assert table.rows[0].cells["title"] == "Sổ tay điện tử"


def test_headers_match_ignoring_case_space_and_diacritics(settings, tmp_path) -> None:
    headers = ["  DAU THOI GIAN", *[h.upper() for h in VI_HEADERS[1:8]],
               "cong doan co so", *VI_HEADERS[9:]]  # fmt: skip
    table = read(settings, write_csv(tmp_path / "r.csv", [headers, ROW], "utf-8"), "csv")
    assert table.rows[0].cells["grassroots_unit"] == "THPT Tuần Giáo"


def test_configured_aliases(settings, tmp_path) -> None:
    headers = ["Họ tên tác giả" if h == "Họ và tên" else h for h in VI_HEADERS]
    path = write_csv(tmp_path / "r.csv", [headers, ROW], "utf-8")
    with_alias = settings.model_copy(update={"column_aliases": {"full_name": ("Họ tên tác giả",)}})
    assert read(with_alias, path, "csv").rows[0].cells["full_name"] == "Lò Văn Thắng"
    with pytest.raises(SourceError, match="Họ và tên"):
        read(settings, path, "csv")


def test_missing_columns_are_one_clear_error(settings, tmp_path) -> None:
    headers = [h for h in VI_HEADERS if h not in ("Tên sáng kiến", "Khối")]
    path = write_csv(tmp_path / "r.csv", [headers], "utf-8")
    with pytest.raises(SourceError) as raised:
        read(settings, path, "csv")
    message = str(raised.value)
    assert "«Tên sáng kiến»" in message and "«Khối»" in message and "«Họ và tên»" in message


def test_missing_file_and_sheet(settings, tmp_path) -> None:
    with pytest.raises(SourceError, match="not found"):
        read(settings, tmp_path / "none.xlsx", "xlsx")
    openpyxl.Workbook().save(tmp_path / "r.xlsx")
    with pytest.raises(SourceError, match="no sheet named"):
        read(settings, tmp_path / "r.xlsx", "xlsx", sheet="Câu trả lời biểu mẫu 1")
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="damaged or not a spreadsheet"):
        read(settings, tmp_path / "junk.xlsx", "xlsx")


def test_given_id_column_is_used(settings, tmp_path) -> None:
    path = write_csv(tmp_path / "r.csv", [["Mã sáng kiến", *VI_HEADERS], ["SK-1", *ROW]], "utf-8")
    assert read(settings, path, "csv").rows[0].given_id == "SK-1"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("kind", ["ods", "xls"])
def test_ods_and_xls(settings, tmp_path, kind) -> None:
    book = openpyxl.Workbook()
    book.active.append(VI_HEADERS)
    book.active.append(ROW)
    book.save(tmp_path / "r.xlsx")
    save_in_calc(tmp_path / "r.xlsx", tmp_path, kind)
    [row] = read(settings, tmp_path / f"r.{kind}", kind).rows
    assert row.cells["title"] == "Sổ tay điện tử"
    if kind == "xls":  # an old workbook saved with the new name reads by its content
        shutil.copy(tmp_path / "r.xls", tmp_path / "old.xlsx")
        [same] = read(settings, tmp_path / "old.xlsx", "xlsx").rows
        assert same.cells == row.cells


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters_and_cell_positions_agree(index: int, letters: str) -> None:
    assert column_letter(index) == letters
    assert cell_position(f"{letters}20") == (19, index)


def distinct_copies(row: list) -> list:
    """The row with every text a new object, as a reader parsing each cell makes them."""
    return ["".join(list(cell)) if isinstance(cell, str) else cell for cell in row]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_repeated_cell_texts_are_one_object(settings, tmp_path, kind) -> None:
    rows = [VI_HEADERS, ROW, ["16/03/2021 09:00:00", "Lò Thị Mai", *ROW[2:]]]
    if kind == "csv":
        path = write_csv(tmp_path / "r.csv", rows, "utf-8")
    else:
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path := tmp_path / "r.xlsx")
    first, second = read(settings, path, kind).rows
    for key in ("gender", "grassroots_unit", "sector", "field", "title"):
        assert first.cells[key] == ROW[VI_HEADERS.index(FORM.question(key).vi)]
        assert first.cells[key] is second.cells[key]
    assert first.cells["full_name"] != second.cells["full_name"]


def test_shared_texts_keep_types_apart(settings, tmp_path) -> None:
    """A text is shared with an equal text only: 1.0 and True (equal keys of a dict) and a
    formula saved without its value stay as they were read."""
    book = openpyxl.Workbook()
    book.active.append([*VI_HEADERS, "Đã gọi", "Số lần"])
    book.active.append([*ROW[:2], 1, *ROW[3:], True, 1])
    book.active.append([*ROW[:2], 1, *ROW[3:], "1", ""])
    book.active["E3"] = "=1/0"  # the phone: a formula without a value
    book.save(tmp_path / "r.xlsx")
    first, second = read(settings, tmp_path / "r.xlsx", "xlsx").rows
    assert first.extra == {"Đã gọi": True, "Số lần": 1.0}
    assert type(first.extra["Đã gọi"]) is bool and type(first.extra["Số lần"]) is float
    assert second.extra == {"Đã gọi": "1"}
    assert type(second.cells["phone"]).__name__ == "Uncalculated"
    assert first.cells["birth_year"] == 1.0 and type(first.cells["birth_year"]) is float


def test_sheet_not_starting_at_a1_reads_from_a1(settings, tmp_path) -> None:
    book = openpyxl.Workbook()
    for number, row in enumerate([VI_HEADERS, ROW, ROW], start=1):
        for column, value in enumerate(row, start=2):
            book.active.cell(number + 1, column, value)
    book.save(tmp_path / "r.xlsx")
    with pytest.raises(SourceError, match="missing required column"):
        read(settings, tmp_path / "r.xlsx", "xlsx")  # row 1 is the header row, and it is blank
    book.active.delete_rows(1)
    book.save(tmp_path / "r.xlsx")
    first, second = read(settings, tmp_path / "r.xlsx", "xlsx").rows
    assert first.row == 2 and first.cells["full_name"] == "Lò Văn Thắng"
    assert first.cells["title"] is second.cells["title"]


def test_texts_from_a_reader_that_does_not_share_are_shared(settings) -> None:
    table = [VI_HEADERS, distinct_copies(ROW), distinct_copies(ROW)]
    first, second = build_table(name="g", kind="google_sheet", location="sheet", table=table,
                                form=FORM, aliases={}, id_column="Mã sáng kiến",
                                locale="vi").rows  # fmt: skip
    assert first.cells["superior_unit"] is second.cells["superior_unit"]
    assert first.cells == second.cells


@pytest.mark.parametrize("at_once", [1, 7, 999, 1000, 1001, 3000])
def test_shared_texts_give_back_every_row_as_it_came(at_once: int) -> None:
    """Rows of uneven width (a CSV line with fewer fields), texts beside other values in a
    column, and a column of nothing but numbers come back equal, of the same types and
    lengths, however many rows are shared at once; repeated texts are one object."""
    rows = [
        [f"Tổ {n % 3}", f"mô tả {n}", n % 2 == 0, *([1.0] if n % 5 else []), *(["x"] * (n % 4))]
        for n in range(3000)
    ]
    copies = [distinct_copies(row) for row in rows]
    share = SharedTexts()
    parts = [copies[at : at + at_once] for at in range(0, 3000, at_once)]
    shared = [row for part in parts for row in share.rows(part)]
    assert shared == rows
    assert [list(map(type, row)) for row in shared] == [list(map(type, row)) for row in rows]
    assert shared[0][0] is shared[2997][0] and shared[2][4] is shared[2999][5]
    assert share.rows([[], []]) == [[], []] and share.rows([]) == []


def test_repeated_texts_are_shared_in_a_long_table(settings, tmp_path) -> None:
    """Past the first rows, texts that repeat are still one object and texts that never repeat
    still read as typed."""
    stamp, description = VI_HEADERS.index("Dấu thời gian"), VI_HEADERS.index("Mô tả sáng kiến")
    rows = [VI_HEADERS]
    for number in range(2500):
        row = list(ROW)
        row[stamp] = f"{number % 28 + 1}/03/2021 {number % 24:02d}:{number % 60:02d}:00"
        row[description] = f"Mô tả số {number}"
        rows.append(row)
    table = read(settings, write_csv(tmp_path / "r.csv", rows, "utf-8"), "csv")
    first, last = table.rows[0], table.rows[-1]
    assert last.row == 2501 and last.cells["description"] == "Mô tả số 2499"
    assert last.cells["timestamp"] == "8/03/2021 03:39:00"
    assert first.cells["grassroots_unit"] is last.cells["grassroots_unit"]
    assert first.cells["full_name"] is last.cells["full_name"]
