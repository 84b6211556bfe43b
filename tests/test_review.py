"""The officers' review: kept by initiative id, archived not lost, nominations flowing up the
tree with the rules at nomination, the audit log and the public lookup."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from sync import pipeline
from sync.config import read_settings
from sync.pipeline import run_sync
from sync.review.values import APPRAISAL as APPRAISAL_KEY
from sync.review.values import BENEFIT as BENEFIT_KEY
from sync.review.values import SCORE as SCORE_KEY
from sync.review.values import appraisal, bad_values, benefit, review_words, score
from sync.tally import tally
from sync.templates import load_templates
from tests.officer import (
    ARCHIVE,
    delete_row,
    edit,
    insert_blank_row,
    reorder,
    rows_by_id,
    workbook,
)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
BEFORE_DUE = datetime(2021, 4, 1, 9, 0, tzinfo=ZONE)
AFTER_DUE = datetime(2021, 4, 20, 9, 0, tzinfo=ZONE)
APPRAISAL, SCORE, NOTES = "Kết quả thẩm định", "Điểm (0–100)", "Ghi chú thẩm định"
NOMINATE, COMPLAINT, DISPUTE = "Đề xuất lên cấp trên", "Có khiếu nại", "Tranh chấp quyền tác giả"


def person(i: int, **changes) -> dict:
    row = {
        "full_name": f"Người Thứ {chr(65 + i)}",
        "phone": f"09120000{i:02d}",
        "email": f"nguoi{i}@example.vn",
        "title": f"Sáng kiến số {i} về {['điện', 'nước', 'sổ sách', 'an toàn', 'y tế'][i % 5]}",
        "description": f"Nội dung riêng biệt {i} " + "chữ " * i,
        "timestamp": f"{10 + i:02d}/03/2021 08:00:00",
    }
    return row | changes


AT_DL = {"superior_unit": "LĐLĐ tỉnh", "grassroots_unit": "Điện lực Điện Biên"}


class Campaign:
    """A small campaign synced at chosen times, with the officer's hands on its workbooks."""

    def __init__(self, small_campaign, tmp_path: Path, rows: list[dict]):
        self.build, self.out = small_campaign, tmp_path / "out"
        self.config = small_campaign(rows)

    def sync(self, now: datetime = BEFORE_DUE, rows: list[dict] | None = None):
        if rows is not None:
            self.config = self.build(rows)
        return run_sync(read_settings(self.config), now=now).report

    def book(self, unit_id: str) -> Path:
        return workbook(self.out, unit_id)

    def ids(self, unit_id: str) -> dict[str, str]:
        """Title -> id of the initiatives the unit's sheet lists."""
        return {v["Tên sáng kiến"]: k for k, v in rows_by_id(self.book(unit_id)).items()}

    def report(self) -> dict:
        return json.loads((self.out / "sync-report.json").read_text(encoding="utf-8"))

    def audit(self) -> list[dict]:
        lines = (self.out / "audit-log.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]


@pytest.fixture
def campaign(small_campaign, tmp_path):
    return Campaign(small_campaign, tmp_path, [person(i) for i in range(4)])


def test_review_stays_with_its_initiative_after_sorting_and_inserting(campaign) -> None:
    campaign.sync()
    book = campaign.book("P.TG.THPT")
    ids = list(rows_by_id(book))
    edit(book, ids[0], {APPRAISAL: "Đạt", SCORE: 91, NOTES: "Tốt"})
    edit(book, ids[2], {APPRAISAL: "Không đạt", SCORE: 40})
    reorder(book)
    insert_blank_row(book, 3)
    campaign.sync()
    after = rows_by_id(book)
    assert (after[ids[0]][APPRAISAL], after[ids[0]][SCORE], after[ids[0]][NOTES]) == (
        "Đạt", 91, "Tốt")  # fmt: skip
    assert (after[ids[2]][APPRAISAL], after[ids[2]][SCORE]) == ("Không đạt", 40)
    assert after[ids[1]][APPRAISAL] is None


def test_a_deleted_row_keeps_its_review(campaign) -> None:
    campaign.sync()
    book = campaign.book("P.TG.THPT")
    first = next(iter(rows_by_id(book)))
    edit(book, first, {APPRAISAL: "Đạt"})
    campaign.sync()
    delete_row(book, first)
    campaign.sync()
    assert rows_by_id(book)[first][APPRAISAL] == "Đạt"


def test_removed_initiative_is_archived_and_comes_back(campaign) -> None:
    campaign.sync()
    book = campaign.book("P.TG.THPT")
    gone = campaign.ids("P.TG.THPT")[person(3)["title"]]
    edit(book, gone, {APPRAISAL: "Đạt", NOTES: "Giữ lại"})
    campaign.sync(rows=[person(i) for i in range(3)])
    assert gone not in rows_by_id(book)
    archived = rows_by_id(book, ARCHIVE)[gone]
    assert archived[APPRAISAL] == "Đạt" and archived["Lý do lưu trữ"]
    campaign.sync(rows=[person(i) for i in range(3)])  # stays archived across syncs
    assert rows_by_id(book, ARCHIVE)[gone][NOTES] == "Giữ lại"
    campaign.sync(rows=[person(i) for i in range(4)])
    assert rows_by_id(book)[gone][NOTES] == "Giữ lại"
    assert gone not in rows_by_id(book, ARCHIVE)
    changes = [(e["change"], e["id"]) for e in campaign.audit()]
    assert ("archived", gone) in changes and ("restored", gone) in changes


def test_an_edited_sync_owned_cell_is_restored_and_logged(campaign) -> None:
    campaign.sync()
    book = campaign.book("P.TG.THPT")
    target = next(iter(rows_by_id(book)))
    title = rows_by_id(book)[target]["Tên sáng kiến"]
    edit(book, target, {"Tên sáng kiến": "Tên do cán bộ sửa"})
    campaign.sync()
    assert rows_by_id(book)[target]["Tên sáng kiến"] == title
    [entry] = [e for e in campaign.audit() if e["change"] == "overwritten"]
    assert entry["unit"] == "P.TG.THPT" and entry["id"] == target
    assert entry["column"] == "Tên sáng kiến" and entry["value"] == "Tên do cán bộ sửa"


def test_unreadable_or_open_workbook_is_left_as_it_is_and_named(campaign) -> None:
    campaign.sync()
    book = campaign.book("P.TG.THPT")
    book.write_bytes(b"not a workbook")
    campaign.sync()
    assert book.read_bytes() == b"not a workbook"
    assert [held["path"] for held in campaign.report()["not_written"]] == [str(book)]
    book.unlink()
    campaign.sync()
    first = next(iter(campaign.ids("P.TG.THPT").values()))
    edit(book, first, {APPRAISAL: "Đạt"})
    lock = book.with_name(f".~lock.{book.name}#")
    lock.write_text("officer,host", encoding="utf-8")
    before = book.read_bytes()
    campaign.sync()
    assert book.read_bytes() == before
    [held] = campaign.report()["not_written"]
    assert held["path"] == str(book) and lock.name in held["reason"]
    [response] = [r for r in campaign.report()["responses"] if r["id"] == first]
    assert response["review"]["P.TG.THPT"]["appraisal"] == "passed"


def nominate(campaign: Campaign, unit_id: str, titles: dict[str, dict]) -> None:
    book = campaign.book(unit_id)
    ids = campaign.ids(unit_id)
    for title, values in titles.items():
        edit(book, ids[title], {NOMINATE: "x", APPRAISAL: "Đạt", **values})


def codes_of(report, title: str) -> list[str]:
    [response] = [r for r in report.responses if r.title == title]
    return [v.code for v in response.violations]


def test_nominations_flow_up_to_the_confederation(small_campaign, tmp_path) -> None:
    rows = [person(0), person(1), person(2, **AT_DL)]
    campaign = Campaign(small_campaign, tmp_path, rows)
    campaign.sync()
    t0, t1, t2 = (person(i)["title"] for i in range(3))
    nominate(campaign, "P.TG.THPT", {t0: {SCORE: 88}})
    nominate(campaign, "P.DL", {t2: {SCORE: 70}})
    campaign.sync()
    district = rows_by_id(campaign.book("P.TG"))
    assert [r["Tên sáng kiến"] for r in district.values()] == [t0]  # only what was nominated
    [row] = district.values()
    assert row["Đơn vị đề xuất"] == "Công đoàn cơ sở Trường THPT Tuần Giáo"
    assert (row["Thẩm định của cấp dưới"], row["Điểm của cấp dưới"]) == ("Đạt", 88)
    province = rows_by_id(campaign.book("P"))
    assert {r["Tên sáng kiến"] for r in province.values()} == {t2}  # P.DL skips the middle tier
    nominate(campaign, "P.TG", {t0: {}})
    campaign.sync()
    nominate(campaign, "P", {t0: {SCORE: 95}, t2: {SCORE: 80}})
    report = campaign.sync()
    national = openpyxl.load_workbook(campaign.book("P"))["Đề xuất Tổng Liên đoàn"]
    assert [c.value for c in national["C"][1:]] == [t0, t2]  # best score first, numbered
    assert [c.value for c in national["A"][1:]] == [1, 2]
    data = {r["id"]: r for r in campaign.report()["responses"]}
    reached = {report.by_id[i].title: r["tier_reached"] for i, r in data.items()}
    assert reached == {t0: "national", t1: "grassroots", t2: "national"}
    first = data[report.by_id[campaign.ids("P.TG.THPT")[t0]].id]["review"]
    assert set(first) == {"P.TG.THPT", "P.TG", "P"}
    assert first["P.TG.THPT"] == {"appraisal": "passed", "score": 88.0, "nominated": True,
                                  "complaint": False, "dispute": False}  # fmt: skip
    grassroots = rows_by_id(campaign.book("P.TG.THPT"))
    assert len(grassroots) == 2  # a grassroots union keeps listing all its own initiatives
    outcome = {r["Tên sáng kiến"]: r["Kết quả đề xuất"] for r in grassroots.values()}
    assert outcome == {t0: "Đã chuyển lên Liên đoàn Lao động huyện Tuần Giáo", t1: None}
    assert (
        rows_by_id(campaign.book("P"))[report.by_id[campaign.ids("P.TG.THPT")[t0]].id][
            "Kết quả đề xuất"
        ]
        == "Đã đề xuất lên Tổng Liên đoàn"
    )
    lookup = rows_by_id(campaign.out / "tra-cuu-ket-qua.xlsx", "Tra cứu kết quả")
    plain = {row["Tên sáng kiến"]: row["Kết quả"] for row in lookup.values()}
    assert plain == {t0: "Đã đề xuất lên Tổng Liên đoàn", t1: "Chưa thẩm định",
                     t2: "Đã đề xuất lên Tổng Liên đoàn"}  # fmt: skip


@pytest.mark.parametrize("tallied_beside_min", [0, 10**9])  # the tallies forked, or not
def test_quota_complaint_dispute_and_invalid_rows_do_not_pass(
    small_campaign, tmp_path, monkeypatch, tallied_beside_min
) -> None:
    monkeypatch.setattr(pipeline, "TALLIED_BESIDE_MIN", tallied_beside_min)
    # P.TG.TT's quota is 2: of three eligible nominations the lowest score is the surplus.
    unit = {"grassroots_unit": "Trường Tiểu học Thị trấn"}
    rows = [person(i, **unit) for i in range(6)] + [person(6, **unit, full_name="")]
    campaign = Campaign(small_campaign, tmp_path, rows)
    campaign.sync()
    titles = [person(i)["title"] for i in range(7)]
    nominate(
        campaign,
        "P.TG.TT",
        {
            titles[0]: {SCORE: 90},
            titles[1]: {SCORE: 60},
            titles[2]: {SCORE: 75},
            titles[3]: {SCORE: 99, COMPLAINT: "x"},
            titles[4]: {SCORE: 99, DISPUTE: True},
            titles[6]: {SCORE: 99},
        },
    )
    report = campaign.sync()
    assert codes_of(report, titles[1]) == ["QUOTA_EXCEEDED"]
    assert codes_of(report, titles[0]) == codes_of(report, titles[2]) == []
    assert codes_of(report, titles[3]) == codes_of(report, titles[4]) == ["NOT_ELIGIBLE"]
    assert "MISSING_REQUIRED" in codes_of(report, titles[6])
    assert "NOT_ELIGIBLE" in codes_of(report, titles[6])
    listed = {r["Tên sáng kiến"] for r in rows_by_id(campaign.book("P.TG")).values()}
    assert listed == {titles[0], titles[2]}
    problems = rows_by_id(campaign.book("P.TG.TT"))[campaign.ids("P.TG.TT")[titles[1]]]
    assert "[QUOTA_EXCEEDED]" in problems["Lỗi và cảnh báo"]
    assert problems["Kết quả đề xuất"] == "Không chuyển lên: Vượt chỉ tiêu"
    blocked = openpyxl.load_workbook(campaign.book("P.TG.TT"))["Sáng kiến"].conditional_formatting
    assert any("LEFT(" in rule.formula[0] for cf in blocked for rule in cf.rules)  # coloured
    board = openpyxl.load_workbook(campaign.book("P.TG"))["Bảng điều khiển"]
    progress = {row[0]: row[1:3] for row in board.iter_rows(values_only=True) if row[0]}
    assert progress["Công đoàn cơ sở Trường Tiểu học Thị trấn"] == ("Vượt chỉ tiêu", "6/2")
    lookup = rows_by_id(campaign.out / "tra-cuu-ket-qua.xlsx", "Tra cứu kết quả")
    invalid = lookup[campaign.ids("P.TG.TT")[titles[6]]]["Kết quả"]
    assert invalid == "Không hợp lệ – Thiếu thông tin bắt buộc"
    summary = campaign.report()["summary"]["by_code"]
    assert summary["QUOTA_EXCEEDED"] == 1 and summary["NOT_ELIGIBLE"] == 3
    # The tallies count the round's codes too, at every tier, as counting the rows afresh does.
    assert report.tallies == tally(report.responses, report.tree)
    assert report.tallies["P"].by_code["QUOTA_EXCEEDED"] == 1


def test_late_nomination_is_flagged_but_an_early_one_stays_on_time(campaign) -> None:
    campaign.sync()
    t0, t1 = person(0)["title"], person(1)["title"]
    nominate(campaign, "P.TG.THPT", {t0: {}})
    campaign.sync(now=BEFORE_DUE)
    nominate(campaign, "P.TG.THPT", {t1: {}})
    report = campaign.sync(now=AFTER_DUE)
    assert codes_of(report, t0) == []
    assert codes_of(report, t1) == ["DOSSIER_LATE"]
    assert set(campaign.ids("P.TG")) == {t0}
    nominations = [e for e in campaign.audit() if e["change"] == "nominated"]
    assert [e["seen"][:10] for e in nominations] == ["2021-04-01", "2021-04-20"]


def damage_state(out: Path, how: str) -> None:
    state = out / "review-state.json"
    if how == "deleted":
        state.unlink()
    else:
        state.write_text('{"units": {"P.TG": [', encoding="utf-8")


@pytest.mark.parametrize("how", ["deleted", "corrupt"])
def test_a_lost_review_state_changes_no_nomination(campaign, how: str) -> None:
    campaign.sync()
    t0, t1 = person(0)["title"], person(1)["title"]
    nominate(campaign, "P.TG.THPT", {t0: {SCORE: 80}})
    campaign.sync(now=BEFORE_DUE)
    damage_state(campaign.out, how)
    report = campaign.sync(now=AFTER_DUE)
    assert codes_of(report, t0) == []  # still on time: the superior's sheet shows when
    assert set(campaign.ids("P.TG")) == {t0}
    [row] = rows_by_id(campaign.book("P.TG")).values()
    assert row["Ngày nhận đề xuất"].date().isoformat() == "2021-04-01"
    assert rows_by_id(campaign.book("P.TG.THPT"))[campaign.ids("P.TG.THPT")[t0]][SCORE] == 80
    nominate(campaign, "P.TG.THPT", {t1: {}})
    damage_state(campaign.out, how)
    report = campaign.sync(now=AFTER_DUE)
    assert (codes_of(report, t0), codes_of(report, t1)) == ([], ["DOSSIER_LATE"])
    rebuilt = [e for e in campaign.audit() if e["change"] == "state_rebuilt"]
    assert len(rebuilt) == (2 if how == "corrupt" else 0)


def test_a_lost_review_state_keeps_a_held_back_nomination_on_time(small_campaign, tmp_path) -> None:
    # P.TG.TT's quota is 2: the third nomination is held back, so no superior's sheet shows it;
    # its own "Ngày đề xuất" does, and it stays on time once a place frees after the due date.
    unit = {"grassroots_unit": "Trường Tiểu học Thị trấn"}
    campaign = Campaign(small_campaign, tmp_path, [person(i, **unit) for i in range(3)])
    campaign.sync()
    titles = [person(i)["title"] for i in range(3)]
    nominate(campaign, "P.TG.TT", {titles[0]: {SCORE: 90}, titles[1]: {SCORE: 80},
                                   titles[2]: {SCORE: 70}})  # fmt: skip
    report = campaign.sync(now=BEFORE_DUE)
    assert codes_of(report, titles[2]) == ["QUOTA_EXCEEDED"]
    damage_state(campaign.out, "deleted")
    nominate(campaign, "P.TG.TT", {titles[0]: {NOMINATE: ""}})  # a place frees after the due date
    report = campaign.sync(now=AFTER_DUE)
    assert codes_of(report, titles[2]) == []
    assert titles[2] in {r["Tên sáng kiến"] for r in rows_by_id(campaign.book("P.TG")).values()}


def test_a_lost_review_state_keeps_the_archive_date(campaign) -> None:
    campaign.sync()
    book = campaign.book("P.TG.THPT")
    gone = campaign.ids("P.TG.THPT")[person(3)["title"]]
    edit(book, gone, {APPRAISAL: "Đạt"})
    campaign.sync(now=BEFORE_DUE, rows=[person(i) for i in range(3)])
    damage_state(campaign.out, "deleted")
    campaign.sync(now=AFTER_DUE, rows=[person(i) for i in range(3)])
    archived = rows_by_id(book, ARCHIVE)[gone]
    assert archived["Lưu trữ từ"].date().isoformat() == "2021-04-01"
    assert archived["Tên sáng kiến"] == person(3)["title"]
    assert archived[APPRAISAL] == "Đạt"


def test_review_columns_are_marked_and_validated(campaign) -> None:
    campaign.sync()
    sheet = openpyxl.load_workbook(campaign.book("P.TG.THPT"))["Sáng kiến"]
    headers = {c.value: c for c in sheet[1]}
    assert headers[APPRAISAL].fill.fgColor.rgb != headers["Mã sáng kiến"].fill.fgColor.rgb
    rules = {
        next(iter(dv.sqref.ranges)).min_col: dv for dv in sheet.data_validations.dataValidation
    }
    appraisal = rules[headers[APPRAISAL].column]
    assert appraisal.type == "list" and "Chờ thẩm định" in appraisal.formula1
    score = rules[headers[SCORE].column]
    assert (score.type, score.formula1, score.formula2) == ("decimal", "0", "100")
    assert rules[headers[NOMINATE].column].formula1 == '"x"'
    # Blank cells take their column's style: the review columns are unlocked and tinted.
    review = sheet.column_dimensions[headers[APPRAISAL].column_letter]
    owned = sheet.column_dimensions[headers["Mã sáng kiến"].column_letter]
    assert review.protection.locked is False and owned.protection.locked is True
    assert review.fill.fgColor.rgb != owned.fill.fgColor.rgb


def test_public_lookup_has_no_personal_data(campaign) -> None:
    campaign.sync()
    lookup = openpyxl.load_workbook(campaign.out / "tra-cuu-ket-qua.xlsx")["Tra cứu kết quả"]
    text = " ".join(str(c.value) for row in lookup.iter_rows() for c in row)
    for i in range(4):
        row = person(i)
        assert row["title"] in text
        for private in (row["full_name"], row["phone"], row["email"], "1985"):
            assert private not in text


def test_commendation_lists_selected_and_most_prolific_people(small_campaign, tmp_path) -> None:
    same = {"full_name": "Lò Văn Thắng", "phone": "0912820510"}
    other = {"title": "Lò sấy chè dùng nhiệt thải", "description": "Tận dụng khí nóng lò hơi."}
    rows = [person(0, **same), person(1, **same, **other), person(2), person(3)]
    campaign = Campaign(small_campaign, tmp_path, rows)
    campaign.sync()
    nominate(campaign, "P.TG.THPT", {person(3)["title"]: {}})
    campaign.sync()
    sheet = openpyxl.load_workbook(campaign.book("P.TG.THPT"))["Biểu dương"]
    names = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [person(3)["full_name"], "Lò Văn Thắng"]  # Vietnamese order: Dờ… < Thắng


# -- review values -----------------------------------------------------------------------------

BAD = "BAD_REVIEW_VALUE"
WORDS = review_words(load_templates())


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (80, 80.0),
        (85.5, 85.5),
        ("80 điểm", 80.0),
        ("85,5", 85.5),
        (" 90 Điểm ", 90.0),
        (0, 0.0),
        (100, 100.0),
        (None, None),
        (150, BAD),
        (-5, BAD),
        ("100,5", BAD),
        ("tám mươi", BAD),
        ("80 quả táo", BAD),
        (True, BAD),
    ],
)
def test_score_is_read_as_meant_or_coded(typed, expected) -> None:
    review = {SCORE_KEY: typed}
    problems = [bad.key for bad in bad_values(review, WORDS)]
    if expected == BAD:
        assert (score(review, WORDS), problems) == (None, [SCORE_KEY])
    else:
        assert (score(review, WORDS), problems) == (expected, [])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Đạt", "passed"),
        ("đạt yêu cầu", "passed"),
        ("Đạt yêu cầu", "passed"),
        ("DAT", "passed"),
        ("không đạt yêu cầu", "failed"),
        ("Không đạt", "failed"),
        ("Chờ thẩm định", "pending"),
        ("Tốt lắm", BAD),
        (None, None),
    ],
)
def test_appraisal_is_read_as_meant_or_coded(typed, expected) -> None:
    review = {APPRAISAL_KEY: typed}
    problems = [bad.key for bad in bad_values(review, WORDS)]
    if expected == BAD:
        assert (appraisal(review, WORDS), problems) == (None, [APPRAISAL_KEY])
    else:
        assert (appraisal(review, WORDS), problems) == (expected, [])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (1500000, 1500000),
        ("1.500.000 đ", 1500000),
        ("1,5 triệu", 1500000),
        (None, None),
        (-5, BAD),
        ("nhiều", BAD),
        (True, BAD),
    ],
)
def test_confirmed_benefit_is_money_or_coded(typed, expected) -> None:
    review = {BENEFIT_KEY: typed}
    problems = [bad.key for bad in bad_values(review, WORDS)]
    if expected == BAD:
        assert (benefit(review), problems) == (None, [BENEFIT_KEY])
    else:
        assert (benefit(review), problems) == (expected, [])


