"""`sangkien doctor`: each planted mistake is reported as exactly that problem and stops the
command with a non-zero exit; a healthy campaign passes."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sync.cli import app
from sync.config import read_settings
from sync.doctor import (
    CREDENTIALS_ENV,
    blocks_sync,
    check_calendar,
    check_google_access,
    check_quotas,
    run_doctor,
)
from sync.orgtree import load_tree
from sync.templates import load_templates

ROW = {
    "timestamp": "15/03/2021 08:30:00",
    "full_name": "Lò Thị Hoa",
    "gender": "Nữ",
    "superior_unit": "Liên đoàn Lao động thành phố Điện Biên Phủ",
    "grassroots_unit": "Công đoàn cơ sở Trường Mầm non Hoa Ban",
    "sector": "Khối hành chính sự nghiệp",
    "field": "Vì cộng đồng trong lĩnh vực y tế, giáo dục",
    "title": "Sổ theo dõi sức khỏe trẻ bằng bảng tính",
    "description": "Cô giáo ghi cân nặng, chiều cao của trẻ vào bảng tính dùng chung.",
    "start_date": "01/03/2021",
}


class Campaign:
    """A healthy campaign folder in tmp_path, and ways to break it."""

    def __init__(self, folder: Path, repo: Path):
        self.folder = folder
        folder.mkdir()
        shutil.copy(repo / "examples" / "dien-bien-2021" / "units.csv", folder / "units.csv")
        self.write_responses([q.vi for q in load_templates().form.questions])
        self.config = yaml.safe_load((repo / "config.yaml").read_text(encoding="utf-8"))
        self.config["units"] = "units.csv"
        self.config["campaign"]["form_url"] = "https://forms.gle/d7Kx2QeWm9Ab"
        self.config["sources"] = [{"name": "form", "kind": "csv", "path": "responses.csv"}]
        self.save()

    @property
    def path(self) -> Path:
        return self.folder / "config.yaml"

    def save(self) -> None:
        text = yaml.safe_dump(self.config, allow_unicode=True, sort_keys=False)
        self.path.write_text(text, encoding="utf-8")

    def write_responses(self, headers: list[str]) -> None:
        keys = {q.vi: q.key for q in load_templates().form.questions}
        with (self.folder / "responses.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerow([ROW.get(keys[h], "") for h in headers])

    def add_units(self, *rows: str) -> None:
        with (self.folder / "units.csv").open("a", encoding="utf-8") as handle:
            handle.write("".join(row + "\n" for row in rows))

    def key_file(self, text: str, mode: int) -> None:
        key = self.folder / "key.json"
        key.write_text(text, encoding="utf-8")
        key.chmod(mode)
        self.config["google"] = {"credentials": "key.json"}
        self.save()


KEY = json.dumps({"client_email": "sync@du-an.iam.gserviceaccount.com", "private_key": "-----"})


@pytest.fixture
def campaign(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Campaign:
    monkeypatch.delenv(CREDENTIALS_ENV, raising=False)
    return Campaign(tmp_path / "campaign", repo)


def _bad_yaml(c: Campaign) -> None:
    c.path.write_text("campaign:\n  name: [unclosed\n", encoding="utf-8")


def _unknown_key(c: Campaign) -> None:
    c.config["campaign"]["closing_time"] = "2021-04-22 24:00"
    c.save()


def _missing_units(c: Campaign) -> None:
    (c.folder / "units.csv").unlink()


def _duplicate_unit(c: Campaign) -> None:
    c.add_units("DB.DBP,DB,district,Một tên khác,,,,3")


def _unit_cycle(c: Campaign) -> None:
    c.add_units("X1,X2,district,Vòng một,,,,1", "X2,X1,district,Vòng hai,,,,1")


def _missing_source(c: Campaign) -> None:
    (c.folder / "responses.csv").unlink()


def _missing_column(c: Campaign) -> None:
    c.write_responses([q.vi for q in load_templates().form.questions if q.key != "title"])


def _world_readable_key(c: Campaign) -> None:
    c.key_file(KEY, 0o644)


def _key_not_json(c: Campaign) -> None:
    c.key_file("client_email = sync@du-an\n", 0o600)


def _other_province(c: Campaign) -> None:
    c.config["campaign"]["province"] = "Lai Châu"
    c.save()


def _dossier_date_of_another_year(c: Campaign) -> None:
    c.config["campaign"]["form_closes_at"] = "2022-04-22 24:00"
    c.config["campaign"]["implementation_window"] = {"start": "2022-02-01", "end": "2022-05-31"}
    c.save()


def _window_of_another_year(c: Campaign) -> None:
    c.config["campaign"]["implementation_window"] = {"start": "2020-02-01", "end": "2020-05-31"}
    c.save()


MISTAKES: list[tuple[Callable[[Campaign], None], str, str]] = [
    (_bad_yaml, "config", "not valid YAML"),
    (_unknown_key, "config", "campaign.closing_time: unknown key"),
    (_missing_units, "units", "organisation tree file not found"),
    (_duplicate_unit, "units", "duplicate id 'DB.DBP'"),
    (_unit_cycle, "units", "'X1' is part of a parent cycle"),
    (_missing_source, "source form", "response file not found"),
    (_missing_column, "source form", "missing required column(s) «Tên sáng kiến»"),
    (_world_readable_key, "credentials", "readable by other users of this machine"),
    (_key_not_json, "credentials", "not JSON"),
    (_other_province, "province", "not Lai Châu"),
    (_dossier_date_of_another_year, "dossier date", "a date of another campaign"),
    (_window_of_another_year, "implementation window", "does not overlap the campaign"),
]


def test_healthy_campaign_passes(campaign: Campaign) -> None:
    findings = run_doctor(campaign.path)
    assert not blocks_sync(findings), findings
    assert [f.name for f in findings] == [
        "config",
        "units",
        "quotas",
        "province",
        "form address",
        "dossier date",
        "implementation window",
        "source form",
        "credentials",
        "clock",
        "calendar",
    ]
    # D13 wants dossiers a week before the form closes (D6): worth a warning, not a stop.
    assert [f.name for f in findings if not f.ok] == ["dossier date"]
    result = CliRunner().invoke(app, ["doctor", "--config", str(campaign.path)])
    assert result.exit_code == 0, result.output
    assert result.output.count("✓") == len(findings) - 1


def test_example_form_address_is_a_warning(campaign: Campaign) -> None:
    campaign.config["campaign"]["form_url"] = "https://docs.google.com/forms/d/e/EXAMPLE/viewform"
    campaign.save()
    found = {f.name: f for f in run_doctor(campaign.path)}
    assert not found["form address"].ok and not found["form address"].blocking
    assert "example address" in found["form address"].message


def test_bundled_config_passes(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CREDENTIALS_ENV, raising=False)
    result = CliRunner().invoke(app, ["doctor", "--config", str(repo / "config.yaml")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("plant", "check", "problem"), MISTAKES, ids=[m[0].__name__.strip("_") for m in MISTAKES]
)
def test_planted_mistake_is_reported(
    campaign: Campaign, plant: Callable[[Campaign], None], check: str, problem: str
) -> None:
    plant(campaign)
    blocking = [f for f in run_doctor(campaign.path) if f.blocking]
    assert [f.name for f in blocking] == [check]
    assert problem in blocking[0].message
    result = CliRunner().invoke(app, ["doctor", "--config", str(campaign.path)])
    assert result.exit_code != 0
    line = next(line for line in result.output.splitlines() if line.startswith("✗"))
    assert line.startswith(f"✗ {check}: ") and problem in line


def test_good_key_names_the_service_account(campaign: Campaign) -> None:
    campaign.key_file(KEY, 0o600)
    found = {f.name: f for f in run_doctor(campaign.path)}
    assert found["credentials"].ok
    assert "sync@du-an.iam.gserviceaccount.com" in found["credentials"].message


def test_key_from_the_environment(campaign: Campaign, tmp_path: Path) -> None:
    key = tmp_path / "env-key.json"
    key.write_text(KEY, encoding="utf-8")
    key.chmod(0o600)
    found = {f.name: f for f in run_doctor(campaign.path, environ={CREDENTIALS_ENV: str(key)})}
    assert found["credentials"].ok and str(key) in found["credentials"].message


def test_a_key_its_group_can_read_is_refused(campaign: Campaign, tmp_path: Path) -> None:
    key = tmp_path / "env-key.json"
    key.write_text(KEY, encoding="utf-8")
    key.chmod(0o640)
    found = {f.name: f for f in run_doctor(campaign.path, environ={CREDENTIALS_ENV: str(key)})}
    assert found["credentials"].blocking
    assert f"chmod 600 {key}" in found["credentials"].message


def test_google_output_without_key_blocks(campaign: Campaign) -> None:
    campaign.config["output"] = {"kind": "google_sheets"}
    campaign.save()
    found = {f.name: f for f in run_doctor(campaign.path, environ={})}
    assert found["credentials"].blocking
    assert "no Google credentials" in found["credentials"].message


def test_missing_quota_is_a_warning(campaign: Campaign) -> None:
    campaign.add_units("DB.DBP.MOI,DB.DBP,grassroots,Công đoàn cơ sở Trường Mới,,12,,")
    findings = run_doctor(campaign.path)
    quotas = next(f for f in findings if f.name == "quotas")
    assert not quotas.ok and not quotas.blocking
    assert "DB.DBP.MOI" in quotas.message
    assert not blocks_sync(findings)
    tree = load_tree(campaign.folder / "units.csv")
    assert check_quotas(tree) == quotas


def test_calendar_says_what_is_open_and_due(campaign: Campaign) -> None:
    settings = read_settings(campaign.path)
    zone = settings.campaign.zone
    early = check_calendar(settings, datetime(2021, 4, 10, 9, 0, tzinfo=zone)).message
    assert "form open, closes 24 giờ ngày 22/04/2021 (in 12 day(s))" in early
    assert "hồ sơ due 15/04/2021 (in 5 day(s))" in early
    assert "(open)" in early
    late = check_calendar(settings, datetime(2021, 6, 1, 9, 0, tzinfo=zone)).message
    assert "form closed since 24 giờ ngày 22/04/2021" in late
    assert "(over)" in late


class _Response:
    def __init__(self, status_code: int):
        self.status_code = status_code


class _Sheets:
    """Answers like the Sheets and Drive APIs for the keys it knows, 403 for the others."""

    def __init__(self, known: set[str]):
        self.known = known
        self.urls: list[str] = []

    def get(self, url: str, *, params: Any = None, timeout: float | None = None) -> _Response:
        self.urls.append(url)
        return _Response(200 if url.rsplit("/", 1)[1] in self.known else 403)


def test_google_access_is_checked_only_when_used(campaign: Campaign) -> None:
    session = _Sheets(set())
    assert check_google_access(read_settings(campaign.path), session) == []
    assert session.urls == []


def test_google_access_names_what_is_not_shared(campaign: Campaign) -> None:
    campaign.config["sources"].append(
        {
            "name": "online",
            "kind": "google_sheet",
            "spreadsheet": "https://docs.google.com/spreadsheets/d/OPEN1/edit",
        }
    )
    campaign.config["output"] = {"kind": "google_sheets"}
    campaign.config["google"] = {"dashboard_spreadsheet": "CLOSED2", "drive_folder": "FOLDER3"}
    campaign.save()
    session = _Sheets({"OPEN1", "FOLDER3"})
    findings = check_google_access(read_settings(campaign.path), session)
    by_name = {f.name: f for f in findings}
    assert by_name["source online"].ok
    assert by_name["drive folder"].ok
    assert (
        by_name["dashboard"].blocking
        and "share it with the account" in by_name["dashboard"].message
    )


def test_google_access_through_the_emulator(campaign: Campaign) -> None:
    from emulator import SheetsEmulator, authorized_session

    account = "sync@du-an.iam.gserviceaccount.com"
    with SheetsEmulator(account=account) as emu:
        shared = emu.create_spreadsheet("Câu trả lời biểu mẫu")
        private = emu.create_spreadsheet("Bảng điều khiển tỉnh")
        emu.deny_access(private, account)
        folder = emu.create_folder("sangkien")
        campaign.config["sources"].append(
            {"name": "online", "kind": "google_sheet", "spreadsheet": shared}
        )
        campaign.config["output"] = {"kind": "google_sheets"}
        campaign.config["google"] = {
            "dashboard_spreadsheet": f"https://docs.google.com/spreadsheets/d/{private}/edit",
            "drive_folder": f"https://drive.google.com/drive/folders/{folder}",
            "unit_spreadsheets": {"DB.TG": "missing-key"},
        }
        campaign.save()
        session = authorized_session(emu, account=account)
        found = {f.name: f for f in check_google_access(read_settings(campaign.path), session)}
        assert not emu.internal_errors
    assert found["source online"].ok
    assert found["drive folder"].ok
    assert found["dashboard"].blocking and "access denied" in found["dashboard"].message
    assert found["unit DB.TG"].blocking and "not found" in found["unit DB.TG"].message
