"""Reading the officers' review cells: what they typed, and what it means.

A review is a mapping of review column keys (`review.appraisal`, `review.score`, ...) to the cell
values as typed. The values are kept exactly as typed (so nothing an officer wrote is lost or
reformatted) and interpreted only when a rule needs them.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..text import clean_text, fold

Cell = str | int | float | bool | None
Review = dict[str, Cell]  # review column key -> value as typed

APPRAISAL = "review.appraisal"
SCORE = "review.score"
BENEFIT = "review.benefit"
NOMINATED = "review.nominated"
COMPLAINT = "review.complaint"
DISPUTE = "review.dispute"


def cell_value(value: Any) -> Cell:
    """A read-back cell as a JSON-friendly value: blanks become None, dates become ISO text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def is_blank(review: Mapping[str, Cell]) -> bool:
    return all(v is None for v in review.values())


def ticked(review: Mapping[str, Cell], key: str, marks: frozenset[str]) -> bool:
    """Whether a checkbox cell is ticked: TRUE, 1 or any configured mark such as "x"."""
    value = review.get(key)
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return fold(str(value)) in marks or str(value).strip() in marks


def score(review: Mapping[str, Cell]) -> float | None:
    """The score as a number, accepting a Vietnamese decimal comma ("85,5")."""
    value = review.get(SCORE)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(clean_text(value).replace(",", "."))
    except ValueError:
        return None


def appraisal(review: Mapping[str, Cell], choices: Mapping[str, str]) -> str | None:
    """The appraisal's key (pending, passed, failed), matched without case or diacritics."""
    value = review.get(APPRAISAL)
    if value is None:
        return None
    typed = fold(str(value))
    return next((key for key, label in choices.items() if fold(label) == typed), None)


def canonical(value: Any) -> str:
    """One text per cell content, equal for what the sync wrote and what the reader returns
    (a date comes back as midnight, 2.0 as 2, a blank string as nothing)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat()
    cell = cell_value(value)
    return "" if cell is None else str(cell)


def fingerprint(value: Any) -> str:
    """A short digest of a cell, so the state remembers what was written without copying it.
    CRC-32 is enough to notice an edit (a chance collision only hides one edit of one cell) and
    several times cheaper than a cryptographic hash over millions of cells."""
    return f"{zlib.crc32(canonical(value).encode('utf-8')):08x}"
