"""A1 notation: parsing ranges such as ``'Câu trả lời biểu mẫu 1'!A2:Z`` and writing them back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_CELL = re.compile(r"^(?P<col>[A-Za-z]{1,3})?(?P<row>[1-9][0-9]*)?$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]+[Cc][0-9]+)$")


class RangeParseError(ValueError):
    """The text is not an A1 range."""


@dataclass(frozen=True)
class Bounds:
    """Zero-based, half-open cell bounds; ``None`` ends are open (to the grid's edge)."""

    start_row: int = 0
    end_row: int | None = None
    start_col: int = 0
    end_col: int | None = None
    # A single-cell range like "A1" is an anchor: writes may extend from it.
    single_cell: bool = False

    def clamp(self, rows: int, cols: int) -> Bounds:
        end_row = rows if self.end_row is None else min(self.end_row, rows)
        end_col = cols if self.end_col is None else min(self.end_col, cols)
        return Bounds(self.start_row, end_row, self.start_col, end_col, self.single_cell)

    def exceeds(self, rows: int, cols: int) -> bool:
        """Whether explicitly given edges lie outside a grid of ``rows`` x ``cols``."""
        return (
            self.start_row >= rows
            or self.start_col >= cols
            or (self.end_row is not None and self.end_row > rows)
            or (self.end_col is not None and self.end_col > cols)
        )

    @property
    def row_count(self) -> int:
        return (self.end_row or self.start_row) - self.start_row

    @property
    def col_count(self) -> int:
        return (self.end_col or self.start_col) - self.start_col

    def contains(self, row: int, col: int) -> bool:
        return (
            self.start_row <= row
            and (self.end_row is None or row < self.end_row)
            and self.start_col <= col
            and (self.end_col is None or col < self.end_col)
        )


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """``"'It''s'!A1"`` -> ``("It's", "A1")``; ``"A1"`` -> ``(None, "A1")``."""
    text = text.strip()
    if text.startswith("'"):
        title_chars: list[str] = []
        position = 1
        while position < len(text):
            char = text[position]
            if char == "'":
                if text[position + 1 : position + 2] == "'":
                    title_chars.append("'")
                    position += 2
                    continue
                rest = text[position + 1 :]
                if rest == "":
                    return "".join(title_chars), None
                if rest.startswith("!"):
                    return "".join(title_chars), rest[1:]
                raise RangeParseError(text)
            title_chars.append(char)
            position += 1
        raise RangeParseError(text)
    title, bang, ref = text.rpartition("!")
    if bang:
        return title, ref
    return None, text


def parse_cells(ref: str) -> Bounds:
    """Parse the part after ``!``: ``A1``, ``A1:B2``, ``A:C``, ``2:5``, ``A2:Z`` ..."""
    start_text, colon, end_text = ref.partition(":")
    start = _CELL.match(start_text.strip())
    if not start or not (start["col"] or start["row"]):
        raise RangeParseError(ref)
    start_col = column_index(start["col"]) if start["col"] else None
    start_row = int(start["row"]) - 1 if start["row"] else None
    if not colon:
        if start_col is not None and start_row is not None:
            return Bounds(start_row, start_row + 1, start_col, start_col + 1, single_cell=True)
        raise RangeParseError(ref)  # "A" or "5" alone is not a valid range.
    end = _CELL.match(end_text.strip())
    if not end or not (end["col"] or end["row"]):
        raise RangeParseError(ref)
    end_col = column_index(end["col"]) + 1 if end["col"] else None
    end_row = int(end["row"]) if end["row"] else None
    start_row = start_row or 0
    start_col = start_col or 0
    # Google accepts reversed corners ("B2:A1") and normalises them.
    if end_row is not None and end_row <= start_row:
        start_row, end_row = end_row - 1, start_row + 1
    if end_col is not None and end_col <= start_col:
        start_col, end_col = end_col - 1, start_col + 1
    return Bounds(start_row, end_row, start_col, end_col)


def column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def quote_title(title: str) -> str:
    """Quote a sheet title the way Google writes it in ranges it returns."""
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, bounds: Bounds) -> str:
    """``Sheet1!A1:B2``; a one-cell range is written as ``Sheet1!A1``."""
    start = f"{column_letters(bounds.start_col)}{bounds.start_row + 1}"
    end_row = bounds.end_row if bounds.end_row is not None else bounds.start_row + 1
    end_col = bounds.end_col if bounds.end_col is not None else bounds.start_col + 1
    end = f"{column_letters(end_col - 1)}{end_row}"
    cells = start if start == end else f"{start}:{end}"
    return f"{quote_title(title)}!{cells}"


def grid_range_bounds(grid_range: dict[str, Any]) -> Bounds:
    """Bounds of a GridRange JSON object (missing indexes are unbounded)."""
    return Bounds(
        grid_range.get("startRowIndex") or 0,
        grid_range.get("endRowIndex"),
        grid_range.get("startColumnIndex") or 0,
        grid_range.get("endColumnIndex"),
    )


def bounds_grid_range(sheet_id: int, bounds: Bounds) -> dict[str, int]:
    grid_range = {"sheetId": sheet_id, "startRowIndex": bounds.start_row}
    if bounds.end_row is not None:
        grid_range["endRowIndex"] = bounds.end_row
    grid_range["startColumnIndex"] = bounds.start_col
    if bounds.end_col is not None:
        grid_range["endColumnIndex"] = bounds.end_col
    return grid_range
