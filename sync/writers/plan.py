"""One rendering plan for both writers: every tab, its columns' looks, highlights, dropdowns,
protected runs, and the dashboard's charts, turned from `sheets_templates/outputs.yaml` into
plain frozen values. The xlsx writer and the Google requests builder only translate a plan;
neither decides a colour, a chart kind or a position of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from ..a1 import column_letter
from ..templates import (
    Chart,
    Column,
    SheetLayout,
    Templates,
    Validation,
)
from ..templates import (
    Highlight as HighlightSpec,
)
from .records import Dashboard, Sheet, Value

# Rows below the data that still get the dropdowns, for rows an officer inserts or appends.
VALIDATION_SPARE_ROWS = 500
# A unit's name in the dashboard's default font takes about this many of a column's width
# characters per letter (measured on the bundled example's longest names); and the widest the
# name column grows to.
_CHARACTERS_PER_LETTER, _WIDEST_NAME_COLUMN = 0.9, 80
# Default cell sizes in pixels (11-point Calibri, width 8.43), to turn chart sizes into cells.
ROW_PIXELS = 20
COLUMN_PIXELS = 64
PIXELS_PER_CHARACTER = 7
_CHARTS_FROM_ROW = 3


@dataclass(frozen=True, slots=True)
class CellLook:
    """How a column's cells look. Officer-owned cells are tinted and unlocked, so protecting a
    sheet still leaves them editable; sync-owned cells keep the default lock."""

    format: str  # the column format name (text, int, money, date, ...)
    pattern: str  # its number format
    wrap: bool
    fill: str | None = None  # #RRGGBB
    unlocked: bool = False


@dataclass(frozen=True, slots=True)
class HeaderLook:
    fill: str
    font: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A dropdown (warns only, so an officer's own spelling of a tick is accepted) or a number
    range (refuses other input)."""

    kind: Literal["list", "decimal", "whole"]
    title: str
    message: str
    choices: tuple[str, ...] = ()
    low: int | float = 0
    high: int | float = 0

    @property
    def strict(self) -> bool:
        return self.kind != "list"


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    header: str
    width: float  # in characters
    hidden: bool
    review: bool  # officer-owned
    header_look: HeaderLook
    look: CellLook
    rule: Rule | None
    sets_height: bool  # wrapped text makes its row taller
    note: str | None = None  # a note on the header cell


@dataclass(frozen=True, slots=True)
class Highlight:
    formula: str  # relative to the first data row, A1 notation
    fill: str


@dataclass(frozen=True, slots=True)
class PagePlan:
    """How a tab prints: A4, fitted to `fit` pages (wide, tall; 0 is as many as needed)."""

    landscape: bool
    columns: int  # the first columns print
    rows: int  # the first rows print (the dashboard's drawn area); 0 is every row
    fit: tuple[int, int]
    header: str  # the page's title
    footer: str  # the unit and the sheet
    page: str  # "Trang {page}/{pages}"


@dataclass(frozen=True, slots=True)
class TabPlan:
    title: str
    columns: tuple[ColumnPlan, ...]
    rows: list[list[Value]]
    freeze_columns: int
    highlights: tuple[Highlight, ...]
    owned_runs: tuple[tuple[int, int], ...]  # [start, end) of sync-owned columns
    page: PagePlan
    empty: tuple[int, str] | None = None  # the column and text shown when there is no row


@dataclass(frozen=True, slots=True)
class ChartPlan:
    caption: str
    kind: Literal["line", "bar", "column", "pie"]
    data_tab: str
    rows: tuple[int, int]  # [first, end) 0-based rows of the data tab (labels A, values B)
    anchor: tuple[int, int]  # 0-based (row, column) of the cell the offsets start from
    offset: tuple[int, int]  # x, y in pixels from that cell's top-left corner
    size: tuple[int, int]  # width, height in pixels
    legend: bool  # pies name their slices in a legend; other kinds have one series
    value_labels: bool
    top_down: bool  # bar charts list their first category at the top


@dataclass(frozen=True, slots=True)
class BoardCell:
    """A cell of the dashboard's tables: the heading (`title`), a header or a value."""

    row: int
    column: int
    value: Value
    look: CellLook | HeaderLook | None = None
    title: bool = False


@dataclass(frozen=True, slots=True)
class DashboardPlan:
    title: str
    title_size: int
    widths: tuple[float, ...]  # the tables' columns, in characters
    cells: tuple[BoardCell, ...]
    charts: tuple[ChartPlan, ...]
    data: TabPlan
    page: PagePlan


