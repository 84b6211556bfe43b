"""`sangkien init`: the new campaign folder loads, its tree matches the bundled one, and the first
sync works without editing anything."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from sync.cli import app
from sync.config import read_settings
from sync.errors import ConfigError
from sync.orgtree import UNITS_HEADER, load_tree
from sync.pipeline import run_sync
from sync.scaffold import UNITS_FILE, init_campaign
from sync.sources import read_source
from sync.templates import load_templates


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    folder = tmp_path / "lai-chau-2022"
    init_campaign(folder)
    return folder


def test_new_folder_syncs(campaign: Path, repo: Path) -> None:
    settings = read_settings(campaign / "config.yaml")
    result = run_sync(settings)
    assert result.written
    assert all(Path(p).is_relative_to(campaign / "output") for p in result.written)
    bundled = read_settings(repo / "config.yaml")
    form = load_templates().form
    expected = [len(read_source(s, bundled, form).rows) for s in bundled.sources]
    assert [s.rows for s in result.report.sources] == expected


def test_units_workbook_holds_the_bundled_tree(campaign: Path, repo: Path) -> None:
    copied = load_tree(campaign / UNITS_FILE)
    bundled = load_tree(read_settings(repo / "config.yaml").units)
    assert list(copied) == list(bundled)


def test_units_workbook_is_ready_to_fill_in(campaign: Path) -> None:
    workbook = openpyxl.load_workbook(campaign / UNITS_FILE)
    sheet = workbook.worksheets[0]
    assert tuple(c.value for c in sheet[1]) == UNITS_HEADER
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref
    assert len(workbook.worksheets) == 2  # the column guide follows the units


def test_config_is_relative_and_bilingual(campaign: Path) -> None:
    text = (campaign / "config.yaml").read_text(encoding="utf-8")
    assert str(campaign) not in text
    assert f"units: {UNITS_FILE}" in text
    assert "path: responses/" in text
    assert "Cấu hình" in text and "configuration" in text
    settings = read_settings(campaign / "config.yaml")
    assert all(s.path and s.path.parent == campaign / "responses" for s in settings.sources)
    assert all(s.path and s.path.exists() for s in settings.sources)


def test_province_and_closing_moment_are_set(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    init_campaign(folder, province="Lai Châu", closes="2022-05-10 24:00")
    campaign = read_settings(folder / "config.yaml").campaign
    assert campaign.province == "Lai Châu"
    assert campaign.closes_at.isoformat() == "2022-05-11T00:00:00+07:00"


def test_bad_closing_moment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--closes"):
        init_campaign(tmp_path / "c", closes="10/05/2022")
    assert not (tmp_path / "c").exists()


def test_non_empty_folder_needs_force(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ConfigError, match="--force"):
        init_campaign(folder)
    assert not (folder / "config.yaml").exists()
    init_campaign(folder, force=True)
    assert (folder / "config.yaml").exists()
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_cli_init_then_doctor_then_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    runner = CliRunner()
    folder = tmp_path / "c"
    config = str(folder / "config.yaml")
    result = runner.invoke(app, ["init", str(folder), "--province", "Lai Châu"])
    assert result.exit_code == 0, result.output
    assert "sangkien doctor" in result.output
    result = runner.invoke(app, ["doctor", "--config", config])
    # Still the example's tree: doctor says so before anyone trusts the outputs.
    assert result.exit_code == 1, result.output
    assert [line.split(":")[0] for line in result.output.splitlines() if "✗" in line] == [
        "✗ province"
    ]
    result = runner.invoke(app, ["sync", "--config", config])
    assert result.exit_code == 0, result.output
    assert (folder / "output").is_dir()
    again = runner.invoke(app, ["init", str(folder)])
    assert again.exit_code == ConfigError.exit_code
    assert "--force" in again.output
