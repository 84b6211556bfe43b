"""One review round: merge what the officers' sheets hold with the remembered state, run the
upward flow, and decide what each unit's sheets list and archive. Pure: the writer reads the
sheets into `ReadBack`s before, and writes the rows and the new state after."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from ..models import Response
from ..orgtree import OrgTree
from ..tally import home_unit
from ..templates import SheetLayout
from ..text import fold
from .flow import Flow, Key, Rules, run_flow
from .state import Entry, Mark, ReviewState
from .values import Cell, Review, cell_value, fingerprint, is_blank

Row = Mapping[str, Cell]  # column key -> cell value, as read back


_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _loose(header: str) -> str:
    """A header without case, marks, punctuation or a bracketed part: "Điểm (0–100)" -> "diem"."""
    return " ".join(_NOT_ALNUM.sub(" ", fold(_BRACKETED.sub(" ", header))).split())


def column_positions(
    header: Sequence[Any], layout: SheetLayout, written: SheetLayout | None = None
) -> dict[int, str]:
    """Column key of each position of a header row that the sync recognises. Every column by
    its header; a review column also by its header or an alias loosely compared, and, as a last
    resort, by its position in `written` (the layout the sync last wrote there) when the header
    found there is none the sync knows. Unrecognised positions are the officers' own."""
    texts = [str(h) if h not in (None, "") else "" for h in header]
    exact = {fold(c.header): c.key for c in layout.columns}
    found: dict[int, str] = {}
    for index, text in enumerate(texts):
        key = exact.get(fold(text)) if text else None
        if key is not None and key not in found.values():
            found[index] = key
    review = [c for c in layout.columns if c.review and c.key not in found.values()]
    names = {_loose(name): c.key for c in review for name in (c.header, *c.aliases)}
    for index, text in enumerate(texts):
        key = names.get(_loose(text)) if text and index not in found else None
        if key is not None and key not in found.values():
            found[index] = key
    if written is not None:
        for index, column in enumerate(written.columns[: len(texts)]):
            wanted = column.review and column.key not in found.values()
            if wanted and index not in found and fold(texts[index]) not in exact:
                found[index] = column.key
    return found


@dataclass(frozen=True, slots=True)
class Unplaced:
    """An officer's cell the sync cannot attach to an initiative (its row has no id): kept
    aside, and reported in the unit's "Lỗi cần sửa" and the audit log."""

    sheet: str
    row: int  # 1-based, as the officer sees it
    column: str  # the header above the cell
    value: Cell


@dataclass(frozen=True, slots=True)
class ReadBack:
    """What one unit's sheets hold now. Rows are keyed by column key (headers matched by
    `column_positions`); only columns that were found are present, so a deleted column clears
    nothing."""

    listed: list[Row]  # the initiatives tab, in any order, blank rows dropped
    archived: list[Row]  # the archive tab
    unplaced: list[Unplaced] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Overwrite:
    """An officer's edit to a sync-owned cell, which the next write replaces."""

    unit_id: str
    initiative: str
    column: str
    value: Cell


@dataclass(frozen=True, slots=True)
class Archived:
    reason: str  # "removed" from the source, or "withdrawn" by the tier below
    since: str  # ISO time
    entry: Entry


@dataclass(slots=True)
class Outcome:
    reviews: dict[str, dict[str, Review]]  # unit -> initiative -> review, listed or archived
    flow: Flow
    previous: ReviewState  # the remembered state, completed from the sheets
    archived: dict[str, dict[str, Archived]] = field(default_factory=dict)
    overwrites: list[Overwrite] = field(default_factory=list)
    unplaced: dict[str, list[Unplaced]] = field(default_factory=dict)  # unit -> cells


def merge_unit(
    unit_id: str,
    previous: Mapping[str, Entry],
    readback: ReadBack | None,
    review_keys: list[str],
) -> tuple[dict[str, Review], list[Overwrite]]:
    """Reviews by initiative id, never by row: the remembered ones (so a deleted row loses
    nothing), replaced by what the archive tab and then the main tab hold now."""
    reviews = {initiative: dict(entry.review) for initiative, entry in previous.items()}
    overwrites: list[Overwrite] = []
    if readback is None:
        return reviews, overwrites
    for rows, is_main in ((readback.archived, False), (readback.listed, True)):
        seen: set[str] = set()
        for row in rows:
            initiative = str(row.get("id") or "").strip()
            if not initiative or initiative in seen:
                continue  # a copy of a row an officer pasted twice: the first one counts
            seen.add(initiative)
            typed = {k: cell_value(row[k]) for k in review_keys if k in row}
            reviews[initiative] = {**reviews.get(initiative, {}), **typed}
            if is_main and initiative in previous:
                overwrites.extend(_overwrites(unit_id, initiative, row, previous[initiative]))
    return reviews, overwrites


