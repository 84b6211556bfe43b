"""Where a review round is read from and kept: the `ReviewStore` protocol, and the state files
both stores share.

A store reads the officers' review cells back from each reviewing unit's sheets (a folder of
workbooks, or spreadsheets on Google Drive), gives the state the last sync remembered, writes
the rendered sheets, and saves the new state and audit entries once everything was written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..orgtree import OrgTree, Unit
from ..writers.atomic import write_text_atomic
from .audit import AUDIT_FILE, AuditEntry
from .settle import ReadBack
from .state import STATE_FILE, ReviewState, load_state, state_json

if TYPE_CHECKING:
    from ..writers.books import Books


class ReviewStore(Protocol):
    def read(self, tree: OrgTree, units: Sequence[Unit]) -> dict[str, ReadBack | None]:
        """Each unit's review cells as the officers left them (None: no sheet yet). A sheet
        that cannot be read stops the sync before anything is written."""
        ...

    def previous(self) -> ReviewState:
        """What the last sync remembered (empty when it is lost: the sheets hold what matters)."""
        ...

    def write(self, books: Books, entries: list[AuditEntry]) -> list[str]:
        """Write every unit's sheets; return what was written."""
        ...

    def save(self, state: ReviewState, entries: list[AuditEntry]) -> None:
        """Keep the state and append the audit entries, after every write went through."""
        ...


def append_lines(path: Path, entries: list[AuditEntry]) -> None:
    """The audit log only ever grows: one JSON object per line, appended."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


@dataclass(frozen=True, slots=True)
class StateFiles:
    """`review-state.json` and `audit-log.jsonl` in the output folder, for either store."""

    folder: Path

    def previous(self) -> ReviewState:
        return load_state(self.folder / STATE_FILE)

    def save(self, state: ReviewState, entries: list[AuditEntry]) -> None:
        text = json.dumps(state_json(state), ensure_ascii=False)
        write_text_atomic(self.folder / STATE_FILE, text)
        append_lines(self.folder / AUDIT_FILE, entries)
