"""Atomic replacement of outputs: shared files follow the umask, private ones stay the owner's,
and a file-system error becomes an OutputError naming the path, leaving the old file intact."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.config import read_settings
from sync.errors import OutputError
from sync.pipeline import run_sync
from sync.report import REPORT_FILE
from sync.review.audit import AUDIT_FILE
from sync.review.state import STATE_FILE
from sync.writers.atomic import atomic_file, private_append, write_text_atomic


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_outputs_follow_the_umask_and_private_files_do_not(umask_022: None, tmp_path: Path) -> None:
    write_text_atomic(tmp_path / "report.json", "{}")
    write_text_atomic(tmp_path / "state.json", "{}", private=True)
    with private_append(tmp_path / "audit.jsonl") as handle:
        handle.write("{}\n")
    assert _mode(tmp_path / "report.json") == 0o644
    assert _mode(tmp_path / "state.json") == 0o600
    assert _mode(tmp_path / "audit.jsonl") == 0o600


def test_replacement_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "book.xlsx"
    write_text_atomic(target, "old")
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in target.parent.iterdir()] == ["book.xlsx"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_text("old", encoding="utf-8")
    with (
        pytest.raises(OutputError, match=r"book\.xlsx: cannot write \(No space left"),
        atomic_file(target) as temporary,
    ):
        temporary.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_a_folder_in_place_of_the_output_is_named(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.mkdir()
    with pytest.raises(
        OutputError, match=r"report\.json: cannot write \(the output path is a folder"
    ):
        write_text_atomic(target, "{}")


def test_a_wrapped_file_system_error_is_an_output_error(tmp_path: Path) -> None:
    """xlsxwriter re-raises the OSError of a failed save as its own exception."""

    class LibraryError(Exception):
        pass

    with pytest.raises(OutputError, match="Disk quota exceeded"), atomic_file(tmp_path / "b.xlsx"):
        try:
            raise OSError(122, "Disk quota exceeded")
        except OSError as exc:
            raise LibraryError(str(exc)) from exc


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_sync_shares_its_workbooks_and_keeps_state_and_audit_private(
    umask_022: None, small_campaign, tmp_path: Path
) -> None:
    run_sync(read_settings(small_campaign([{}])))
    out = tmp_path / "out"
    workbooks = list(out.rglob("*.xlsx"))
    assert workbooks
    assert {_mode(path) for path in [*workbooks, out / REPORT_FILE]} == {0o644}
    assert _mode(out / STATE_FILE) == _mode(out / AUDIT_FILE) == 0o600
