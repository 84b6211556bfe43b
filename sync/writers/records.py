"""What goes in each output sheet, as plain rows of values in layout order.

Both writers render these sheets; they differ only in how a value and a format reach the file or
the API. Rows are built once per response and reused for every unit whose subtree holds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property

from ..config import Settings
from ..memory import no_cycle_collection
from ..models import Response, Status, Violation
from ..orgtree import Unit
from ..report import Report, Subtrees
from ..review.stage import ValueTable, picker
from ..review.values import APPRAISAL, BENEFIT, SCORE, appraisal, review_words
from ..rules.codes import REGISTRY, Category, Severity, code
from ..tally import Tally, author_keys
from ..templates import Column, SheetLayout, Templates
from ..text import person_sort_key, shorten, vietnamese_ranks, vietnamese_sort_key
from .readback import unplaced_rows

Value = str | int | float | date | datetime | None


@dataclass(frozen=True, slots=True)
class Sheet:
    layout: SheetLayout  # with ".*" columns expanded
    rows: list[list[Value]]
    owner: str = ""  # the unit (or campaign) whose book holds it, named in print footers


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a unit directly below stands: its state key (see `dashboard.progress.states`) and
    its nominations against its quota, "3/2"."""

    unit: str
    state: str
    quota_use: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    heading: str
    generated: str
    deadline: str  # the days left to submit, or that submission has closed
    totals: list[tuple[str, Value, str]]  # label, value, column format
    chart_data: Sheet
    charts: dict[str, tuple[int, int]]  # chart key -> first and last data row (0-based, inclusive)
    progress: list[Progress]


def _local(moment: datetime | None) -> datetime | None:
    # Spreadsheets have no time zones: write the wall-clock time of the campaign's zone.
    return None if moment is None else moment.replace(tzinfo=None)


def expanded(layout: SheetLayout, settings: Settings) -> SheetLayout:
    """One column per item of a ".*" key: (key, header name, header note) per item; codes
    are headed by their Vietnamese name, the code itself in the note."""
    items = {
        "by_code.*": [(c.id, c.name, c.id) for c in REGISTRY.values()],
        "by_field.*": [(name, name, None) for name in settings.fields],
        "by_sector.*": [(name, name, None) for name in settings.sectors],
    }
    columns: list[Column] = []
    for column in layout.columns:
        if column.key not in items:
            columns.append(column)
            continue
        prefix = column.key[:-1]
        columns.extend(
            column.model_copy(
                update={
                    "key": prefix + key,
                    "header": column.header.format(name=name),
                    "note": note,
                }
            )
            for key, name, note in items[column.key]
        )
    return replace(layout, columns=tuple(columns))


def expanded_layouts(templates: Templates, settings: Settings) -> dict[str, SheetLayout]:
    """Every tab's columns as the sync writes them (see `expanded`), by the template's key."""
    return {name: expanded(layout, settings) for name, layout in templates.sheets.items()}


def _ranks(keys: Mapping[str, tuple]) -> dict[str, int]:
    """Each name's place among the distinct sort keys: names of equal keys share a place."""
    places = {key: place for place, key in enumerate(sorted(set(keys.values())))}
    return {name: places[key] for name, key in keys.items()}


def _cached_properties(owner: object) -> list[str]:
    """The names of the cached properties that `owner`'s own class defines."""
    return [name for name, kept in vars(type(owner)).items() if isinstance(kept, cached_property)]


