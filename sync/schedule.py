"""Scheduled and overlapping syncs: the campaign lock, the run log, and `sync --every`.

Two syncs of one campaign must never write at the same time (a cron job and an officer's manual
run, or a slow run and the next tick), so every sync holds a lock file next to the config. A
repeating sync stops on Ctrl+C or SIGTERM only between runs, so no workbook is left half written.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from .config import read_settings
from .errors import ConfigError, SyncBusyError, SyncError
from .pipeline import StageHook, SyncResult, run_sync

LOCK_NAME = ".sangkien.lock"
LOG_NAME = "sangkien.log"
LOCK_WAIT_SECONDS = 10.0
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 5

log = logging.getLogger("sangkien")
# Until the CLI sets up the file, records go nowhere rather than to stderr beside its messages.
log.addHandler(logging.NullHandler())

T = TypeVar("T")


# -- intervals -------------------------------------------------------------------------------------

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_interval(text: str) -> float:
    """Seconds in "30s", "15m", "1h" or a plain number of seconds ("900")."""
    match = _INTERVAL.match(text)
    if not match:
        raise ConfigError(f"--every: expected e.g. 30s, 15m, 1h or 900 (seconds), got {text!r}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise ConfigError(f"--every: the interval must be longer than zero, got {text!r}")
    return seconds


# -- the lock --------------------------------------------------------------------------------------


def lock_path(config: Path) -> Path:
    """The campaign's lock file: next to its config, so every copy of the tool agrees on it."""
    return config.resolve().parent / LOCK_NAME


@contextmanager
def campaign_lock(config: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the campaign's lock, waiting up to `wait` seconds for a running sync to finish."""
    path = lock_path(config)
    lock = FileLock(str(path), timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        log.warning("another sync holds %s; gave up after %g s", path, wait)
        raise SyncBusyError(
            f"another sync is running for this campaign (lock {path}); waited {wait:g} s — "
            "try again when it has finished"
        ) from None
    try:
        yield
    finally:
        lock.release()


# -- the run log -----------------------------------------------------------------------------------


def setup_logging(folder: Path) -> Path:
    """Log every run to `folder/sangkien.log`, rotated at about 1 MB. Calling it again (another
    campaign in the same process) replaces the previous file handler."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    for handler in [h for h in log.handlers if getattr(h, "_sangkien", False)]:
        log.removeHandler(handler)
        handler.close()
    handler = RotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(message)s"))
    handler._sangkien = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def log_folder(config: Path, out_dir: Path | None) -> Path | None:
    """The output folder, where the people running the sync look; None while the config does
    not load (the sync itself reports why)."""
    if out_dir is not None:
        return out_dir
    try:
        return read_settings(config).output.dir
    except ConfigError:
        return None


def _outcome(result: SyncResult) -> str:
    figures = result.report.summary()
    seconds = sum(result.report.timings.values())
    return (
        f"sync finished: {figures['valid']} valid, {figures['invalid']} invalid, "
        f"{figures['duplicate']} duplicate, {len(result.written)} file(s) written, "
        f"{len(result.not_written)} left as they were, {seconds:.1f} s"
    )


# -- one sync --------------------------------------------------------------------------------------


def locked_sync(
    config: Path,
    out_dir: Path | None = None,
    *,
    lock_wait: float = LOCK_WAIT_SECONDS,
    on_stage: StageHook | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Run one sync under the campaign lock, logging its start, outcome or failure; `now` runs
    the rules as at that moment instead of the clock."""
    with campaign_lock(config, lock_wait):
        log.info("sync started: %s", config.resolve())
        try:
            result = run_sync(read_settings(config), out_dir, on_stage=on_stage, now=now)
        except SyncError as exc:
            log.error("sync failed: %s", exc)
            raise
        except Exception:
            log.exception("sync crashed")
            raise
        log.info(_outcome(result))
        return result


# -- repeating ------------------------------------------------------------------------------------


def stop_on_signals(stop: threading.Event | None = None) -> threading.Event:
    """An event set by Ctrl+C or SIGTERM. Setting it, rather than raising, lets the running sync
    finish before the loop notices."""
    stop = stop or threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        log.info("stop requested (signal %d); finishing the current sync", signum)
        stop.set()

    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), handler)
    return stop


def run_every(
    interval: float,
    job: Callable[[], T],
    stop: threading.Event,
    *,
    on_error: Callable[[SyncError], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run `job` every `interval` seconds, start to start, until `stop` is set; returns how many
    runs were made. A run that fails with a SyncError (a busy lock, a sheet being edited) is
    reported and the next tick tries again; anything else is a bug and ends the loop."""
    runs = 0
    while not stop.is_set():
        started = clock()
        runs += 1
        try:
            job()
        except SyncError as exc:
            if on_error:
                on_error(exc)
        # A run longer than the interval starts the next one at once rather than piling up.
        stop.wait(max(0.0, started + interval - clock()))
    log.info("stopped after %d run(s)", runs)
    return runs
