"""Turn a sheet-shaped table (a header row and value rows), from whatever reader, into RawRows.

Every source kind ends here, so header matching and row numbering behave the same for a local
file and a Google sheet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from operator import itemgetter
from typing import Any

from ..a1 import column_letter
from ..models import NO_EXTRA, FieldValues, RawRow
from ..normalize import date_order
from ..templates import FormLayout
from ..text import fold
from .messages import name_list, refuse, where


@dataclass(frozen=True, slots=True)
class SourceTable:
    name: str
    kind: str
    location: str
    locale: str  # "vi" or "en": how the sheet writes m/d vs d/m
    rows: list[RawRow]
    headers: tuple[str, ...]
    sheet: str = ""  # the worksheet read, for workbooks
    notes: tuple[str, ...] = ()  # what the officer should know: columns kept, sheet chosen


def header_key(text: object) -> str:
    """Headers match ignoring case, spacing, punctuation and diacritics."""
    return fold(str(text or "")).replace(" ", "")


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def known_headers(form: FormLayout, aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Folded header -> the question it answers."""
    known: dict[str, str] = {}
    for question in form.questions:
        for text in (question.vi, question.en, *aliases.get(question.key, ())):
            known.setdefault(header_key(text), question.key)
    return known


def header_score(headers: Sequence[Any], known: Mapping[str, str]) -> int:
    """How many of the form's questions a header row answers."""
    return len({known[key] for h in headers if (key := header_key(h)) in known})


@dataclass(frozen=True, slots=True)
class HeaderMap:
    fields: dict[int, str]  # column index -> canonical field
    extras: dict[int, str]  # column index -> the officer's own header
    id_index: int | None


def _chosen_index(choice: str, headers: Sequence[Any]) -> int | None:
    letters = [column_letter(i) for i in range(len(headers))]
    if choice.strip().upper() in letters:
        return letters.index(choice.strip().upper())
    texts = [str(h or "").strip() for h in headers]
    return texts.index(choice.strip()) if choice.strip() in texts else None


def _field_columns(
    headers: Sequence[Any], known: Mapping[str, str], choices: Mapping[str, str], location: str
) -> dict[int, str]:
    """Column index -> field; two columns answering one question must be settled by config."""
    found: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if (key := header_key(header)) in known:
            found.setdefault(known[key], []).append(index)
    fields: dict[int, str] = {}
    for field, indexes in found.items():
        if field in choices:
            chosen = _chosen_index(choices[field], headers)
            if chosen is None or chosen not in indexes:
                raise refuse(location, f"`columns: {field}: {choices[field]}` names no column "
                             f"answering that question; use one of the letters "
                             f"{', '.join(column_letter(i) for i in indexes)}")  # fmt: skip
            indexes = [chosen]
        if len(indexes) > 1:
            first, second = indexes[:2]
            raise refuse(
                location,
                f"columns {column_letter(first)} «{str(headers[first]).strip()[:60]}» and "
                f"{column_letter(second)} «{str(headers[second]).strip()[:60]}» both answer "
                f"the same question; delete one or choose with `columns: {{{field}: "
                f"{column_letter(second)}}}` in the source's config",
            )
        fields[indexes[0]] = field
    return fields


def map_headers(
    headers: Sequence[Any],
    form: FormLayout,
    aliases: Mapping[str, Sequence[str]],
    id_column: str,
    location: str,
    choices: Mapping[str, str] | None = None,
) -> HeaderMap:
    known = known_headers(form, aliases)
    if unknown := sorted(set(choices or {}) - {q.key for q in form.questions}):
        keys = name_list([q.key for q in form.questions], limit=20, budget=150)
        raise refuse(location, f"`columns` names unknown field(s) {name_list(unknown)}; "
                     f"fields are {keys}")  # fmt: skip
    id_key = header_key(id_column)
    id_index = next((i for i, h in enumerate(headers) if header_key(h) == id_key), None)
    fields = _field_columns(headers, known, choices or {}, location)
    extras: dict[int, str] = {}
    for index, header in enumerate(headers):
        if index in fields or index == id_index or not header_key(header):
            continue
        name = str(header).strip()
        # Two officer columns under one header both stay, the second named by its letter too.
        extras[index] = (
            name if name not in extras.values() else f"{name} (Cột {column_letter(index)})"
        )
    missing = [q for q in form.questions if q.required and q.key not in fields.values()]
    if missing:
        found = name_list([h for h in headers if not _is_blank(h)], budget=60)
        raise refuse(
            location,
            f"missing required column(s) {name_list([q.vi for q in missing], budget=50)}; "
            f"columns found: {found}",
        )
    return HeaderMap(fields, extras, id_index)


def _resolve_locale(locale: str, mapping: HeaderMap, headers: Sequence[Any],
                    rows: Sequence[Sequence[Any]], form: FormLayout) -> str:  # fmt: skip
    """The source's date order: configured, else told by its timestamps, else by the header's
    language (Google writes "Timestamp" for an English sheet)."""
    if locale != "auto":
        return locale
    index = next(i for i, f in mapping.fields.items() if f == "timestamp")
    told = date_order(values[index] for values in rows if index < len(values))
    if told:
        return told
    english = header_key(headers[index]) == header_key(form.question("timestamp").en)
    return "en" if english else "vi"


def _blank_header_columns(
    headers: Sequence[Any], rows: Sequence[Sequence[Any]], mapping: HeaderMap
) -> dict[int, str]:
    """Columns without a header that hold data: officers' marks, kept under their letter."""
    width = max((len(values) for values in rows), default=0)
    blank = [i for i in range(width) if i >= len(headers) or not header_key(headers[i])]
    return {
        i: f"Cột {column_letter(i)}"
        for i in blank
        if i != mapping.id_index and any(i < len(v) and not _is_blank(v[i]) for v in rows)
    }


