"""Replace files atomically, alone or several together.

One file: write next to the target, then rename over it. Several files that must agree (the
workbooks, `review-state.json`, `sync-report.json` and the audit log of one sync): write every
one to a temporary first, then a journal listing the renames, then rename; the next run
completes a journal a kill interrupted, and removes the temporaries of a sync that never reached
its journal. Temporaries carry `TEMPORARY_MARK` in their name so they are recognised. A
file-system error becomes an OutputError naming the path.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..cores import on_every_core
from ..errors import OutputError, writing

# Outputs are documents officers share, so the process umask decides who may read them, as for
# any file a user saves; private files (the review state, the audit log) hold personal data.
SHARED_MODE = 0o666
PRIVATE_MODE = 0o600

TEMPORARY_MARK = ".sksync-"  # in every temporary's name: `.<stem>.sksync-<hex><suffix>`
JOURNAL_FILE = ".sangkien-journal.json"


def create_temporary(path: Path, *, private: bool = False) -> Path:
    """A new, empty file beside `path` (its folder made if needed), created with the shared or
    private mode minus the umask."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = PRIVATE_MODE if private else SHARED_MODE
        while True:
            name = f".{path.stem}{TEMPORARY_MARK}{secrets.token_hex(4)}{path.suffix}"
            temporary = path.with_name(name)
            try:
                os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
            except FileExistsError:
                continue
            return temporary


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and TEMPORARY_MARK in path.name


@contextmanager
def atomic_file(path: Path, *, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces `path` in one
    rename, on any error it is removed and `path` is left exactly as it was."""
    temporary = create_temporary(path, private=private)
    with writing(path):
        try:
            yield temporary
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


# A document whole, or in pieces written as they come: at national scale the report and the
# state are hundreds of megabytes, which need never be held as one string. Pieces already
# encoded (UTF-8, as orjson gives them) are written as they are.
Text = str | Iterable[str] | Iterable[bytes]


def _write_text(path: Path, text: Text) -> None:
    with open(path, "wb") as handle:
        for piece in [text] if isinstance(text, str) else text:
            handle.write(piece.encode() if isinstance(piece, str) else piece)


@dataclass(frozen=True, slots=True)
class Document:
    """A text file of a commit (see `Commit.stage_documents`)."""

    target: Path
    text: Text
    private: bool = False
    append: bool = False  # appended to the target (the audit log, private), exactly once


def _write_staged(staged: tuple[Path, Document]) -> None:
    temporary, document = staged
    with writing(document.target):
        _write_text(temporary, document.text)


def write_text_atomic(path: Path, text: Text, *, private: bool = False) -> None:
    with atomic_file(path, private=private) as temporary:
        _write_text(temporary, text)


@contextmanager
def private_append(path: Path) -> Iterator[TextIO]:
    """Open `path` for appending text, creating it (and its folder) readable by the owner only."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_MODE)
        with open(descriptor, "a", encoding="utf-8") as handle:
            yield handle


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _append_once(target: Path, source: Path, size: int) -> None:
    """Append `source` to `target` as it was `size` bytes long: cutting back first makes a
    repeated attempt (after a kill between append and journal removal) append only once."""
    if not source.exists():
        return  # appended and cleaned up before the kill
    with writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE)
        with open(descriptor, "r+b") as handle:
            handle.truncate(size)
            handle.seek(size)
            handle.write(source.read_bytes())
        source.unlink()


def _replace(temporary: Path, target: Path) -> None:
    if not temporary.exists():
        return  # renamed before the kill
    with writing(target):
        os.replace(temporary, target)


def _flush_to_disk() -> None:
    """One system-wide flush before the journal, so the renames it lists never point at data
    still in memory when the power fails (a kill alone loses nothing)."""
    if hasattr(os, "sync"):
        os.sync()


@dataclass(slots=True)
class Commit:
    """Files of one sync, staged as temporaries and made visible together by `apply`."""

    folder: Path
    renames: list[tuple[Path, Path]] = field(default_factory=list)  # temporary, target
    appends: list[tuple[Path, Path]] = field(default_factory=list)  # temporary, target

    def stage(self, target: Path, *, private: bool = False) -> Path:
        """A temporary that `apply` will rename over `target`."""
        temporary = create_temporary(target, private=private)
        self.renames.append((temporary, target))
        return temporary

    def unstage(self, temporary: Path) -> None:
        """A temporary from `stage` that turned out not to be needed."""
        self.renames = [(staged, target) for staged, target in self.renames if staged != temporary]
        temporary.unlink(missing_ok=True)

    def stage_documents(self, documents: Sequence[Document]) -> None:
        """Each document written into a temporary that `apply` renames over its target, or
        appends to it, the documents taken in turn by a process per core: they do not depend on
        each other, and each of a sync's JSON documents takes a second or more to encode at a
        hundred thousand initiatives."""
        staged = []
        for document in documents:
            if document.append:
                temporary = create_temporary(document.target, private=True)
                self.appends.append((temporary, document.target))
            else:
                temporary = self.stage(document.target, private=document.private)
            staged.append((temporary, document))
        on_every_core(staged, _write_staged)

    def discard(self) -> None:
        for temporary, _ in [*self.renames, *self.appends]:
            temporary.unlink(missing_ok=True)
        self.renames.clear()
        self.appends.clear()

    def _journal(self) -> dict[str, Any]:
        def relative(path: Path) -> str:
            return os.path.relpath(path, self.folder)

        return {
            "renames": [[relative(t), relative(p)] for t, p in self.renames],
            "appends": [[relative(t), relative(p), _size(p)] for t, p in self.appends],
        }

    def apply(self) -> None:
        """The journal first (the moment of commit), then every rename and append."""
        for _, target in self.renames:
            if target.is_dir():
                self.discard()
                raise OutputError(f"{target}: cannot write (the output path is a folder)")
        _flush_to_disk()
        journal = self.folder / JOURNAL_FILE
        write_text_atomic(journal, json.dumps(self._journal(), ensure_ascii=False))
        complete(self.folder)


def complete(folder: Path) -> None:
    """Finish the renames and appends of an interrupted commit, then forget its journal."""
    journal = folder / JOURNAL_FILE
    if not journal.exists():
        return
    try:
        listed = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutputError(f"{journal}: cannot read the unfinished commit ({exc})") from None
    for temporary, target in listed.get("renames", []):
        _replace(folder / temporary, folder / target)
    for temporary, target, size in listed.get("appends", []):
        _append_once(folder / target, folder / temporary, size)
    journal.unlink()


def recover(folder: Path) -> None:
    """At the start of a sync: complete a commit a kill interrupted, then remove temporaries
    left by a sync that was stopped before its commit."""
    if not folder.is_dir():
        return
    complete(folder)
    for path in folder.rglob(f".*{TEMPORARY_MARK}*"):
        if path.is_file() and is_temporary(path):
            with suppress(FileNotFoundError):
                path.unlink()
