"""The local `ReviewStore`: one workbook per reviewing unit in the output folder, the review
state and the audit log beside them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..orgtree import OrgTree, Unit
from ..review.audit import AuditEntry
from ..review.settle import ReadBack
from ..review.store import StateFiles
from ..templates import Templates
from ..text import fold
from .books import Books
from .readback import read_review
from .xlsx import WorkbookJob, write_workbooks


def workbook_path(out_dir: Path, unit: Unit, templates: Templates) -> Path:
    """`<tier folder>/<unit id> <unit name without diacritics>.xlsx`: ASCII, so the names survive
    zip files, e-mail and old Windows machines."""
    folder = templates.labels.folder.word(unit.tier)
    slug = "-".join(fold(unit.name).split())[:60]
    return out_dir / folder / f"{unit.id} {slug}.xlsx"


@dataclass(frozen=True, slots=True)
class WorkbookFolder(StateFiles):
    templates: Templates

    def path(self, unit: Unit) -> Path:
        return workbook_path(self.folder, unit, self.templates)

    def read(self, tree: OrgTree, units: Sequence[Unit]) -> dict[str, ReadBack | None]:
        """Every workbook is read before anything is written: one that cannot be read stops
        the sync with nothing replaced."""
        return {unit.id: read_review(self.path(unit), self.templates) for unit in units}

    def write(self, books: Books, entries: list[AuditEntry]) -> list[str]:
        """The audit goes to `audit-log.jsonl` only (see `save`)."""
        jobs = [
            WorkbookJob(self.path(book.unit), list(book.sheets), book.dashboard)
            for book in books.units
        ]
        lookup_file = self.folder / self.templates.review.lookup_file
        jobs.append(WorkbookJob(lookup_file, [books.lookup]))
        write_workbooks(jobs, self.templates)
        return [str(job.path) for job in jobs]
