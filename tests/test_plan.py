"""One rendering plan: a colour, a chart's kind, position or size, or a highlight declared in
`sheets_templates/outputs.yaml` reaches the workbook and the Google requests alike, and the
dashboard's charts never cover each other, whatever the number of units."""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from sync.google.sheet_requests import dashboard_requests, tab_requests
from sync.templates import DEFAULT_TEMPLATES, Templates, load_templates
from sync.writers.plan import Planner
from sync.writers.records import Dashboard, Progress, Sheet
from sync.writers.xlsx import write_workbook

Box = tuple[tuple[Any, Any], tuple[Any, Any]]  # (x from, x to), (y from, y to)


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    """The bundled templates with a chart redrawn and recoloured headers and highlights."""
    folder = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, folder)
    path = folder / "outputs.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["dashboard"]["charts"]["participation"] |= {"kind": "column", "width": 500}
    data["styles"]["header_fill"] = "#123456"
    data["sheets"]["problems"]["highlights"][0]["fill"] = "#ABCDEF"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_templates(folder)


def board(templates: Templates, units: int = 1) -> Dashboard:
    """A dashboard whose participation chart has one bar per unit."""
    pairs = [["01/03", 2], *([f"Đơn vị {i}", 5] for i in range(units)), ["Nhận được", 8],
             ["X", 1]]  # fmt: skip
    data = Sheet(templates.sheets["chart_data"], pairs, owner="Đơn vị mẫu")
    spans = {"by_day": (0, 0), "participation": (1, units), "funnel": (units + 1, units + 1),
             "by_field": (units + 2, units + 2)}  # fmt: skip
    if not units:  # a grassroots union has no unit below it to rank
        del spans["participation"]
    progress = [Progress(f"Đơn vị {i}", "over", "3/2") for i in range(units)]
    return Dashboard("Tổng hợp", "Cập nhật", "Còn 3 ngày", [("Tổng số", 8, "int")], data, spans,
                     progress)  # fmt: skip


def problems(templates: Templates) -> Sheet:
    layout = templates.sheets["problems"]
    row = {"code": "X", "severity": "Lỗi", "source": "a", "row": 2, "id": "SK-1"}
    return Sheet(layout, [[row.get(k) for k in layout.column_keys()]])


def google_charts(templates: Templates, units: int = 1) -> list[dict[str, Any]]:
    plan = Planner(templates).dashboard(board(templates, units))
    return [r["addChart"]["chart"] for r in dashboard_requests(plan, None) if "addChart" in r]


def xlsx_drawing(templates: Templates, path: Path, units: int = 1) -> tuple[list[str], str]:
    write_workbook(path, templates, [], board(templates, units))
    with zipfile.ZipFile(path) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if "charts/chart" in n]
        drawing = next(archive.read(n).decode() for n in archive.namelist()
                       if re.search(r"drawings/drawing\d+\.xml$", n))  # fmt: skip
    return charts, drawing


def drawing_boxes(drawing: str) -> list[Box]:
    """Each anchored object's rectangle as (cell, offset) pairs, which order like positions."""
    boxes = []
    for anchor in re.findall(r"<xdr:twoCellAnchor.*?</xdr:twoCellAnchor>", drawing, re.S):
        ends = re.findall(r"<xdr:(?:from|to)>(.*?)</xdr:(?:from|to)>", anchor, re.S)
        (c0, co0, r0, ro0), (c1, co1, r1, ro1) = [
            [int(n) for n in re.findall(r">(\d+)<", end)] for end in ends
        ]
        boxes.append((((c0, co0), (c1, co1)), ((r0, ro0), (r1, ro1))))
    return boxes


