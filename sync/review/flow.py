"""The upward flow: which initiatives each unit's sheet lists, and which nominations pass up.

A grassroots union lists its own initiatives. A nomination that breaks no rule passes to the
unit's parent (district/sector/civil-servants union, or the province for grassroots unions
directly under it), whose sheet then lists it; the province's nominations form the list for the
Confederation. Rules at nomination (D8, D11, D13, D14):

- BAD_REVIEW_VALUE: an appraisal, score or confirmed benefit the sync cannot read as meant (a
  score outside the sheet's range, an unknown appraisal word, a benefit that is not money) is
  flagged on every row the unit lists; such a nomination does not pass up and takes no quota
  place until the value is fixed;
- NOT_ELIGIBLE: the row is invalid or a duplicate, or the unit ticked complaint or dispute;
- DOSSIER_LATE: the nomination was first seen on or after the dossier due date (nominations
  made by the province itself are not checked: the due date is for dossiers reaching it);
- QUOTA_EXCEEDED: among the remaining nominations, those beyond the unit's quota when ranked by
  score (highest first, blank last), then first seen (earliest first), then id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from ..models import Response, Status, Violation
from ..orgtree import OrgTree, Unit
from ..rules.codes import code
from .values import (
    COMPLAINT,
    DISPUTE,
    NOMINATED,
    Review,
    ReviewWords,
    bad_values,
    is_blank,
    score,
    ticked,
)

Key = tuple[str, str]  # (unit id, initiative id)


@dataclass(frozen=True, slots=True)
class Rules:
    due: date  # campaign.dossier_due
    marks: frozenset[str]  # what counts as a ticked box
    reasons: Mapping[str, str]  # Vietnamese reasons of NOT_ELIGIBLE, by key
    words: ReviewWords  # what the checked review cells may hold


@dataclass(slots=True)
class Flow:
    listed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    nominated_by: dict[Key, str] = field(default_factory=dict)  # who passed it to this unit
    nominated_at: dict[Key, datetime] = field(default_factory=dict)  # first seen, per nominator
    passed: set[Key] = field(default_factory=set)  # nominations that went up
    codes: dict[Key, list[Violation]] = field(default_factory=lambda: defaultdict(list))
    national: list[str] = field(default_factory=list)
    tier_reached: dict[str, str] = field(default_factory=dict)


def _ineligible(response: Response, review: Review, rules: Rules) -> str | None:
    if response.status is Status.INVALID:
        return rules.reasons["invalid"]
    if response.status is Status.DUPLICATE:
        return rules.reasons["duplicate"]
    reasons = [
        rules.reasons[name]
        for name, key in (("complaint", COMPLAINT), ("dispute", DISPUTE))
        if ticked(review, key, rules.marks)
    ]
    return "; ".join(reasons) or None


def _rank(review: Review, seen: datetime, initiative: str, words: ReviewWords) -> tuple:
    value = score(review, words)
    return (value is None, -(value or 0.0), seen, initiative)


def _judge(unit: Unit, nominees: list[str], flow: Flow, context: _Context) -> list[str]:
    """Attach the review codes of the unit's nominations; return those that pass up."""
    reviews = context.reviews.get(unit.id, {})
    unreadable = _flag_bad_values(unit, flow, context)
    eligible = []
    for initiative in nominees:
        if initiative in unreadable:  # still a nomination (first seen now), but not ranked
            continue
        review = reviews.get(initiative, {})
        seen = flow.nominated_at[(unit.id, initiative)]
        reason = _ineligible(context.responses[initiative], review, context.rules)
        if reason is not None:
            violation = code("NOT_ELIGIBLE").violation(unit=unit.name, reason=reason)
            flow.codes[(unit.id, initiative)].append(violation)
        elif unit.parent_id is not None and seen.date() >= context.rules.due:
            violation = code("DOSSIER_LATE").violation(
                unit=unit.name,
                seen=seen.strftime("%d/%m/%Y %H:%M"),
                due=context.rules.due.strftime("%d/%m/%Y"),
                raw_value=seen.isoformat(timespec="seconds"),
            )
            flow.codes[(unit.id, initiative)].append(violation)
        else:
            eligible.append(initiative)
    words = context.rules.words
    eligible.sort(
        key=lambda i: _rank(reviews.get(i, {}), flow.nominated_at[(unit.id, i)], i, words)
    )
    quota = len(eligible) if unit.quota is None else unit.quota
    for rank, initiative in enumerate(eligible[quota:], start=quota + 1):
        violation = code("QUOTA_EXCEEDED").violation(
            unit=unit.name, count=len(eligible), quota=quota, rank=rank
        )
        flow.codes[(unit.id, initiative)].append(violation)
    return eligible[:quota]


@dataclass(frozen=True, slots=True)
class _Context:
    responses: Mapping[str, Response]
    reviews: Mapping[str, Mapping[str, Review]]
    rules: Rules


def run_flow(
    tree: OrgTree,
    responses: list[Response],
    reviews: Mapping[str, Mapping[str, Review]],
    first_seen: Mapping[Key, datetime],
    now: datetime,
    rules: Rules,
) -> Flow:
    """Walk the tree from the deepest units up, so every unit's list is complete before its
    own nominations are judged."""
    context = _Context({r.id: r for r in responses}, reviews, rules)
    flow = Flow()
    for response in responses:
        if response.unit_id is not None and tree[response.unit_id].kind == "grassroots":
            flow.listed[response.unit_id].append(response.id)
    for unit in sorted(tree, key=lambda u: -tree.depth(u.id)):
        unit_reviews = reviews.get(unit.id, {})  # none: nothing typed, nothing nominated
        nominees = [
            i
            for i in (flow.listed.get(unit.id, []) if unit_reviews else [])
            if ticked(unit_reviews.get(i, {}), NOMINATED, rules.marks)
        ]
        for initiative in nominees:
            flow.nominated_at[(unit.id, initiative)] = first_seen.get((unit.id, initiative), now)
        for initiative in _judge(unit, nominees, flow, context):
            flow.passed.add((unit.id, initiative))
            if unit.parent_id is None:
                flow.national.append(initiative)
            else:
                flow.listed[unit.parent_id].append(initiative)
                flow.nominated_by[(unit.parent_id, initiative)] = unit.id
    flow.tier_reached = _tiers(tree, responses, flow)
    return flow


def _flag_bad_values(unit: Unit, flow: Flow, context: _Context) -> set[str]:
    """Attach BAD_REVIEW_VALUE to the unit's listed initiatives whose checked review cells hold
    what their column does not expect; return those initiatives."""
    reviews = context.reviews.get(unit.id, {})
    flagged: set[str] = set()
    for initiative in flow.listed.get(unit.id, []):
        review = reviews.get(initiative)
        if not review or is_blank(review):
            continue
        for bad in bad_values(review, context.rules.words):
            violation = code("BAD_REVIEW_VALUE").violation(
                field=bad.key,
                raw_value=bad.typed,
                unit=unit.name,
                column=bad.column,
                value=bad.typed,
                expected=bad.expected,
            )
            flow.codes[(unit.id, initiative)].append(violation)
            flagged.add(initiative)
    return flagged


def _tiers(tree: OrgTree, responses: list[Response], flow: Flow) -> dict[str, str]:
    reached = {r.id: "grassroots" for r in responses}
    for unit_id, initiatives in flow.listed.items():
        tier = tree[unit_id].tier
        if tier == "grassroots":
            continue
        for initiative in initiatives:
            if tier == "province" or reached[initiative] == "grassroots":
                reached[initiative] = tier
    for initiative in flow.national:
        reached[initiative] = "national"
    return reached
