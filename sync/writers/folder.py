"""The local `ReviewStore`: one workbook per reviewing unit in the output folder, the review
state and the audit log beside them (`StateFiles`, which the Google store keeps locally too).

A sync's files are committed together (`atomic.Commit`): every workbook, the state, the JSON
report and the audit lines are staged as temporaries and renamed in one journalled step, so a
kill or a write error never leaves the workbooks and `review-state.json` disagreeing. A
workbook that already holds exactly what would be written is not written again; one open
elsewhere, read-only or unreadable is left as it is and named (`held`).
"""

from __future__ import annotations

import hashlib
import pickle
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..cores import on_every_core
from ..errors import OutputError, output_error
from ..json_bytes import json_bytes
from ..memory import no_cycle_collection
from ..orgtree import OrgTree, Unit
from ..paths import output_path
from ..review.audit import AUDIT_FILE, AuditEntry
from ..review.settle import ReadBack, Row
from ..review.state import (
    STATE_FILE,
    LastRound,
    ReviewState,
    load_last_round,
    load_state,
    state_text,
)
from ..review.store import Written
from ..review.values import canonical
from ..templates import SheetLayout, Templates
from ..text import fold
from .atomic import Commit, Document, Text, recover
from .books import Books, ListDigests, UnitBook
from .carry import Carried, read_carried
from .readback import lock_files, read_review
from .records import Sheet, Value
from .xlsx import WorkbookJob, write_workbook


def workbook_path(out_dir: Path, unit: Unit, templates: Templates) -> Path:
    """`<tier folder>/<unit id> <unit name without diacritics>.xlsx`: ASCII, so the names survive
    zip files, e-mail and old Windows machines."""
    folder = templates.labels.folder.word(unit.tier)
    slug = "-".join(fold(unit.name).split())[:60]
    return output_path(out_dir, folder, f"{unit.id} {slug}.xlsx")


def audit_lines(entries: list[AuditEntry]) -> Iterator[bytes]:
    """The audit log only ever grows: one JSON object per line, appended."""
    return (json_bytes(entry) + b"\n" for entry in entries)


@dataclass(slots=True)
class StateFiles:
    """`review-state.json` and `audit-log.jsonl` in the output folder, for either store."""

    folder: Path
    commit: Commit = field(init=False)

    def __post_init__(self) -> None:
        self.commit = Commit(self.folder)

    def previous(self) -> ReviewState:
        recover(self.folder)
        return load_state(self.folder / STATE_FILE)

    def held(self) -> dict[str, str]:
        """Outputs left as they were, each with why."""
        return {}

    def keep_last_written(self, state: ReviewState, left: Iterable[str]) -> None:
        """The sheets of the `left` units, left as they were, still hold what the last sync
        wrote: remember that, so their cells are not taken for officers' edits next time."""
        units = [u for u in left if u in state.units]
        if not units:
            return
        remembered = self.previous()  # `StateFiles` reads it from disk at each call
        for unit_id in units:
            before = remembered.unit(unit_id)
            for initiative, entry in state.units[unit_id].items():
                kept = before.get(initiative)
                entry.cells = dict(kept.cells) if kept is not None else {}

    def save(
        self, state: ReviewState, entries: list[AuditEntry], documents: Mapping[Path, Text]
    ) -> None:
        """The state, the audit lines and `documents` (the JSON report) committed together with
        whatever the store staged before."""
        try:
            self.commit.stage_documents(
                [
                    Document(self.folder / STATE_FILE, state_text(state), private=True),
                    *(Document(path, text) for path, text in documents.items()),
                    Document(self.folder / AUDIT_FILE, audit_lines(entries), append=True),
                ]
            )
        except BaseException:
            self.commit.discard()
            raise
        self.commit.apply()


def package_version() -> str:
    try:
        return version("sangkien-sync")
    except PackageNotFoundError:
        return "source"


_WRITABLE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH  # Windows' read-only flag clears all


def _why_left(path: Path) -> str | None:
    """Why an existing workbook must not be replaced now: open in Excel or LibreOffice (their
    lock file beside it), or made read-only by its owner."""
    lock = next((lock for lock in lock_files(path) if lock.exists()), None)
    if lock is not None:
        return f"open in Excel or LibreOffice ({lock.name}); close it and sync again"
    if path.is_file() and not path.stat().st_mode & _WRITABLE:
        return "read-only; make it writable and sync again"
    return None


