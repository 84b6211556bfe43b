"""The review round as a pipeline stage, assembled here and nowhere else: settle the reviews read
back from every reviewing unit's sheets (through a `ReviewStore`) before the tally, so the
review codes count like intake codes; after rendering, the state to remember and the audit.

The stores only read cells and write rows; the round is the same for a folder of workbooks and
for Google spreadsheets, and for `sangkien sync` and `sangkien dossier`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

from ..config import Settings
from ..models import Response
from ..orgtree import OrgTree
from ..templates import Templates
from .audit import AuditEntry, changes
from .flow import Rules
from .settle import Outcome, ReadBack, next_state, settle, unplaced_entries, unplaced_keys
from .state import Mark, ReviewState
from .values import (
    COMPLAINT,
    DISPUTE,
    NOMINATED,
    Review,
    ReviewWords,
    appraisal,
    fingerprint,
    is_blank,
    review_words,
    score,
    text_fingerprint,
    ticked,
)

Summary = dict[str, dict[str, dict[str, Any]]]  # initiative -> unit -> decision, for the JSON


@dataclass(frozen=True, slots=True)
class ReviewRound:
    outcome: Outcome
    summary: Summary


def review_rules(settings: Settings, templates: Templates) -> Rules:
    words = templates.review
    return Rules(
        due=settings.campaign.dossier_due,
        marks=frozenset(words.ticked),
        reasons=words.not_eligible.model_dump(),
        words=review_words(templates),
    )


def _decision(review: Review, words: ReviewWords, marks: frozenset[str]) -> dict[str, Any]:
    return {
        "appraisal": appraisal(review, words),
        "score": score(review, words),
        "nominated": ticked(review, NOMINATED, marks),
        "complaint": ticked(review, COMPLAINT, marks),
        "dispute": ticked(review, DISPUTE, marks),
    }


def settle_review(
    tree: OrgTree,
    responses: list[Response],
    readbacks: Mapping[str, ReadBack | None],
    previous: ReviewState,
    context: tuple[Settings, Templates],
    now: datetime,
) -> ReviewRound:
    """Settle the round at the sync's time; review codes join the responses' violations (and
    so the sheets, the tallies and the JSON) exactly like intake codes."""
    settings, templates = context
    rules = review_rules(settings, templates)
    keys = templates.sheets["initiatives"].review_keys()
    outcome = settle(tree, responses, previous, readbacks, keys, now, rules)
    by_id = {r.id: r for r in responses}
    for (_, initiative), violations in outcome.flow.codes.items():
        by_id[initiative].violations.extend(violations)
    summary: Summary = {}
    # Most initiatives have nothing typed at most units: their decision is made once.
    nothing = _decision({}, rules.words, rules.marks)
    for unit_id, initiatives in outcome.flow.listed.items():
        reviews = outcome.reviews.get(unit_id, {})
        for initiative in initiatives:
            review = reviews.get(initiative)
            blank = not review or is_blank(review)
            entry = dict(nothing) if blank else _decision(review, rules.words, rules.marks)
            summary.setdefault(initiative, {})[unit_id] = entry
    return ReviewRound(outcome, summary)


@dataclass(frozen=True, slots=True)
class ValueTable:
    """Per initiative, its sync-owned values (or their digests), a tuple each in the order of
    `keys`, which every initiative shares: a dict each would take three times the memory, most
    of a gigabyte at national scale."""

    keys: tuple[str, ...]
    rows: dict[str, tuple[Any, ...]]

    @classmethod
    def from_items(cls, values: Iterable[tuple[str, Mapping[str, Any]]]) -> ValueTable:
        """From (initiative, its values by key) pairs, all with the keys of the first: each
        mapping may be let go as soon as its tuple is taken."""
        keys: tuple[str, ...] = ()
        pick = picker(keys)
        rows = {}
        for initiative, cells in values:
            if not rows:
                keys = tuple(cells)
                pick = picker(keys)
            if len(cells) != len(keys):
                raise ValueError(f"{initiative}: values {sorted(cells)}, expected {sorted(keys)}")
            rows[initiative] = pick(cells)
        return cls(keys, rows)

    @classmethod
    def from_columns(
        cls, initiatives: Sequence[str], columns: Mapping[str, Sequence[Any]]
    ) -> ValueTable:
        """From a column of values per key, each with a value per initiative, in their order."""
        rows = zip(*columns.values(), strict=True) if columns else repeat((), len(initiatives))
        return cls(tuple(columns), dict(zip(initiatives, rows, strict=True)))

    def only(self, initiatives: Iterable[str]) -> ValueTable:
        """The rows of these initiatives, those the table holds, in their order."""
        rows = self.rows
        return ValueTable(self.keys, {i: rows[i] for i in initiatives if i in rows})

    def of(self, initiative: str) -> dict[str, Any]:
        """An initiative's values by key, made when asked."""
        return dict(zip(self.keys, self.rows[initiative], strict=True))

    def picker(self, keys: Sequence[str]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        """The values at `keys` of an initiative's row. A table of no initiative knows no keys,
        and has no row to pick from either."""
        if not self.rows:
            return picker([])
        return picker([self.keys.index(key) for key in keys])


def picker(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """The items of a sequence or mapping at `keys`, always as a tuple (`itemgetter` gives a
    lone item bare, and takes no empty list)."""
    if not keys:
        return lambda _: ()
    if len(keys) == 1:
        only = keys[0]
        return lambda items: (items[only],)
    return itemgetter(*keys)


def value_digests(values: ValueTable) -> ValueTable:
    """Per initiative, the digest of each of its sync-owned values: taken once, for its mark in
    the state and for every sheet row that shows it."""
    columns = list(zip(*values.rows.values(), strict=True))
    digested = list(map(_digested_column, columns))
    rows = zip(*digested, strict=True) if digested else (() for _ in values.rows)
    return ValueTable(values.keys, dict(zip(values.rows, rows, strict=True)))


def _digested_column(column: tuple[Any, ...]) -> list[str]:
    """`fingerprint` of each value; once per distinct value where values repeat (a status, a
    unit, a field). Values of one type (or None) only: 1 and 1.0 are one key of a dict."""
    kinds = set(map(type, column)) - {type(None)}
    if len(kinds) == 1:
        distinct: dict[Any, str] = dict.fromkeys(column, "")
        if len(distinct) * 2 <= len(column):
            for value in distinct:
                distinct[value] = fingerprint(value)
            return list(map(distinct.__getitem__, column))
        if kinds == {str} and None not in distinct:  # texts that seldom repeat (ids, phones)
            return list(map(text_fingerprint, column))
    return list(map(fingerprint, column))


def value_marks(digests: ValueTable) -> dict[str, str]:
    """Per initiative, the one digest its mark keeps: of its sync-owned values' digests
    (`value_digests`), the problems left out."""
    compared = picker([digests.keys.index(k) for k in sorted(digests.keys) if k != "problems"])
    return {i: fingerprint("\x1f".join(compared(row))) for i, row in digests.rows.items()}


def initiative_marks(
    outcome: Outcome, responses: list[Response], digests: Mapping[str, str]
) -> dict[str, Mark]:
    """Per initiative, what the audit log compares next time: the digest of its values
    (`value_marks`), its status, the tier it reached and unit."""
    tiers = outcome.flow.tier_reached
    return {
        response.id: Mark(
            digest=digests[response.id],
            status=str(response.status),
            tier=tiers[response.id],
            unit_id=response.unit_id or response.superior_id,
        )
        for response in responses
    }


def remember(
    outcome: Outcome,
    responses: list[Response],
    marks: dict[str, Mark],
    written: Mapping[str, Mapping[str, Mapping[str, str]]],
    headers: Mapping[str, str],
    now: datetime,
) -> tuple[ReviewState, list[AuditEntry]]:
    """The state to keep after writing, and the audit entries of this round. `marks`: per
    initiative (`initiative_marks`); `written`: per unit, the digests of the sync-owned cells of
    each row of its initiatives sheet; `headers` names the columns for people."""
    by_id = {r.id: r for r in responses}
    state = next_state(outcome, by_id, written, marks)
    found = changes(outcome.previous, state, outcome.overwrites, headers, now)
    state.unplaced = unplaced_keys(outcome)
    return state, found + unplaced_entries(outcome, now)
