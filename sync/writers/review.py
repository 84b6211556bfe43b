"""The review round as both writers run it: settle the reviews read back from a unit's sheets,
attach the review codes to the report, then remember what was written and log the changes.

Only reading the sheets and writing the rows differ between the local and the Google writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..config import Settings
from ..report import Report
from ..review.audit import AuditEntry, changes
from ..review.flow import Rules
from ..review.settle import ReadBack, next_state, settle
from ..review.state import Mark, ReviewState, cell_digests
from ..review.values import (
    COMPLAINT,
    DISPUTE,
    NOMINATED,
    Review,
    appraisal,
    fingerprint,
    score,
    ticked,
)
from ..tally import tally
from ..templates import Templates
from .records import Renderer, Sheet


def review_rules(settings: Settings, templates: Templates) -> Rules:
    words = templates.review
    return Rules(
        due=settings.campaign.dossier_due,
        marks=frozenset(words["ticked"]),
        reasons=dict(words["not_eligible"]),
    )


def _summary(review: Review, templates: Templates, marks: frozenset[str]) -> dict[str, Any]:
    return {
        "appraisal": appraisal(review, templates.review["appraisal"]),
        "score": score(review),
        "nominated": ticked(review, NOMINATED, marks),
        "complaint": ticked(review, COMPLAINT, marks),
        "dispute": ticked(review, DISPUTE, marks),
    }


def apply_review(
    report: Report,
    settings: Settings,
    templates: Templates,
    previous: ReviewState,
    readbacks: Mapping[str, ReadBack | None],
) -> None:
    """Settle the round at the report's time; review codes join the responses' violations
    (and so the sheets, the tallies and the JSON) exactly like intake codes."""
    rules = review_rules(settings, templates)
    keys = templates.sheets["initiatives"].review_keys()
    outcome = settle(
        report.tree, report.responses, previous, readbacks, keys, report.generated_at, rules
    )
    report.review = outcome
    by_id = report.by_id
    for (_, initiative), violations in outcome.flow.codes.items():
        by_id[initiative].violations.extend(violations)
    report.tallies = tally(report.responses, report.tree)
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for unit_id, initiatives in outcome.flow.listed.items():
        reviews = outcome.reviews.get(unit_id, {})
        for initiative in initiatives:
            entry = _summary(reviews.get(initiative, {}), templates, rules.marks)
            summary.setdefault(initiative, {})[unit_id] = entry
    report.review_summary = summary


def sheet_digests(sheet: Sheet) -> dict[str, dict[str, str]]:
    """Per listed initiative, digests of the sync-owned cells as written."""
    position = sheet.layout.column_keys().index("id")
    return {str(row[position]): cell_digests(sheet.layout, row) for row in sheet.rows}


def _marks(report: Report, renderer: Renderer) -> dict[str, Mark]:
    assert report.review is not None
    tiers = report.review.flow.tier_reached
    marks = {}
    for response in report.responses:
        values = renderer.initiative_values[response.id]
        content = "\x1f".join(fingerprint(values[k]) for k in sorted(values) if k != "problems")
        marks[response.id] = Mark(
            digest=fingerprint(content),
            status=str(response.status),
            tier=tiers[response.id],
            unit_id=response.unit_id or response.superior_id,
        )
    return marks


def remember(
    report: Report,
    renderer: Renderer,
    previous: ReviewState,
    written: Mapping[str, Sheet],
    now: datetime,
) -> tuple[ReviewState, list[AuditEntry]]:
    """The state to keep after writing `written` (each unit's initiatives sheet), and the audit
    entries of this round."""
    assert report.review is not None
    digests = {unit_id: sheet_digests(sheet) for unit_id, sheet in written.items()}
    state = next_state(report.review, report.by_id, digests, _marks(report, renderer))
    headers = {c.key: c.header for c in renderer.layouts["initiatives"].columns}
    return state, changes(previous, state, report.review.overwrites, headers, now)
