"""Reading the officers' review cells: what they typed, and what it means.

A review is a mapping of review column keys (`review.appraisal`, `review.score`, ...) to the cell
values as typed. The values are kept exactly as typed (so nothing an officer wrote is lost or
reformatted) and interpreted only when a rule needs them.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import yaml

from ..normalize import parse_money
from ..resources import data_text
from ..templates import Templates
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


# A number, then maybe a unit word: "80", "85,5", "80 điểm".
_SCORE_TEXT = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*(.*)$")

# What an officer should type instead, shown in BAD_REVIEW_VALUE (Vietnamese: it lands in sheets).
_EXPECTED = {
    APPRAISAL: "một trong các lựa chọn {choices}",
    SCORE: "một số từ {low:g} đến {high:g} (ví dụ 85 hoặc 85,5)",
    BENEFIT: "một số tiền bằng đồng, không âm (ví dụ 1.500.000 hoặc 1,5 triệu)",
}


@dataclass(frozen=True, slots=True)
class ReviewWords:
    """What the checked review cells may hold: the sheet templates' choices and range, plus the
    other spellings officers type (sync/data/review_spellings.yaml)."""

    appraisal: Mapping[str, frozenset[str]]  # key (pending, passed, failed) -> folded spellings
    choices: tuple[str, ...]  # the appraisal labels of the dropdown
    score_range: tuple[float, float]
    score_units: frozenset[str]  # folded words that may follow a score
    headers: Mapping[str, str]  # review column key -> its header in the sheet


@dataclass(frozen=True, slots=True)
class BadValue:
    """A checked review cell that does not hold what its column expects."""

    key: str
    column: str  # the header in the sheet
    typed: str
    expected: str  # Vietnamese, for the officer


def review_words(templates: Templates) -> ReviewWords:
    spellings = yaml.safe_load(data_text("review_spellings.yaml"))
    labels: Mapping[str, str] = templates.review.appraisal.model_dump()
    others = spellings["appraisal"]
    low, high = templates.validations["score"].decimal
    return ReviewWords(
        appraisal={
            key: frozenset(fold(text) for text in (label, *others.get(key, ())))
            for key, label in labels.items()
        },
        choices=templates.review.choices.appraisal,
        score_range=(float(low), float(high)),
        score_units=frozenset(fold(word) for word in spellings["score_units"]),
        headers={c.key: c.header for c in templates.sheets["initiatives"].columns if c.review},
    )


def read_score(value: Cell, words: ReviewWords) -> float | None:
    """The score typed, as a number; None when blank. Raises ValueError when it is not a number
    in the sheet's range ("150", "-5", "tám mươi")."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        match = _SCORE_TEXT.match(clean_text(value))
        if match is None or (match[2] and fold(match[2]) not in words.score_units):
            raise ValueError(value)
        number = float(match[1].replace(",", "."))
    low, high = words.score_range
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(value)
    return number


def read_benefit(value: Cell) -> int | None:
    """The confirmed benefit in đồng; None when blank. Raises ValueError when it is not money."""
    if value is None:
        return None
    amount = None if isinstance(value, bool) else parse_money(value)
    if amount is None:
        raise ValueError(value)
    return amount


def read_appraisal(value: Cell, words: ReviewWords) -> str | None:
    """The appraisal's key (pending, passed, failed); None when blank. Raises ValueError for a
    word that is none of them."""
    if value is None:
        return None
    typed = fold(str(value))
    found = next((key for key, spellings in words.appraisal.items() if typed in spellings), None)
    if found is None:
        raise ValueError(value)
    return found


def _expected(key: str, words: ReviewWords) -> str:
    low, high = words.score_range
    choices = ", ".join(f"«{label}»" for label in words.choices)
    return _EXPECTED[key].format(choices=choices, low=low, high=high)


def bad_values(review: Mapping[str, Cell], words: ReviewWords) -> list[BadValue]:
    """The checked cells (appraisal, score, benefit) that hold something their column does not
    expect, in column order."""
    readers = {
        APPRAISAL: lambda v: read_appraisal(v, words),
        SCORE: lambda v: read_score(v, words),
        BENEFIT: read_benefit,
    }
    found = []
    for key, read in readers.items():
        try:
            read(review.get(key))
        except ValueError:
            column = words.headers.get(key, key)
            found.append(BadValue(key, column, str(review[key]), _expected(key, words)))
    return found


def score(review: Mapping[str, Cell], words: ReviewWords) -> float | None:
    """The score as a number ("85,5" and "80 điểm" read as meant); None if blank or not valid."""
    try:
        return read_score(review.get(SCORE), words)
    except ValueError:
        return None


def benefit(review: Mapping[str, Cell]) -> int | None:
    try:
        return read_benefit(review.get(BENEFIT))
    except ValueError:
        return None


def appraisal(review: Mapping[str, Cell], words: ReviewWords) -> str | None:
    """The appraisal's key (pending, passed, failed), matched without case or diacritics, the
    dropdown's labels and their other spellings; None if blank or unknown."""
    try:
        return read_appraisal(review.get(APPRAISAL), words)
    except ValueError:
        return None


def canonical(value: Any) -> str:
    """One text per cell content, equal for what the sync wrote and what the reader returns
    (a date comes back as midnight, 2.0 as 2, a blank string as nothing)."""
    if isinstance(value, datetime):
        # Whole seconds, rounded: a workbook keeps milliseconds of what was written.
        moment = value.replace(tzinfo=None)
        if moment.microsecond:
            moment = (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
        return moment.isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat()
    cell = cell_value(value)
    return "" if cell is None else str(cell)


def fingerprint(value: Any) -> str:
    """A short digest of a cell, so the state remembers what was written without copying it.
    CRC-32 is enough to notice an edit (a chance collision only hides one edit of one cell) and
    several times cheaper than a cryptographic hash over millions of cells. The digest is that
    of `canonical(value)`; the common kinds take a shorter way to the same text."""
    kind = type(value)
    if kind is str:
        if len(value) > _REPEATED_TEXT_MAX:  # titles, descriptions: seldom repeat
            return text_fingerprint(value)
        return _short_text_fingerprint(value)  # names, units, blanks repeat across rows
    if kind is int:  # row numbers seldom repeat; `str` is `canonical` for a plain int
        return _crc(str(value))
    if value is None or kind is date:  # blanks; a campaign's dates repeat across rows
        return _day_fingerprint(value)
    return _crc(canonical(value))


# Texts longer than this are digested without the cache (see `fingerprint`).
_REPEATED_TEXT_MAX = 40


def text_fingerprint(text: str) -> str:
    """`fingerprint` of a text, without its cache: for texts that seldom repeat, where filling
    the cache costs more than the digest (a column of phone numbers: 2.5 times as long)."""
    return _crc(text if text.strip() else "")


_short_text_fingerprint = lru_cache(maxsize=1 << 16)(text_fingerprint)


@lru_cache(maxsize=1 << 12)
def _day_fingerprint(day: date | None) -> str:
    return _crc(canonical(day))


def _crc(text: str) -> str:
    return f"{zlib.crc32(text.encode('utf-8')):08x}"
