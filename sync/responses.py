"""The normalise stage: a RawRow becomes a Response with cleaned, typed fields.

Nothing is judged here; a value that cannot be read becomes None and the rules decide what that
means. The raw cells stay on the Response so every message can quote what the officer typed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from itertools import chain
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from . import normalize
from .cores import ROWS_PER_SHARE, on_every_core, shares_of
from .models import FIELDS, NO_EXTRA, FieldValues, RawRow, Response
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


def response_id(
    source: str, submitted: datetime | None, raw_timestamp: str, folded_name: str
) -> str:
    """A key that does not depend on row position, so it survives sorting and new rows
    (`folded_name`: the author's name through `fold`)."""
    return response_ids([(source, submitted, raw_timestamp, folded_name)])[0]


def response_ids(keys: Iterable[tuple[str, datetime | None, str, str]]) -> list[str]:
    """`response_id` of each (source, submitted, raw_timestamp, folded_name): "SK-" and the
    48-bit digest of source, time and author in base 32 (RFC 4648, no padding). Each key is
    digested on its own; the digests are spelt together, in arrays: a hundred thousand ids in
    0.15 s, against 0.21 s spelt one by one from a table of digit pairs (base64.b32encode, pure
    Python, took four times as long as that)."""
    digests = b"".join(
        [
            hashlib.blake2b(
                f"{source}\x1f{submitted.isoformat() if submitted else typed}\x1f{name}".encode(),
                digest_size=6,
            ).digest()
            for source, submitted, typed, name in keys
        ]
    )
    rows = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 6).astype(np.uint64)
    bits = rows @ _BYTE_WEIGHTS  # the 48 bits, then two zero bits: ten digits of five
    spelt = np.empty((len(rows), len(_ID_PREFIX) + _ID_DIGITS), dtype=np.uint8)
    spelt[:, : len(_ID_PREFIX)] = np.frombuffer(_ID_PREFIX, dtype=np.uint8)
    spelt[:, len(_ID_PREFIX) :] = _BASE32[(bits[:, np.newaxis] >> _DIGIT_SHIFTS) & np.uint64(31)]
    text = spelt.tobytes().decode("ascii")
    width = spelt.shape[1]
    return [text[at : at + width] for at in range(0, len(text), width)]


_ID_PREFIX = b"SK-"
_ID_DIGITS = 10
_BASE32 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", dtype=np.uint8)
_BYTE_WEIGHTS = np.array([1 << (8 * (5 - k) + 2) for k in range(6)], dtype=np.uint64)
_DIGIT_SHIFTS = np.array([5 * (_ID_DIGITS - 1 - k) for k in range(_ID_DIGITS)], dtype=np.uint64)


def cell_text(value: object) -> str:
    """A cell as clean Unicode text, legacy TCVN3/VNI/double-decoded text repaired first (before
    cleaning: the repair needs the raw characters, C1 controls included)."""
    if isinstance(value, str):
        value = repair_legacy(value)[0]
    return clean_text(value)


_T = TypeVar("_T")


class _PerDistinctValue(Generic[_T]):
    """`clean` run once per distinct cell value: names, units, phones and dates repeat across
    rows. Every cell a reader delivers is hashable."""

    __slots__ = ("_any", "_texts")

    def __init__(self, clean: Callable[[Any], _T]):
        # `typed` keeps 1, 1.0 and True apart, at the cost of a key made for every call.
        self._any = lru_cache(maxsize=None, typed=True)(clean)
        self._texts = _TextAnswers(clean)

    def __call__(self, value: Any) -> _T:
        return self._any(value)

    def column(self, values: Sequence[Any]) -> list[_T]:
        """`clean` of each value. A column of texts alone (most are) is looked up by the texts
        themselves, which only equal texts: at a hundred thousand rows, 0.1 s less of the
        stage's CPU than the keys that keep types apart."""
        if set(map(type, values)) == {str}:
            return list(map(self._texts.__getitem__, values))
        return list(map(self._any, values))


class _TextAnswers(dict[str, Any]):
    """Each text's answer, worked out when first asked for."""

    __slots__ = ("_clean",)

    def __init__(self, clean: Callable[[str], Any]):
        super().__init__()
        self._clean = clean

    def __missing__(self, text: str) -> Any:
        answer = self[text] = self._clean(text)
        return answer