def google_boxes(charts: list[dict[str, Any]]) -> list[Box]:
    boxes = []
    for chart in charts:
        place = chart["position"]["overlayPosition"]
        cell = place["anchorCell"]
        x, y = place.get("offsetXPixels", 0), place.get("offsetYPixels", 0)
        start = (cell["columnIndex"], cell["rowIndex"])
        boxes.append((((start, x), (start, x + place["widthPixels"])),
                      ((start, y), (start, y + place["heightPixels"]))))  # fmt: skip
    return boxes


def overlapping(boxes: list[Box]) -> list[tuple[int, int]]:
    def cross(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
        return a[0] < b[1] and b[0] < a[1]

    return [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes[i + 1 :], i + 1)
            if cross(a[0], b[0]) and cross(a[1], b[1])]  # fmt: skip


def test_a_chart_declared_once_is_drawn_alike_by_both_writers(templates, tmp_path) -> None:
    caption = templates.dashboard.charts["participation"].caption
    [chart] = [c for c in google_charts(templates) if c["spec"]["title"] == caption]
    assert chart["spec"]["basicChart"]["chartType"] == "COLUMN"
    assert chart["position"]["overlayPosition"]["widthPixels"] == 500
    charts, _ = xlsx_drawing(templates, tmp_path / "board.xlsx")
    [column] = [c for c in charts if caption in c]
    assert '<c:barDir val="col"/>' in column


@pytest.mark.parametrize("units", [0, 1, 13, 40, 120])
def test_no_two_charts_overlap_at_any_number_of_units(units, tmp_path) -> None:
    templates = load_templates()
    charts = google_charts(templates, units)
    drawn = 4 if units else 3
    assert len(charts) == drawn and not overlapping(google_boxes(charts))
    _, drawing = xlsx_drawing(templates, tmp_path / "board.xlsx", units)
    boxes = drawing_boxes(drawing)
    assert len(boxes) == drawn and not overlapping(boxes)


def test_a_bar_chart_grows_with_the_units_it_ranks() -> None:
    templates = load_templates()
    caption = templates.dashboard.charts["participation"].caption

    def height(units: int) -> int:
        [chart] = [c for c in google_charts(templates, units) if c["spec"]["title"] == caption]
        return chart["position"]["overlayPosition"]["heightPixels"]

    assert height(40) - height(10) >= 30 * 18  # every bar keeps room for its label


def test_colours_and_highlights_come_from_the_templates(templates, tmp_path) -> None:
    sheet = problems(templates)
    requests = tab_requests(Planner(templates).tab(sheet), None)
    header = next(r["repeatCell"] for r in requests if "repeatCell" in r)
    colour = header["cell"]["userEnteredFormat"]["backgroundColor"]
    assert (round(colour["red"] * 255), round(colour["green"] * 255)) == (0x12, 0x34)
    rules = [r["addConditionalFormatRule"]["rule"] for r in requests
             if "addConditionalFormatRule" in r]  # fmt: skip
    fills = {round(r["booleanRule"]["format"]["backgroundColor"]["red"] * 255) for r in rules}
    assert 0xAB in fills
    path = tmp_path / "problems.xlsx"
    write_workbook(path, templates, [sheet])
    book = openpyxl.load_workbook(path)
    cells = book[sheet.layout.name]
    assert cells["A1"].fill.fgColor.rgb.endswith("123456")
    formats = cells.conditional_formatting
    colours = {rule.dxf.fill.bgColor.rgb for cf in formats for rule in cf.rules}
    assert any(str(c).endswith("ABCDEF") for c in colours)


def test_every_sheet_is_set_up_for_a4_with_header_rows_and_page_numbers(
    templates, tmp_path
) -> None:
    empty = Sheet(templates.sheets["archive"], [], owner="LĐLĐ tỉnh")
    path = tmp_path / "print.xlsx"
    write_workbook(path, templates, [problems(templates), empty])
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        assert sheet.page_setup.paperSize == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage  # one page wide (the default width)
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$1"
        assert "&P" in sheet.oddHeader.right.text  # at the head: a unit's name wraps at the foot
        assert sheet.title in sheet.oddHeader.center.text
        assert sheet.oddFooter.right.text is None
    assert book["Lỗi cần sửa"].page_setup.orientation == "landscape"
    archive = book[empty.layout.name]
    assert "LĐLĐ tỉnh" in archive.oddFooter.left.text
    # never in the id column, where the read-back would take it for an initiative
    assert archive["A2"].value is None and archive["B2"].value.startswith("Chưa có")


