"""Scheduled syncs: interval parsing, the repeating loop, the campaign lock across processes, and a
clean stop on SIGTERM."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from filelock import FileLock
from typer.testing import CliRunner

from sync.cli import app
from sync.errors import ConfigError, SourceError
from sync.schedule import (
    LOG_NAME,
    SyncBusyError,
    campaign_lock,
    lock_path,
    locked_sync,
    parse_interval,
    run_every,
)

# -- intervals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("900", 900), (" 15M ", 900), ("1.5h", 5400)],
)
def test_interval_parsing(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "0m", "15x", "-5m", "m", "15 minutes", "1h30m"])
def test_bad_intervals_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="--every"):
        parse_interval(text)


def test_cli_refuses_a_bad_interval(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sync", "--config", str(tmp_path / "c.yaml"), "--every", "x"])
    assert result.exit_code == ConfigError.exit_code
    assert "--every" in result.output


# -- the loop --------------------------------------------------------------------------------------


def test_run_every_runs_until_stopped() -> None:
    stop = threading.Event()
    runs: list[float] = []

    def job() -> None:
        runs.append(time.monotonic())
        if len(runs) == 3:
            stop.set()

    assert run_every(0.05, job, stop) == 3
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert all(gap >= 0.04 for gap in gaps), gaps


def test_run_every_survives_a_failed_run() -> None:
    stop = threading.Event()
    errors: list[str] = []
    outcomes = iter([SourceError("sheet is being edited"), None])

    def job() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        stop.set()

    assert run_every(0.01, job, stop, on_error=lambda exc: errors.append(str(exc))) == 2
    assert errors == ["sheet is being edited"]


def test_run_every_does_not_start_when_already_stopped() -> None:
    stop = threading.Event()
    stop.set()
    assert run_every(1, lambda: pytest.fail("ran"), stop) == 0


# -- the lock --------------------------------------------------------------------------------------


def test_lock_sits_next_to_the_config(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "config.yaml") == tmp_path.resolve() / ".sangkien.lock"


def test_lock_is_released_after_a_failed_sync(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("campaign: [", encoding="utf-8")
    with pytest.raises(ConfigError):
        locked_sync(config)
    with campaign_lock(config, wait=0):
        pass


def _cli(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sync", "sync", "--config", str(config), *args]


def test_second_sync_gives_up_while_the_lock_is_held(example_copy: Path) -> None:
    config = example_copy / "config.yaml"
    lock = FileLock(str(lock_path(config)))
    with lock:
        busy = subprocess.run(
            _cli(config, "--lock-wait", "0.5"), capture_output=True, text=True, timeout=120
        )
    assert busy.returncode == SyncBusyError.exit_code
    assert "another sync is running" in busy.stderr
    assert not (example_copy / "output" / "sync-report.json").exists()
    done = subprocess.run(_cli(config), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (example_copy / "output" / "sync-report.json").exists()


def _runs(log: Path) -> dict[str, list[tuple[datetime, datetime]]]:
    """(start, end) of each run in the log, by process id."""
    runs: dict[str, list[tuple[datetime, datetime]]] = {}
    started: dict[str, datetime] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        stamp, pid = (
            datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f"),
            line.split()[2].strip("[]"),
        )
        if "sync started" in line:
            started[pid] = stamp
        elif "sync finished" in line:
            runs.setdefault(pid, []).append((started.pop(pid), stamp))
    return runs


def test_two_syncs_started_together_never_overlap(example_copy: Path) -> None:
    config = example_copy / "config.yaml"
    processes = [
        subprocess.Popen(
            _cli(config, "--json", "--lock-wait", "300"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [o[1] for o in outputs]
    assert all('"generated_at"' in out for out, _ in outputs)
    runs = _runs(example_copy / "output" / LOG_NAME)
    assert sorted(runs) == sorted(str(p.pid) for p in processes)
    (first,), (second,) = sorted(runs.values())
    assert first[1] <= second[0], (first, second)


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_sigterm_finishes_the_current_run_then_exits_0(example_copy: Path) -> None:
    config = example_copy / "config.yaml"
    log = example_copy / "output" / LOG_NAME
    process = subprocess.Popen(
        _cli(config, "--every", "1h"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (log.exists() and "sync started" in log.read_text(encoding="utf-8")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first run never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    events = [e for line in lines for e in ("started", "stop requested", "finished") if e in line]
    assert events in (
        ["started", "stop requested", "finished"],
        ["started", "finished", "stop requested"],  # the signal came as the run ended
    )
    assert "stopped after 1 run(s)" in lines[-1]
    assert (example_copy / "output" / "sync-report.json").exists()
