"""Regenerate the guide's screenshots from the current outputs of the bundled example.

    .venv/bin/python docs/img/make.py

Syncs the example (as on 10 April 2021) into a temporary folder, lets one grassroots union
score and nominate, syncs again, prints the workbooks through LibreOffice to PDF and turns the
pages the guide shows into PNG files here. `manifest.json` records the digest of the layouts and
code the images were made from; tests/test_docs.py fails when they have changed since.
Needs LibreOffice (`soffice`) and poppler (`pdftoppm`, `pdftotext`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# What the images show: the layouts and the code that renders them.
SOURCES = (
    "sheets_templates/outputs.yaml",
    "sync/writers/plan.py",
    "sync/writers/records.py",
    "sync/writers/xlsx.py",
    "docs/img/make.py",
)
# image -> (tier folder, unit id, sheet title)
SHOTS = {
    "bang-dieu-khien.png": ("2-cap-tren-truc-tiep", "DB.TG", "Bảng điều khiển"),
    "bang-dieu-khien-tinh.png": ("1-tinh", "DB", "Bảng điều khiển"),
    "sang-kien.png": ("3-co-so", "DB.TG.TH-TT", "Sáng kiến"),
    "loi-can-sua.png": ("2-cap-tren-truc-tiep", "DB.TG", "Lỗi cần sửa"),
}
REVIEWER = "DB.TG.TH-TT"  # the grassroots union that scores and nominates


def digest() -> str:
    hashed = hashlib.sha256()
    for name in SOURCES:
        hashed.update((REPO / name).read_bytes())
    return hashed.hexdigest()[:16]


def sheet_pages(pdf: Path) -> dict[str, list[int]]:
    """Pages of a printed workbook by sheet title, read from each page's footer
    ("<unit> – <sheet>")."""
    found: dict[str, list[int]] = {}
    pages = int(_pdfinfo(pdf)["Pages"])
    for page in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        starts = [index for index, line in enumerate(lines) if " – " in line][-1:]
        # a long unit's name wraps the footer: the sheet's name may run onto the next line
        footer = " ".join(lines[starts[0] :]) if starts else ""
        title = footer.split(" – ")[-1]
        found.setdefault(title, []).append(page)
    return found


def _pdfinfo(pdf: Path) -> dict[str, str]:
    lines = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return dict(line.split(":", 1) for line in lines.stdout.splitlines() if ":" in line)


def to_pdf(workbook: Path, folder: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
        capture_output=True, check=True, timeout=600,
    )  # fmt: skip
    return folder / (workbook.stem + ".pdf")


def _review(workbook: Path) -> None:
    """Score the first two valid initiatives and nominate them, as an officer would."""
    import openpyxl

    book = openpyxl.load_workbook(workbook)
    sheet = book["Sáng kiến"]
    header = [c.value for c in sheet[1]]
    column = {name: header.index(name) + 1 for name in header if name}
    chosen = 0
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, column["Trạng thái"]).value != "Hợp lệ" or chosen == 3:
            continue
        sheet.cell(row, column["Kết quả thẩm định"]).value = "Đạt"
        sheet.cell(row, column["Điểm (0–100)"]).value = 90 - chosen * 5
        sheet.cell(row, column["Đề xuất lên cấp trên"]).value = "x"
        chosen += 1
    book.save(workbook)


def make(work: Path) -> None:
    sys.path.insert(0, str(REPO))
    from sync.config import read_settings
    from sync.pipeline import run_sync

    shutil.copytree(REPO / "examples", work / "examples")
    shutil.copy(REPO / "config.yaml", work / "config.yaml")
    settings = read_settings(work / "config.yaml")
    out = work / "output"
    run_sync(settings, out, now=datetime.fromisoformat("2021-04-10T08:00:00+07:00"))
    [reviewer] = out.glob(f"3-co-so/{REVIEWER} *.xlsx")
    _review(reviewer)
    run_sync(settings, out, now=datetime.fromisoformat("2021-04-11T08:00:00+07:00"))
    for image, (tier, unit, sheet) in SHOTS.items():
        [workbook] = out.glob(f"{tier}/{unit} *.xlsx")
        pdf = work / "pdf" / (workbook.stem + ".pdf")
        if not pdf.exists():
            pdf = to_pdf(workbook, work / "pdf")
        page = sheet_pages(pdf)[sheet][0]
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", str(page), "-l", str(page),
             str(pdf), str(HERE / image.removesuffix(".png"))],
            check=True,
        )  # fmt: skip
    manifest = {"sources": digest(), "images": sorted(SHOTS)}
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        make(Path(folder))