def test_bad_review_value_names_the_column_and_what_was_typed() -> None:
    [bad] = bad_values({SCORE_KEY: "tám mươi", APPRAISAL_KEY: "Đạt"}, WORDS)
    assert (bad.column, bad.typed) == (SCORE, "tám mươi")
    assert "100" in bad.expected


def test_a_bad_score_neither_passes_nor_takes_a_quota_place(small_campaign, tmp_path) -> None:
    # P.TG.TT's quota is 2: a score of 150 must not rank first and push 65 out.
    unit = {"grassroots_unit": "Trường Tiểu học Thị trấn"}
    campaign = Campaign(small_campaign, tmp_path, [person(i, **unit) for i in range(4)])
    campaign.sync()
    titles = [person(i)["title"] for i in range(4)]
    nominate(
        campaign,
        "P.TG.TT",
        {
            titles[0]: {SCORE: 150},
            titles[1]: {SCORE: 65},
            titles[2]: {SCORE: "80 điểm", APPRAISAL: "đạt yêu cầu"},
            titles[3]: {SCORE: 70, APPRAISAL: "Tốt"},
        },
    )
    report = campaign.sync()
    assert codes_of(report, titles[0]) == codes_of(report, titles[3]) == [BAD]
    assert codes_of(report, titles[1]) == codes_of(report, titles[2]) == []
    listed = {r["Tên sáng kiến"] for r in rows_by_id(campaign.book("P.TG")).values()}
    assert listed == {titles[1], titles[2]}
    data = {r["id"]: r for r in campaign.report()["responses"]}
    [violation] = data[campaign.ids("P.TG.TT")[titles[0]]]["violations"]
    assert (violation["code"], violation["field"]) == (BAD, SCORE_KEY)
    problems = rows_by_id(campaign.book("P.TG.TT"))[campaign.ids("P.TG.TT")[titles[0]]]
    assert "[BAD_REVIEW_VALUE]" in problems["Lỗi và cảnh báo"]
    assert "150" in problems["Lỗi và cảnh báo"] and SCORE in problems["Lỗi và cảnh báo"]
    nominate(campaign, "P.TG.TT", {titles[0]: {SCORE: 95}})  # fixed: it passes, 65 drops out
    report = campaign.sync()
    assert codes_of(report, titles[0]) == []
    assert codes_of(report, titles[1]) == ["QUOTA_EXCEEDED"]


def test_a_fixed_value_keeps_the_time_the_nomination_was_made(campaign) -> None:
    campaign.sync()
    t0 = person(0)["title"]
    nominate(campaign, "P.TG.THPT", {t0: {SCORE: "tám mươi"}})
    report = campaign.sync(now=BEFORE_DUE)
    assert codes_of(report, t0) == [BAD]
    assert t0 not in campaign.ids("P.TG")
    nominate(campaign, "P.TG.THPT", {t0: {SCORE: 80}})
    report = campaign.sync(now=AFTER_DUE)
    assert codes_of(report, t0) == []  # nominated on time; only the score was late
    assert t0 in campaign.ids("P.TG")
