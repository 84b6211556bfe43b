"""Every exception the user can act on, and the one table of exit codes. The CLI prints an
error's message as one line and exits with its class's code; nothing else decides a code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """What `sangkien` returns; README.md documents the same table."""

    OK = 0
    BLOCKED = 1  # doctor (or a dossier's nominations) found a problem that blocks the work
    CONFIG = 2
    SOURCE = 3
    OUTPUT = 4
    GOOGLE = 5
    PARTIAL = 6  # written except the named files (a workbook open elsewhere, read-only, unreadable)
    LOCKED = 75  # EX_TEMPFAIL: schedulers read it as "try again later"


class SyncError(Exception):
    """Base of every error the user can act on; its message is meant to be shown as is."""

    exit_code = ExitCode.BLOCKED


class ConfigError(SyncError):
    """config.yaml, a file it points to, or a command's option is wrong."""

    exit_code = ExitCode.CONFIG


class SourceError(SyncError):
    """A response sheet cannot be read or lacks required columns."""

    exit_code = ExitCode.SOURCE


class OutputError(SyncError):
    """An output could not be written."""

    exit_code = ExitCode.OUTPUT


class GoogleError(SyncError):
    """Google refused or never answered; the message says what to do."""

    exit_code = ExitCode.GOOGLE


class UncertainWrite(GoogleError):
    """A write that may not be repeated blindly got no clear answer: Google may have applied
    it. The caller reads back whether it was applied before sending it again."""

    def __init__(self, method: str, endpoint: str, failure: str):
        super().__init__(
            f"{method} {endpoint.split('?')[0]}: no clear answer ({failure}); it may have been "
            "applied, read it back before sending it again"
        )
        self.failure = failure


class FormApiError(GoogleError):
    """The Forms API refused a request."""


class SyncBusyError(SyncError):
    """Another sync of the same campaign holds the lock."""

    exit_code = ExitCode.LOCKED


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind `exc`: libraries such as xlsxwriter re-raise the file system's error
    as their own exception, keeping it as the context."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def output_error(path: Path, exc: OSError) -> OutputError:
    """One line naming the path and what the file system said (no errno, no traceback)."""
    reason = exc.strerror or str(exc)
    if isinstance(exc, IsADirectoryError):
        reason = "the output path is a folder"
    return OutputError(f"{path}: cannot write ({reason})")


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a file-system error while writing `path` (a file or a folder) into an OutputError."""
    try:
        yield
    except SyncError:
        raise
    except Exception as exc:
        cause = _os_error(exc)
        if cause is None:
            raise
        raise output_error(path, cause) from None
