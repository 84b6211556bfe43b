"""The xlsx writer's rendered data rows hold what XlsxWriter's own cells would: the same values,
types, formats and row heights, in streamed books and in books built in memory."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from isal import isal_zlib
from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable

from sync.writers import xlsx
from sync.writers.plan import CellLook, ColumnPlan, HeaderLook, PagePlan, TabPlan
from sync.writers.records import Value

_HEADER = HeaderLook(fill="#1F4E78", font="#FFFFFF")
_LOOKS = [
    CellLook("text", "@", wrap=True),
    CellLook("int", "0", wrap=False, fill="#FFF2CC", unlocked=True),
    CellLook("money", "#,##0.00", wrap=False),
    CellLook("date", "dd/mm/yyyy", wrap=False),
]
_PAGE = PagePlan(
    landscape=True,
    columns=4,
    rows=0,
    fit=(1, 0),
    header="Sáng kiến",
    footer="Đơn vị – Sáng kiến",
    page="Trang {page}/{pages}",
)


def _tab(rows: list[list[Value]]) -> TabPlan:
    columns = tuple(
        ColumnPlan(
            header=f"Cột {i}",
            width=12,
            hidden=False,
            review=i == 1,
            header_look=_HEADER,
            look=look,
            rule=None,
            sets_height=look.wrap,
        )
        for i, look in enumerate(_LOOKS)
    )
    return TabPlan(
        title="Sáng kiến",
        columns=columns,
        rows=rows,
        freeze_columns=1,
        highlights=(),
        owned_runs=((0, 4),),
        page=_PAGE,
    )


def _write(path: Path, tab: TabPlan, streamed: bool) -> None:
    options = xlsx._WORKBOOK_OPTIONS | ({} if streamed else {"constant_memory": False})
    book = xlsx.Book(str(path), options)
    xlsx.write_table(book, xlsx._Formats(book), tab)
    book.close()


def _seen(path: Path) -> list[list[tuple[object, ...]]]:
    """What a reader sees in every cell and row: value, type, format, fill, wrap, height."""
    sheet = openpyxl.load_workbook(path).active
    seen = []
    for cells in sheet.iter_rows():
        height = sheet.row_dimensions[cells[0].row].height
        seen.append(
            [
                (
                    c.value,
                    c.data_type,
                    c.number_format,
                    c.fill.fgColor.rgb,
                    c.alignment.wrap_text,
                    c.protection.locked,
                    height,
                )
                for c in cells
            ]
        )
    return seen


def _through_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every data row through XlsxWriter's own cells, as before rows were rendered."""
    monkeypatch.setattr(xlsx._RowXml, "rows", lambda _, first, chunk, lines: [None] * len(chunk))


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_VALUE = st.one_of(
    st.none(),
    st.just(""),
    _TEXT,
    st.sampled_from(
        [
            "=1+1",
            "+SUM(A1)",
            "@x",
            "R&D <b>",
            "  lề  ",
            "_x0041_",
            "a\x01b",
            "dòng một\ndòng hai",
            "chữ " * 40,
        ]
    ),
    st.integers(0, 10**6),  # within Excel's dates too: a number can land in the date column
    st.floats(0, 10**6),
    st.dates(date(1900, 3, 1), date(2100, 1, 1)),
    st.datetimes(datetime(1900, 3, 1), datetime(2100, 1, 1)),
)


# Rows whose every column holds one kind of value (or blanks), as the sync's own tabs do: they
# are rendered a column at a time; a column of several kinds makes the rows go one at a time.
_TEXT_OR_BLANK = st.one_of(st.none(), st.just(""), _TEXT, _VALUE.filter(lambda v: type(v) is str))
_KINDS = [
    _TEXT_OR_BLANK,
    st.one_of(st.none(), st.integers(0, 10**6), st.floats(0, 10**6)),
    st.one_of(st.none(), st.dates(date(1900, 3, 1), date(2100, 1, 1))),
    _TEXT_OR_BLANK,
]
_ROWS_OF_ONE_KIND_A_COLUMN = (
    st.integers(1, 6)
    .flatmap(
        lambda count: st.tuples(
            *(st.lists(kind, min_size=count, max_size=count) for kind in _KINDS)
        )
    )
    .map(lambda columns: [list(row) for row in zip(*columns, strict=True)])
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.one_of(
        st.lists(st.lists(_VALUE, min_size=4, max_size=4), min_size=1, max_size=6),
        _ROWS_OF_ONE_KIND_A_COLUMN,
    )
)
# Texts new to the shared strings in other than sorted order, and repeated.
@example(rows=[["chữ b", 1, None, "chữ a"], ["chữ c", 2, date(2021, 3, 1), "chữ b"]])
@pytest.mark.parametrize("streamed", [True, False])
def test_rendered_rows_read_back_as_xlsxwriters_cells(
    rows: list[list[Value]], streamed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "rendered.xlsx", _tab(rows), streamed)
    with monkeypatch.context() as patched:
        _through_cells(patched)
        _write(tmp_path / "cells.xlsx", _tab(rows), streamed)
    assert _seen(tmp_path / "rendered.xlsx") == _seen(tmp_path / "cells.xlsx")
    # The shared strings too, in XlsxWriter's order and with its counts: the same file.
    shared = [
        _member(tmp_path / name, "xl/sharedStrings.xml") for name in ("rendered.xlsx", "cells.xlsx")
    ]
    assert shared[0] == shared[1]


