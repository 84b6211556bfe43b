"""A1 cell notation, shared by the source readers (naming a column in a message, a cell found in
a workbook's XML) and the writers (formulas of highlights), without importing a workbook library
for two small conversions."""

from __future__ import annotations


def column_letter(index: int) -> str:
    """0 -> `A`, 27 -> `AB`."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_position(a1: str) -> tuple[int, int]:
    """`D20` -> (19, 3): the 0-based row and column of a relative A1 reference."""
    letters = "".join(ch for ch in a1 if ch.isalpha())
    column = 0
    for ch in letters.upper():
        column = column * 26 + ord(ch) - 64
    return int(a1[len(letters) :]) - 1, column - 1