def _overwrites(unit_id: str, initiative: str, row: Row, entry: Entry) -> list[Overwrite]:
    return [
        Overwrite(unit_id, initiative, key, cell_value(row[key]))
        for key, digest in entry.cells.items()
        if key in row and fingerprint(row[key]) != digest
    ]


def _sheet_time(value: Any, zone: tzinfo | None) -> str | None:
    """A date-time cell the sync wrote (wall-clock time of the campaign's zone), as ISO text."""
    if not isinstance(value, datetime):
        return None
    moment = value if value.tzinfo else value.replace(tzinfo=zone)
    return moment.isoformat(timespec="seconds")


def _nominator(tree: OrgTree, home: str | None, unit_id: str) -> str | None:
    """The unit below `unit_id` that passed the initiative up: the one on the initiative's path
    whose parent it is."""
    if home is None:
        return None
    path = [home, *tree.ancestors(home)]
    return next((u for u in path if tree[u].parent_id == unit_id), None)


def _facts(row: Row) -> dict[str, str]:
    return {k: str(row.get(k) or "") for k in ("title", "full_name", "unit")}


def _fill(units: dict[str, dict[str, Entry]], unit_id: str, initiative: str, **facts: Any) -> None:
    """Complete an entry with facts read from a sheet; what the state remembers wins."""
    entries = units.setdefault(unit_id, {})
    entry = entries.get(initiative, Entry())
    missing = {k: v for k, v in facts.items() if v and not getattr(entry, k)}
    if missing:
        entries[initiative] = replace(entry, **missing)


def recovered(
    previous: ReviewState,
    readbacks: Mapping[str, ReadBack | None],
    tree: OrgTree,
    responses: list[Response],
    zone: tzinfo | None,
) -> ReviewState:
    """The remembered state completed with the facts an officer can see in the sheets: when a
    nomination was first seen (the unit's own "Ngày đề xuất" column, and the superior's "Ngày
    nhận đề xuất" column), and each archived
    review's date and initiative. So a lost or damaged state file changes no outcome."""
    homes = {r.id: home_unit(r, tree) for r in responses}
    units = {unit_id: dict(entries) for unit_id, entries in previous.units.items()}
    for unit_id, readback in readbacks.items():
        if readback is None:
            continue
        for row in readback.listed:
            initiative = str(row.get("id") or "").strip()
            nominator = _nominator(tree, homes.get(initiative), unit_id)
            seen = _sheet_time(row.get("nominated_at"), zone)
            if nominator is not None and seen is not None:
                _fill(units, nominator, initiative, nominated_at=seen)
            own = _sheet_time(row.get("proposed_at"), zone)  # held back, it is seen only here
            if initiative and own is not None:
                _fill(units, unit_id, initiative, nominated_at=own)
            if initiative:
                # The state keeps names only for reviewed rows; one reviewed in the sheet since
                # may leave the list this very sync, and its archive row needs them.
                _fill(units, unit_id, initiative, **_facts(row))
        for row in readback.archived:
            initiative = str(row.get("id") or "").strip()
            since = _sheet_time(row.get("archived_at"), zone)
            if initiative:
                _fill(units, unit_id, initiative, archived_at=since, **_facts(row))
    return replace(previous, units=units)


def unplaced_keys(outcome: Outcome) -> list[str]:
    """The cells no initiative could take this round, as the state remembers them (unit, sheet,
    column and value: an inserted row above moves a cell's row, not the cell)."""
    return sorted(
        "\x1f".join((unit_id, cell.sheet, cell.column, str(_plain(cell.value))))
        for unit_id, cells in outcome.unplaced.items()
        for cell in cells
    )


