"""The local `ReviewStore`: one workbook per reviewing unit in the output folder, the review
state and the audit log beside them (`StateFiles`, which the Google store keeps locally too)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..orgtree import OrgTree, Unit
from ..paths import output_path
from ..review.audit import AUDIT_FILE, AuditEntry
from ..review.settle import ReadBack
from ..review.state import STATE_FILE, ReviewState, load_state, state_json
from ..review.store import Written
from ..templates import Templates
from ..text import fold
from .atomic import private_append, write_text_atomic
from .books import Books
from .carry import Carried, read_carried
from .readback import read_review
from .xlsx import WorkbookJob, write_workbooks


def workbook_path(out_dir: Path, unit: Unit, templates: Templates) -> Path:
    """`<tier folder>/<unit id> <unit name without diacritics>.xlsx`: ASCII, so the names survive
    zip files, e-mail and old Windows machines."""
    folder = templates.labels.folder.word(unit.tier)
    slug = "-".join(fold(unit.name).split())[:60]
    return output_path(out_dir, folder, f"{unit.id} {slug}.xlsx")


def append_lines(path: Path, entries: list[AuditEntry]) -> None:
    """The audit log only ever grows: one JSON object per line, appended."""
    with private_append(path) as handle:
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
        write_text_atomic(self.folder / STATE_FILE, text, private=True)
        append_lines(self.folder / AUDIT_FILE, entries)


@dataclass(frozen=True, slots=True)
class WorkbookFolder(StateFiles):
    templates: Templates
    # The officers' additions to each unit's workbook, read with the review, written back.
    carried: dict[str, Carried | None] = field(default_factory=dict, compare=False)

    def path(self, unit: Unit) -> Path:
        return workbook_path(self.folder, unit, self.templates)

    def read(self, tree: OrgTree, units: Sequence[Unit]) -> dict[str, ReadBack | None]:
        """Every workbook is read before anything is written: one that cannot be read stops
        the sync with nothing replaced."""
        found = {}
        for unit in units:
            path = self.path(unit)
            readback = found[unit.id] = read_review(path, self.templates, unit.tier)
            unplaced = readback.unplaced if readback else []
            self.carried[unit.id] = read_carried(path, self.templates, unit.tier, unplaced)
        return found

    def write(self, books: Books, entries: list[AuditEntry]) -> Written:
        """The audit goes to `audit-log.jsonl` only (see `save`)."""
        jobs = [
            WorkbookJob(
                self.path(book.unit),
                list(book.sheets),
                book.dashboard,
                self.carried.get(book.unit.id),
            )
            for book in books.units
        ]
        lookup_file = output_path(self.folder, self.templates.review.lookup_file)
        jobs.append(WorkbookJob(lookup_file, [books.lookup]))
        write_workbooks(jobs, self.templates)
        return Written([str(job.path) for job in jobs])