class Renderer:
    def __init__(self, report: Report, settings: Settings, templates: Templates):
        self.report = report
        self.settings = settings
        self.templates = templates
        self.labels = templates.labels
        self.tree = report.tree
        self.words = review_words(templates)

    def prepare(self) -> None:
        """Work out, once, the tables that every tab draws on (the report's and the renderer's
        cached properties): processes forked afterwards to render books share them instead of
        each working them out again. Plain tables, no reference cycle: the collector is
        paused."""
        with no_cycle_collection():
            for owner in (self.report, self):
                for name in _cached_properties(owner):
                    getattr(owner, name)

    def forget(self) -> None:
        """Drop the renderer's own tables (see `prepare`) once every book is written: saving
        needs none of them, and at a million rows the processes that encode the documents peak
        about 200 MB lower without them."""
        for name in _cached_properties(self):
            self.__dict__.pop(name, None)

    @cached_property
    def layouts(self) -> dict[str, SheetLayout]:
        return expanded_layouts(self.templates, self.settings)

    # -- initiatives -----------------------------------------------------------------------------

    def unit_name(self, unit_id: str | None, typed: str) -> str:
        if unit_id is not None:
            return self.tree[unit_id].name
        return typed or self.labels.unmatched_unit

    def _problems(self, response: Response) -> str:
        return "\n".join(f"[{v.code}] {v.message}" for v in response.violations)

    @cached_property
    def initiative_values(self) -> ValueTable:
        """The sync-owned values of every initiative, shared by every sheet that lists it. Made
        a column at a time: a dict per initiative took twice as long."""
        responses = self.report.responses
        status_words = {status: self.labels.status.word(str(status)) for status in Status}
        limit = self.templates.review.summary_chars
        name = self.unit_name
        columns: dict[str, list[Value]] = {
            "id": [r.id for r in responses],
            "status": [status_words[r.status] for r in responses],
            "problems": [self._problems(r) for r in responses],
            "submitted_at": [_local(r.submitted_at) for r in responses],
            "full_name": [r.full_name for r in responses],
            "birth_year": [r.birth_year for r in responses],
            "gender": [r.gender for r in responses],
            "phone": [r.phone or r.raw_text("phone") for r in responses],
            "email": [r.email or r.raw_text("email") for r in responses],
            "position": [r.position for r in responses],
            "superior": [name(r.superior_id, r.superior_unit) for r in responses],
            "unit": [name(r.unit_id, r.grassroots_unit) for r in responses],
            "sector": [r.sector for r in responses],
            "field": [r.field for r in responses],
            "title": [r.title for r in responses],
            "summary": [shorten(r.description, limit) for r in responses],
            "description": [r.description for r in responses],
            "start_date": [r.start_date for r in responses],
            "benefit_vnd": [r.benefit_vnd for r in responses],
            "coauthors": [r.coauthors for r in responses],
            "duplicate_of": [r.duplicate_of for r in responses],
            "similar_to": [", ".join(r.similar_to) for r in responses],
            "source": [r.source for r in responses],
            "row": [r.row for r in responses],
        }
        return ValueTable.from_columns(columns["id"], columns)

    @cached_property
    def _person_keys(self) -> dict[str, tuple]:
        """Each distinct author's sort key, made once: names repeat across many initiatives."""
        names = {response.full_name for response in self.report.responses}
        return {name: person_sort_key(name) for name in names}

    @cached_property
    def _order(self) -> dict[str, int]:
        """Officers read lists by unit, then by person in Vietnamese order (given name first):
        each initiative's place in that order, sorted once, so each unit's lists sort by it.
        Units and people repeat: each is ranked once, and the initiatives sorted by the ranks."""
        responses = self.report.responses
        units = [self.unit_name(r.unit_id, r.grassroots_unit) for r in responses]
        unit_rank = vietnamese_ranks(units)
        person_rank = _ranks(self._person_keys)
        earliest = datetime.min.replace(tzinfo=self.settings.campaign.zone)
        keys = {
            response.id: (
                unit_rank[unit],
                person_rank[response.full_name],
                response.submitted_at or earliest,
            )
            for response, unit in zip(responses, units, strict=True)
        }
        return {initiative: rank for rank, initiative in enumerate(sorted(keys, key=keys.get))}

    @cached_property
    def _in_order(self) -> list[Response]:
        """Every initiative in `_order` (which holds them in that order)."""
        return list(map(self.report.by_id.__getitem__, self._order))

    def _sorted(self, initiatives: Iterable[str]) -> list[Response]:
        """These initiatives in `_order`: their places sorted as plain numbers, with no key
        function called for each (every list of every book is sorted so)."""
        places = sorted(map(self._order.__getitem__, initiatives))
        return list(map(self._in_order.__getitem__, places))

    @cached_property
    def _subtrees(self) -> Subtrees:
        return Subtrees(self._in_order, self.tree)

    def _under(self, unit_id: str) -> list[Response]:
        """Every initiative counted in the unit's subtree, in `_order`."""
        return self._subtrees.under(unit_id)

    def _review_values(self, unit_id: str, initiative: str) -> dict[str, Value]:
        """The unit's review cells, and what the unit below decided when it nominated."""
        outcome = self.report.review
        if outcome is None:
            return {}
        values: dict[str, Value] = dict(outcome.reviews.get(unit_id, {}).get(initiative, {}))
        values["outcome"] = self._outcome(unit_id, initiative)
        values["proposed_at"] = _local(outcome.flow.nominated_at.get((unit_id, initiative)))
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

    def _outcome(self, unit_id: str, initiative: str) -> str:
        """What became of the unit's nomination: passed up (to whom), or blocked and why."""
        outcome = self.report.review
        assert outcome is not None
        words = self.templates.review.outcome
        key = (unit_id, initiative)
        if key in outcome.flow.passed:
            parent = self.tree[unit_id].parent_id
            return (
                words.national
                if parent is None
                else words.passed.format(unit=self.tree[parent].name)
            )
        if key in outcome.flow.nominated_at:
            return words.blocked.format(reasons=self._reasons(outcome.flow.codes.get(key, [])))
        return ""

    @staticmethod
    def _reasons(violations: list[Violation]) -> str:
        names = dict.fromkeys(code(v.code).name for v in violations)
        return "; ".join(names)

    def listed(self, unit_id: str) -> list[Response]:
        """A grassroots union lists its own initiatives; a superior and the province list those
        nominated to them (every initiative of the subtree before any review exists)."""
        outcome = self.report.review
        if outcome is None:
            return self._under(unit_id)
        return self._sorted(outcome.flow.listed.get(unit_id, ()))

    def initiatives(self, unit_id: str) -> Sheet:
        layout = self.layouts["initiatives"].for_tier(self.tree[unit_id].tier)
        values = self.initiative_values
        keys = layout.column_keys()
        # Each column's place among the initiative's own values; a review column's is that of
        # the None put after them. One pick makes a row, the review cells then go over it.
        places = dict(zip(values.keys, range(len(values.keys)), strict=True))
        pick = picker([places.get(key, len(values.keys)) for key in keys])
        positions: dict[str, list[int]] = {}
        for position, key in enumerate(keys):
            positions.setdefault(key, []).append(position)
        rows = []
        for response in self.listed(unit_id):
            row = list(pick((*values.rows[response.id], None)))
            for key, value in self._review_values(unit_id, response.id).items():
                for position in positions.get(key, ()):
                    row[position] = value  # over the own value of its key
            rows.append(row)
        return Sheet(layout, rows)

    def all_initiatives(self, unit_id: str) -> Sheet:
        """Every initiative of the unit's subtree, in the lean layout a superior searches,
        filters and counts (the details stay in the grassroots union's list)."""
        layout = self.layouts["all_initiatives"]
        keys = layout.column_keys()
        responses = self._under(unit_id)
        values = self.initiative_values
        pick = values.picker(keys)
        return Sheet(layout, [list(pick(values.rows[r.id])) for r in responses])

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
                "unit": self.initiative_values.of(initiative)["unit"]
                if response
                else item.entry.unit,
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
            base = self.initiative_values.of(initiative)
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

    @cached_property
    def _authors(self) -> dict[str, str]:
        return author_keys(self.report.responses)

    def commendation(self, unit_id: str) -> Sheet:
        """D9: the people with the most valid initiatives in the unit's subtree (when that is
        more than one), and everyone with an initiative nominated upward."""
        layout = self.layouts["commendation"]
        words = self.templates.review.commendation
        people: dict[str, list[Response]] = {}
        for response in self.report.responses_under(unit_id):
            if response.status is Status.VALID:
                people.setdefault(self._authors[response.id], []).append(response)
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
                **self.initiative_values.of(best.id),
                "valid": len(found),
                "selected": len(selected),
                "tier_reached": self._tier_label(best.id),
                "reason": "; ".join(reasons),
            }
            rows.append(
                (self._person_keys[best.full_name], [values.get(k) for k in layout.column_keys()])
            )
        rows.sort(key=lambda item: item[0])
        return Sheet(layout, [row for _, row in rows])

    def lookup(self) -> Sheet:
        """D4, public: where each initiative stands, by id, title and union only. No name,
        contact or year of birth, so it can be posted for every author to see. Written once,
        as a file (or spreadsheet) of its own."""
        layout = self.layouts["lookup"]
        updated = self._last_change()
        rows = []
        initiatives = self.initiative_values
        unit_of = initiatives.picker(["unit"])
        units = [unit_of(initiatives.rows[r.id])[0] for r in self.report.responses]
        unit_rank = vietnamese_ranks(units)
        title_rank = vietnamese_ranks(r.title for r in self.report.responses)
        for response, unit_name in zip(self.report.responses, units, strict=True):
            values: dict[str, Value] = {
                "id": response.id,
                "title": response.title,
                "unit": unit_name,
                "status": self._plain_status(response),
                "tier_reached": self._tier_label(response.id),
                "updated": updated,
            }
            key = (unit_rank[unit_name], title_rank[response.title])
            rows.append((key, [values[k] for k in layout.column_keys()]))
        rows.sort(key=lambda item: item[0])
        return Sheet(layout, [row for _, row in rows])

    def _last_change(self) -> date | None:
        """The day of the latest submission or nomination (never after the sync): the
        lookup's "updated on", which an unchanged campaign keeps from one sync to the next."""
        moments = [r.submitted_at for r in self.report.responses if r.submitted_at]
        if self.report.review is not None:
            moments += self.report.review.flow.nominated_at.values()
        generated = self.report.generated_at
        return min(max(moments), generated).date() if moments else generated.date()

    def _plain_status(self, response: Response) -> str:
        """One status an author understands: invalid and why, the newest copy of a duplicate,
        how far it was nominated, else its grassroots union's appraisal."""
        words = self.templates.review.lookup
        if response.status is Status.INVALID:
            errors = [
                v
                for v in response.violations
                if code(v.code).severity is Severity.ERROR
                and code(v.code).category is Category.INTAKE
            ]
            return words.invalid.format(reasons=self._reasons(errors))
        if response.status is Status.DUPLICATE:
            return words.duplicate.format(latest=response.duplicate_of)
        outcome = self.report.review
        tier = "grassroots" if outcome is None else outcome.flow.tier_reached[response.id]
        if tier == "national":
            return words.national
        if tier != "grassroots":
            return words.reached.format(tier=self.templates.review.tier_reached.word(tier))
        review = {} if outcome is None else outcome.reviews.get(response.unit_id or "", {})
        judged = appraisal(review.get(response.id, {}), self.words)
        return words.word(judged) if judged in ("passed", "failed") else words.pending

    @cached_property
    def _problem_rows(self) -> dict[str, list[list[Value]]]:
        """Each initiative's rows in the problem lists, one a violation: the same in the list
        of every tier that shows it, so made once."""
        keys = self.layouts["problems"].column_keys()
        severity = self.labels.severity
        # The column a problem is in, as the officer sees it: a form question, or a review column.
        review = {c.key: c.header for c in self.layouts["initiatives"].columns if c.review}
        columns = {**review, **{q.key: q.vi for q in self.templates.form.questions}}
        found: dict[str, list[list[Value]]] = {}
        for response in self.report.responses:
            for violation in response.violations:
                values = {
                    "source": response.source,
                    "row": response.row,
                    "id": response.id,
                    "full_name": response.full_name,
                    "unit": self.unit_name(response.unit_id, response.grassroots_unit),
                    "code": violation.code,
                    "severity": severity.word(str(code(violation.code).severity)),
                    "column": columns.get(violation.field or "", violation.field or ""),
                    "raw_value": violation.raw_value,
                    "message": violation.message,
                }
                found.setdefault(response.id, []).append([values[k] for k in keys])
        return found

    def problems(self, unit_id: str) -> Sheet:
        layout = self.layouts["problems"]
        listed = self._problem_rows
        flagged = [r for r in self._under(unit_id) if r.id in listed]
        rows = [row for response in flagged for row in listed[response.id]]
        rows += unplaced_rows(self.report, unit_id, layout, self.labels.severity.word("warning"))
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
        blocks = {
            "by_day": self._cumulative(totals),
            "participation": self._participation(unit_id),
            "funnel": self._funnel(unit_id, totals),
            "by_field": [(f, totals.by_field[f]) for f in self.settings.fields],
        }
        data: list[list[Value]] = []
        spans: dict[str, tuple[int, int]] = {}
        for key, pairs in blocks.items():
            if pairs:
                spans[key] = (len(data), len(data) + len(pairs) - 1)
                data.extend([label, value] for label, value in pairs)
        generated = self.report.generated_at.strftime("%d/%m/%Y %H:%M")
        return Dashboard(
            heading=texts.heading.format(campaign=self.report.campaign, unit=unit.name),
            generated=texts.generated.format(time=generated),
            deadline=self._deadline(),
            totals=figures,
            chart_data=Sheet(self.layouts["chart_data"], data),
            charts=spans,
            progress=self._progress(unit_id),
        )

    @cached_property
    def _last_day(self) -> date:
        """The last day the form takes answers (a close at 24:00 is the end of that day)."""
        return (self.settings.campaign.form_closes_at - timedelta(seconds=1)).date()

    def _deadline(self) -> str:
        texts = self.templates.dashboard
        closes = self._last_day.strftime("%d/%m/%Y")
        days = (self._last_day - self.report.generated_at.date()).days
        return (
            texts.closed.format(closes=closes)
            if days < 0
            else texts.days_left.format(days=days, closes=closes)
        )

    def _cumulative(self, totals: Tally) -> list[tuple[str, Value]]:
        """Submissions so far, day by day up to the closing day; days after the latest
        submission are blank, so the line stops there against the whole period (and an
        unchanged campaign draws the same chart tomorrow)."""
        if not totals.by_day:
            return []
        first = date.fromisoformat(min(totals.by_day))
        today = date.fromisoformat(max(totals.by_day))
        last = max(self._last_day, today)
        pairs: list[tuple[str, Value]] = []
        running = 0
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            running += totals.by_day.get(day.isoformat(), 0)
            pairs.append((day.strftime("%d/%m"), running if day <= today else None))
        return pairs

    def _participation(self, unit_id: str) -> list[tuple[str, Value]]:
        """Initiatives per 100 union members of each unit directly below whose members are
        known, highest first."""
        rates = []
        for child in self.tree.children[unit_id]:
            figures = self.report.tallies[child]
            if figures.members:
                rate = round(100 * figures.received / figures.members, 1)
                rates.append((self._short(child), rate))
        return sorted(rates, key=lambda pair: -pair[1])

    def _short(self, unit_id: str) -> str:
        """The first alias is the short form officers use ("LĐLĐ huyện Tuần Giáo")."""
        unit = self.tree[unit_id]
        return unit.aliases[0] if unit.aliases else unit.name

    @cached_property
    def _appraised(self) -> set[str]:
        """Initiatives some unit appraised as passed or failed (every dashboard's funnel)."""
        outcome = self.report.review
        return {
            initiative
            for reviews in (outcome.reviews.values() if outcome else ())
            for initiative, review in reviews.items()
            if appraisal(review, self.words) in ("passed", "failed")
        }

    @cached_property
    def _nominated(self) -> set[str]:
        outcome = self.report.review
        return {initiative for _, initiative in outcome.flow.nominated_at} if outcome else set()

    def _funnel(self, unit_id: str, totals: Tally) -> list[tuple[str, Value]]:
        outcome = self.report.review
        under = [r.id for r in self.report.responses_under(unit_id)]
        counts = dict.fromkeys(("appraised", "nominated", "passed", "national"), 0)
        if outcome is not None:
            appraised, nominated = self._appraised, self._nominated
            reached = outcome.flow.tier_reached
            counts = {
                "appraised": sum(i in appraised for i in under),
                "nominated": sum(i in nominated for i in under),
                "passed": sum(reached.get(i, "grassroots") != "grassroots" for i in under),
                "national": sum(reached.get(i) == "national" for i in under),
            }
        counts |= {"received": totals.received, "valid": totals.valid}
        return [(label, counts[key]) for key, label in self.templates.dashboard.funnel]

    def _progress(self, unit_id: str) -> list[Progress]:
        """Each unit directly below: not appraised yet, appraised but nothing nominated,
        nominated, or over its quota; least advanced first."""
        outcome = self.report.review
        order = list(type(self.templates.dashboard.progress.states).model_fields)
        found = []
        for child in (self.tree[c] for c in self.tree.children[unit_id]):
            reviews = {} if outcome is None else outcome.reviews.get(child.id, {})
            nominated = (
                0
                if outcome is None
                else sum(1 for unit, _ in outcome.flow.nominated_at if unit == child.id)
            )
            judged = any(appraisal(r, self.words) in ("passed", "failed") for r in reviews.values())
            if child.quota is not None and nominated > child.quota:
                state = "over"
            elif nominated:
                state = "nominated"
            else:
                state = "reviewed" if judged else "none"
            use = f"{nominated}/{child.quota}" if child.quota is not None else str(nominated)
            found.append(Progress(self._short(child.id), state, use))
        found.sort(key=lambda p: (order.index(p.state), vietnamese_sort_key(p.unit)))
        return found