def unplaced_entries(outcome: Outcome, now: datetime) -> list[dict[str, Any]]:
    """Audit entries of the cells no initiative could take, so none is dropped without a word;
    each once, when it first appears (the unit's problems tab lists it while it stays)."""
    stamp = now.isoformat(timespec="seconds")
    known = set(outcome.previous.unplaced)
    found = []
    for unit_id, cells in sorted(outcome.unplaced.items()):
        for cell in cells:
            key = "\x1f".join((unit_id, cell.sheet, cell.column, str(_plain(cell.value))))
            if key in known:
                continue
            known.add(key)
            where = {"sheet": cell.sheet, "row": cell.row, "column": cell.column}
            found.append({"time": stamp, "unit": unit_id, "change": "unplaced", **where,
                          "value": _plain(cell.value)})  # fmt: skip
    return found


def _plain(value: Cell) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def first_seen(previous: ReviewState) -> dict[Key, datetime]:
    return {
        (unit_id, initiative): datetime.fromisoformat(entry.nominated_at)
        for unit_id, entries in previous.units.items()
        for initiative, entry in entries.items()
        if entry.nominated_at
    }


def settle(
    tree: OrgTree,
    responses: list[Response],
    previous: ReviewState,
    readbacks: Mapping[str, ReadBack | None],
    review_keys: list[str],
    now: datetime,
    rules: Rules,
) -> Outcome:
    """`readbacks` has an item for every unit whose sheets are written (None: no sheet yet)."""
    previous = recovered(previous, readbacks, tree, responses, now.tzinfo)
    reviews: dict[str, dict[str, Review]] = {}
    overwrites: list[Overwrite] = []
    for unit_id, readback in readbacks.items():
        merged, found = merge_unit(unit_id, previous.unit(unit_id), readback, review_keys)
        reviews[unit_id] = merged
        overwrites.extend(found)
    flow = run_flow(tree, responses, reviews, first_seen(previous), now, rules)
    outcome = Outcome(reviews, flow, previous, overwrites=overwrites)
    outcome.unplaced = {u: list(r.unplaced) for u, r in readbacks.items() if r and r.unplaced}
    known = {r.id for r in responses}
    for unit_id in readbacks:
        outcome.archived[unit_id] = _archive(unit_id, outcome, previous, known, now)
    return outcome


def _archive(
    unit_id: str, outcome: Outcome, previous: ReviewState, known: set[str], now: datetime
) -> dict[str, Archived]:
    """Reviews of initiatives the unit no longer lists: kept, flagged, until they come back."""
    listed = set(outcome.flow.listed.get(unit_id, ()))
    entries = previous.unit(unit_id)
    archived = {}
    for initiative, review in outcome.reviews[unit_id].items():
        if initiative in listed or is_blank(review):
            continue
        before = entries.get(initiative, Entry())
        since = before.archived_at or now.isoformat(timespec="seconds")
        reason = "withdrawn" if initiative in known else "removed"
        archived[initiative] = Archived(reason, since, before)
    return archived


def next_state(
    outcome: Outcome,
    responses: Mapping[str, Response],
    written: Mapping[str, Mapping[str, Mapping[str, str]]],
    marks: dict[str, Mark],
) -> ReviewState:
    """The state to remember: `written` has, per unit, the digests of the sync-owned cells of
    each listed row as just written (see `state.cell_digests`); `marks` one Mark per initiative."""
    state = ReviewState(initiatives=marks)
    for unit_id, rows in written.items():
        reviews = outcome.reviews.get(unit_id, {})
        entries: dict[str, Entry] = {}
        for initiative, digests in rows.items():
            response = responses[initiative]
            seen = outcome.flow.nominated_at.get((unit_id, initiative))
            review = reviews.get(initiative)
            entries[initiative] = Entry(
                review=_kept(review) if review else {},
                cells=digests,  # made for this state alone (`sheet_digests`)
                nominated_at=None if seen is None else seen.isoformat(timespec="seconds"),
                title=response.title,
                full_name=response.full_name,
                unit=response.grassroots_unit,
            )
        for initiative, archived in outcome.archived.get(unit_id, {}).items():
            response = responses.get(initiative)
            before = archived.entry
            entries[initiative] = Entry(
                review=_kept(reviews[initiative]),
                archived_at=archived.since,
                title=response.title if response else before.title,
                full_name=response.full_name if response else before.full_name,
                unit=response.grassroots_unit if response else before.unit,
            )
        state.units[unit_id] = entries
    return state


def _kept(review: Review) -> Review:
    return {k: v for k, v in review.items() if v is not None}