def _member(path: Path, name: str) -> bytes | None:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name) if name in archive.namelist() else None


@pytest.mark.parametrize("streamed", [True, False])
def test_rows_xlsxwriter_writes_itself_keep_their_place(tmp_path: Path, streamed: bool) -> None:
    """Text XlsxWriter escapes its own way, or longer than a cell holds, goes through its cells,
    between rendered rows: every row stays where it belongs, the long text cut to Excel's limit."""
    rows: list[list[Value]] = [[f"dòng {n}", n, n / 3, date(2021, 3, n + 1)] for n in range(9)]
    rows[2][0], rows[5][0] = "a\x01b", "x" * 40_000
    # Escaped for XML with the rest of their column, which the character joining them must not
    # shift.
    rows[3][0], rows[4][0] = "R&D <b>", "c\x00d"
    _write(tmp_path / "mixed.xlsx", _tab(rows), streamed)
    sheet = openpyxl.load_workbook(tmp_path / "mixed.xlsx").active
    assert [sheet.cell(row=n + 2, column=2).value for n in range(9)] == list(range(9))
    assert sheet["A4"].value == "a_x0001_b"  # XlsxWriter's escape, which openpyxl leaves as is
    assert (sheet["A5"].value, sheet["A6"].value) == ("R&D <b>", "c_x0000_d")
    assert sheet["A3"].value == "dòng 1" and sheet["A8"].value == "dòng 6"
    assert sheet["A7"].value == "x" * 32_767
    assert sheet.max_row == 10


@pytest.mark.parametrize("streamed", [True, False])
def test_every_part_is_deflated_at_the_workbooks_level(tmp_path: Path, streamed: bool) -> None:
    """XlsxWriter takes zlib's default level; the workbooks are deflated faster, by ISA-L, in both
    of the ways it writes a part (from a temporary file, from memory)."""
    rows: list[list[Value]] = [[f"sáng kiến {n}", n, n / 3, date(2021, 3, 1)] for n in range(500)]
    _write(tmp_path / "book.xlsx", _tab(rows), streamed)
    with zipfile.ZipFile(tmp_path / "book.xlsx") as archive:
        parts = [(entry, archive.read(entry)) for entry in archive.infolist()]
    assert len(parts) > 5
    for entry, content in parts:
        deflate = isal_zlib.compressobj(xlsx.DEFLATE_LEVEL, isal_zlib.DEFLATED, -15)
        deflated = deflate.compress(content) + deflate.flush()
        assert entry.compress_type == zipfile.ZIP_DEFLATED, entry.filename
        assert entry.compress_size == len(deflated), entry.filename


def test_formula_looking_text_is_written_as_text(tmp_path: Path) -> None:
    _write(tmp_path / "text.xlsx", _tab([["=1+1", 1, 1.5, date(2021, 1, 1)]]), streamed=True)
    cell = openpyxl.load_workbook(tmp_path / "text.xlsx").active["A2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_a_long_text_makes_its_row_taller(tmp_path: Path) -> None:
    rows: list[list[Value]] = [["ngắn", 1, 1.0, None], ["chữ " * 30, 2, 2.0, None]]
    _write(tmp_path / "tall.xlsx", _tab(rows), streamed=True)
    heights = openpyxl.load_workbook(tmp_path / "tall.xlsx").active.row_dimensions
    assert heights[2].height is None
    assert heights[3].height == 15 * 11  # 120 characters in a 12-wide column: 11 lines


def _shared_strings_xml(writer: type[SharedStrings], strings: list[str]) -> str:
    table = SharedStringTable()
    for text in strings:
        table._get_shared_string_index(text)
    table._sort_string_data()
    sst = writer()
    sst.string_table = table
    sst._set_xml_writer(out := io.StringIO())
    sst._assemble_xml_file()
    return out.getvalue()


_TRICKY = ["", " lề", "lề ", "\u00a0nbsp", "R&D <b>", "a\nb", "<r>x</r>", "_x0041_", "a\x01b"]


@settings(max_examples=60, deadline=None)
@given(strings=st.lists(st.one_of(_TEXT, st.sampled_from(_TRICKY)), min_size=1, max_size=8))
def test_shared_strings_are_written_as_xlsxwriter_writes_them(strings: list[str]) -> None:
    """The whole-table writer gives XlsxWriter's bytes, whatever the strings hold; tables with
    text XlsxWriter escapes its own way or takes for rich text are left to it."""
    mine = _shared_strings_xml(xlsx._SharedStrings, strings)
    assert mine == _shared_strings_xml(SharedStrings, strings)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(_TEXT, st.sampled_from([*_TRICKY, "_x00e9", "x_X1F2a_", "\ufffe", "\t\n"])))
def test_text_xlsxwriter_escapes_its_own_way_is_found(text: str) -> None:
    """The checks in turn find what one pattern of both finds: a control character (but the
    tab and the line break) or a non-character, or an "_xHHHH_"."""
    one_pattern = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
    assert xlsx._escaped_its_own_way(text) == bool(one_pattern.search(text))
