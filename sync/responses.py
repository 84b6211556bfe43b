"""The normalise stage: a RawRow becomes a Response with cleaned, typed fields.

Nothing is judged here; a value that cannot be read becomes None and the rules decide what that
means. The raw cells stay on the Response so every message can quote what the officer typed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from . import normalize
from .models import RawRow, Response
from .text import clean_text, fold, repair_legacy


@dataclass(frozen=True, slots=True)
class Choices:
    """Allowed answers, keyed by their folded form so `khoi doanh nghiep` finds its list entry."""

    fields: dict[str, str]
    sectors: dict[str, str]

    @classmethod
    def from_lists(cls, fields: Iterable[str], sectors: Iterable[str]) -> Choices:
        return cls({fold(f): f for f in fields}, {fold(s): s for s in sectors})


def _choice(text: str, allowed: dict[str, str]) -> str:
    return allowed.get(fold(text), text)


def response_id(source: str, submitted: datetime | None, raw_timestamp: str, name: str) -> str:
    """A key that does not depend on row position, so it survives sorting and new rows."""
    stamp = submitted.isoformat() if submitted else raw_timestamp
    digest = hashlib.blake2b(f"{source}\x1f{stamp}\x1f{fold(name)}".encode(), digest_size=6)
    return "SK-" + base64.b32encode(digest.digest()).decode().rstrip("=")


def cell_text(value: object) -> str:
    """A cell as clean Unicode text, legacy TCVN3/VNI/double-decoded text repaired first (before
    cleaning: the repair needs the raw characters, C1 controls included)."""
    if isinstance(value, str):
        value = repair_legacy(value)[0]
    return clean_text(value)


def build_response(raw: RawRow, locale: str, zone: ZoneInfo, choices: Choices) -> Response:
    cells = raw.cells
    text = {key: cell_text(cells.get(key)) for key in cells}
    submitted = normalize.parse_timestamp(cells.get("timestamp"), locale, zone)
    full_name = text.get("full_name", "")
    return Response(
        source=raw.source,
        row=raw.row,
        id=raw.given_id or response_id(raw.source, submitted, text.get("timestamp", ""), full_name),
        raw=cells,
        submitted_at=submitted,
        full_name=full_name,
        birth_year=normalize.parse_year(cells.get("birth_year")),
        gender=text.get("gender", ""),
        phone=normalize.parse_phone(cells.get("phone")),
        email=normalize.parse_email(cells.get("email")) or "",
        position=text.get("position", ""),
        superior_unit=text.get("superior_unit", ""),
        grassroots_unit=text.get("grassroots_unit", ""),
        sector=_choice(text.get("sector", ""), choices.sectors),
        field=_choice(text.get("field", ""), choices.fields),
        title=text.get("title", ""),
        description=text.get("description", ""),
        start_date=normalize.parse_date(cells.get("start_date"), locale),
        benefit_vnd=normalize.parse_money(cells.get("benefit")),
        coauthors=text.get("coauthors", ""),
        # Officers' own columns go back into their workbooks: no control characters either.
        extra={h: clean_text(v) if isinstance(v, str) else v for h, v in raw.extra.items()},
    )
