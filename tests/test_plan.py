"""One rendering plan: a colour, a chart's kind, position or size, or a highlight declared in
`sheets_templates/outputs.yaml` reaches the workbook and the Google requests alike."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from sync.google.sheet_requests import dashboard_requests, tab_requests
from sync.templates import DEFAULT_TEMPLATES, Templates, load_templates
from sync.writers.plan import Planner
from sync.writers.records import Dashboard, Sheet
from sync.writers.xlsx import write_workbook


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    """The bundled templates with a chart moved and recoloured headers and highlights."""
    folder = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, folder)
    path = folder / "outputs.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["dashboard"]["charts"]["by_unit"] |= {"kind": "column", "anchor": "B30", "width": 500}
    data["styles"]["header_fill"] = "#123456"
    data["sheets"]["problems"]["highlights"][0]["fill"] = "#ABCDEF"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_templates(folder)


def board(templates: Templates) -> Dashboard:
    data = Sheet(templates.sheets["chart_data"], [["01/03/2021", 2], ["Đơn vị A", 5], ["X", 1],
                                                   ["Hợp lệ", 3]])  # fmt: skip
    spans = {"by_day": (0, 0), "by_unit": (1, 1), "by_field": (2, 2), "by_status": (3, 3)}
    totals = [("Tổng số", 8, "int")]
    return Dashboard("Tổng hợp", "Cập nhật", totals, data, spans)


def problems(templates: Templates) -> Sheet:
    layout = templates.sheets["problems"]
    row = {"code": "X", "severity": "Lỗi", "source": "a", "row": 2, "id": "SK-1"}
    return Sheet(layout, [[row.get(k) for k in layout.column_keys()]])


def google_charts(templates: Templates) -> dict[str, dict[str, Any]]:
    plan = Planner(templates).dashboard(board(templates))
    charts = [r["addChart"]["chart"] for r in dashboard_requests(plan, None) if "addChart" in r]
    return {c["spec"]["title"]: c for c in charts}


def test_a_chart_declared_once_is_drawn_alike_by_both_writers(templates, tmp_path) -> None:
    caption = templates.dashboard.charts.by_unit.caption
    chart = google_charts(templates)[caption]
    assert chart["spec"]["basicChart"]["chartType"] == "COLUMN"
    anchor = chart["position"]["overlayPosition"]
    assert (anchor["anchorCell"]["rowIndex"], anchor["anchorCell"]["columnIndex"]) == (29, 1)
    assert anchor["widthPixels"] == 500
    path = tmp_path / "board.xlsx"
    write_workbook(path, templates, [], board(templates))
    with zipfile.ZipFile(path) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if "charts/chart" in n]
        drawing = next(archive.read(n).decode() for n in archive.namelist()
                       if re.search(r"drawings/drawing\d+\.xml$", n))  # fmt: skip
    [column] = [c for c in charts if caption in c]
    assert '<c:barDir val="col"/>' in column
    anchors = re.findall(r"<xdr:from><xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>", drawing)
    assert ("1", "29") in anchors


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
