"""What every reviewing unit's workbook or spreadsheet holds, rendered once for both stores.

Each unit's book names its review list explicitly, so no writer relies on the order of tabs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from operator import is_
from typing import Any

from ..config import Settings
from ..memory import no_cycle_collection
from ..orgtree import OrgTree, Unit
from ..report import Report
from ..review.audit import AuditEntry
from ..review.stage import (
    ValueTable,
    initiative_marks,
    picker,
    remember,
    value_digests,
    value_marks,
)
from ..review.state import ListedCells, ReviewState
from ..review.values import fingerprint
from ..templates import SheetLayout, Templates
from .records import Dashboard, Renderer, Sheet


@dataclass(frozen=True, slots=True)
class UnitBook:
    unit: Unit
    initiatives: Sheet  # the unit's review list, also among `sheets`
    sheets: tuple[Sheet, ...]  # the tabs after the dashboard, in order
    dashboard: Dashboard | None  # every unit's summary card (None only in hand-made books)


# Up to this many initiatives, their values are digested before the workbooks are written (a
# column to a process) and each process that writes a review list digests its rows as it goes:
# at 100,000 rows the write stage's part on one core is about 3 s shorter. With more, those
# digests would be held all the while the writers run, when a sync's memory peaks (at 1,000,000
# rows 8.8 GB instead of 7.8): they are then worked out after the writers, in this process.
DIGESTED_WHILE_WRITING_MAX = 250_000


@dataclass(frozen=True, slots=True)
class Books:
    """Every reviewing unit's book and the public lookup, each rendered when asked: a folder of
    workbooks renders each in the process that writes it, so that no process holds them all."""

    renderer: Renderer
    units: tuple[Unit, ...]
    # Each initiative's values digested (`value_digests`) before any book is written, reused by
    # every process that writes a review list for the digests of its rows; None above
    # DIGESTED_WHILE_WRITING_MAX.
    value_digests: ValueTable | None

    @classmethod
    def of(cls, renderer: Renderer, units: Sequence[Unit]) -> Books:
        """The round's books, the initiatives' values digested beforehand where there are few
        enough of them (see DIGESTED_WHILE_WRITING_MAX). A tuple per initiative and no
        reference cycle: with the collector on, it scanned every object of the sync (0.4 s at
        100,000 rows)."""
        with no_cycle_collection():
            values = renderer.initiative_values
            small = len(values.rows) <= DIGESTED_WHILE_WRITING_MAX
            digests = value_digests(values, every_core=True) if small else None
        return cls(renderer, tuple(units), digests)

    @property
    def tree(self) -> OrgTree:
        return self.renderer.report.tree

    # Rendering builds lists by the million and no reference cycle: the collector is paused.
    def book(self, unit: Unit) -> UnitBook:
        with no_cycle_collection():
            return unit_book(self.renderer, unit)

    def digests(self, listed: Sheet) -> ListedCells | None:
        """What the state keeps of a unit's review list as written (see `sheet_digests`),
        worked out by the process that wrote it: a share of the round's on each core. None when
        the values were not digested beforehand (`remembered` then works it out)."""
        if self.value_digests is None:
            return None
        return sheet_digests(listed, self.renderer.initiative_values, self.value_digests)

    def lookup(self) -> Sheet:
        with no_cycle_collection():
            return replace(self.renderer.lookup(), owner=self.renderer.report.campaign)

    def rows(self, unit: Unit | None) -> int:
        """About how many rows a unit's book (None: the lookup) holds, to write the largest
        first: the initiatives of its subtree."""
        report = self.renderer.report
        return len(report.responses) if unit is None else report.tallies[unit.id].received


def reviewing_units(tree: OrgTree, settings: Settings) -> list[Unit]:
    """The units whose sheets are written. On Google the province's spreadsheet holds the
    dashboard and the registry of the others, so it is always among them."""
    always = tree.root.id if settings.output.kind == "google_sheets" else None
    return [unit for unit in tree if unit.tier in settings.output.tiers or unit.id == always]


def retired_titles(templates: Templates) -> set[str]:
    """Tabs an earlier version wrote into a unit's book that it no longer holds: the public
    lookup, now written only in its own file or spreadsheet. A sync removes them from an old
    book (an officer's cells on them are kept in the carried tab)."""
    return {templates.sheets["lookup"].name}


def unit_book(renderer: Renderer, unit: Unit) -> UnitBook:
    """A unit's tabs after the dashboard: its review list first, the full list for superiors
    and the province, and the province's list for the Confederation. The public lookup is
    not among them: it is written once, on its own."""
    initiatives = replace(renderer.initiatives(unit.id), owner=unit.name)
    sheets = [
        initiatives,
        renderer.problems(unit.id),
        renderer.tallies(unit.id),
        renderer.commendation(unit.id),
        renderer.archive(unit.id),
    ]
    if unit.tier != "grassroots":
        sheets.append(renderer.all_initiatives(unit.id))
    if unit.tier == "province":
        sheets.append(renderer.national())
    owned = [initiatives, *(replace(sheet, owner=unit.name) for sheet in sheets[1:])]
    board = renderer.dashboard(unit.id)
    board = replace(board, chart_data=replace(board.chart_data, owner=unit.name))
    return UnitBook(unit, initiatives, tuple(owned), board)


RowDigests = Callable[[list[Any], tuple[Any, ...] | None, tuple[str, ...] | None], str]


def _row_digests(layout: SheetLayout, known: tuple[str, ...]) -> tuple[tuple[str, ...], RowDigests]:
    """The sync-owned columns of a layout (sorted), and the digests of those cells of one
    written row, packed in their order (as `Cells` keeps them), given the row's initiative's
    values and their digests (both in the order of `known`, see `value_digests`). The cells
    that show those very values reuse their digests: most of a row, checked at once."""
    owned = [(position, c.key) for position, c in enumerate(layout.columns) if not c.review]
    shared = [(position, key) for position, key in owned if key in known]
    own = [(position, key) for position, key in owned if key not in known]
    shown = picker([p for p, _ in shared])
    digested = picker([known.index(key) for _, key in shared])
    others = picker([p for p, _ in own])
    columns = tuple(sorted(key for _, key in owned))
    made = [key for _, key in (*shared, *own)]
    in_column_order = picker([made.index(key) for key in columns])

    def digests(
        row: list[Any], values: tuple[Any, ...] | None, value_digests: tuple[str, ...] | None
    ) -> str:
        cells = shown(row)
        known_here = values is not None and value_digests is not None
        if known_here and all(map(is_, cells, digested(values))):
            reused = digested(value_digests)
        else:
            reused = tuple(map(fingerprint, cells))
        made = reused + tuple(map(fingerprint, others(row)))
        return "".join(in_column_order(made))

    return columns, digests


def sheet_digests(
    sheet: Sheet, values: ValueTable | None = None, digests: ValueTable | None = None
) -> ListedCells:
    """Per listed initiative, digests of the sync-owned cells as written; those of `values`
    already digested (`digests`, from `value_digests(values)`) are reused."""
    position = sheet.layout.column_keys().index("id")
    shown = values.rows if values is not None else {}
    known, digested = (digests.keys, digests.rows) if digests is not None else ((), {})
    columns, row_digests = _row_digests(sheet.layout, known)
    found = {}
    for row in sheet.rows:
        initiative = str(row[position])
        found[initiative] = row_digests(row, shown.get(initiative), digested.get(initiative))
    return ListedCells(columns, found)


def remembered(
    report: Report, books: Books, digested: Mapping[str, ListedCells]
) -> tuple[ReviewState, list[AuditEntry]]:
    """The state to keep once the books are written, and the audit entries of the round.
    `digested`: per unit, the digests of its review list that the store worked out as it wrote
    (`Books.digests`); a unit's list it did not (a workbook left as it was, a store that keeps
    none) is rendered again here."""
    assert report.review is not None
    renderer = books.renderer
    values = renderer.initiative_values
    digests = books.value_digests if books.value_digests is not None else value_digests(values)
    written = {
        unit.id: digested[unit.id]
        if unit.id in digested
        else sheet_digests(renderer.initiatives(unit.id), values, digests)
        for unit in books.units
    }
    marks = initiative_marks(report.review, report.responses, value_marks(digests))
    # A tuple per initiative, a million of them at national scale (worked out here then): gone
    # before the state is built.
    del digests
    headers = {c.key: c.header for c in renderer.layouts["initiatives"].columns}
    return remember(report.review, report.responses, marks, written, headers, report.generated_at)
