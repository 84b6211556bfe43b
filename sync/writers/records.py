"""What goes in each output sheet, as plain rows of values in layout order.

Both writers render these sheets; they differ only in how a value and a format reach the file or
the API. Rows are built once per response and reused for every unit whose subtree holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property

from ..config import Settings
from ..models import Response
from ..orgtree import Unit
from ..report import Report
from ..rules.codes import REGISTRY, code
from ..tally import Tally
from ..templates import Column, SheetLayout, Templates
from ..text import person_sort_key, vietnamese_sort_key

Value = str | int | float | date | datetime | None


@dataclass(frozen=True, slots=True)
class Sheet:
    layout: SheetLayout  # with ".*" columns expanded
    rows: list[list[Value]]


@dataclass(frozen=True, slots=True)
class Dashboard:
    heading: str
    generated: str
    totals: list[tuple[str, Value, str]]  # label, value, column format
    chart_data: Sheet
    charts: dict[str, tuple[int, int]]  # chart key -> first and last data row (0-based, inclusive)


def _local(moment: datetime | None) -> datetime | None:
    # Spreadsheets have no time zones: write the wall-clock time of the campaign's zone.
    return None if moment is None else moment.replace(tzinfo=None)


class Renderer:
    def __init__(self, report: Report, settings: Settings, templates: Templates):
        self.report = report
        self.settings = settings
        self.templates = templates
        self.labels = templates.labels
        self.tree = report.tree

    # -- layouts -----------------------------------------------------------------------------------

    def _expand(self, layout: SheetLayout) -> SheetLayout:
        items = {
            "by_code.*": list(REGISTRY),
            "by_field.*": list(self.settings.fields),
            "by_sector.*": list(self.settings.sectors),
        }
        columns: list[Column] = []
        for column in layout.columns:
            if column.key in items:
                prefix = column.key[:-1]
                columns.extend(
                    replace(column, key=prefix + name, header=column.header.format(name=name))
                    for name in items[column.key]
                )
            else:
                columns.append(column)
        return replace(layout, columns=tuple(columns))

    @cached_property
    def layouts(self) -> dict[str, SheetLayout]:
        return {name: self._expand(layout) for name, layout in self.templates.sheets.items()}

    # -- initiatives -----------------------------------------------------------------------------

    def unit_name(self, unit_id: str | None, typed: str) -> str:
        if unit_id is not None:
            return self.tree[unit_id].name
        return typed or self.labels["unmatched_unit"]

    def _problems(self, response: Response) -> str:
        return "\n".join(f"[{v.code}] {v.message}" for v in response.violations)

    def _initiative_values(self, response: Response) -> dict[str, Value]:
        return {
            "id": response.id,
            "status": self.labels["status"][str(response.status)],
            "problems": self._problems(response),
            "submitted_at": _local(response.submitted_at),
            "full_name": response.full_name,
            "birth_year": response.birth_year,
            "gender": response.gender,
            "phone": response.phone or response.raw_text("phone"),
            "email": response.email or response.raw_text("email"),
            "position": response.position,
            "superior": self.unit_name(response.superior_id, response.superior_unit),
            "unit": self.unit_name(response.unit_id, response.grassroots_unit),
            "sector": response.sector,
            "field": response.field,
            "title": response.title,
            "description": response.description,
            "start_date": response.start_date,
            "benefit_vnd": response.benefit_vnd,
            "coauthors": response.coauthors,
            "duplicate_of": response.duplicate_of,
            "similar_to": ", ".join(response.similar_to),
            "source": response.source,
            "row": response.row,
        }

    @cached_property
    def _initiative_rows(self) -> dict[str, list[Value]]:
        keys = self.layouts["initiatives"].column_keys()
        rows = {}
        for response in self.report.responses:
            values = self._initiative_values(response)
            rows[response.id] = [values[k] for k in keys]
        return rows

    @cached_property
    def _order(self) -> dict[str, tuple]:
        """Officers read lists by unit, then by person in Vietnamese order (given name first)."""
        unit_keys: dict[str, tuple] = {}
        order = {}
        for response in self.report.responses:
            unit = self.unit_name(response.unit_id, response.grassroots_unit)
            if unit not in unit_keys:
                unit_keys[unit] = vietnamese_sort_key(unit)
            order[response.id] = (
                unit_keys[unit],
                person_sort_key(response.full_name),
                response.submitted_at or datetime.min.replace(tzinfo=self.settings.campaign.zone),
            )
        return order

    def _sorted(self, responses: list[Response]) -> list[Response]:
        return sorted(responses, key=lambda r: self._order[r.id])

    def initiatives(self, unit_id: str) -> Sheet:
        responses = self._sorted(self.report.responses_under(unit_id))
        rows = self._initiative_rows
        return Sheet(self.layouts["initiatives"], [rows[r.id] for r in responses])

    def problems(self, unit_id: str) -> Sheet:
        layout = self.layouts["problems"]
        severity = self.labels["severity"]
        rows = []
        for response in self._sorted(self.report.responses_under(unit_id)):
            for violation in response.violations:
                column = violation.field
                question = next((q for q in self.templates.form.questions if q.key == column), None)
                values = {
                    "source": response.source,
                    "row": response.row,
                    "id": response.id,
                    "full_name": response.full_name,
                    "unit": self.unit_name(response.unit_id, response.grassroots_unit),
                    "code": violation.code,
                    "severity": severity[str(code(violation.code).severity)],
                    "column": question.vi if question else (column or ""),
                    "raw_value": violation.raw_value,
                    "message": violation.message,
                }
                rows.append([values[k] for k in layout.column_keys()])
        return Sheet(layout, rows)

    # -- tallies ---------------------------------------------------------------------------------

    def _tally_row(self, unit: Unit, totals: Tally, layout: SheetLayout) -> list[Value]:
        values: dict[str, Value] = {
            "unit": unit.name,
            "tier": self.labels["tier"][unit.tier],
            "received": totals.received,
            "valid": totals.valid,
            "invalid": totals.invalid,
            "duplicate": totals.duplicate,
            "authors": totals.authors,
            "members": totals.members,
            "participation": totals.participation,
            "benefit_vnd": totals.benefit_vnd,
        }
        for name, counter in (
            ("by_code", totals.by_code),
            ("by_field", totals.by_field),
            ("by_sector", totals.by_sector),
        ):
            for key, count in counter.items():
                values[f"{name}.{key}"] = count
        return [values.get(k, 0) for k in layout.column_keys()]

    def tallies(self, unit_id: str) -> Sheet:
        """The unit's own totals first, then one row per unit directly under it."""
        layout = self.layouts["tallies"]
        children = sorted(
            (self.tree[c] for c in self.tree.children[unit_id]),
            key=lambda u: vietnamese_sort_key(u.name),
        )
        rows = [
            self._tally_row(unit, self.report.tallies[unit.id], layout)
            for unit in (self.tree[unit_id], *children)
        ]
        return Sheet(layout, rows)

    # -- dashboard -------------------------------------------------------------------------------

    def dashboard(self, unit_id: str) -> Dashboard:
        texts = self.templates.dashboard
        unit = self.tree[unit_id]
        totals = self.report.tallies[unit_id]
        figures = [
            (texts["totals"][key], getattr(totals, key), "money" if key == "benefit_vnd" else "int")
            for key in texts["totals"]
        ]
        data: list[list[Value]] = []
        spans: dict[str, tuple[int, int]] = {}

        def block(key: str, pairs: list[tuple[str, int]]) -> None:
            start = len(data)
            data.extend([label, value] for label, value in pairs)
            spans[key] = (start, max(start, len(data) - 1))

        days = sorted(totals.by_day)
        block(
            "by_day", [(date.fromisoformat(d).strftime("%d/%m/%Y"), totals.by_day[d]) for d in days]
        )
        children = sorted(
            (self.tree[c] for c in self.tree.children[unit_id]),
            key=lambda u: -self.report.tallies[u.id].received,
        )
        block("by_unit", [(u.name, self.report.tallies[u.id].received) for u in children])
        block("by_field", [(f, totals.by_field[f]) for f in self.settings.fields])
        status = self.labels["status"]
        block(
            "by_status",
            [(status[k], getattr(totals, k)) for k in ("valid", "invalid", "duplicate")],
        )
        generated = self.report.generated_at.strftime("%d/%m/%Y %H:%M")
        return Dashboard(
            heading=texts["heading"].format(campaign=self.report.campaign, unit=unit.name),
            generated=texts["generated"].format(time=generated),
            totals=figures,
            chart_data=Sheet(self.layouts["chart_data"], data),
            charts=spans,
        )