def test_a_tally_of_codes_is_headed_in_vietnamese_with_the_code_in_a_note(templates) -> None:
    from sync.rules.codes import REGISTRY

    assert all(code.name and code.name != code.id for code in REGISTRY.values())
    layout = templates.sheets["tallies"]
    expanded = layout.columns[-1].model_copy(update={"header": "Vượt chỉ tiêu",
                                                      "note": "QUOTA_EXCEEDED"})  # fmt: skip
    plan = Planner(templates).columns(type(layout)(layout.name, (expanded,)))
    requests = tab_requests(
        Planner(templates).tab(Sheet(type(layout)(layout.name, (expanded,)), [])), None
    )
    [notes] = [r["updateCells"] for r in requests
               if r.get("updateCells", {}).get("fields") == "note"]  # fmt: skip
    assert plan[0].note == "QUOTA_EXCEEDED"
    assert notes["rows"][0]["values"][0]["note"] == "QUOTA_EXCEEDED"


def test_a_long_full_list_prints_only_its_first_rows(templates, tmp_path) -> None:
    layout = templates.sheets["all_initiatives"]
    limit = layout.print_rows
    assert limit is not None  # a province's whole list would be thousands of pages
    row = ["SK-00001", "Tên", "Hợp lệ", "LĐLĐ huyện", "CĐCS", "Lĩnh vực", "Người", None, None, ""]
    long = Sheet(layout, [[f"SK-{i:05d}", *row[1:]] for i in range(limit + 20)])
    short = Sheet(replace(layout, name="Ngắn"), [row] * 3)
    path = tmp_path / "full.xlsx"
    write_workbook(path, templates, [long, short])
    book = openpyxl.load_workbook(path)
    last = len(layout.columns)
    assert book[layout.name].print_area == f"'{layout.name}'!$A$1:${chr(64 + last)}${limit + 1}"
    assert book["Ngắn"].print_area == f"'Ngắn'!$A$1:${chr(64 + last)}$4"  # every row


@pytest.mark.parametrize(("letters", "widened"), [(20, False), (70, True), (300, True)])
def test_the_dashboard_name_column_fits_the_longest_unit_name(
    templates: Templates, tmp_path: Path, letters: int, widened: bool
) -> None:
    """A long union name is not cut off by the state beside it (up to a limit), in the
    workbook and on Google alike; short names keep the layout's width."""
    long_name = ("Công đoàn Ngân hàng Nông nghiệp và Phát triển nông thôn " * 6)[:letters]
    dashboard = board(templates, 2)
    dashboard = replace(
        dashboard, progress=[*dashboard.progress, Progress(long_name, "none", "0/3")]
    )
    plan = Planner(templates).dashboard(dashboard)
    layout_width = templates.dashboard.widths[0]
    assert (plan.widths[0] > layout_width) is widened
    assert plan.widths[0] >= min(letters * 0.9, 80)
    assert plan.widths[0] <= max(layout_width, 81)
    path = tmp_path / "board.xlsx"
    write_workbook(path, templates, [], dashboard)
    sheet = openpyxl.load_workbook(path)[templates.dashboard.title]
    assert sheet.column_dimensions["A"].width >= plan.widths[0]
    [google] = [r["updateDimensionProperties"] for r in dashboard_requests(plan, None)
                if "updateDimensionProperties" in r and
                r["updateDimensionProperties"]["range"]["startIndex"] == 0]  # fmt: skip
    assert google["properties"]["pixelSize"] > plan.widths[0] * 6
