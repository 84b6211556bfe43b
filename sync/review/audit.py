"""What changed since the last sync, as audit-log entries (plain dicts, one JSON line each).

Computed from the previous and the new review state, so the local writer appends them to a
JSON-lines file and the Google writer can append the very same entries to a tab.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .settle import Overwrite
from .state import Entry, Mark, ReviewState

AUDIT_FILE = "audit-log.jsonl"

AuditEntry = dict[str, Any]


def _initiative_changes(initiative: str, before: Mark | None, after: Mark) -> list[AuditEntry]:
    base = {"unit": after.unit_id, "id": initiative}
    if before is None:
        return [{**base, "change": "new", "status": after.status}]
    found = []
    if before.digest != after.digest:
        found.append({**base, "change": "updated"})
    if before.status != after.status:
        found.append({**base, "change": "status", "from": before.status, "to": after.status})
    if before.tier != after.tier:
        found.append({**base, "change": "tier_reached", "from": before.tier, "to": after.tier})
    return found


_NO_ENTRY = Entry()  # read only


def _entry_changes(
    unit_id: str, initiative: str, before: Entry | None, after: Entry | None
) -> list[AuditEntry]:
    old, new = before or _NO_ENTRY, after or _NO_ENTRY
    if (old.review, old.nominated_at, old.archived_at) == (
        new.review,
        new.nominated_at,
        new.archived_at,
    ):
        return []  # most entries, every round: nothing of what is compared below changed
    base = {"unit": unit_id, "id": initiative}
    found = []
    edited = {
        key: [old.review.get(key), new.review.get(key)]
        for key in sorted(set(old.review) | set(new.review))
        if old.review.get(key) != new.review.get(key)
    }
    if edited:
        found.append({**base, "change": "review", "values": edited})
    if new.nominated_at and not old.nominated_at:
        found.append({**base, "change": "nominated", "seen": new.nominated_at})
    if old.nominated_at and not new.nominated_at:
        found.append({**base, "change": "nomination_withdrawn"})
    if new.archived_at and not old.archived_at:
        found.append({**base, "change": "archived"})
    if old.archived_at and after is not None and not new.archived_at:
        found.append({**base, "change": "restored"})
    return found


def changes(
    previous: ReviewState,
    current: ReviewState,
    overwrites: list[Overwrite],
    headers: Mapping[str, str],
    now: datetime,
) -> list[AuditEntry]:
    """Every change, each stamped with the sync's time; `headers` names columns for people."""
    found: list[AuditEntry] = []
    if previous.unreadable:
        found.append({"change": "state_rebuilt", "reason": previous.unreadable})
    for initiative, mark in current.initiatives.items():
        found.extend(_initiative_changes(initiative, previous.initiatives.get(initiative), mark))
    for initiative, mark in previous.initiatives.items():
        if initiative not in current.initiatives:
            found.append({"unit": mark.unit_id, "id": initiative, "change": "removed"})
    for unit_id in sorted(set(previous.units) | set(current.units)):
        before, after = previous.unit(unit_id), current.unit(unit_id)
        for initiative in sorted(set(before) | set(after)):
            found.extend(
                _entry_changes(unit_id, initiative, before.get(initiative), after.get(initiative))
            )
    for edit in overwrites:
        found.append(
            {
                "unit": edit.unit_id,
                "id": edit.initiative,
                "change": "overwritten",
                "column": headers.get(edit.column, edit.column),
                "value": edit.value,
            }
        )
    stamp = now.isoformat(timespec="seconds")
    return [{"time": stamp, **entry} for entry in found]
