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
from docx.shared import Mm
from typer.testing import CliRunner

from sync.cli import app
from sync.config import SignerSettings, read_settings
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
CONFIRMED, APPRAISED = "Giá trị làm lợi được xác nhận (đồng)", "Kết quả thẩm định"
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
            edit(book, by_title[ROWS[i]["title"]], {NOMINATE: "x", APPRAISED: "Đạt",
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
    # The school confirms a lower benefit than the author claimed; its district confirms yet
    # another: the dossier quotes the lowest tier's.
    example.nominate("DB.TG.TH-TT", {0: {SCORE: 95, CONFIRMED: 500_000}, 1: {SCORE: 90},
                                     2: {SCORE: 85}, 3: {SCORE: 50}})  # fmt: skip
    example.nominate("DB.TG.THCS-TT", {4: {COMPLAINT: "x"}, 5: {DISPUTE: "x"}, 6: {SCORE: 70}})
    example.nominate("DB.GD.THPT-CLQD", {7: {SCORE: 99}})
    example.sync()
    example.nominate("DB.TG", {0: {CONFIRMED: 900_000}, 1: {}, 2: {}, 6: {APPRAISED: None}})
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
    sheet = openpyxl.load_workbook(walked.out / "tra-cuu-ket-qua.xlsx")["Tra cứu kết quả"]
    text = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    assert all(row["title"] in text for row in ROWS)
    for row in ROWS:
        for private in ("full_name", "phone", "email", "birth_year"):
            assert row[private] not in text, private
    # written once: the province's workbook holds no second copy to fall out of date
    assert "Tra cứu kết quả" not in openpyxl.load_workbook(workbook(walked.out, "DB")).sheetnames


def summary_table(path: Path) -> tuple[list[str], list[tuple], list[tuple], tuple]:
    """The summary's headers, proposed rows, total row and the rows listed as not proposed."""
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "STT")
    total = next(i for i, r in enumerate(rows) if str(r[0] or "").startswith("Tổng cộng"))
    held = [r for r in rows[total + 1 :] if isinstance(r[0], int)]
    return list(rows[header]), rows[header + 1 : total], held, rows[total]


def letter_text(path: Path) -> tuple[str, str]:
    """The letter's body paragraphs and the text of its tables (head and signature)."""
    document = Document(str(path))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    return body, cells


def test_dossier_of_the_district(walked, tmp_path) -> None:
    summary, letter = build_dossier(walked.settings, "DB.TG", tmp_path, now=AFTER_DUE)
    headers, rows, held, total = summary_table(summary)
    assert [r[0] for r in rows] == [1, 2, 3, 4] and held == []
    assert {r[1] for r in rows} == {ROWS[i]["title"] for i in (0, 1, 2, 6)}
    benefit, confirmed = (
        headers.index("Giá trị làm lợi (đồng)"),
        headers.index("Giá trị làm lợi do ai xác nhận"),
    )
    by_title = {r[1]: r for r in rows}
    # The school's confirmation, not the district's, nor the author's claim of 1 million.
    assert by_title[ROWS[0]["title"]][benefit] == 500_000
    assert "Trường Tiểu học Thị trấn" in by_title[ROWS[0]["title"]][confirmed]
    assert by_title[ROWS[1]["title"]][benefit] == 2_000_000  # nobody confirmed: the claim
    assert "chưa được xác nhận" in by_title[ROWS[1]["title"]][confirmed]
    assert total[benefit] == sum(r[benefit] for r in rows) == 500_000 + 1_000_000 * (2 + 3 + 7)
    assert any("Giáo Viên A (sinh năm 1970)" in str(r[2]) for r in rows)
    body, cells = letter_text(letter)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and "Độc lập - Tự do - Hạnh phúc" in cells
    assert "LIÊN ĐOÀN LAO ĐỘNG HUYỆN TUẦN GIÁO" in cells and "Số: …/TTr-LĐLĐ" in cells
    assert "Tuần Giáo, ngày … tháng … năm 2021" in cells  # the district's own locality
    assert "TM. BAN THƯỜNG VỤ" in cells and "CHỦ TỊCH" in cells and "Nơi nhận:" in cells
    assert "Kính gửi: Liên đoàn Lao động tỉnh Điện Biên" in body
    assert all(ROWS[i]["title"] in body for i in (0, 1, 2, 6))
    assert "500.000 đồng (Công đoàn cơ sở Trường Tiểu học Thị trấn xác nhận)" in body
    [blank] = [line for line in body.splitlines() if ROWS[6]["title"] in line]
    assert "kết quả thẩm định" not in blank  # the district left its appraisal blank
    assert "không đề nghị" not in body.lower()


def test_signer_and_place_come_from_config(walked, tmp_path) -> None:
    dossier = walked.settings.dossier.model_copy(
        update={"signer": SignerSettings(title="PHÓ CHỦ TỊCH", name="Lò Văn Mười")}
    )
    settings = walked.settings.model_copy(update={"dossier": dossier})
    _, letter = build_dossier(settings, "DB.GD", tmp_path, now=AFTER_DUE)
    _, cells = letter_text(letter)
    assert "PHÓ CHỦ TỊCH" in cells and "Lò Văn Mười" in cells
    assert "Điện Biên, ngày … tháng … năm 2021" in cells  # a sector union: the province's place


def test_dossier_refuses_broken_nominations_unless_forced(walked, tmp_path) -> None:
    with pytest.raises(SyncError, match="QUOTA_EXCEEDED"):
        build_dossier(walked.settings, "DB.TG.TH-TT", tmp_path, now=AFTER_DUE)
    assert not list(tmp_path.iterdir())
    result = CliRunner().invoke(
        app, ["dossier", "--unit", "DB.TG.TH-TT", "--config", str(walked.folder / "config.yaml"),
              "--out", str(tmp_path), "--as-of", "2021-04-20 09:00"])  # fmt: skip
    assert result.exit_code == 1 and "--force" in result.output
    assert not list(tmp_path.iterdir())


def test_forced_dossier_proposes_and_counts_only_passable_nominations(walked, tmp_path) -> None:
    summary, letter = build_dossier(walked.settings, "DB.TG.TH-TT", tmp_path, force=True)
    headers, rows, held, total = summary_table(summary)
    benefit, note = headers.index("Giá trị làm lợi (đồng)"), headers.index("Ghi chú")
    assert {r[1] for r in rows} == {ROWS[i]["title"] for i in (0, 1, 2)}
    assert total[benefit] == sum(r[benefit] for r in rows)  # the surplus one is not counted
    assert "3 sáng kiến" in total[0]
    [surplus] = held
    assert surplus[1] == ROWS[3]["title"] and surplus[note].startswith("Không đề nghị")
    body, cells = letter_text(letter)
    proposed, _, apart = body.partition("KHÔNG ĐỀ NGHỊ")
    assert "đề xuất 3 sáng kiến" in proposed
    assert all(ROWS[i]["title"] in proposed for i in (0, 1, 2))
    assert ROWS[3]["title"] not in proposed
    assert ROWS[3]["title"] in apart and "vượt số lượng được phân bổ" in apart
    assert "TM. BAN CHẤP HÀNH" in cells


def test_letter_is_an_a4_page_with_decree_30_margins_and_font(walked, tmp_path) -> None:
    _, letter = build_dossier(walked.settings, "DB.TG", tmp_path, now=AFTER_DUE)
    document = Document(str(letter))
    [section] = document.sections
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert 20 <= section.top_margin.mm <= 25 and 20 <= section.bottom_margin.mm <= 25
    assert 30 <= section.left_margin.mm <= 35 and 15 <= section.right_margin.mm <= 20
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    head = document.tables[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert abs(sum(c.width for c in head.columns) - text_width) < Mm(1)


def test_summary_prints_on_a4_landscape_with_its_header_repeated(walked, tmp_path) -> None:
    summary, _ = build_dossier(walked.settings, "DB.TG", tmp_path, now=AFTER_DUE)
    sheet = openpyxl.load_workbook(summary).active
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    # One page wide (1 is the default, so left out of the file), as many pages long as needed.
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$6:$6"  # the header row
    texts = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert (
        "BẢNG TỔNG HỢP TÓM TẮT SÁNG KIẾN" in texts and "LIÊN ĐOÀN LAO ĐỘNG HUYỆN TUẦN GIÁO" in texts
    )
    assert "TM. BAN THƯỜNG VỤ" in texts


def test_as_of_runs_the_rules_at_that_moment(walked) -> None:
    config = str(walked.folder / "config.yaml")
    result = CliRunner().invoke(app, ["check", "--config", config, "--json", "--as-of",
                                      "2021-04-10 08:00"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["generated_at"] == "2021-04-10T08:00:00+07:00"
    wrong = CliRunner().invoke(app, ["check", "--config", config, "--as-of", "10/04/2021"])
    assert wrong.exit_code != 0 and "--as-of" in wrong.output


def pdf_lines(path: Path, folder: Path) -> list[str]:
    run = subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    pdf = folder / f"{path.stem}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    return text.splitlines()


def metric_compatible_font() -> bool:
    """Times New Roman or a font of the same widths, so LibreOffice lays lines out as Word."""
    if shutil.which("fc-list") is None:
        return False
    fonts = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return "Times New Roman" in fonts or "Liberation Serif" in fonts


NO_PDF = shutil.which("soffice") is None or shutil.which("pdftotext") is None


@pytest.mark.skipif(NO_PDF, reason="LibreOffice or poppler is not installed")
def test_libreoffice_opens_the_dossier(walked, tmp_path) -> None:
    summary, letter = build_dossier(walked.settings, "DB.TG", tmp_path / "dossier", now=AFTER_DUE)
    assert any("TỜ TRÌNH" in line for line in pdf_lines(letter, tmp_path / "pdf"))
    assert any("BẢNG TỔNG HỢP" in line for line in pdf_lines(summary, tmp_path / "pdf"))


@pytest.mark.skipif(NO_PDF, reason="LibreOffice or poppler is not installed")
@pytest.mark.skipif(
    not metric_compatible_font(), reason="no Times New Roman or Liberation Serif (fonts-liberation)"
)
def test_motto_prints_on_one_line_each(walked, tmp_path) -> None:
    _, letter = build_dossier(walked.settings, "DB.TG", tmp_path / "dossier", now=AFTER_DUE)
    lines = pdf_lines(letter, tmp_path / "pdf")
    for motto in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"):
        assert any(motto in line for line in lines), motto
