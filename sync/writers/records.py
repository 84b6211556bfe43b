"""What goes in each output sheet, as plain rows of values in layout order.

Both writers render these sheets; they differ only in how a value and a format reach the file or
the API. Rows are built once per response and reused for every unit whose subtree holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property

from ..config import Settings
from ..models import Response, Status
from ..orgtree import Unit
from ..report import Report
from ..review.values import APPRAISAL, BENEFIT, SCORE
from ..rules.codes import REGISTRY, code
from ..tally import Tally, author_key
from ..templates import Column, SheetLayout, Templates
from ..text import person_sort_key, vietnamese_sort_key
from .readback import unplaced_rows

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
                    column.model_copy(
                        update={"key": prefix + name, "header": column.header.format(name=name)}
                    )
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
        return typed or self.labels.unmatched_unit

    def _problems(self, response: Response) -> str:
        return "\n".join(f"[{v.code}] {v.message}" for v in response.violations)

    def _initiative_values(self, response: Response) -> dict[str, Value]:
        return {
            "id": response.id,
            "status": self.labels.status.word(str(response.status)),
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
    def initiative_values(self) -> dict[str, dict[str, Value]]:
        """The sync-owned values of every initiative, shared by every sheet that lists it."""
        return {r.id: self._initiative_values(r) for r in self.report.responses}

    @cached_property
    def _base_layout(self) -> SheetLayout:
        """The initiatives layout without review and tier-specific columns: the full list."""
        layout = self.layouts["initiatives"]
        columns = tuple(c for c in layout.columns if not c.review and c.tiers is None)
        return replace(layout, name=self.templates.review.all_initiatives_title, columns=columns)

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

    def _review_values(self, unit_id: str, initiative: str) -> dict[str, Value]:
        """The unit's review cells, and what the unit below decided when it nominated."""
        outcome = self.report.review
        if outcome is None:
            return {}
        values: dict[str, Value] = dict(outcome.reviews.get(unit_id, {}).get(initiative, {}))
        nominator = outcome.flow.nominated_by.get((unit_id, initiative))
        if nominator is not None:
            below = outcome.reviews.get(nominator, {}).get(initiative, {})
            seen = outcome.flow.nominated_at.get((nominator, initiative))
            values |= {
                "lower.unit": self.tree[nominator].name,
                "lower.appraisal": below.get(APPRAISAL),
                "lower.score": below.get(SCORE),
                "lower.benefit": below.get(BENEFIT),
                "nominated_at": _local(seen),
            }
        return values

    def listed(self, unit_id: str) -> list[Response]:
        """A grassroots union lists its own initiatives; a superior and the province list those
        nominated to them (every initiative of the subtree before any review exists)."""
        outcome = self.report.review
        if outcome is None:
            return self._sorted(self.report.responses_under(unit_id))
        by_id = self.report.by_id
        return self._sorted([by_id[i] for i in outcome.flow.listed.get(unit_id, ())])

    def initiatives(self, unit_id: str) -> Sheet:
        layout = self.layouts["initiatives"].for_tier(self.tree[unit_id].tier)
        keys = layout.column_keys()
        rows = []
        for response in self.listed(unit_id):
            values = self.initiative_values[response.id] | self._review_values(unit_id, response.id)
            rows.append([values.get(k) for k in keys])
        return Sheet(layout, rows)

    def all_initiatives(self, unit_id: str) -> Sheet:
        layout = self._base_layout
        keys = layout.column_keys()
        responses = self._sorted(self.report.responses_under(unit_id))
        values = self.initiative_values
        return Sheet(layout, [[values[r.id][k] for k in keys] for r in responses])

    def archive(self, unit_id: str) -> Sheet:
        """Reviews of initiatives the unit no longer lists, flagged with why, never dropped."""
        layout = self.layouts["archive"]
        outcome = self.report.review
        archived = {} if outcome is None else outcome.archived.get(unit_id, {})
        reasons = self.templates.review.archived_reason
        rows = []
        for initiative, item in sorted(archived.items(), key=lambda i: (i[1].since, i[0])):
            response = self.report.by_id.get(initiative)
            values: dict[str, Value] = {
                "id": initiative,
                "reason": reasons.word(item.reason),
                "archived_at": datetime.fromisoformat(item.since).replace(tzinfo=None),
                "title": response.title if response else item.entry.title,
                "full_name": response.full_name if response else item.entry.full_name,
                "unit": self.initiative_values[initiative]["unit"] if response else item.entry.unit,
                **outcome.reviews[unit_id][initiative],
            }
            rows.append([values.get(k) for k in layout.column_keys()])
        return Sheet(layout, rows)

    def national(self) -> Sheet:
        """The province's nominations to the Confederation, in the order they passed (best
        score first), numbered."""
        layout = self.layouts["national"]
        outcome = self.report.review
        root = self.tree.root.id
        rows = []
        for number, initiative in enumerate(outcome.flow.national if outcome else (), start=1):
            base = self.initiative_values[initiative]
            review = outcome.reviews.get(root, {}).get(initiative, {})
            values: dict[str, Value] = {
                **base,
                "number": number,
                "benefit": review.get(BENEFIT) or base["benefit_vnd"],
                "appraisal": review.get(APPRAISAL),
                "score": review.get(SCORE),
            }
            rows.append([values.get(k) for k in layout.column_keys()])
        return Sheet(layout, rows)

    def _tier_label(self, initiative: str) -> str:
        outcome = self.report.review
        tier = "grassroots" if outcome is None else outcome.flow.tier_reached[initiative]
        return self.templates.review.tier_reached.word(tier)

    def commendation(self, unit_id: str) -> Sheet:
        """D9: the people with the most valid initiatives in the unit's subtree (when that is
        more than one), and everyone with an initiative nominated upward."""
        layout = self.layouts["commendation"]
        words = self.templates.review.commendation
        people: dict[str, list[Response]] = {}
        for response in self.report.responses_under(unit_id):
            if response.status is Status.VALID:
                people.setdefault(author_key(response), []).append(response)
        most = max((len(found) for found in people.values()), default=0)
        tiers = self.report.review.flow.tier_reached if self.report.review else {}
        order = list(type(self.templates.review.tier_reached).model_fields)
        rows = []
        for found in people.values():
            selected = [r for r in found if tiers.get(r.id, "grassroots") != "grassroots"]
            reasons = [words.most.format(count=most)] if most > 1 and len(found) == most else []
            if selected:
                reasons.append(words.selected)
            if not reasons:
                continue
            best = max(found, key=lambda r: order.index(tiers.get(r.id, "grassroots")))
            values: dict[str, Value] = {
                **self.initiative_values[best.id],
                "valid": len(found),
                "selected": len(selected),
                "tier_reached": self._tier_label(best.id),
                "reason": "; ".join(reasons),
            }
            rows.append(
                (person_sort_key(best.full_name), [values.get(k) for k in layout.column_keys()])
            )
        rows.sort(key=lambda item: item[0])
        return Sheet(layout, [row for _, row in rows])

    def lookup(self) -> Sheet:
        """D4, public: where each initiative stands, by id, title and union only. No name,
        contact or year of birth, so it can be posted for every author to see."""
        return self._lookup

    @cached_property
    def _lookup(self) -> Sheet:  # shown twice (a province tab and a file of its own)
        layout = self.layouts["lookup"]
        status = self.labels.status
        unit_keys: dict[str, tuple] = {}
        rows = []
        for response in self.report.responses:
            base = self.initiative_values[response.id]
            values: dict[str, Value] = {
                "id": response.id,
                "title": response.title,
                "unit": base["unit"],
                "status": status.word(str(response.status)),
                "tier_reached": self._tier_label(response.id),
            }
            unit = str(base["unit"])
            if unit not in unit_keys:
                unit_keys[unit] = vietnamese_sort_key(unit)
            key = (unit_keys[unit], vietnamese_sort_key(response.title))
            rows.append((key, [values[k] for k in layout.column_keys()]))
        rows.sort(key=lambda item: item[0])
        return Sheet(layout, [row for _, row in rows])

    def problems(self, unit_id: str) -> Sheet:
        layout = self.layouts["problems"]
        severity = self.labels.severity
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
                    "severity": severity.word(str(code(violation.code).severity)),
                    "column": question.vi if question else (column or ""),
                    "raw_value": violation.raw_value,
                    "message": violation.message,
                }
                rows.append([values[k] for k in layout.column_keys()])
        rows += unplaced_rows(self.report, unit_id, layout, severity.word("warning"))
        return Sheet(layout, rows)

    # -- tallies ---------------------------------------------------------------------------------

    def _tally_row(self, unit: Unit, totals: Tally, layout: SheetLayout) -> list[Value]:
        values: dict[str, Value] = {
            "unit": unit.name,
            "tier": self.labels.tier.word(unit.tier),
            **totals.figures(),
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
            (label, getattr(totals, key), "money" if key == "benefit_vnd" else "int")
            for key, label in texts.totals.model_dump().items()
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
        status = self.labels.status
        block(
            "by_status",
            [(status.word(k), getattr(totals, k)) for k in ("valid", "invalid", "duplicate")],
        )
        generated = self.report.generated_at.strftime("%d/%m/%Y %H:%M")
        return Dashboard(
            heading=texts.heading.format(campaign=self.report.campaign, unit=unit.name),
            generated=texts.generated.format(time=generated),
            totals=figures,
            chart_data=Sheet(self.layouts["chart_data"], data),
            charts=spans,
        )
