"""The whole sync on small campaigns built in tmp_path: statuses, ids, units and tallies."""

import json
from pathlib import Path

from sync import pipeline
from sync.config import read_settings
from sync.pipeline import run_sync


def sync(config: Path, write: bool = False):
    return run_sync(read_settings(config), write=write).report


def test_every_row_appears_once_with_source_and_row(small_campaign) -> None:
    rows = [
        {},
        {"full_name": "Nguyễn Thị An", "title": "Sổ tay điện tử", "phone": "0987654321"},
        {"full_name": ""},
        {"grassroots_unit": "Hợp tác xã Sao Hỏa"},
    ]
    report = sync(small_campaign(rows))
    assert [(r.source, r.row) for r in report.responses] == [("form", n) for n in (2, 3, 4, 5)]
    assert [str(r.status) for r in report.responses] == ["valid", "valid", "invalid", "invalid"]
    assert report.responses[3].unit_id is None
    assert report.responses[3].superior_id == "P.TG"
    assert [v.code for v in report.responses[3].violations] == ["UNKNOWN_UNIT"]


def test_units_matched_a_few_answers_at_a_time_in_a_worker_are_the_same(
    small_campaign, monkeypatch, workers_take_the_tasks
) -> None:
    rows = [
        {},
        {"grassroots_unit": "CĐCS Trường THPT Tuan Giao"},
        {"grassroots_unit": "Hợp tác xã Sao Hỏa"},
        {"superior_unit": "LĐLĐ huyện Tuần Giáo", "grassroots_unit": "Trường THPT Tuần Giáo"},
        {"superior_unit": "", "grassroots_unit": "Truong THPT Tuan Giao"},
    ]
    config = small_campaign(rows)

    def matched() -> list:
        found = sync(config).responses
        return [(r.unit_id, r.superior_id, [v.message for v in r.violations]) for r in found]

    at_once = matched()
    monkeypatch.setattr(pipeline, "_ANSWERS_PER_SHARE", 2)
    workers_take_the_tasks(pipeline)
    assert matched() == at_once
    assert at_once[2][0] is None and at_once[1][0] == at_once[3][0] == at_once[0][0]


def test_ids_are_stable_when_rows_are_added_and_sorted(small_campaign) -> None:
    first = {"full_name": "Nguyễn Thị An", "timestamp": "16/03/2021 09:00:00"}
    second = {"full_name": "Trần Văn Bình", "timestamp": "17/03/2021 10:00:00"}
    before = {r.full_name: r.id for r in sync(small_campaign([first, second])).responses}
    later = [second, {"full_name": "Lê Văn Cường"}, first]
    after = {r.full_name: r.id for r in sync(small_campaign(later)).responses}
    assert before.items() <= after.items()


def test_same_author_resubmission_keeps_the_latest(small_campaign) -> None:
    old = {"timestamp": "15/03/2021 08:00:00", "title": "Ứng dụng bảng tính theo dõi chuyên cần"}
    new = {"timestamp": "20/03/2021 08:00:00", "title": "Ung dung bang tinh theo doi chuyen can"}
    older, newer = sync(small_campaign([old, new])).responses
    assert str(older.status) == "duplicate" and older.duplicate_of == newer.id
    assert str(newer.status) == "valid" and newer.duplicate_of is None


def test_late_resubmission_does_not_knock_out_the_valid_row(small_campaign) -> None:
    late = {"timestamp": "23/04/2021 00:00:00"}
    valid, rejected = sync(small_campaign([{}, late])).responses
    assert str(valid.status) == "valid"
    assert str(rejected.status) == "invalid"
    assert [v.code for v in rejected.violations] == ["LATE"]


def test_different_authors_same_text_both_kept_and_flagged(small_campaign) -> None:
    other = {"full_name": "Quàng Thị Mai", "phone": "0977000111", "email": "mai@example.vn"}
    first, second = sync(small_campaign([{}, other])).responses
    assert str(first.status) == str(second.status) == "valid"
    assert first.similar_to == [second.id] and second.similar_to == [first.id]
    assert [v.code for v in first.violations] == ["POSSIBLE_DUPLICATE"]


def test_tallies_roll_up_the_tree(small_campaign) -> None:
    rows = [
        {},
        {"full_name": "Nguyễn Thị An", "phone": "0987654321", "title": "Sổ tay điện tử",
         "description": "Ghi chép bằng điện thoại.", "benefit": "1,5 tỷ"},
        {"full_name": "Cà Văn Dũng", "phone": "0966000222", "superior_unit": "LĐLĐ huyện Mường Ảng",
         "grassroots_unit": "TTYT Mường Ảng", "title": "Đặt lịch khám qua Zalo",
         "description": "Bệnh nhân đặt lịch trước.", "sector": "Khối doanh nghiệp"},
        {"full_name": "", "grassroots_unit": "THPT Tuần Giáo"},
    ]  # fmt: skip
    tallies = sync(small_campaign(rows)).tallies
    school, district, province = tallies["P.TG.THPT"], tallies["P.TG"], tallies["P"]
    assert (school.received, school.valid, school.invalid) == (3, 2, 1)
    assert school.benefit_vnd == 2_000_000 + 1_500_000_000
    assert school.by_code == {"MISSING_REQUIRED": 1}
    assert district.received == 3 and district.authors == 3
    assert (province.received, province.valid) == (4, 3)
    assert province.by_sector == {"Khối hành chính sự nghiệp": 2, "Khối doanh nghiệp": 1}
    assert school.members == 80 and abs(school.participation - 3 / 80) < 1e-9
    assert tallies["P.GD"].received == 0


def test_report_json_contract(small_campaign, tmp_path) -> None:
    run_sync(read_settings(small_campaign([{}, {"phone": "12"}])))
    data = json.loads((tmp_path / "out" / "sync-report.json").read_text(encoding="utf-8"))
    assert data["generated_at"].endswith("+07:00")
    assert data["sources"] == [{"name": "form", "kind": "csv", "rows": 2}]
    first = data["responses"][0]
    assert set(first) == {"source", "row", "id", "unit_id", "status", "violations",
                          "duplicate_of", "similar_to", "review", "tier_reached"}  # fmt: skip
    assert data["responses"][1]["violations"][0]["code"] == "BAD_PHONE"
    tally_keys = {"received", "valid", "invalid", "duplicate", "authors", "by_field", "by_sector",
                  "by_code", "benefit_vnd"}  # fmt: skip
    assert set(data["tallies"]["P"]) >= tally_keys
