"""Atomic replacement of outputs: shared files follow the umask, private ones stay the owner's,
and a file-system error becomes an OutputError naming the path, leaving the old file intact."""

from __future__ import annotations

import json
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
from sync.writers import atomic
from sync.writers.atomic import (
    JOURNAL_FILE,
    TEMPORARY_MARK,
    Commit,
    Document,
    atomic_file,
    private_append,
    recover,
    write_text_atomic,
)


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


def _staged(folder: Path) -> Commit:
    commit = Commit(folder)
    commit.stage_documents(
        [
            Document(folder / "a" / "book.xlsx", "new book"),
            Document(folder / "state.json", "new state", private=True),
            Document(folder / "audit.jsonl", "second\n", append=True),
        ]
    )
    return commit


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_a_commit_killed_after_its_journal_is_completed_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "audit.jsonl").write_text("first\n", encoding="utf-8")
    commit = _staged(tmp_path)

    def killed(folder: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "complete", killed)
    with pytest.raises(KeyboardInterrupt):
        commit.apply()
    monkeypatch.undo()
    assert (tmp_path / JOURNAL_FILE).exists() and not (tmp_path / "state.json").exists()
    recover(tmp_path)
    assert _files(tmp_path) == {
        "a/book.xlsx": "new book",
        "state.json": "new state",
        "audit.jsonl": "first\nsecond\n",
    }


def test_an_append_repeated_after_a_kill_lands_once(tmp_path: Path) -> None:
    (tmp_path / "audit.jsonl").write_text("first\n", encoding="utf-8")
    commit = _staged(tmp_path)
    journal = json.dumps(commit._journal())
    [(temporary, target)] = commit.appends
    text = temporary.read_text(encoding="utf-8")
    commit.apply()
    # Killed after the append but before the journal was removed: both come back.
    temporary.write_text(text, encoding="utf-8")
    (tmp_path / JOURNAL_FILE).write_text(journal, encoding="utf-8")
    recover(tmp_path)
    assert target.read_text(encoding="utf-8") == "first\nsecond\n"
    assert sorted(_files(tmp_path)) == ["a/book.xlsx", "audit.jsonl", "state.json"]


def test_temporaries_of_a_sync_stopped_before_its_commit_are_removed(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "book.xlsx").write_text("old book", encoding="utf-8")
    (tmp_path / "a" / "~$book.xlsx").write_text("Excel's own", encoding="utf-8")
    _staged(tmp_path)
    assert any(TEMPORARY_MARK in name for name in _files(tmp_path))
    recover(tmp_path)
    assert _files(tmp_path) == {"a/book.xlsx": "old book", "a/~$book.xlsx": "Excel's own"}


def test_a_folder_in_place_of_a_target_stops_the_commit_with_nothing_changed(
    tmp_path: Path,
) -> None:
    (tmp_path / "state.json").mkdir()
    commit = _staged(tmp_path)
    with pytest.raises(
        OutputError, match=r"state\.json: cannot write \(the output path is a folder"
    ):
        commit.apply()
    assert _files(tmp_path) == {}
    assert not (tmp_path / JOURNAL_FILE).exists()