def highlight_formula(column: int, rule: HighlightSpec) -> str:
    """True on a data row whose cell in `column` shows, or starts with, the rule's text
    (written for the first data row; both Excel and Sheets shift it down the range)."""
    cell = f"${column_letter(column)}2"
    if rule.starts_with is not None:
        text = rule.starts_with
        return f'=LEFT({cell},{len(text)})="{text.replace(chr(34), chr(34) * 2)}"'
    quoted = (rule.equals or "").replace('"', '""')
    return f'={cell}="{quoted}"'


def _printed_count(layout: SheetLayout) -> int:
    """How many first columns print: through `print_through`, whose ".*" expansion (one column
    per field, say) counts whole."""
    last = layout.print_through
    if last is None:
        return len(layout.columns)
    prefix = last[:-1] if last.endswith(".*") else None
    found = [
        index
        for index, column in enumerate(layout.columns)
        if column.key == last or (prefix is not None and column.key.startswith(prefix))
    ]
    return found[-1] + 1 if found else len(layout.columns)


def _printed_rows(sheet: Sheet) -> int:
    """How many first rows print, the header included: those through the layout's
    `print_rows` (0: every row)."""
    limit = sheet.layout.print_rows
    return 0 if limit is None or len(sheet.rows) <= limit else limit + 1


def owned_runs(columns: tuple[Column, ...]) -> tuple[tuple[int, int], ...]:
    """Runs [start, end) of sync-owned columns; the officers' review columns lie between."""
    runs: list[tuple[int, int]] = []
    for index, column in enumerate(columns):
        if column.review:
            continue
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return tuple(runs)


