"""Protected ranges refuse cell edits by principals who are not among their editors.

Google's answer is a 400 whatever the method (values.update, values.append, batchUpdate's
updateCells...); the owner of the spreadsheet is always an editor.
"""

from __future__ import annotations

from typing import Any

from .a1 import Bounds, grid_range_bounds
from .errors import ApiError, invalid_argument
from .store import Cell, Spreadsheet, Store

PROTECTED_MESSAGE = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner "
    "to remove protection if you need to edit."
)

Snapshot = dict[int, dict[tuple[int, int], Cell]]


class ProtectedCellError(Exception):
    """Raised inside a batchUpdate; the handler answers it with :func:`protected_error`."""


def protected_error() -> ApiError:
    return invalid_argument(PROTECTED_MESSAGE)


def snapshot(store: Store, spreadsheet: Spreadsheet, account: str) -> Snapshot | None:
    """The cells of sheets with protections ``account`` is bound by; None when there are none."""
    if not store.strict or _is_owner(store, spreadsheet, account):
        return None
    cells = {
        sheet.sheet_id: dict(sheet.grid.cells)
        for sheet in spreadsheet.sheets
        if any(_binds(p, account) for p in sheet.protected_ranges)
    }
    return cells or None


def check_unchanged(before: Snapshot | None, spreadsheet: Spreadsheet, account: str) -> None:
    """Raise :class:`ProtectedCellError` if a cell inside a protection binding ``account``
    changed."""
    if before is None:
        return
    for sheet in spreadsheet.sheets:
        old = before.get(sheet.sheet_id)
        if old is None:
            continue
        new = sheet.grid.cells
        changed = {k for k in old.keys() | new.keys() if old.get(k) is not new.get(k)}
        changed = {k for k in changed if old.get(k) != new.get(k)}
        if not changed:
            continue
        for protected in sheet.protected_ranges:
            if _binds(protected, account) and any(
                _covers(spreadsheet, protected, key) for key in changed
            ):
                raise ProtectedCellError()


def _is_owner(store: Store, spreadsheet: Spreadsheet, account: str) -> bool:
    file = store.files.get(spreadsheet.spreadsheet_id)
    return file is None or (file.drive_id is None and file.owner.lower() == account.lower())


def _binds(protected: dict[str, Any], account: str) -> bool:
    if protected.get("warningOnly"):
        return False
    editors = protected.get("editors") or {}
    users = {user.lower() for user in editors.get("users") or []}
    return account.lower() not in users and not editors.get("domainUsersCanEdit")


def _covers(spreadsheet: Spreadsheet, protected: dict[str, Any], key: tuple[int, int]) -> bool:
    bounds = _protected_bounds(spreadsheet, protected)
    if bounds is None or not bounds.contains(*key):
        return False
    return not any(
        grid_range_bounds(free).contains(*key) for free in protected.get("unprotectedRanges") or []
    )


def _protected_bounds(spreadsheet: Spreadsheet, protected: dict[str, Any]) -> Bounds | None:
    grid_range = protected.get("range")
    if grid_range is None and protected.get("namedRangeId"):
        named = next(
            (
                n
                for n in spreadsheet.named_ranges
                if n.get("namedRangeId") == protected["namedRangeId"]
            ),
            None,
        )
        grid_range = named.get("range") if named else None
    return None if grid_range is None else grid_range_bounds(grid_range)