class SharedTexts:
    """One str object per distinct text of a column. Readers make a new object for every cell,
    so a choice, a unit's name or a gender would otherwise be held once per row (at a hundred
    thousand rows, over a quarter of the rows' memory). A column whose first rows hardly repeat
    a text (timestamps, descriptions) is left alone after them: remembering every one of its
    texts would cost time and memory for nothing. Only exact `str` is shared: 1, 1.0 and
    True are equal keys of a dict, and an Uncalculated "" must stay what it is."""

    __slots__ = ("_columns", "_rows")

    def __init__(self) -> None:
        self._columns: list[dict[str, str] | None] = []
        self._rows = 0

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
        """The rows' values, each text replaced by the first equal text of its column. Worked a
        column at a time: a column of texts alone (most of them) in one call to C, where a
        step per cell cost a third of a second at a hundred thousand rows."""
        if self._rows < _SAMPLE_ROWS < self._rows + len(rows):
            cut = _SAMPLE_ROWS - self._rows
            return self.rows(rows[:cut]) + self.rows(rows[cut:])
        lengths = list(map(len, rows))
        width = max(lengths, default=0)
        if not width:
            return [[] for _ in rows]
        if width > len(self._columns):
            self._columns.extend({} for _ in range(width - len(self._columns)))
        uneven = any(length != width for length in lengths)
        columns = zip_longest(*rows) if uneven else zip(*rows, strict=True)
        shared = list(map(_shared_column, columns, self._columns))
        self._rows += len(rows)
        if self._rows == _SAMPLE_ROWS:
            self._columns = [
                None if seen is None or len(seen) > _SAMPLE_ROWS * _NEARLY_ALL else seen
                for seen in self._columns
            ]
        table = list(map(list, zip(*shared, strict=True)))
        if uneven:  # each row as long as it came: the blanks zip_longest added dropped
            return [row[:length] for row, length in zip(table, lengths, strict=True)]
        return table


def _shared_column(values: Sequence[Any], seen: dict[str, str] | None) -> Sequence[Any]:
    """A column's values, each text the first equal one in `seen` (None: left as they are)."""
    if seen is None:
        return values
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(map(seen.setdefault, values, values))
    if str not in kinds:
        return values
    return [seen.setdefault(value, value) if type(value) is str else value for value in values]


# A column is judged on its first rows: left alone after them if nearly all their texts differ.
_SAMPLE_ROWS = 1000
_NEARLY_ALL = 0.9


def _picker(indexes: tuple[int, ...]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """The values at these indexes of a row, always as a tuple (itemgetter of one index is not)."""
    if len(indexes) < 2:
        return lambda values: tuple(values[i] for i in indexes)
    return itemgetter(*indexes)


def _raw_rows(
    name: str, body: Sequence[Sequence[Any]], mapping: HeaderMap, extras: Mapping[int, str]
) -> list[RawRow]:
    """The non-blank rows, numbered as in the sheet (the header is row 1)."""
    rows: list[RawRow] = []
    positions = {name: place for place, name in enumerate(mapping.fields.values())}
    pick = _picker(tuple(mapping.fields))
    full_width = max(mapping.fields, default=-1) + 1
    for offset, values in enumerate(body):
        if all(map(_is_blank, values)):
            continue
        width = len(values)
        # A short row (trailing blank cells left out by the reader) is padded with blanks.
        padded = values if width >= full_width else [*values, *[None] * (full_width - width)]
        cells = FieldValues(positions, pick(padded))
        extra = (
            {h: values[i] for i, h in extras.items() if i < width and not _is_blank(values[i])}
            if extras
            else NO_EXTRA
        )
        given = None
        if mapping.id_index is not None and mapping.id_index < width:
            value = values[mapping.id_index]
            given = None if _is_blank(value) else str(value).strip()
        rows.append(RawRow(source=name, row=offset + 2, cells=cells, extra=extra, given_id=given))
    return rows


def build_table(
    *,
    name: str,
    kind: str,
    location: str,
    table: Sequence[Sequence[Any]],
    form: FormLayout,
    aliases: Mapping[str, Sequence[str]],
    id_column: str,
    locale: str,
    sheet: str = "",
    choices: Mapping[str, str] | None = None,
    shared: bool = False,
) -> SourceTable:
    """`table[0]` is the header row (sheet row 1); blank rows are skipped but keep numbering.
    `shared`: the reader already gave each repeated text as one object (see SharedTexts)."""
    place = f"source {name!r} ({where(location, sheet or None)})"
    if not table:
        raise refuse(place, "the sheet is empty, no header row")
    headers, body = list(table[0]), table[1:]
    if not shared:
        body = SharedTexts().rows(body)
    mapping = map_headers(headers, form, aliases, id_column, place, choices)
    unnamed = _blank_header_columns(headers, body, mapping)
    extras = {**mapping.extras, **unnamed}
    rows = _raw_rows(name, body, mapping, extras)
    notes = ()
    if unnamed:
        notes = (f"{place}: columns without a header kept as officers' columns: "
                 f"{name_list(list(unnamed.values()))}",)  # fmt: skip
    return SourceTable(
        name=name,
        kind=kind,
        location=location,
        locale=_resolve_locale(locale, mapping, headers, body, form),
        rows=rows,
        headers=tuple("" if h is None else str(h) for h in headers),
        sheet=sheet,
        notes=notes,
    )