class Planner:
    """Turns sheets into tab plans; a layout's column plans are made once and shared."""

    def __init__(self, templates: Templates):
        self.templates = templates
        styles = templates.styles
        self.header = HeaderLook(styles.header_fill, styles.header_font)
        self.review_header = HeaderLook(styles.review_header_fill, styles.header_font)
        self._columns: dict[SheetLayout, tuple[ColumnPlan, ...]] = {}

    def look(self, kind: str, wrap: bool = False, review: bool = False) -> CellLook:
        pattern = self.templates.formats.word(kind)
        if review:
            return CellLook(kind, pattern, wrap, self.templates.styles.review_cell_fill, True)
        return CellLook(kind, pattern, wrap)

    def _rule(self, name: str | None) -> Rule | None:
        if name is None:
            return None
        spec: Validation = self.templates.validations[name]
        if spec.choices is not None:
            choices = self.templates.review.choices.word(spec.choices)
            return Rule("list", spec.title, spec.message, tuple(choices))
        kind: Literal["decimal", "whole"] = "decimal" if spec.decimal else "whole"
        low, high = spec.decimal or spec.whole or (0, 0)
        return Rule(kind, spec.title, spec.message, low=low, high=high)

    def _column(self, column: Column) -> ColumnPlan:
        return ColumnPlan(
            header=column.header,
            width=column.width,
            hidden=column.hidden,
            review=column.review,
            header_look=self.review_header if column.review else self.header,
            look=self.look(column.format, column.wrap, column.review),
            rule=self._rule(column.validation),
            sets_height=column.wrap and column.sets_height,
            note=column.note,
        )

    def columns(self, layout: SheetLayout) -> tuple[ColumnPlan, ...]:
        if layout not in self._columns:
            self._columns[layout] = tuple(self._column(c) for c in layout.columns)
        return self._columns[layout]

    def page(self, title: str, owner: str, printed: tuple[ColumnPlan, ...]) -> PagePlan:
        words = self.templates.printing
        width = sum(c.width for c in printed if not c.hidden)
        return PagePlan(
            landscape=width > words.portrait_up_to,
            columns=len(printed),
            rows=0,
            fit=(1, 0),
            header=words.header.format(title=title),
            footer=words.footer.format(unit=owner, sheet=title),
            page=words.page,
        )

    def tab(self, sheet: Sheet) -> TabPlan:
        layout = sheet.layout
        keys = layout.column_keys()
        highlights = tuple(
            Highlight(highlight_formula(keys.index(rule.column), rule), rule.fill)
            for rule in layout.highlights
            if rule.column in keys  # a tier's layout may leave the column out
        )
        columns = self.columns(layout)
        printed = columns[: _printed_count(layout)]
        empty = None
        if not sheet.rows and layout.empty:
            # never in the id column: a row without an id is no initiative to the read-back
            empty = (1 if keys[:1] == ("id",) and len(keys) > 1 else 0, layout.empty)
        return TabPlan(
            title=layout.name,
            columns=columns,
            rows=sheet.rows,
            freeze_columns=layout.freeze_columns,
            highlights=highlights,
            owned_runs=owned_runs(layout.columns),
            page=replace(self.page(layout.name, sheet.owner, printed), rows=_printed_rows(sheet)),
            empty=empty,
        )

    def dashboard(self, board: Dashboard) -> DashboardPlan:
        words = self.templates.dashboard
        cells = self._board_cells(board)
        # below the heading lines, which run across the page
        charts = self._charts(board, anchor=(_CHARTS_FROM_ROW, len(words.widths)))
        table_rows = max(c.row for c in cells) + 1
        chart_bottom = max((c.offset[1] + c.size[1] for c in charts), default=0)
        chart_right = max((c.offset[0] + c.size[0] for c in charts), default=0)
        rows = max(table_rows, _CHARTS_FROM_ROW + math.ceil(chart_bottom / ROW_PIXELS) + 1)
        columns = len(words.widths) + math.ceil(chart_right / COLUMN_PIXELS) + 1
        widths = self._board_widths(board)
        table_width = sum(widths) * PIXELS_PER_CHARACTER
        printing = self.templates.printing
        page = PagePlan(
            landscape=table_width + chart_right > rows * ROW_PIXELS,
            columns=columns,
            rows=rows,
            fit=(1, 1),
            header="",
            footer=printing.footer.format(unit=board.chart_data.owner, sheet=words.title),
            page=printing.page,
        )
        return DashboardPlan(
            title=words.title,
            title_size=self.templates.styles.title_size,
            widths=widths,
            cells=cells,
            charts=charts,
            data=self.tab(board.chart_data),
            page=page,
        )

    def _board_widths(self, board: Dashboard) -> tuple[float, ...]:
        """The tables' columns as the layout sets them, the first widened (up to a limit) to the
        longest name of a unit below, so no name is cut off by the state beside it."""
        first, *rest = self.templates.dashboard.widths
        longest = max((len(item.unit) for item in board.progress), default=0)
        needed = min(math.ceil(longest * _CHARACTERS_PER_LETTER) + 1, _WIDEST_NAME_COLUMN)
        return (max(first, needed), *rest)

    def _board_cells(self, board: Dashboard) -> tuple[BoardCell, ...]:
        """Heading, update time and days left; the totals; then where each unit below stands."""
        cells = [
            BoardCell(0, 0, board.heading, title=True),
            BoardCell(1, 0, board.generated),
            BoardCell(2, 0, board.deadline),
        ]
        row = 4
        for label, value, kind in board.totals:
            cells += [
                BoardCell(row, 0, label, self.header),
                BoardCell(row, 1, value or 0, self.look(kind)),
            ]
            row += 1
        if not board.progress:
            return tuple(cells)
        words = self.templates.dashboard.progress
        cells.append(BoardCell(row + 1, 0, words.heading, title=True))
        row += 2
        for column, header in enumerate((words.unit, words.state, words.quota)):
            cells.append(BoardCell(row, column, header, self.header))
        for item in board.progress:
            row += 1
            state = words.states.word(item.state)
            look = CellLook("text", self.templates.formats.text, False, state.fill)
            values = (item.unit, state.text, item.quota_use)
            cells += [BoardCell(row, column, value, look) for column, value in enumerate(values)]
        return tuple(cells)

    def _charts(self, board: Dashboard, anchor: tuple[int, int]) -> tuple[ChartPlan, ...]:
        """Charts in two columns from their real sizes: each below the previous one of its
        column, the second column right of the widest chart of the first, so none overlaps."""
        words = self.templates.dashboard
        gap = words.gap
        sized: list[tuple[str, Chart, int]] = []
        for key, chart in words.charts.items():
            if key not in board.charts:
                continue
            first, last = board.charts[key]
            sized.append((key, chart, chart.height + chart.per_item * (last - first + 1)))
        left = max((c.width for _, c, _ in sized if c.column == 0), default=0)
        tops = [0, 0]
        plans = []
        for key, chart, height in sized:
            x = 0 if chart.column == 0 or not left else left + gap
            first, last = board.charts[key]
            plans.append(
                ChartPlan(
                    caption=chart.caption,
                    kind=chart.kind,
                    data_tab=board.chart_data.layout.name,
                    rows=(first + 1, last + 2),
                    anchor=anchor,
                    offset=(x, tops[chart.column]),
                    size=(chart.width, height),
                    legend=chart.kind == "pie",
                    value_labels=chart.kind in ("pie", "bar"),
                    top_down=chart.kind == "bar",
                )
            )
            tops[chart.column] += height + gap
        return tuple(plans)
