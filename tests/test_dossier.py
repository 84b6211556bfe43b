"""The full path on the bundled example's tree and config: grassroots → district or sector union
→ province → Confederation, with quota overflow, complaint, dispute and a late nomination; then
the nomination dossier of a unit, read back and opened in LibreOffice."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import yaml
from docx import Document
from typer.testing import CliRunner

from sync.cli import app
from sync.config import read_settings
from sync.dossier import build_dossier
from sync.errors import SyncError
from sync.pipeline import run_sync
from sync.templates import load_templates
from tests.conftest import VALID_ROW
from tests.officer import edit, rows_by_id, workbook
from tests.test_review import AFTER_DUE, BEFORE_DUE, COMPLAINT, DISPUTE, NOMINATE, SCORE

TG = {"superior_unit": "LĐLĐ huyện Tuần Giáo", "grassroots_unit": "Trường Tiểu học Thị trấn"}
TG2 = {"superior_unit": "LĐLĐ huyện Tuần Giáo", "grassroots_unit": "THCS Thị trấn"}
GD = {"superior_unit": "Công đoàn Giáo dục tỉnh", "grassroots_unit": "THPT Chuyên Lê Quý Đôn"}
TOPICS = ["bếp ăn", "thư viện", "điện mặt trời", "sổ điểm", "nước sạch", "vườn thuốc", "an toàn"]


def entry(i: int, place: dict) -> dict:
    return {
        **VALID_ROW,
        **place,
        "full_name": f"Giáo Viên {chr(65 + i)}",
        "birth_year": str(1970 + i),
        "phone": f"09880000{i:02d}",
        "email": f"gv{i}@truong.example.vn",
        "title": f"Cải tiến {TOPICS[i % len(TOPICS)]} số {i}",
        "description": f"Giải pháp {TOPICS[i % len(TOPICS)]} thứ {i}: " + "nội dung chi tiết " * 3,
        "benefit": f"{i + 1} triệu",
        "timestamp": f"{10 + i:02d}/03/2021 09:00:00",
    }


ROWS = [entry(i, TG) for i in range(4)] + [entry(i, TG2) for i in range(4, 7)]
ROWS += [entry(i, GD) for i in range(7, 9)]


class Example:
    def __init__(self, folder: Path):
        self.folder = folder
        questions = load_templates().form.questions
        with (folder / "responses.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([q.vi for q in questions])
            writer.writerows([row[q.key] for q in questions] for row in ROWS)
        config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
        config["sources"] = [{"name": "form", "kind": "csv", "path": "responses.csv"}]
        (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
        self.settings = read_settings(folder / "config.yaml")
        self.out = self.settings.output.dir

    def sync(self, now=BEFORE_DUE):
        return run_sync(self.settings, now=now).report

    def nominate(self, unit_id: str, picks: dict[int, dict]) -> None:
        book = workbook(self.out, unit_id)
        by_title = {v["Tên sáng kiến"]: k for k, v in rows_by_id(book).items()}
        for i, values in picks.items():
            edit(book, by_title[ROWS[i]["title"]], {NOMINATE: "x", "Kết quả thẩm định": "Đạt",
                                                    **values})  # fmt: skip

    def titles(self, unit_id: str) -> set[str]:
        return {v["Tên sáng kiến"] for v in rows_by_id(workbook(self.out, unit_id)).values()}


def codes(report, i: int) -> list[str]:
    [response] = [r for r in report.responses if r.title == ROWS[i]["title"]]
    return [v.code for v in response.violations if v.code not in ("POSSIBLE_DUPLICATE",)]


@pytest.fixture(scope="module")
def walked(tmp_path_factory) -> Example:
    """The whole campaign walked once; the tests below look at what it left."""
    folder = tmp_path_factory.mktemp("example") / "campaign"
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples" / "dien-bien-2021",
                    folder / "examples" / "dien-bien-2021")  # fmt: skip
    shutil.copy(Path(__file__).resolve().parent.parent / "config.yaml", folder / "config.yaml")
    example = Example(folder)
    example.sync()
    # Grassroots: TH-TT's quota is 3, so of four nominations the lowest score stays behind.
    example.nominate("DB.TG.TH-TT", {0: {SCORE: 95}, 1: {SCORE: 90}, 2: {SCORE: 85},
                                     3: {SCORE: 50}})  # fmt: skip
    example.nominate("DB.TG.THCS-TT", {4: {COMPLAINT: "x"}, 5: {DISPUTE: "x"}, 6: {SCORE: 70}})
    example.nominate("DB.GD.THPT-CLQD", {7: {SCORE: 99}})
    example.sync()
    example.nominate("DB.TG", {0: {}, 1: {}, 2: {}, 6: {}})
    example.nominate("DB.GD", {7: {SCORE: 97}})
    example.sync()
    # The school nominates another one after the dossier due date: it stays behind.
    example.nominate("DB.GD.THPT-CLQD", {8: {SCORE: 60}})
    example.sync(now=AFTER_DUE)
    example.nominate("DB", {0: {SCORE: 91}, 1: {SCORE: 80}, 2: {SCORE: 60}, 6: {SCORE: 88},
                            7: {SCORE: 99}})  # fmt: skip
    example.report = example.sync(now=AFTER_DUE)
    return example


def test_full_path_to_the_confederation(walked) -> None:
    report = walked.report
    assert walked.titles("DB.TG") == {ROWS[i]["title"] for i in (0, 1, 2, 6)}
    assert walked.titles("DB.GD") == {ROWS[7]["title"]}
    assert walked.titles("DB") == {ROWS[i]["title"] for i in (0, 1, 2, 6, 7)}
    assert codes(report, 3) == ["QUOTA_EXCEEDED"]  # the grassroots union's surplus
    assert codes(report, 4) == codes(report, 5) == ["NOT_ELIGIBLE"]  # complaint, dispute
    assert codes(report, 8) == ["DOSSIER_LATE"]  # nominated to the sector union too late
    assert codes(report, 2) == ["QUOTA_EXCEEDED"]  # the province's fifth: lowest score
    national = openpyxl.load_workbook(workbook(walked.out, "DB"))["Đề xuất Tổng Liên đoàn"]
    titles = [row[2] for row in national.iter_rows(min_row=2, values_only=True)]
    assert titles == [ROWS[i]["title"] for i in (7, 0, 6, 1)]  # ≤ 4 (D11), best score first
    data = json.loads((walked.out / "sync-report.json").read_text(encoding="utf-8"))
    reached = {r["id"]: r["tier_reached"] for r in data["responses"]}
    by_title = {r.title: r.id for r in report.responses}
    assert [reached[by_title[ROWS[i]["title"]]] for i in range(9)] == [
        "national", "national", "province", "grassroots", "grassroots", "grassroots",
        "national", "national", "grassroots"]  # fmt: skip
    assert data["tallies"]["DB"]["received"] == len(ROWS)  # the province still counts all


def test_public_lookup_of_the_example_has_no_personal_data(walked) -> None:
    for path, tab in ((walked.out / "tra-cuu-ket-qua.xlsx", "Tra cứu kết quả"),
                      (workbook(walked.out, "DB"), "Tra cứu kết quả")):  # fmt: skip
        sheet = openpyxl.load_workbook(path)[tab]
        text = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
        assert all(row["title"] in text for row in ROWS)
        for row in ROWS:
            for private in ("full_name", "phone", "email", "birth_year"):
                assert row[private] not in text, private


def test_dossier_of_the_district(walked, tmp_path) -> None:
    summary, letter = build_dossier(walked.settings, "DB.TG", tmp_path, now=AFTER_DUE)
    sheet = openpyxl.load_workbook(summary).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    headers = [c.value for c in sheet[1]]
    assert [r[0] for r in rows[:-1]] == [1, 2, 3, 4]
    assert {r[1] for r in rows[:-1]} == {ROWS[i]["title"] for i in (0, 1, 2, 6)}
    benefit = headers.index("Giá trị làm lợi (đồng)")
    assert rows[-1][1] == "Tổng cộng"
    assert rows[-1][benefit] == sum(r[benefit] for r in rows[:-1]) == 1_000_000 * (1 + 2 + 3 + 7)
    assert any("Giáo Viên A (sinh năm 1970)" in str(r[2]) for r in rows)
    text = "\n".join(p.text for p in Document(str(letter)).paragraphs)
    cells = "\n".join(
        c.text for t in Document(str(letter)).tables for row in t.rows for c in row.cells
    )
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and "Độc lập - Tự do - Hạnh phúc" in cells
    assert "Điện Biên, ngày … tháng … năm 2021" in cells and "Số: …/TTr-LĐLĐ" in cells
    assert "TM. BAN THƯỜNG VỤ" in cells
    assert "Kính gửi: Liên đoàn Lao động tỉnh Điện Biên" in text
    assert all(ROWS[i]["title"] in text for i in (0, 1, 2, 6))
    assert "LƯU Ý" not in text


def test_dossier_refuses_broken_nominations_unless_forced(walked, tmp_path) -> None:
    with pytest.raises(SyncError, match="QUOTA_EXCEEDED"):
        build_dossier(walked.settings, "DB.TG.TH-TT", tmp_path, now=AFTER_DUE)
    assert not list(tmp_path.iterdir())
    result = CliRunner().invoke(
        app, ["dossier", "--unit", "DB.TG.TH-TT", "--config", str(walked.folder / "config.yaml"),
              "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 1 and "--force" in result.output
    _, letter = build_dossier(walked.settings, "DB.TG.TH-TT", tmp_path, force=True)
    document = Document(str(letter))
    first = "\n".join(p.text for p in document.paragraphs[:6])
    assert "LƯU Ý" in first and "vượt số lượng được phân bổ" in first
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "TM. BAN CHẤP HÀNH" in cells


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_dossier(walked, tmp_path) -> None:
    files = build_dossier(walked.settings, "DB.TG", tmp_path / "dossier", now=AFTER_DUE)
    for path in files:
        run = subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"),
             str(path)],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        pdf = tmp_path / "pdf" / f"{path.stem}.pdf"
        assert pdf.exists() and pdf.stat().st_size > 1000, run.stdout
