"""The plain data that flows through the pipeline.

Stages hand these objects to each other; none of them does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import field as _default  # `field` is also a Response attribute (lĩnh vực)
from datetime import date, datetime
from enum import StrEnum
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
