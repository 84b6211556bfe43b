"""The plain data that flows through the pipeline.

Stages hand these objects to each other; none of them does I/O.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field
from dataclasses import field as _default  # `field` is also a Response attribute (lĩnh vực)
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

# Canonical names of the form's questions, in form order. Sources map the sheet's headers onto
# these; everything downstream speaks only these names.
FIELDS: tuple[str, ...] = (
    "timestamp",
    "full_name",
    "birth_year",
    "gender",
    "phone",
    "email",
    "position",
    "superior_unit",
    "grassroots_unit",
    "sector",
    "field",
    "title",
    "description",
    "start_date",
    "benefit",
    "coauthors",
)


# The officers' own cells of a row that has none: one read-only mapping shared by every such row,
# not an empty dict each (a million of them are some 60 MB).
NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


class FieldValues(Mapping[str, Any]):
    """A row's cells by field name: its values as one tuple, in the order of the names in
    `positions`, one dict shared by every row of a source. A dict per row holds a table of its
    own: three times the memory, a quarter of a gigabyte at a million rows."""

    __slots__ = ("_positions", "_values")

    def __init__(self, positions: Mapping[str, int], values: tuple[Any, ...]):
        self._positions = positions  # name -> place in `values`, in the order of `values`
        self._values = values

    def __getitem__(self, name: str) -> Any:
        return self._values[self._positions[name]]

    def get(self, name: str, default: Any = None) -> Any:
        place = self._positions.get(name)
        return default if place is None else self._values[place]

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._values)

    def values(self) -> ValuesView[Any]:
        return _Values(self)

    def items(self) -> ItemsView[str, Any]:
        return _Items(self)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    @staticmethod
    def columns(
        rows: Sequence[Mapping[str, Any]], names: Iterable[str]
    ) -> dict[str, Sequence[Any]]:
        """Each named column of the rows, None where a row lacks the name. Rows sharing one
        table of names (a source's) are turned into columns at once, not a lookup a cell."""
        first = rows[0] if rows else None
        if not isinstance(first, FieldValues) or not all(
            isinstance(row, FieldValues) and row._positions is first._positions for row in rows
        ):
            return {name: [row.get(name) for row in rows] for name in names}
        transposed = list(zip(*(row._values for row in rows), strict=True))
        blank = (None,) * len(rows)
        places = {name: first._positions.get(name) for name in names}
        return {name: blank if at is None else transposed[at] for name, at in places.items()}


class _Values(ValuesView[Any]):
    """The values in order, without a lookup by name for each."""

    _mapping: FieldValues

    def __iter__(self) -> Iterator[Any]:
        return iter(self._mapping._values)


class _Items(ItemsView[str, Any]):
    _mapping: FieldValues

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return zip(self._mapping._positions, self._mapping._values, strict=True)


@dataclass(frozen=True, slots=True)
class RawRow:
    """One non-empty row of a source sheet, before any cleaning."""

    source: str
    row: int  # the row number in the source sheet; the header is row 1
    cells: Mapping[str, Any]  # canonical field name -> cell value as read
    extra: Mapping[str, Any] = field(default_factory=dict)  # officers' own columns, by header
    given_id: str | None = None  # an id already written into the sheet, if any


class Status(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    field: str | None
    message: str  # Vietnamese, rendered from the code's template
    raw_value: str | None = None


@dataclass(slots=True)
class Response:
    """One initiative as submitted, cleaned, with what the pipeline found out about it."""

    source: str
    row: int
    id: str
    raw: Mapping[str, Any]
    submitted_at: datetime | None = None
    full_name: str = ""
    birth_year: int | None = None
    gender: str = ""
    phone: str | None = None
    email: str = ""
    position: str = ""
    superior_unit: str = ""
    grassroots_unit: str = ""
    sector: str = ""
    field: str = ""
    title: str = ""
    description: str = ""
    start_date: date | None = None
    benefit_vnd: int | None = None
    coauthors: str = ""
    extra: Mapping[str, Any] = _default(default_factory=dict)
    unit_id: str | None = None  # the grassroots union, once resolved
    superior_id: str | None = None  # the direct superior named on the form, once resolved
    status: Status = Status.VALID
    violations: list[Violation] = _default(default_factory=list)
    duplicate_of: str | None = None
    similar_to: list[str] = _default(default_factory=list)

    def raw_text(self, name: str) -> str:
        value = self.raw.get(name)
        return "" if value is None else str(value).strip()


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    kind: str
    rows: int
    location: str = ""
    sheet: str = ""  # the worksheet read, for workbooks
