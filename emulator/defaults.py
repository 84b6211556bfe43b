"""Google's JSON leaves out fields holding their proto3 default (0, false, empty lists).

Not every field: those with presence (``startRowIndex``, ``sheetId`` of a sheet's
properties, ``bold``...) are sent even when zero or false, as the recorded gspread sessions
show. These are the ones the recordings show left out.
"""

from __future__ import annotations

from typing import Any

_GRID_RANGE_KEYS = frozenset(
    {"sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex"}
)
_OMITTED_WHEN_ZERO = frozenset({"frozenRowCount", "frozenColumnCount"})
_OMITTED_WHEN_FALSE = frozenset(
    {"warningOnly", "hidden", "hideGridlines", "rightToLeft", "isPublished", "isAcceptingResponses"}
)
_OMITTED_WHEN_EMPTY = frozenset({"users", "groups"})


def omit_defaults(value: Any) -> Any:
    """A copy of a Sheets or Forms answer without the default-valued fields Google leaves out."""
    if isinstance(value, list):
        return [omit_defaults(item) for item in value]
    if not isinstance(value, dict):
        return value
    grid_range = value.keys() <= _GRID_RANGE_KEYS
    return {
        key: omit_defaults(item)
        for key, item in value.items()
        if not _omitted(key, item, grid_range)
    }


def _omitted(key: str, item: Any, grid_range: bool) -> bool:
    if item is False:
        return key in _OMITTED_WHEN_FALSE
    if item == 0 and isinstance(item, int):
        return key in _OMITTED_WHEN_ZERO or (grid_range and key == "sheetId")
    return item == [] and key in _OMITTED_WHEN_EMPTY