def _stamp(path: Path) -> str:
    """Size, modification time and inode: saving a workbook in Excel or LibreOffice changes
    at least one of them."""
    found = path.stat()
    return f"{found.st_size}:{found.st_mtime_ns}:{found.st_ino}"


@dataclass(frozen=True, slots=True)
class _Task:
    """A workbook to render, and the temporary it is written into if it changed."""

    unit: Unit | None  # None: the public lookup
    path: Path
    into: Path


@dataclass(frozen=True, slots=True)
class _Settled:
    fingerprint: str  # of what the workbook holds (see `_fingerprint`)
    stamp: str  # of the file as it will be
    written: bool  # False: the folder already held exactly this
    # Of the unit's review list (`Books.digests`); None for the public lookup.
    digests: ListDigests | None


class _Into:
    """A file to write to whose bytes go into a digest, a pickle frame (64 kB) at a time."""

    __slots__ = ("write",)

    def __init__(self, digest: hashlib.blake2b):
        self.write = digest.update


def _digest_values(digest: hashlib.blake2b, rows: list[list[Value]]) -> None:
    """Put the rows into `digest` as bytes that depend on their values alone: pickled with the
    memo off. With it, a text two rows share would pickle otherwise than two equal texts, and a
    sync that reads the responses back from its kept file shares other texts than one that read
    the source. Streamed: a million rows' tab is never held pickled. At 100,000 rows every tab
    pickles in about 2.4 s of CPU, against 4.1 s for their `repr`."""
    pickler = pickle.Pickler(_Into(digest), protocol=5)
    pickler.fast = True  # no memo: safe, as no row refers back to itself
    pickler.dump(rows)


def _tab_as_written(sheet: Sheet, found: list[Row]) -> bool:
    """Whether a tab read back holds exactly the rows `sheet` would write (in any order): no
    officer edit in the sync's cells, no row deleted or pasted twice, every review the same."""
    keys = sheet.layout.column_keys()
    position = keys.index("id")
    rows = {str(row[position]): row for row in sheet.rows}
    if len(found) != len(rows):
        return False
    for cells in found:
        row = rows.get(str(cells.get("id")))
        if row is None or any(
            key not in cells or canonical(cells[key]) != canonical(value)
            for key, value in zip(keys, row, strict=True)
        ):
            return False
    return True


