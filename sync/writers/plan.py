"""One rendering plan for both writers: every tab, its columns' looks, highlights, dropdowns,
protected runs, and the dashboard's charts, turned from `sheets_templates/outputs.yaml` into
plain frozen values. The xlsx writer and the Google requests builder only translate a plan;
neither decides a colour, a chart kind or a position of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..templates import Column, SheetLayout, Templates, Validation
from .records import Dashboard, Sheet, Value

# Rows below the data that still get the dropdowns, for rows an officer inserts or appends.
VALIDATION_SPARE_ROWS = 500


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


@dataclass(frozen=True, slots=True)
class Highlight:
    formula: str  # relative to the first data row, A1 notation
    fill: str


@dataclass(frozen=True, slots=True)
class TabPlan:
    title: str
    columns: tuple[ColumnPlan, ...]
    rows: list[list[Value]]
    freeze_columns: int
    highlights: tuple[Highlight, ...]
    owned_runs: tuple[tuple[int, int], ...]  # [start, end) of sync-owned columns


@dataclass(frozen=True, slots=True)
class ChartPlan:
    caption: str
    kind: Literal["line", "bar", "column", "pie"]
    data_tab: str
    rows: tuple[int, int]  # [first, end) 0-based rows of the data tab (labels A, values B)
    anchor: tuple[int, int]  # 0-based (row, column) of the top-left corner on the dashboard
    size: tuple[int, int]  # width, height in pixels
    legend: bool  # pies name their slices in a legend; other kinds have one series
    value_labels: bool


@dataclass(frozen=True, slots=True)
class DashboardPlan:
    title: str
    heading: str
    generated: str
    title_size: int
    widths: tuple[float, float]  # label and value columns, in characters
    header_look: HeaderLook
    totals: tuple[tuple[str, Value, CellLook], ...]
    charts: tuple[ChartPlan, ...]
    data: TabPlan


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_position(a1: str) -> tuple[int, int]:
    """`D20` -> (19, 3)."""
    letters = "".join(ch for ch in a1 if ch.isalpha())
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return int(a1[len(letters) :]) - 1, column - 1


def _equals_formula(column: int, value: str) -> str:
    """True on a data row whose cell in `column` shows `value` (written for the first data row;
    both Excel and Sheets shift it down the range)."""
    quoted = value.replace('"', '""')
    return f'=${column_letter(column)}2="{quoted}"'


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
        )

    def columns(self, layout: SheetLayout) -> tuple[ColumnPlan, ...]:
        if layout not in self._columns:
            self._columns[layout] = tuple(self._column(c) for c in layout.columns)
        return self._columns[layout]

    def tab(self, sheet: Sheet) -> TabPlan:
        layout = sheet.layout
        keys = layout.column_keys()
        highlights = tuple(
            Highlight(_equals_formula(keys.index(rule.column), rule.equals), rule.fill)
            for rule in layout.highlights
        )
        return TabPlan(
            title=layout.name,
            columns=self.columns(layout),
            rows=sheet.rows,
            freeze_columns=layout.freeze_columns,
            highlights=highlights,
            owned_runs=owned_runs(layout.columns),
        )

    def dashboard(self, board: Dashboard) -> DashboardPlan:
        words = self.templates.dashboard
        data_tab = board.chart_data.layout.name
        charts = []
        for key, (first, last) in board.charts.items():
            chart = words.charts.word(key)
            charts.append(
                ChartPlan(
                    caption=chart.caption,
                    kind=chart.kind,
                    data_tab=data_tab,
                    rows=(first + 1, last + 2),
                    anchor=cell_position(chart.anchor),
                    size=(chart.width, chart.height),
                    legend=chart.kind == "pie",
                    value_labels=chart.kind == "pie",
                )
            )
        return DashboardPlan(
            title=words.title,
            heading=board.heading,
            generated=board.generated,
            title_size=self.templates.styles.title_size,
            widths=(words.label_width, words.value_width),
            header_look=self.header,
            totals=tuple((label, value, self.look(kind)) for label, value, kind in board.totals),
            charts=tuple(charts),
            data=self.tab(board.chart_data),
        )