class Normaliser:
    """Cleans the rows of one source; every cleaner is pure, so each remembers its answers for
    the batch (and forgets them with it)."""

    def __init__(self, locale: str, zone: ZoneInfo, choices: Choices):
        self.text = _PerDistinctValue(cell_text)
        # Nearly every submission time differs: read together, not remembered one by one.
        self.timestamps = partial(normalize.parse_timestamps, locale=locale, zone=zone)
        self.year = _PerDistinctValue(normalize.parse_year)
        self.phone = _PerDistinctValue(normalize.parse_phone)
        self.email = _PerDistinctValue(normalize.parse_email)
        self.date = _PerDistinctValue(partial(normalize.parse_date, locale=locale))
        self.money = _PerDistinctValue(normalize.parse_money)
        self.sector = _PerDistinctValue(partial(_choice, allowed=choices.sectors))
        self.field = _PerDistinctValue(partial(_choice, allowed=choices.fields))
        self.folded = _PerDistinctValue(fold)
        self.extra = _PerDistinctValue(_extra_value)

    def responses(self, rows: Sequence[RawRow]) -> list[Response]:
        return _assemble(rows, self.fields(rows))

    def fields(self, rows: Sequence[RawRow], *, to_send: bool = False) -> list[list[Any]]:
        """Column by column: each cleaner is mapped over a whole column at once. The fields of
        Response after `raw`, a column each, the ids first (see `_assemble`). `to_send`: a text
        that cleaning left as it was read is None, and so is a row's lack of officers' own
        cells, for a process that holds the rows (see `_assemble_sent`)."""
        cells = FieldValues.columns([raw.cells for raw in rows], FIELDS)
        text = {key: self.text.column(cells[key]) for key in _TEXT_COLUMNS}
        submitted = self.timestamps(cells["timestamp"])
        authors = self.folded.column(text["full_name"])
        keys = zip([raw.source for raw in rows], submitted, text["timestamp"], authors, strict=True)
        made = iter(
            response_ids(key for raw, key in zip(rows, keys, strict=True) if not raw.given_id)
        )
        ids = [raw.given_id or next(made) for raw in rows]
        if to_send:
            for key in _AS_READ:
                text[key] = [
                    None if t is c else t for t, c in zip(text[key], cells[key], strict=True)
                ]
        no_extra = None if to_send else NO_EXTRA
        extras = [
            {header: self.extra(value) for header, value in raw.extra.items()}
            if raw.extra
            else no_extra
            for raw in rows
        ]
        return [  # in the order of Response's fields
            ids,
            submitted,
            text["full_name"],
            self.year.column(cells["birth_year"]),
            text["gender"],
            self.phone.column(cells["phone"]),
            [email or "" for email in self.email.column(cells["email"])],
            text["position"],
            text["superior_unit"],
            text["grassroots_unit"],
            self.sector.column(text["sector"]),
            self.field.column(text["field"]),
            text["title"],
            text["description"],
            self.date.column(cells["start_date"]),
            self.money.column(cells["benefit"]),
            text["coauthors"],
            extras,
        ]


def _assemble(rows: Sequence[RawRow], fields: list[list[Any]]) -> list[Response]:
    """The Responses of `rows` from `Normaliser.fields` (the id, then each field after `raw`)."""
    ids, *cleaned = fields
    sources = [raw.source for raw in rows]
    numbers = [raw.row for raw in rows]
    return list(map(Response, sources, numbers, ids, [raw.cells for raw in rows], *cleaned))


def _assemble_sent(rows: Sequence[RawRow], fields: list[list[Any]]) -> list[Response]:
    """`_assemble` for fields made `to_send`: each text left as read is the very cell this
    process holds (one string for both, as when cleaned here, not a copy per process)."""
    cells = FieldValues.columns([raw.cells for raw in rows], _AS_READ)
    for key in _AS_READ:
        place = _FIELD_PLACES[key]
        fields[place] = [
            c if t is None else t for t, c in zip(fields[place], cells[key], strict=True)
        ]
    fields[-1] = [NO_EXTRA if extra is None else extra for extra in fields[-1]]
    return _assemble(rows, fields)


# Response's fields kept as cleaned text, which `to_send` leaves out where cleaning changed
# nothing; then every cell cleaned as text, the timestamp's and the choices' needed on the way;
# and where each field is in `Normaliser.fields` (the id, then every field after `raw`).
_AS_READ = (
    "full_name",
    "gender",
    "position",
    "superior_unit",
    "grassroots_unit",
    "title",
    "description",
    "coauthors",
)
_TEXT_COLUMNS = (*_AS_READ, "timestamp", "sector", "field")
_RESPONSE_FIELDS = [f.name for f in dataclasses.fields(Response)]
_FIELD_PLACES = {
    name: place
    for place, name in enumerate(["id", *_RESPONSE_FIELDS[_RESPONSE_FIELDS.index("raw") + 1 :]])
}


def _extra_value(value: object) -> object:
    """Officers' own columns go back into their workbooks: no control characters either."""
    return clean_text(value) if isinstance(value, str) else value


def build_responses(
    rows: Sequence[RawRow],
    locale: str,
    zone: ZoneInfo,
    choices: Choices,
    rows_per_share: int = ROWS_PER_SHARE,
) -> list[Response]:
    """The rows cleaned; many rows a share at a time on every core (`on_every_core`), each
    share's fields sent back to this process and made into its Responses as they come in."""
    normaliser = Normaliser(locale, zone, choices)
    shares = shares_of(len(rows), rows_per_share)
    if len(shares) < 2:
        return normaliser.responses(rows)

    def clean(share: range) -> list[list[Any]]:
        return normaliser.fields(rows[share.start : share.stop], to_send=True)

    def assemble(share: range, fields: list[list[Any]]) -> list[Response]:
        return _assemble_sent(rows[share.start : share.stop], fields)

    return list(chain.from_iterable(on_every_core(shares, clean, each=assemble)))


def build_response(raw: RawRow, locale: str, zone: ZoneInfo, choices: Choices) -> Response:
    return build_responses([raw], locale, zone, choices)[0]