@dataclass(slots=True)
class WorkbookFolder(StateFiles):
    templates: Templates
    layouts: Mapping[str, SheetLayout]  # the tabs' columns as written (`records.expanded`)
    # `sangkien dossier` only reads: it leaves a running sync's temporaries and journal alone.
    read_only: bool = False
    readbacks: dict[str, ReadBack | None] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)  # unit id -> its workbook
    left: dict[Path, str] = field(default_factory=dict)  # workbook -> why it is left as is
    remembered: ReviewState | None = None
    untouched: set[str] = field(default_factory=set)  # units whose workbook is as last written
    seen: dict[Path, str] = field(default_factory=dict)  # workbook -> its stamp before reading
    fingerprints: dict[str, str] = field(default_factory=dict)  # of what the folder will hold
    stamps: dict[str, str] = field(default_factory=dict)  # of the files as they will be
    # The officers' additions to each saved unit's workbook, read with its review and written
    # back (an untouched one's are read only if it is rewritten: `_carried`).
    carried: dict[str, Carried | None] = field(default_factory=dict, compare=False)
    staged: dict[Path, Path] = field(default_factory=dict)  # unit workbook -> its new version
    # Each layout as fingerprints take it: the layouts are few, the tabs many.
    layout_texts: dict[SheetLayout, bytes] = field(default_factory=dict, compare=False)

    def path(self, unit: Unit) -> Path:
        return workbook_path(self.folder, unit, self.templates)

    def read(self, tree: OrgTree, units: Sequence[Unit]) -> dict[str, ReadBack | None]:
        """Every workbook is read before anything is written, except one still exactly as the
        last sync wrote it (its review is the remembered one: None here). One that cannot be
        replaced now is still read where it can be, and left as it is."""
        stamps = self.previous().stamps
        for unit in units:
            path = self.paths[unit.id] = self.path(unit)
            if path.is_dir():
                raise output_error(path, IsADirectoryError())
            why = _why_left(path)
            self.readbacks[unit.id] = None
            if path.is_file():
                # Taken before reading: a save while it is read shows as a change next time.
                self.seen[path] = _stamp(path)
            if path in self.seen and self.seen[path] == stamps.get(self._key(path)):
                self.untouched.add(unit.id)
            else:
                try:
                    self.readbacks[unit.id] = read_review(path, self.templates, unit.tier)
                except OutputError as exc:
                    why = why or str(exc).removeprefix(f"{path}: ")
            if why:
                self.left[path] = why
            elif unit.id not in self.untouched:
                # What the officers added, carried over if the workbook is rewritten. An
                # untouched one holds only what the last sync carried: read if rewritten.
                readback = self.readbacks[unit.id]
                unplaced = readback.unplaced if readback else []
                self.carried[unit.id] = read_carried(
                    path, self.templates, self.layouts, unit.tier, unplaced
                )
        lookup = self._lookup_path()
        if (why := _why_left(lookup)) is not None:
            self.left[lookup] = why
        return dict(self.readbacks)

    def previous(self) -> ReviewState:
        """Loaded once, at the first call: `read` needs it before the round asks for it."""
        if self.remembered is None:
            if not self.read_only:
                recover(self.folder)
            self.remembered = load_state(self.folder / STATE_FILE)
        return self.remembered

    def held(self) -> dict[str, str]:
        return {str(path): why for path, why in self.left.items()}

    def settled(self, steady: str, units: Sequence[Unit]) -> bool:
        """Each file is looked at now: before the workbooks are read, a round found settled
        needs no response read either (`writers.unchanged_round`)."""
        last = self._last_round()
        if last is None or last.steady != steady or self.left:
            return False
        paths = [self.path(unit) for unit in units] + [self._lookup_path()]
        return all(
            path.is_file()
            and _why_left(path) is None
            and _stamp(path) == last.stamps.get(self._key(path))
            for path in paths
        )

    def _last_round(self) -> LastRound | None:
        """From the state loaded already, else from the end of its file alone."""
        if self.remembered is not None:
            return LastRound(self.remembered.steady, self.remembered.stamps)
        if not self.read_only:
            recover(self.folder)
        return load_last_round(self.folder / STATE_FILE)

    def _lookup_path(self) -> Path:
        return output_path(self.folder, self.templates.review.lookup_file)

    def _key(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix()

    def _base_fingerprint(self) -> hashlib.blake2b:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{package_version()}\x1f{self.templates!r}".encode())
        return digest

    def _fingerprint(self, job: WorkbookJob, base: hashlib.blake2b) -> str:
        """Of everything the workbook shows except the dashboard's "updated at" line."""
        digest = base.copy()
        for sheet in job.sheets:
            layout = self.layout_texts.get(sheet.layout)
            if layout is None:
                layout = self.layout_texts[sheet.layout] = repr(sheet.layout).encode()
            digest.update(layout)
            _digest_values(digest, sheet.rows)
        if job.dashboard is not None:
            digest.update(repr(replace(job.dashboard, generated="")).encode())
        return digest.hexdigest()

    def _as_written(self, book: UnitBook) -> bool:
        if book.unit.id in self.untouched:
            return True
        readback = self.readbacks.get(book.unit.id)
        if readback is None:
            return False
        archive_tab = self.templates.sheets["archive"].name
        archive = [s for s in book.sheets if s.layout.name == archive_tab]
        return _tab_as_written(book.initiatives, readback.listed) and all(
            _tab_as_written(sheet, readback.archived) for sheet in archive
        )

    def job(self, books: Books, unit: Unit | None) -> tuple[WorkbookJob, UnitBook | None]:
        """A unit's workbook (None: the public lookup's), rendered."""
        if unit is None:
            return WorkbookJob(self._lookup_path(), [books.lookup()]), None
        book = books.book(unit)
        return WorkbookJob(self.path(unit), list(book.sheets), book.dashboard), book

    def _carried(self, unit: Unit | None, path: Path) -> Carried | None:
        if unit is None:
            return None
        if unit.id in self.untouched:
            return read_carried(path, self.templates, self.layouts, unit.tier)
        return self.carried.get(unit.id)

    def _settle_workbook(self, books: Books, base: hashlib.blake2b, task: _Task) -> _Settled:
        """Render a workbook and write it into its temporary, unless the folder already holds
        exactly what would be written (same fingerprint, officers' tabs as written)."""
        job, book = self.job(books, task.unit)
        fingerprint = self._fingerprint(job, base)
        digests = None if book is None else books.digests(book.initiatives)
        path = job.path
        unchanged = self.previous().books.get(self._key(path)) == fingerprint and path.is_file()
        if unchanged and (book is None or self._as_written(book)):
            # Checked to hold what it would be, as it was when read (an officer's save since
            # then shows as a change next time).
            stamp = self.seen.get(path) or _stamp(path)
            return _Settled(fingerprint, stamp, written=False, digests=digests)
        carried = self._carried(task.unit, path)
        write_workbook(path, self.templates, job.sheets, job.dashboard, carried, into=task.into)
        # A rename keeps all three parts of the stamp.
        return _Settled(fingerprint, _stamp(task.into), written=True, digests=digests)

    def _keep_remembered(self, key: str, remembered: ReviewState) -> None:
        """A workbook left as it is: what the last write put there, still."""
        for mine, last in ((self.fingerprints, remembered.books), (self.stamps, remembered.stamps)):
            if key in last:
                mine[key] = last[key]
            else:
                mine.pop(key, None)

    def write(self, books: Books, audit: Callable[[], list[AuditEntry]]) -> Written:
        """Stage the workbooks that changed, each rendered and written by the process that
        takes it (`on_every_core`), largest first; `save` commits them with the state. Every
        temporary is made here first, so that an error anywhere removes them all. Workbooks
        left as they are are not rendered. The audit goes to `audit-log.jsonl` only (see
        `save`)."""
        remembered = self.previous()
        tasks = []
        for unit in [*books.units, None]:
            path = self._lookup_path() if unit is None else self.path(unit)
            if path in self.left:
                self._keep_remembered(self._key(path), remembered)
            else:
                tasks.append(_Task(unit, path, self.commit.stage(path)))
        books.renderer.prepare()
        base = self._base_fingerprint()

        def settle(task: _Task) -> _Settled:
            # The cycle collector waits for each workbook to be done, then frees its cycles
            # (XlsxWriter's) at once: running while it was written, it scanned the rendered rows
            # again and again.
            with no_cycle_collection():
                return self._settle_workbook(books, base, task)

        try:
            largest_first = sorted(tasks, key=lambda task: books.rows(task.unit), reverse=True)
            settled = on_every_core(largest_first, settle)
        except BaseException:
            self.commit.discard()
            raise
        written, digested = set(), {}
        for task, outcome in zip(largest_first, settled, strict=True):
            key = self._key(task.path)
            if task.unit is not None and outcome.digests is not None:
                digested[task.unit.id] = outcome.digests
            self.fingerprints[key], self.stamps[key] = outcome.fingerprint, outcome.stamp
            if outcome.written:
                written.add(task.path)
                if task.unit is not None:
                    self.staged[task.path] = task.into
            else:
                self.commit.unstage(task.into)
        return Written([str(task.path) for task in tasks if task.path in written], digests=digested)

    def _hold_changed_since_read(self) -> None:
        """A unit's workbook saved, opened or made read-only while the sync ran is not replaced:
        what an officer typed since it was read would be lost. It is left as it is and read at
        the next sync, as one open at the start is. Checked as the state is about to be saved,
        so the window left is that of writing the state and the renames."""
        remembered = self.previous()
        for path, temporary in self.staged.items():
            why = _why_left(path)
            if why is None and path.is_file() and _stamp(path) != self.seen.get(path):
                why = "saved while the sync ran; sync again to take in what was typed"
            if why is not None:
                self.commit.unstage(temporary)
                self.left[path] = why
                self._keep_remembered(self._key(path), remembered)

    def save(
        self, state: ReviewState, entries: list[AuditEntry], documents: Mapping[Path, Text]
    ) -> None:
        self._hold_changed_since_read()
        state.books = dict(sorted(self.fingerprints.items()))
        state.stamps = dict(sorted(self.stamps.items()))
        self.keep_last_written(state, [u for u, path in self.paths.items() if path in self.left])
        StateFiles.save(self, state, entries, documents)
