"""Turn a sheet-shaped table (a header row and value rows), from whatever reader, into RawRows.

Every source kind ends here, so header matching and row numbering behave the same for a local
file and a Google sheet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import SourceError
from ..models import RawRow
from ..templates import FormLayout
from ..text import fold


@dataclass(frozen=True, slots=True)
class SourceTable:
    name: str
    kind: str
    location: str
    locale: str  # "vi" or "en": how the sheet writes m/d vs d/m
    rows: list[RawRow]
    headers: tuple[str, ...]


def header_key(text: object) -> str:
    """Headers match ignoring case, spacing, punctuation and diacritics."""
    return fold(str(text or "")).replace(" ", "")


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


@dataclass(frozen=True, slots=True)
class HeaderMap:
    fields: dict[int, str]  # column index -> canonical field
    extras: dict[int, str]  # column index -> the officer's own header
    id_index: int | None
    locale: str


def map_headers(
    headers: Sequence[Any],
    form: FormLayout,
    aliases: Mapping[str, Sequence[str]],
    id_column: str,
    locale: str,
    source: str,
) -> HeaderMap:
    known: dict[str, str] = {}
    for question in form.questions:
        for text in (question.vi, question.en, *aliases.get(question.key, ())):
            known.setdefault(header_key(text), question.key)
    fields: dict[int, str] = {}
    extras: dict[int, str] = {}
    id_index = None
    for index, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        if key == header_key(id_column):
            id_index = index
        elif key in known and known[key] not in fields.values():
            fields[index] = known[key]
        else:
            extras[index] = str(header).strip()
    missing = [q for q in form.questions if q.required and q.key not in fields.values()]
    if missing:
        found = ", ".join(f"«{str(h).strip()}»" for h in headers if not _is_blank(h)) or "none"
        wanted = ", ".join(f"«{q.vi}»" for q in missing)
        raise SourceError(
            f"source {source!r}: missing required column(s) {wanted}; columns found: {found}"
        )
    if locale == "auto":
        timestamp_index = next(i for i, f in fields.items() if f == "timestamp")
        english = header_key(headers[timestamp_index]) == header_key(form.question("timestamp").en)
        locale = "en" if english else "vi"
    return HeaderMap(fields, extras, id_index, locale)


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
) -> SourceTable:
    """`table[0]` is the header row (sheet row 1); blank rows are skipped but keep numbering."""
    if not table:
        raise SourceError(f"source {name!r} ({location}): the sheet is empty, no header row")
    headers = list(table[0])
    mapping = map_headers(headers, form, aliases, id_column, locale, name)
    rows: list[RawRow] = []
    for offset, values in enumerate(table[1:]):
        if all(_is_blank(v) for v in values):
            continue
        width = len(values)
        cells = {f: (values[i] if i < width else None) for i, f in mapping.fields.items()}
        extra = {
            h: values[i]
            for i, h in mapping.extras.items()
            if i < width and not _is_blank(values[i])
        }
        given = None
        if mapping.id_index is not None and mapping.id_index < width:
            value = values[mapping.id_index]
            given = None if _is_blank(value) else str(value).strip()
        rows.append(RawRow(source=name, row=offset + 2, cells=cells, extra=extra, given_id=given))
    return SourceTable(
        name=name,
        kind=kind,
        location=location,
        locale=mapping.locale,
        rows=rows,
        headers=tuple("" if h is None else str(h) for h in headers),
    )
