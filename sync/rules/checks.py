"""The intake checks. Most look at one Response and yield the violations they find; the checks
of every cell (a required answer, a legacy encoding) look down whole columns, as a call a cell
costs more than the check. `validate` runs every check over every row (lazily collecting all
problems, never stopping at the first)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from itertools import chain
from typing import Any

from ..config import Settings
from ..cores import ROWS_PER_SHARE, on_every_core, shares_of
from ..models import FieldValues, Response, Violation
from ..sources.files import Uncalculated
from ..templates import FormLayout
from ..text import clean_text, legacy_suspects, repair_legacy, shorten
from .codes import code


@dataclass(frozen=True, slots=True)
class RuleContext:
    settings: Settings
    form: FormLayout
    # The settings give it as a property that builds a datetime: read here once, not per row.
    closes_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "closes_at", self.settings.campaign.closes_at)

    def column(self, key: str) -> str:
        return self.form.question(key).vi


class Rows:
    """The rows a check looks at, with their cells as read a column at a time: made once for
    every check that looks down columns, where each check made its own."""

    def __init__(self, responses: Sequence[Response]):
        self.responses = responses

    @cached_property
    def raw_columns(self) -> dict[str, Sequence[Any]]:
        """Every cell as read, by field (None where a row lacks it)."""
        raws = [response.raw for response in self.responses]
        return FieldValues.columns(raws, list(dict.fromkeys(chain.from_iterable(raws))))


RowCheck = Callable[[Response, RuleContext], Iterable[Violation]]
# Every row at once: (the row's index, a violation).
Check = Callable[[Rows, RuleContext], Iterable[tuple[int, Violation]]]

TOO_LONG_SHOWN_CHARS = 60  # how much of an over-long description its problem quotes
NO_CLOSE_MATCH = "Không có tên nào gần giống: chọn lại đơn vị trong danh sách."
CLOSE_MATCHES = "Có phải là: {names}?"


def _fmt_date(value) -> str:
    return value.strftime("%d/%m/%Y")


def check_required(rows: Rows, ctx: RuleContext) -> Iterator[tuple[int, Violation]]:
    columns = rows.raw_columns
    blank = (None,) * len(rows.responses)  # a question the sheet has no column for
    for question in ctx.form.questions:
        missing = code("MISSING_REQUIRED").violation(question.key, "", column=question.vi)
        uncalculated = code("FORMULA_NOT_CALCULATED").violation(
            question.key, "", column=question.vi
        )
        for i, value in enumerate(columns.get(question.key, blank)):
            if type(value) is str and value and not value.isspace():
                continue  # most cells: an answer
            if type(value) is Uncalculated:  # a formula saved without its value is not blank
                yield i, uncalculated
            elif question.required and _blank(value):
                yield i, missing


def _blank(value: object) -> bool:
    """Nothing typed: None, or text of white space only (as `Response.raw_text` reads it)."""
    if type(value) is str:
        return not value or value.isspace()
    return value is None or (type(value) is not Uncalculated and not str(value).strip())


def check_length(response: Response, ctx: RuleContext) -> Iterator[Violation]:
    # Counted on the NFC form: a description typed on a keyboard that decomposes accents is as
    # long as the composed one an officer sees. Normalising composed it already (composing it
    # again took 0.05 s at a hundred thousand rows): only a description over the limit is
    # composed again, to be sure.
    limit = ctx.settings.campaign.description_max_chars
    text = response.description
    if len(text) > limit and len(text := unicodedata.normalize("NFC", text)) > limit:
        # The start of the text, so the officer finds the row's description at a glance.
        start = shorten(" ".join(text.split()), TOO_LONG_SHOWN_CHARS)
        yield code("TOO_LONG").violation(
            raw_value=f"{start} ({len(text)} ký tự)", start=start, length=len(text), limit=limit
        )


def check_timestamp(response: Response, ctx: RuleContext) -> Iterator[Violation]:
    # A cell read as a time is not blank: its text is looked at only for a problem's message.
    submitted = response.submitted_at
    if submitted is None:
        raw = response.raw_text("timestamp")
        if raw:  # a blank is reported as missing
            yield code("BAD_DATE").violation(
                "timestamp", raw, value=raw, column=ctx.column("timestamp"),
                expected="dd/mm/yyyy hh:mm:ss",
            )  # fmt: skip
        return
    closes = ctx.closes_at
    if submitted >= closes:
        yield code("LATE").violation(
            raw_value=response.raw_text("timestamp"),
            submitted=submitted.strftime("%d/%m/%Y %H:%M:%S"),
            closes=closes.strftime("%d/%m/%Y %H:%M:%S"),
        )


def check_start_date(response: Response, ctx: RuleContext) -> Iterator[Violation]:
    start = response.start_date
    if start is None:
        raw = response.raw_text("start_date")
        if raw:
            yield code("BAD_DATE").violation(
                "start_date",
                raw,
                value=raw,
                column=ctx.column("start_date"),
                expected="dd/mm/yyyy",
            )
        return
    window = ctx.settings.campaign.implementation_window
    if not window.start <= start <= window.end:
        yield code("OUT_OF_WINDOW").violation(
            raw_value=response.raw_text("start_date"),
            start=_fmt_date(start),
            window_start=_fmt_date(window.start),
            window_end=_fmt_date(window.end),
        )


def check_choices(response: Response, ctx: RuleContext) -> Iterator[Violation]:
    lists = (("field", ctx.settings.fields), ("sector", ctx.settings.sectors))
    for key, allowed in lists:
        value = getattr(response, key)
        if value and value not in allowed:
            yield code("INVALID_CHOICE").violation(
                key, value, value=value, column=ctx.column(key), allowed="; ".join(allowed)
            )


def check_contacts(response: Response, ctx: RuleContext) -> Iterator[Violation]:
    if response.phone is None and (phone := response.raw_text("phone")):
        yield code("BAD_PHONE").violation(raw_value=phone, value=phone)
    if not response.email and (email := response.raw_text("email")):
        yield code("BAD_EMAIL").violation(raw_value=email, value=email)


def check_legacy_encoding(rows: Rows, ctx: RuleContext) -> Iterator[tuple[int, Violation]]:
    found: list[tuple[int, int, Violation]] = []
    repaired_once = lru_cache(maxsize=None)(repair_legacy)  # names and units repeat
    for place, (key, column) in enumerate(rows.raw_columns.items()):
        for i in legacy_suspects(column):
            repaired, encoding = repaired_once(column[i])
            if encoding is not None:
                violation = code("LEGACY_ENCODING").violation(
                    key,
                    column[i],
                    column=ctx.column(key),
                    encoding=encoding,
                    value=clean_text(repaired),
                )
                found.append((i, place, violation))
    # A row's cells in their columns' order.
    found.sort(key=lambda entry: entry[:2])
    for i, _, violation in found:
        yield i, violation


def _each_row(*checks: RowCheck) -> Check:
    """Checks of one row at a time, run row after row."""

    def run(rows: Rows, ctx: RuleContext) -> Iterator[tuple[int, Violation]]:
        for i, response in enumerate(rows.responses):
            for check in checks:
                for violation in check(response, ctx):
                    yield i, violation

    return run


# In the order a row's violations are listed.
CHECKS: tuple[Check, ...] = (
    check_required,
    _each_row(check_timestamp, check_length, check_choices, check_start_date, check_contacts),
    check_legacy_encoding,
)


def validate(
    responses: Sequence[Response], ctx: RuleContext, rows_per_share: int = ROWS_PER_SHARE
) -> None:
    """Attach every intake violation to its response. Every check judges each row on its own:
    many rows are checked a share at a time on every core (`on_every_core`)."""
    shares = shares_of(len(responses), rows_per_share)

    def violations(share: range) -> list[tuple[int, Violation]]:
        rows = Rows(responses[share.start : share.stop])
        return [(share.start + i, found) for check in CHECKS for i, found in check(rows, ctx)]

    for found in on_every_core(shares, violations):
        for i, violation in found:
            responses[i].violations.append(violation)


def unknown_unit(typed: str, candidates: Iterable[str]) -> Violation:
    """UNKNOWN_UNIT for a union name the tree does not hold, with the likely names if any."""
    names = "; ".join(candidates)
    hint = CLOSE_MATCHES.format(names=names) if names else NO_CLOSE_MATCH
    return code("UNKNOWN_UNIT").violation(raw_value=typed, value=typed, hint=hint)
