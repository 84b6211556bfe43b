"""A corpus of damaged and awkward response files, built here: each is read with an exact row
count or refused in one line of at most 300 characters naming the file, with exit code 3."""

import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sync.cli import app
from sync.config import SourceSettings, read_settings
from sync.errors import SourceError
from sync.sources import read_source
from sync.templates import load_templates

from .test_sources import ROW, VI_HEADERS

FORM = load_templates().form
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def settings():
    return read_settings(ROOT / "config.yaml")


def read(settings, path: Path, **options):
    kind = options.pop("kind", "csv" if path.suffix == ".csv" else "xlsx")
    return read_source(SourceSettings(name="s", kind=kind, path=path, **options), settings, FORM)


def workbook(path: Path, sheets: list[tuple[str, list[list]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def rezip(source: Path, target: Path, change) -> Path:
    """A copy of a workbook with each part passed through `change` (None drops the part)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = change(item.filename, old.read(item.filename))
            if data is not None:
                new.writestr(item, data)
    return target


def responses(path: Path) -> Path:
    return workbook(
        path, [("Hướng dẫn", [["Điền theo mẫu"]]), ("Câu trả lời", [VI_HEADERS, ROW, ROW])]
    )


def refusal(settings, path: Path, **options) -> str:
    with pytest.raises(SourceError) as caught:
        read(settings, path, **options)
    message = str(caught.value)
    assert len(message) <= 300 and "\n" not in message
    assert path.name[:20] in message
    return message


def damaged(tmp_path: Path) -> dict[str, Path]:
    good = responses(tmp_path / "good.xlsx")
    sheet = "xl/worksheets/sheet2.xml"
    raw = good.read_bytes()
    book = "xl/workbook.xml"
    files = {
        "missing part": rezip(good, tmp_path / "missing.xlsx",
                              lambda n, d: None if n == sheet else d),
        "truncated xml": rezip(good, tmp_path / "cut.xlsx",
                               lambda n, d: d[: len(d) // 2] if n == sheet else d),
        "no sheets": rezip(good, tmp_path / "none.xlsx",
                           lambda n, d: d.replace(b"<sheet ", b"<x ") if n == book else d),
        "truncated zip": tmp_path / "short.xlsx",
        "encrypted": tmp_path / "locked.xlsx",
        "empty": tmp_path / "empty.xlsx",
    }  # fmt: skip
    files["truncated zip"].write_bytes(raw[: len(raw) - 300])
    cfb = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504) + "EncryptedPackage".encode("utf-16-le")
    files["encrypted"].write_bytes(cfb)
    files["empty"].write_bytes(b"")
    return files


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing part", "the sheet's data is missing"),
        ("truncated xml", "damaged or not a spreadsheet"),
        ("no sheets", "lists no worksheet"),
        ("truncated zip", "damaged or not a spreadsheet"),
        ("encrypted", "password-protected: save a copy without a password"),
        ("empty", "the file is empty"),
    ],
)
def test_damaged_workbooks_are_refused_in_one_line(settings, tmp_path, case, expected) -> None:
    assert expected in refusal(settings, damaged(tmp_path)[case])


def test_responses_after_instruction_sheets_are_found(settings, tmp_path) -> None:
    table = read(settings, responses(tmp_path / "r.xlsx"))
    assert (table.sheet, len(table.rows)) == ("Câu trả lời", 2)
    assert "read sheet «Câu trả lời»" in table.notes[0]


def test_repeated_header_is_refused_unless_chosen(settings, tmp_path) -> None:
    headers = [*VI_HEADERS, VI_HEADERS[11].upper()]  # the title twice, once in capitals
    path = workbook(tmp_path / "twice.xlsx", [("Sheet1", [headers, [*ROW, "Khác"]])])
    message = refusal(settings, path)
    assert "columns L" in message and " Q «" in message
    table = read(settings, path, columns={"title": "Q"})
    assert table.rows[0].cells["title"] == "Khác"
    assert table.rows[0].extra[VI_HEADERS[11]] == ROW[11]


def test_blank_header_columns_with_data_are_kept(settings, tmp_path) -> None:
    path = workbook(tmp_path / "marks.xlsx", [("Sheet1", [[*VI_HEADERS, None], [*ROW, "x"], ROW])])
    table = read(settings, path)
    assert table.rows[0].extra == {"Cột Q": "x"}
    assert table.notes


def test_csv_unclosed_quote_names_the_line(settings, tmp_path) -> None:
    lines = [",".join(VI_HEADERS), ",".join(ROW), '15/03/2021,"Lò Văn', ",".join(ROW)]
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "line 3: a quote" in refusal(settings, path)


def test_csv_sep_hint_is_honoured(settings, tmp_path) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\n" + "\n".join(";".join(r) for r in (VI_HEADERS, ROW, ROW)) + "\n")
    assert len(read(settings, path).rows) == 2


def test_long_column_lists_are_bounded(settings, tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(2000)) + "\n" + ",".join("1" * 2000) + "\n")
    assert "and 1,990 more" in refusal(settings, path)


def test_english_timestamps_set_the_order_of_start_dates(settings, tmp_path) -> None:
    row = ["4/22/2021 10:00:00", *ROW[1:13], "3/1/2021", *ROW[14:]]
    path = workbook(tmp_path / "en.xlsx", [("Sheet1", [VI_HEADERS, row])])
    assert read(settings, path).locale == "en"


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".xlsx", ".csv", ".ods"]))
def test_any_bytes_give_rows_or_one_line(settings, tmp_path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        read(settings, path)
    except SourceError as exc:
        assert len(str(exc)) <= 300 and "fuzz" in str(exc)


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(0, 4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(1, 255)), max_size=5),
)
def test_damaged_zip_gives_rows_or_one_line(settings, tmp_path, cut: int, flips) -> None:
    raw = bytearray((tmp_path / "g.xlsx").read_bytes() if (tmp_path / "g.xlsx").exists()
                    else responses(tmp_path / "g.xlsx").read_bytes())  # fmt: skip
    for index, mask in flips:
        raw[index % len(raw)] ^= mask
    path = tmp_path / "bad.xlsx"
    path.write_bytes(bytes(raw[: len(raw) - cut % len(raw)]))
    try:
        assert len(read(settings, path).rows) <= 2
    except SourceError as exc:
        assert len(str(exc)) <= 300 and "bad.xlsx" in str(exc)


@pytest.mark.parametrize("case", ["missing part", "truncated xml", "encrypted", "empty"])
def test_cli_exits_3_for_a_damaged_file(tmp_path, case: str) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["sources"] = [{"name": "s", "kind": "xlsx", "path": str(damaged(tmp_path)[case])}]
    config["units"] = str(ROOT / config["units"])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(app, ["sync", "--config", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output


XML_NOISE = st.sampled_from([b"<", b">", b"&", b'"', b"</c>", b"<f>", b"\x00", b"\xff", b"<v>x"])


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    part=st.sampled_from(["xl/worksheets/sheet2.xml", "xl/workbook.xml", "xl/sharedStrings.xml",
                          "xl/_rels/workbook.xml.rels", "[Content_Types].xml"]),
    edits=st.lists(st.tuples(st.integers(0, 5000), XML_NOISE), min_size=1, max_size=4),
)  # fmt: skip
def test_damaged_xml_gives_rows_or_one_line(settings, tmp_path, part: str, edits) -> None:
    good = tmp_path / "g.xlsx"
    if not good.exists():
        responses(good)

    def damage(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        for index, noise in edits:
            cut = index % (len(data) + 1)
            data = data[:cut] + noise + data[cut:]
        return data

    path = rezip(good, tmp_path / "x.xlsx", damage)
    try:
        assert len(read(settings, path).rows) <= 2
    except SourceError as exc:
        assert len(str(exc)) <= 300 and "x.xlsx" in str(exc)


CSV_TEXT = st.lists(
    st.sampled_from(["a", "b", ",", ";", "\t", '"', "\n", "\r", "sep=", "Dấu", "\x00"]),
    max_size=120,
).map("".join)


@hsettings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=CSV_TEXT, encoding=st.sampled_from(["utf-8", "utf-16", "cp1258"]))
def test_any_csv_gives_rows_or_one_line(settings, tmp_path, body: str, encoding: str) -> None:
    path = tmp_path / "fuzz.csv"
    header = ",".join(VI_HEADERS)
    path.write_bytes((header + "\n" + body).encode(encoding, errors="replace"))
    try:
        read(settings, path)
    except SourceError as exc:
        assert len(str(exc)) <= 300 and "fuzz.csv" in str(exc)


def test_formula_without_value_is_not_a_blank_answer(settings, tmp_path) -> None:
    from sync.responses import Choices, build_response
    from sync.rules.checks import RuleContext, validate

    row = [*ROW[:11], '=CONCAT("Sổ tay", " điện tử")', *ROW[12:]]
    table = read(settings, workbook(tmp_path / "f.xlsx", [("Sheet1", [VI_HEADERS, row])]))
    choices = Choices.from_lists(settings.fields, settings.sectors)
    response = build_response(table.rows[0], "vi", settings.campaign.zone, choices)
    validate([response], RuleContext(settings, FORM))
    assert [(v.code, v.field) for v in response.violations] == [("FORMULA_NOT_CALCULATED", "title")]


@pytest.mark.parametrize(
    ("stamps", "configured", "expected"),
    [
        (["4/22/2021 10:00:00", "3/1/2021 10:00:00"], "auto", "en"),
        (["22/4/2021 10:00:00", "3/1/2021 10:00:00"], "auto", "vi"),
        (["3/1/2021 10:00:00"], "auto", "vi"),  # nothing tells: the header's language
        (["22/4/2021 10:00:00"], "en", "en"),  # configured wins
    ],
)
def test_date_order_of_a_source(settings, tmp_path, stamps, configured, expected) -> None:
    rows = [[stamp, *ROW[1:]] for stamp in stamps]
    path = workbook(tmp_path / "d.xlsx", [("Sheet1", [VI_HEADERS, *rows])])
    assert read(settings, path, locale=configured).locale == expected


def test_repeated_header_after_folding_chosen_by_header_text(settings, tmp_path) -> None:
    folded = "ho va ten"  # the full-name header without diacritics
    headers = [*VI_HEADERS, folded]
    path = workbook(tmp_path / "fold.xlsx", [("Sheet1", [headers, [*ROW, "Khác"]])])
    assert "columns B «" in refusal(settings, path)
    table = read(settings, path, columns={"full_name": folded})
    assert table.rows[0].cells["full_name"] == "Khác"


def test_chart_and_instruction_sheets_are_skipped(settings, tmp_path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Hướng dẫn"
    book.active.append(["Hướng dẫn điền biểu mẫu"])
    book.create_chartsheet("Biểu đồ")
    data = book.create_sheet("Dữ liệu")
    for row in (VI_HEADERS, ROW, ROW, ROW):
        data.append(row)
    book.save(tmp_path / "chart.xlsx")
    table = read(settings, tmp_path / "chart.xlsx")
    assert (table.sheet, len(table.rows)) == ("Dữ liệu", 3)


def test_damaged_instruction_sheet_does_not_hide_the_responses(settings, tmp_path) -> None:
    good = responses(tmp_path / "good.xlsx")
    path = rezip(good, tmp_path / "r.xlsx",
                 lambda n, d: d[:40] if n == "xl/worksheets/sheet1.xml" else d)  # fmt: skip
    table = read(settings, path)
    assert (table.sheet, len(table.rows)) == ("Câu trả lời", 2)


def test_messages_stay_short_with_a_long_path(settings, tmp_path) -> None:
    folder = tmp_path.joinpath(*["thư mục rất dài"] * 8)
    folder.mkdir(parents=True)
    path = folder / "wide.csv"
    path.write_text(",".join(f"Cột số {i} của cán bộ" for i in range(500)) + "\n")
    message = refusal(settings, path)
    assert "more; columns found:" in message and message.endswith("more")


def test_unclosed_quote_after_a_multiline_answer(settings, tmp_path) -> None:
    multiline = [*ROW[:12], '"Dòng một\nDòng ""hai"""', *ROW[13:]]
    broken = [*ROW[:12], '"Không đóng ngoặc', *ROW[13:]]
    lines = [";".join(VI_HEADERS), ";".join(multiline), ";".join(ROW), ";".join(broken), "x"]
    path = tmp_path / "quote2.csv"
    path.write_text("sep=;\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert "line 6: a quote" in refusal(settings, path)


def test_columns_choice_of_an_unknown_field_is_refused(settings, tmp_path) -> None:
    path = workbook(tmp_path / "c.xlsx", [("Sheet1", [VI_HEADERS, ROW])])
    assert "unknown field(s) «tieu_de»" in refusal(settings, path, columns={"tieu_de": "L"})
