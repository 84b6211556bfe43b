"""The checked responses kept between syncs (sync/checked.py): taken again only for the very same
inputs, read back exactly as they were checked, and never a reason for a sync to fail."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from sync.checked import CHECKED_FILE, Checked, CheckedFile
from sync.config import read_settings
from sync.models import Response, SourceInfo, Status, Violation
from sync.pipeline import build_report, run_sync
from sync.templates import load_templates
from sync.writers.atomic import TEMPORARY_MARK
from tests.officer import edit, rows_by_id, workbook
from tests.test_folder import person

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2021, 4, 1, 9, 0, tzinfo=ZONE)
CHECK_STAGES = {"normalise", "validate", "resolve", "dedupe"}


def _head(out: Path) -> dict:
    with gzip.open(out / CHECKED_FILE, "rt", encoding="utf-8") as handle:
        return json.loads(handle.readline())


def _sync(config: Path, now: datetime = NOW):
    return run_sync(read_settings(config), now=now)


@pytest.fixture
def campaign(small_campaign) -> Path:
    return small_campaign([person(i) for i in range(3)])


def test_the_responses_are_kept_once_the_inputs_repeat_and_then_not_checked_again(
    example_copy: Path,
) -> None:
    config = example_copy / "config.yaml"
    out = example_copy / "output"
    first = _sync(config)
    assert set(first.report.timings) >= CHECK_STAGES
    assert _head(out)["kept"] is False  # while responses come in, only the inputs are named
    assert (out / CHECKED_FILE).stat().st_size < 1000
    second = _sync(config)
    assert set(second.report.timings) >= CHECK_STAGES
    assert _head(out)["kept"] is True
    report_before = (out / "sync-report.json").read_text("utf-8")
    third = _sync(config)
    assert not CHECK_STAGES & set(third.report.timings)
    # Every response as checked: the report the sync writes from them is the same, to the byte.
    assert (out / "sync-report.json").read_text("utf-8") == report_before
    assert third.report.summary() == second.report.summary()
    assert [s for s in third.report.sources] == [s for s in second.report.sources]


def test_the_kept_responses_read_back_equal_and_print_the_same(
    example_copy: Path, tmp_path: Path
) -> None:
    """Every attribute, the raw cells' types and time zones included: the round's digest and
    the sheets are made from `repr` and values."""
    settings = read_settings(example_copy / "config.yaml")
    report = build_report(settings, now=NOW)
    odd = Response(
        "form",
        99,
        "SK-ODD",
        {
            "timestamp": datetime(2021, 3, 5, 6, 0, 38),
            "birth_year": 1974.0,
            "start_date": date(2021, 5, 2),
            "benefit": True,
            "coauthors": None,
            "phone": 912820510,
        },
        submitted_at=datetime(2021, 3, 5, 6, 0, 38, tzinfo=ZONE),
        start_date=date(2021, 5, 2),
        extra={"$d": "2021-04-22", "$m": time(8, 30), "Giờ": timedelta(hours=2), "x": 1.5},
        status=Status.INVALID,
        violations=[Violation("MISSING_REQUIRED", "title", "Thiếu tên", None)],
        similar_to=["SK-A", "SK-B"],
    )
    odd.raw = {**odd.raw, "utc": datetime(2021, 3, 5, tzinfo=UTC)}
    responses = [*report.responses, odd]
    kept = CheckedFile(tmp_path / CHECKED_FILE, "k", repeated=True)
    kept.keep(Checked(report.sources, ["a note"], responses))
    kept.commit()
    found = CheckedFile(tmp_path / CHECKED_FILE, "k").read()
    assert found is not None
    assert found.responses == responses
    assert [repr(r) for r in found.responses] == [repr(r) for r in responses]
    assert (found.sources, found.notes) == (report.sources, ["a note"])
    # Each repeated cell one object again, as the readers of the sheets give them.
    units: dict[str, str] = {}
    for response in found.responses[:-1]:
        unit = response.raw["grassroots_unit"]
        assert units.setdefault(unit, unit) is unit
    assert len(units) < len(found.responses) - 1  # units repeat


def _append_row(config: Path) -> None:
    source = config.parent / "responses.csv"
    lines = source.read_text("utf-8").splitlines()
    source.write_text("\n".join([*lines, lines[-1].replace("Người Thứ C", "Người Thứ D")]) + "\n")


def _rename_unit(config: Path) -> None:
    units = config.parent / "units.csv"
    units.write_text(units.read_text("utf-8").replace("Tuần Giáo", "Tuần  Giáo", 1), "utf-8")


def _raise_threshold(config: Path) -> None:
    data = yaml.safe_load(config.read_text("utf-8"))
    data["dedupe"] = {**data.get("dedupe", {}), "same_author_threshold": 97}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


@pytest.mark.parametrize("change", [_append_row, _rename_unit, _raise_threshold])
def test_any_changed_input_is_checked_again(campaign: Path, change) -> None:
    _sync(campaign)
    _sync(campaign)
    assert _head(campaign.parent / "out")["kept"] is True
    change(campaign)
    again = _sync(campaign)
    assert set(again.report.timings) >= CHECK_STAGES
    assert _head(campaign.parent / "out")["kept"] is False


def test_an_officers_review_is_read_with_the_responses_kept(campaign: Path) -> None:
    out = campaign.parent / "out"
    for _ in range(3):
        _sync(campaign)
    book = workbook(out, "P.TG.THPT")
    initiative = next(iter(rows_by_id(book)))
    edit(book, initiative, {"Kết quả thẩm định": "Đạt"})
    result = _sync(campaign)
    assert not CHECK_STAGES & set(result.report.timings)
    assert result.report.review_summary[initiative]["P.TG.THPT"]["appraisal"] == "passed"


def test_a_damaged_file_is_only_a_sync_that_checks_again(campaign: Path) -> None:
    out = campaign.parent / "out"
    _sync(campaign)
    _sync(campaign)
    whole = (out / CHECKED_FILE).read_bytes()
    (out / CHECKED_FILE).write_bytes(whole[: len(whole) // 2])
    # The same round again needs no response (its head is read alone); a new day's round does.
    assert set(_sync(campaign).report.timings) == {"read"}
    assert set(_sync(campaign, NOW + timedelta(days=1)).report.timings) >= CHECK_STAGES
    (out / CHECKED_FILE).write_bytes(b"not gzip at all")
    assert set(_sync(campaign, NOW + timedelta(days=1)).report.timings) >= CHECK_STAGES


def test_the_file_is_private_and_a_value_it_cannot_hold_keeps_nothing(tmp_path: Path) -> None:
    path = tmp_path / CHECKED_FILE
    plain = Response("form", 2, "SK-1", {"title": "Tên"}, title="Tên")
    kept = CheckedFile(path, "k", repeated=True)
    kept.keep(Checked([SourceInfo("form", "csv", 1)], [], [plain]))
    kept.commit()
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    before = path.read_bytes()
    strange = Response("form", 2, "SK-1", {"title": object()})
    kept = CheckedFile(path, "other", repeated=True)
    kept.keep(Checked([SourceInfo("form", "csv", 1)], [], [strange]))
    kept.commit()
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if TEMPORARY_MARK in p.name]


def test_a_google_source_without_a_connection_keeps_nothing(
    base_config: dict, write_config, tmp_path: Path
) -> None:
    """With a connection, its Drive version names it: tests/test_google.py."""
    base_config["sources"] = [{"name": "form", "kind": "google_sheet", "spreadsheet": "abc"}]
    settings = read_settings(write_config(base_config))
    assert CheckedFile.of(tmp_path / CHECKED_FILE, settings, load_templates()) is None


def test_local_inputs_are_named_without_loading_a_google_library(example_copy: Path) -> None:
    """`sangkien check` stays light: the Google client is loaded only for a Google source."""
    script = (
        "import sys; from pathlib import Path; from sync.checked import inputs_key; "
        "from sync.config import read_settings; from sync.templates import load_templates; "
        "settings = read_settings(Path(sys.argv[1])); "
        "assert inputs_key(settings, load_templates()) is not None; "
        "print(sorted(m for m in ('gspread', 'requests') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(example_copy / "config.yaml")],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_check_keeps_nothing(campaign: Path) -> None:
    run_sync(read_settings(campaign), write=False, now=NOW)
    assert not (campaign.parent / "out").exists()


def test_each_scheduled_sync_a_new_process_still_finds_the_kept_responses(campaign: Path) -> None:
    """A scheduled sync is a process of its own, with its own string hashing: the inputs' digest
    must not depend on it."""
    stages, reused = [], []
    for seed in ("1", "2", "3"):
        command = [sys.executable, "-m", "sync", "sync", "--config", str(campaign), "--json"]
        command += ["--as-of", "2021-04-01 09:00"]
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        summary = json.loads(done.stdout)
        stages.append(set(summary["seconds"]))
        reused.append(summary["checks_reused"])
    assert CHECK_STAGES.issubset(stages[0]) and CHECK_STAGES.issubset(stages[1])
    assert not CHECK_STAGES & stages[2]
    assert reused == [False, False, True]
