"""What the sync remembers between runs, per (unit, initiative), as plain JSON.

The officers' sheets are the truth for review values; the state adds what a sheet cannot hold
reliably: the review of a row an officer deleted by accident, when each nomination was first
seen (for DOSSIER_LATE), what the sync last wrote into its own cells (to tell an officer's edit
from a change in the source), and the last known content of each initiative (for the audit log).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import ItemsView, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from ..json_bytes import from_json_bytes, json_bytes
from ..memory import no_cycle_collection
from .values import Review

STATE_FILE = "review-state.json"
STATE_VERSION = 2


_NO_DIGEST = "-" * 8  # a column the row was written without


@dataclass(frozen=True, slots=True, eq=False)
class Cells(Mapping[str, str]):
    """The digests of a written row's sync-owned cells, by column key, packed as the state file
    keeps them: eight characters per column of `columns`, in their order (sorted). A unit's rows
    share `columns`, and a million rows need no dict each."""

    columns: tuple[str, ...]
    packed: str

    def __getitem__(self, key: str) -> str:
        try:
            start = self.columns.index(key) * 8
        except ValueError:
            raise KeyError(key) from None
        return self.packed[start : start + 8]

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def items(self) -> ItemsView[str, str]:
        return _CellItems(self)


@dataclass(frozen=True, slots=True, eq=False)
class ListedCells(Mapping[str, Cells]):
    """Per initiative of a unit's review list, its row's `Cells` as written, kept packed: the
    columns once and a string per row. A writer process sends it back as a tuple and a dict of
    texts: a 100,000-row round's lists pickle and load in 0.14 s, against 1.1 s as a `Cells`
    per row."""

    columns: tuple[str, ...]
    packed: dict[str, str]

    def __getitem__(self, initiative: str) -> Cells:
        return Cells(self.columns, self.packed[initiative])

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)


class _CellItems(ItemsView[str, str]):
    """A row's digests with their columns, read off the packed string in one pass (the
    generic view would look each column up again)."""

    _mapping: Cells

    def __iter__(self) -> Iterator[tuple[str, str]]:
        cells = self._mapping
        return zip(cells.columns, _DIGESTS.findall(cells.packed), strict=True)


_DIGESTS = re.compile(".{8}", re.DOTALL)


@dataclass(slots=True)
class Entry:
    """One initiative as one unit sees it."""

    review: Review = field(default_factory=dict)
    # Sync-owned key -> last written digest (`Cells` as written, a dict as read back).
    cells: Mapping[str, str] = field(default_factory=dict)
    nominated_at: str | None = None  # ISO time this unit's nomination was first seen
    archived_at: str | None = None  # ISO time it left the unit's list, while archived
    title: str = ""  # last known, for the archive tab
    full_name: str = ""
    unit: str = ""


@dataclass(slots=True)
class Mark:
    """What the audit log compares between runs for one initiative."""

    digest: str  # of every sync-owned value of the initiative
    status: str
    tier: str  # tier reached
    unit_id: str | None


@dataclass(slots=True)
class ReviewState:
    initiatives: dict[str, Mark] = field(default_factory=dict)
    units: dict[str, dict[str, Entry]] = field(default_factory=dict)
    # Local workbooks: relative path -> fingerprint of the content last written there, so an
    # unchanged workbook is not written again.
    books: dict[str, str] = field(default_factory=dict)
    # ... and the file as it was then (size, modification time, inode): a workbook still
    # exactly so holds what the state remembers, and need not be read back.
    stamps: dict[str, str] = field(default_factory=dict)
    # Officers' cells no initiative could take, already logged in the audit (see settle.py).
    unplaced: list[str] = field(default_factory=list)
    # The round the last sync wrote (see `writers.steady_key`): found again with every output
    # as that sync left it, there is nothing to write.
    steady: str = ""
    unreadable: str | None = None  # why the remembered state could not be read, if so

    def unit(self, unit_id: str) -> dict[str, Entry]:
        return self.units.get(unit_id, {})


def _packed(cells: Mapping[str, str], columns: tuple[str, ...]) -> str:
    """The digests in the unit's column order: as packed when written with those columns."""
    if isinstance(cells, Cells) and cells.columns == columns:
        return cells.packed
    return "".join(map(cells.get, columns, repeat(_NO_DIGEST)))


def _entry_json(entry: Entry, columns: tuple[str, ...]) -> dict[str, Any]:
    """Only what is set; the cell digests as one string in the unit's column order. Names and
    titles serve the archive tab, which keeps only reviewed initiatives: an unreviewed one that
    is still listed needs none, so the state grows with what was reviewed, not with every row."""
    found: dict[str, Any] = {}
    if entry.review:
        found["review"] = entry.review
    if entry.cells:
        found["cells"] = _packed(entry.cells, columns)
    for name in ("nominated_at", "archived_at"):
        if getattr(entry, name):
            found[name] = getattr(entry, name)
    if entry.review or entry.archived_at:
        found |= {"title": entry.title, "full_name": entry.full_name, "unit": entry.unit}
    return found


