"""What every reviewing unit's workbook or spreadsheet holds, rendered once for both stores.

Each unit's book names its review list explicitly, so no writer relies on the order of tabs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


@dataclass(frozen=True, slots=True)
class ListDigests:
    """What the state keeps of a unit's review list as written, worked out by the process that
    writes it (`Books.digests`): the digests of its rows' sync-owned cells, and the mark of
    each initiative it lists (`value_marks`)."""

    cells: ListedCells
    marks: dict[str, str]


@dataclass(frozen=True, slots=True)
class Books:
    """Every reviewing unit's book and the public lookup, each rendered when asked: a folder of
    workbooks renders each in the process that writes it, so that no process holds them all."""

    renderer: Renderer
    units: tuple[Unit, ...]

    @property
    def tree(self) -> OrgTree:
        return self.renderer.report.tree

    # Rendering builds lists by the million and no reference cycle: the collector is paused.
    def book(self, unit: Unit) -> UnitBook:
        with no_cycle_collection():
            return unit_book(self.renderer, unit)

    def digests(self, listed: Sheet) -> ListDigests:
        """What the state keeps of a unit's review list (`ListDigests`), worked out by the
        process that writes it: a share of the round's on each core. The values of the
        initiatives it lists are digested here, once for their marks and for the cells that
        show them, and let go with the list: no process holds the digests of them all (at a
        million rows, a tuple each, about a gigabyte)."""
        values = self.renderer.initiative_values
        position = listed.layout.column_keys().index("id")
        shown = values.only(str(row[position]) for row in listed.rows)
        digests = value_digests(shown)
        return ListDigests(sheet_digests(listed, values, digests), value_marks(digests))

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
    report: Report, books: Books, digested: Mapping[str, ListDigests]
) -> tuple[ReviewState, list[AuditEntry]]:
    """The state to keep once the books are written, and the audit entries of the round.
    `digested`: per unit, what the store worked out as it wrote its review list
    (`Books.digests`). A unit's list it did not (a workbook left as it was, a store that keeps
    none) is rendered again here, and the initiatives no list shows (invalid ones) have their
    values digested here."""
    assert report.review is not None
    renderer = books.renderer
    lists = {
        unit.id: digested[unit.id]
        if unit.id in digested
        else books.digests(renderer.initiatives(unit.id))
        for unit in books.units
    }
    by_values: dict[str, str] = {}
    for found in lists.values():
        by_values.update(found.marks)
    unlisted = (r.id for r in report.responses if r.id not in by_values)
    by_values.update(value_marks(value_digests(renderer.initiative_values.only(unlisted))))
    marks = initiative_marks(report.review, report.responses, by_values)
    written = {unit_id: found.cells for unit_id, found in lists.items()}
    headers = {c.key: c.header for c in renderer.layouts["initiatives"].columns}
    return remember(report.review, report.responses, marks, written, headers, report.generated_at)
