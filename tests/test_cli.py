"""`sangkien`'s exit codes, one test each: every failure a user can meet is one line on stderr
naming what to fix (never a traceback) and the code the table in sync/errors.py gives it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from sync.cli import app
from sync.errors import ExitCode
from sync.schedule import campaign_lock


def _invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def _assert_one_line_error(result: Result, code: ExitCode, *named: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    [line] = [text for text in result.output.splitlines() if text.startswith("error:")]
    for word in named:
        assert word in line


def test_ok_is_0(small_campaign, tmp_path: Path) -> None:
    config = small_campaign([{}])
    assert _invoke("check", "--config", config).exit_code == ExitCode.OK
    assert _invoke("sync", "--config", config).exit_code == ExitCode.OK
    assert (tmp_path / "out" / "sync-report.json").is_file()


def test_doctor_blocking_problem_is_1(small_campaign, tmp_path: Path) -> None:
    config = small_campaign([{}])
    (tmp_path / "responses.csv").unlink()
    result = _invoke("doctor", "--config", config)
    assert result.exit_code == ExitCode.BLOCKED
    assert "✗" in result.output


def test_config_error_is_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    _assert_one_line_error(_invoke("check", "--config", missing), ExitCode.CONFIG, str(missing))


def test_source_error_is_3(small_campaign, tmp_path: Path) -> None:
    config = small_campaign([{}])
    (tmp_path / "responses.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    _assert_one_line_error(_invoke("check", "--config", config), ExitCode.SOURCE, "'form'")


def test_output_path_that_is_a_folder_is_4(small_campaign, tmp_path: Path) -> None:
    config = small_campaign([{}])
    report = tmp_path / "out" / "sync-report.json"
    report.mkdir(parents=True)
    result = _invoke("sync", "--config", config)
    _assert_one_line_error(result, ExitCode.OUTPUT, str(report), "folder")


def test_output_folder_that_is_a_file_is_4(small_campaign, tmp_path: Path) -> None:
    config = small_campaign([{}])
    out = tmp_path / "taken"
    out.write_text("not a folder", encoding="utf-8")
    _assert_one_line_error(
        _invoke("sync", "--config", config, "--out", out), ExitCode.OUTPUT, str(out)
    )


def test_google_error_is_5(small_campaign, tmp_path: Path) -> None:
    key = tmp_path / "missing-key.json"
    config = small_campaign(
        [{}], output={"kind": "google_sheets"}, google={"credentials": str(key)}
    )
    _assert_one_line_error(_invoke("sync", "--config", config), ExitCode.GOOGLE, str(key))


def test_busy_campaign_is_75(small_campaign) -> None:
    config = small_campaign([{}])
    with campaign_lock(config, wait=0):
        result = _invoke("sync", "--config", config, "--lock-wait", "0")
    _assert_one_line_error(result, ExitCode.LOCKED)


def _installed(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`sangkien` as installed: `python -m sync` runs the same `main`."""
    command = [sys.executable, "-m", "sync", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_installed_command_ends_with_everything_written(small_campaign, tmp_path) -> None:
    """Run as installed, `sync` and `check` end the process without freeing what they built
    (seconds at national scale): the summary, the report, the log and the exit code are whole
    all the same, when the sync wrote everything and when it left a workbook as it was."""
    config = small_campaign([{}])
    out = tmp_path / "out"
    checked = _installed("check", "--config", config, "--json")
    assert checked.returncode == ExitCode.OK, checked.stderr
    assert json.loads(checked.stdout)["rows"] == 1
    first = _installed("sync", "--config", config, "--json")
    assert first.returncode == ExitCode.OK, first.stderr
    assert json.loads(first.stdout)["not_written"] == {}
    [book] = (out / "3-co-so").glob("P.TG.THPT *.xlsx")
    book.chmod(0o444)  # an officer's read-only copy: left as it is
    held = _installed("sync", "--config", config, "--json", "--as-of", "2021-04-02 08:00")
    assert held.returncode == ExitCode.PARTIAL, held.stderr
    assert list(json.loads(held.stdout)["not_written"]) == [str(book)]
    assert str(book) in held.stderr
    report = json.loads((out / "sync-report.json").read_text(encoding="utf-8"))
    assert [entry["path"] for entry in report["not_written"]] == [str(book)]
    log = (out / "sangkien.log").read_text(encoding="utf-8")
    assert log.count("sync started") == log.count("sync finished") == 2