def _entry_from_json(data: dict[str, Any], columns: tuple[str, ...]) -> Entry:
    packed = data.get("cells", "")
    cells: Mapping[str, str]
    if len(packed) == 8 * len(columns) and "-" not in packed:  # digests are hexadecimal
        cells = Cells(columns, packed)  # every column written: kept packed, as written
    else:
        digests = [packed[i : i + 8] for i in range(0, len(packed), 8)]
        cells = {k: d for k, d in zip(columns, digests, strict=False) if d != _NO_DIGEST}
    return Entry(**{**data, "cells": cells})


def _unit_json(entries: dict[str, Entry]) -> dict[str, Any]:
    columns = tuple(sorted(set().union(*(entry.cells for entry in entries.values()))))
    return {
        "columns": list(columns),
        "entries": {k: _entry_json(e, columns) for k, e in sorted(entries.items())},
    }


def _unit_from_json(data: dict[str, Any]) -> dict[str, Entry]:
    columns = tuple(data.get("columns", []))
    return {k: _entry_from_json(e, columns) for k, e in data.get("entries", {}).items()}


def state_text(state: ReviewState) -> Iterator[bytes]:
    """The state as UTF-8 JSON, a piece at a time: at 100,000 initiatives every byte per entry is a
    hundred kilobytes, and at a million the whole document held at once as objects and then as
    one string would take gigabytes (made and encoded in 1.8 to 2.2 s at a million
    initiatives, against 4.7 s through json's C encoder). Each initiative's mark is `[digest,
    status, tier, unit_id]`; each unit's entries are packed as `_unit_json` says."""

    marks = sorted(state.initiatives.items())
    yield b'{"version": %d, "initiatives": {' % STATE_VERSION
    for start in range(0, len(marks), _MARKS_A_PIECE):
        piece = {
            k: [m.digest, m.status, m.tier, m.unit_id]
            for k, m in marks[start : start + _MARKS_A_PIECE]
        }
        yield (b"" if start == 0 else b", ") + json_bytes(piece)[1:-1]
    yield b'}, "units": {'
    for number, (unit, entries) in enumerate(sorted(state.units.items())):
        before = b"" if number == 0 else b", "
        yield before + json_bytes(unit) + b": " + json_bytes(_unit_json(entries))
    rest = {
        "books": dict(sorted(state.books.items())),
        "stamps": dict(sorted(state.stamps.items())),
        "unplaced": sorted(state.unplaced),
        "steady": state.steady,
    }
    # The one place these bytes hold a space, which `load_last_round` looks for.
    yield _AFTER_UNITS + json_bytes(rest)[len(b'{"books":') :]


_MARKS_A_PIECE = 10_000


def _version_1(data: dict[str, Any]) -> ReviewState:
    """The state as syncs before the compact format kept it: read, so an upgrade loses nothing."""
    return ReviewState(
        initiatives={k: Mark(**v) for k, v in data.get("initiatives", {}).items()},
        units={
            unit: {k: Entry(**e) for k, e in entries.items()}
            for unit, entries in data.get("units", {}).items()
        },
    )


def state_from_json(data: dict[str, Any]) -> ReviewState:
    if data.get("version", 1) == 1:
        return _version_1(data)
    return ReviewState(
        initiatives={k: Mark(*v) for k, v in data.get("initiatives", {}).items()},
        units={unit: _unit_from_json(d) for unit, d in data.get("units", {}).items()},
        books={str(k): str(v) for k, v in data.get("books", {}).items()},
        stamps={str(k): str(v) for k, v in data.get("stamps", {}).items()},
        unplaced=[str(key) for key in data.get("unplaced", [])],
        steady=str(data.get("steady", "")),
    )


@dataclass(frozen=True, slots=True)
class LastRound:
    """What the state says of the round it was saved for: its key (`writers.steady_key`) and
    the local outputs' stamps."""

    steady: str
    stamps: dict[str, str]


def load_last_round(path: Path) -> LastRound | None:
    """The state's last round, read from the end of the file alone: `state_text` writes it
    after the initiatives and units, which a sync that finds nothing changed never needs (at a
    million initiatives, seconds to load). None when the end does not hold it (no file, a
    damaged one, an older format): the caller then loads the state whole."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _LAST_ROUND_BYTES))
            end = handle.read()
        # The last such bytes: a title or name holding them is escaped ("\"books\"").
        rest = json.loads(b"{" + end[end.rindex(_AFTER_UNITS) + 3 :])
        return LastRound(str(rest["steady"]), {str(k): str(v) for k, v in rest["stamps"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


# Where the units end and the last round begins (see `state_text`), and how far from the end of
# the file it is looked for: the books and stamps take some hundred bytes a workbook.
_AFTER_UNITS = b'}, "books": '
_LAST_ROUND_BYTES = 4 << 20


def load_state(path: Path) -> ReviewState:
    """The state of the last sync; an empty one on the first run or when the file is lost or
    damaged: what an officer relies on (reviews, when a nomination was first seen, the archive)
    is read back from the sheets, and the audit log records that the state was rebuilt."""
    if not path.exists():
        return ReviewState()
    try:
        # Plain data by the hundred thousand, read while every response is in memory: the
        # cycle collector would rescan all of them each time enough had been made.
        with no_cycle_collection():
            return state_from_json(from_json_bytes(path.read_bytes()))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        return ReviewState(unreadable=f"{path.name}: {exc}")
