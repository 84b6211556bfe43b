"""One spreadsheet's `batchUpdate` as requests Google accepts, sent so that none is applied twice.

Google refuses a request body over 10 MiB and recommends at most 2 MB, while a provincial
spreadsheet's write is several times that. When the ordered request list does not fit one
request, the largest tabs' values are written into hidden staging tabs over several requests;
one last small request then brings them in together with everything that points at a tab
(protections, charts) and the content fingerprint. An officer therefore sees each tab either as
it was or as it is now, never half written.

A tab that exists is kept: the last request pastes the staged values over the sync's own cells
of the real tab (`copyPaste` with PASTE_VALUES, a documented batchUpdate request:
https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request#copypasterequest;
a partial paste type leaves the rest of each cell as it was:
https://developers.google.com/sheets/api/samples/data#copy_paste_cell_formatting), applies the
tab's small requests (size, formats, validations, the clearing of the rows a shorter run no
longer fills) to the real tab as an unsplit write would, and deletes the staging tab. So what
officers added and the sync does not own (columns to the right, notes, comments, colours, filter
views, their protected ranges) stays, and the tab's sheet id with it; rows are never deleted. A
new tab is written hidden under its own id and shown. A new tab another tab's request refers to
(the chart data) or a tab that only grows (the audit log) is never staged: when it is too large
for the last request its requests go ahead unstaged.

Each request before the last leaves a progress marker in the spreadsheet's developer metadata,
and the last one replaces the fingerprint, so after a reply was lost (time-out, dropped
connection, a 5xx) one read of the developer metadata says whether Google applied it: it is
sent again only when it was not.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gspread.exceptions import APIError

from ..errors import GoogleError, OutputError, UncertainWrite
from .client import GoogleSession
from .sheet_requests import sheet_id_for

MAX_REQUEST_BYTES = 2_000_000  # Google's recommended largest request body
MAX_CELLS = 10_000_000  # Google's limit per spreadsheet
STAGING_PREFIX = "đang ghi · "  # title of a hidden tab being written, shown in "hidden sheets"
PROGRESS_KEY = "sangkien-sync.progress"
_EMPTY_BODY = len(json.dumps({"requests": []}))
_TAB_KINDS = frozenset(
    {
        "addSheet",
        "updateSheetProperties",
        "deleteConditionalFormatRule",
        "updateCells",
        "repeatCell",
        "updateDimensionProperties",
        "setDataValidation",
        "setBasicFilter",
        "addConditionalFormatRule",
        "appendCells",
    }
)
_MARKER_ROOM = 600  # bytes kept free in each request for the progress marker
_SWAP_ROOM = 400  # bytes of the last request per tab for showing, pasting, ordering
Request = dict[str, Any]
Probe = Callable[[list[dict[str, Any]]], bool]


@dataclass
class Batch:
    """One batchUpdate; `applied` tells from the developer metadata read back whether Google
    applied it."""

    requests: list[Request]
    applied: Probe


def request_bytes(request: Request) -> int:
    """The request's size as `requests` serialises the body (json.dumps, ASCII-escaped)."""
    return len(json.dumps(request, allow_nan=False))


def body_bytes(requests: list[Request]) -> int:
    return len(json.dumps({"requests": requests}, allow_nan=False))


def _sheet_ids(value: Any) -> Iterator[int]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "sheetId" and isinstance(item, int):
                yield item
            else:
                yield from _sheet_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sheet_ids(item)


def _kind(request: Request) -> str:
    return next(iter(request))


def _tab_of(request: Request) -> int | None:
    """The one tab a tab-content request writes; None for the requests that reach across tabs
    or the spreadsheet (protections, charts, deletions, developer metadata)."""
    ids = set(_sheet_ids(request))
    return ids.pop() if _kind(request) in _TAB_KINDS and len(ids) == 1 else None


def _staged_values(request: Request) -> bool:
    """A request writing values from a start cell, which a paste of the same extent replaces."""
    body = request.get("updateCells", {})
    return "start" in body and "rows" in body and body.get("fields") == "userEnteredValue"


def _extent(request: Request) -> tuple[int, int, int, int]:
    """Top, left, height and width of the cells a start-cell updateCells writes."""
    body = request["updateCells"]
    start = body["start"]
    width = max((len(row.get("values", ())) for row in body["rows"]), default=0)
    return start.get("rowIndex", 0), start.get("columnIndex", 0), len(body["rows"]), width


def _retarget(value: Any, old: int, new: int) -> Any:
    if isinstance(value, dict):
        return {
            key: new if key == "sheetId" and item == old else _retarget(item, old, new)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_retarget(item, old, new) for item in value]
    return value


@dataclass
class _Layout:
    """The request list cut by tab, and the spreadsheet's tabs as they are."""

    groups: dict[int, list[Request]]
    finals: list[Request]
    tabs: dict[int, dict[str, Any]]  # sheet id -> properties, as read before writing

    @classmethod
    def of(cls, requests: list[Request], metadata: dict[str, Any]) -> _Layout:
        groups: dict[int, list[Request]] = {}
        finals: list[Request] = []
        for request in requests:
            tab = _tab_of(request)
            if tab is None:
                finals.append(request)
            else:
                groups.setdefault(tab, []).append(request)
        tabs = {
            s["properties"]["sheetId"]: s["properties"]
            for s in metadata.get("sheets", ())
            if not s["properties"].get("title", "").startswith(STAGING_PREFIX)  # see _cleanup
        }
        return cls(groups, finals, tabs)

    def stageable(self, tab: int) -> bool:
        first = _kind(self.groups[tab][0])
        if first not in ("addSheet", "updateSheetProperties") or not self.moved(tab):
            return False
        if tab in self.tabs:  # kept in place: its sheet id never changes
            return not any(_kind(r) == "appendCells" for r in self.groups[tab])
        pointing = (set(_sheet_ids(r)) for r in self.finals)
        return not any(tab in ids and len(ids) > 1 for ids in pointing)

    def moved(self, tab: int) -> list[Request]:
        """The tab's requests written ahead into its staging tab: all of a new tab's, only the
        values of a tab that is kept."""
        if tab not in self.tabs:
            return self.groups[tab]
        return [r for r in self.groups[tab] if _staged_values(r)]

    def title(self, tab: int) -> str:
        if tab in self.tabs:
            return self.tabs[tab]["title"]
        return self.groups[tab][0]["addSheet"]["properties"]["title"]

    def order(self) -> list[int]:
        """Tab ids in the order the unsplit request list leaves them."""
        ids = [tab for tab, _ in sorted(self.tabs.items(), key=lambda t: t[1].get("index", 0))]
        added = [
            r["addSheet"]["properties"]["sheetId"]
            for group in self.groups.values()
            for r in group
            if _kind(r) == "addSheet"
        ]
        deleted = {r["deleteSheet"]["sheetId"] for r in self.finals if _kind(r) == "deleteSheet"}
        return [tab for tab in [*ids, *added] if tab not in deleted]


def _staging_id(title: str, taken: set[int]) -> int:
    candidate = sheet_id_for(STAGING_PREFIX + title)
    while candidate in taken:
        candidate = (candidate + 1) & 0x3FFFFFFF
    return candidate


def _staged_group(layout: _Layout, tab: int, staging: int) -> list[Request]:
    """The tab's requests aimed at a hidden tab. A new tab comes whole (it has no conditional
    formats to delete; its size and frozen panes come with its creation); a kept tab's staging
    tab holds only its values, sized to them."""
    moved = layout.moved(tab)
    title = STAGING_PREFIX + layout.title(tab)[:80]
    if tab not in layout.tabs:
        first, *rest = moved
        properties = copy.deepcopy(next(iter(first.values()))["properties"])
        properties.update(sheetId=staging, title=title, hidden=True)
        properties.pop("index", None)
        rest = [r for r in rest if _kind(r) != "deleteConditionalFormatRule"]
        return [{"addSheet": {"properties": properties}}, *_retarget(rest, tab, staging)]
    grid = _values_grid(moved)
    properties = {"sheetId": staging, "title": title, "hidden": True, "gridProperties": grid}
    return [{"addSheet": {"properties": properties}}, *_retarget(moved, tab, staging)]


def _values_grid(moved: list[Request]) -> dict[str, int]:
    """The smallest grid holding the values of a kept tab's staged requests."""
    extents = [_extent(r) for r in moved]
    return {
        "rowCount": max([1, *(top + height for top, _, height, _ in extents)]),
        "columnCount": max([1, *(left + width for _, left, _, width in extents)]),
    }


def _paste(request: Request, staging: int) -> Request:
    """The copyPaste that puts the values `request` wrote into the staging tab in their place
    in the real tab; PASTE_VALUES leaves formats, notes and validations of those cells alone."""
    top, left, height, width = _extent(request)
    tab = request["updateCells"]["start"]["sheetId"]
    span = {"startRowIndex": top, "endRowIndex": top + height,
            "startColumnIndex": left, "endColumnIndex": left + width}  # fmt: skip
    return {
        "copyPaste": {
            "source": {"sheetId": staging, **span},
            "destination": {"sheetId": tab, **span},
            "pasteType": "PASTE_VALUES",
            "pasteOrientation": "NORMAL",
        }
    }


def _in_place(group: list[Request], staging: int) -> list[Request]:
    """A kept tab's requests for the last request, in their order, its values pasted."""
    return [_paste(r, staging) if _staged_values(r) else r for r in group]


def _swap(layout: _Layout, staged: dict[int, int]) -> list[Request]:
    """Show the new tabs, delete the staging tabs of the kept ones, every tab at its place."""
    requests: list[Request] = []
    for tab, staging in staged.items():
        if staging != tab:
            requests.append({"deleteSheet": {"sheetId": staging}})
            continue
        properties = {"sheetId": tab, "title": layout.title(tab), "hidden": False}
        requests.append({"updateSheetProperties": {"properties": properties,
                                                   "fields": "title,hidden"}})  # fmt: skip
    order = layout.order()
    requests += [
        {"updateSheetProperties": {"properties": {"sheetId": tab, "index": index},
                                   "fields": "index"}}
        for index, tab in enumerate(order)
    ]  # fmt: skip
    return requests


def _cleanup(metadata: dict[str, Any]) -> list[Request]:
    """What a write that died half way left: hidden staging tabs and its progress marker."""
    requests: list[Request] = [
        {"deleteSheet": {"sheetId": s["properties"]["sheetId"]}}
        for s in metadata.get("sheets", ())
        if s["properties"].get("title", "").startswith(STAGING_PREFIX)
    ]
    requests += [
        {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
            "metadataId": item["metadataId"]}}}}
        for item in metadata.get("developerMetadata", ())
        if item.get("metadataKey") == PROGRESS_KEY
    ]  # fmt: skip
    return requests


def _marker(run: str, number: int) -> Request:
    value = f"{run}:{number}"
    if number == 1:
        return {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": PROGRESS_KEY,
                    "metadataValue": value,
                    "location": {"spreadsheet": True},
                    "visibility": "DOCUMENT",
                }
            }
        }
    return {
        "updateDeveloperMetadata": {
            "dataFilters": [{"developerMetadataLookup": {"metadataKey": PROGRESS_KEY}}],
            "developerMetadata": {"metadataValue": value},
            "fields": "metadataValue",
        }
    }


def _marked_probe(run: str, number: int) -> Probe:
    value = f"{run}:{number}"
    return lambda found: any(
        m.get("metadataKey") == PROGRESS_KEY and m.get("metadataValue") == value for m in found
    )


def _final_probe(finals: list[Request], metadata: dict[str, Any]) -> Probe:
    """The last request replaces developer metadata (the fingerprint): it was applied when the
    ids under those keys are no longer the ones read before writing."""
    keys = {
        r["createDeveloperMetadata"]["developerMetadata"]["metadataKey"]
        for r in finals
        if _kind(r) == "createDeveloperMetadata"
    }

    def ids(items: list[dict[str, Any]]) -> set[int]:
        return {m["metadataId"] for m in items if m.get("metadataKey") in keys}

    before = ids(metadata.get("developerMetadata", []))
    return lambda found: bool(keys) and ids(found) != before


def _split_rows(request: Request, first_room: int, room: int) -> list[Request]:
    """A row-carrying request (updateCells from a start cell, appendCells) cut into pieces: the
    first fits `first_room` bytes, the others `room`."""
    kind = _kind(request)
    body = request[kind]
    shell = request_bytes({kind: {**body, "rows": []}})
    pieces: list[Request] = []
    offset, current, used = 0, [], shell
    for row in body["rows"]:
        size = len(json.dumps(row, allow_nan=False)) + 2
        if current and used + size > (room if pieces else first_room):
            pieces.append(_piece(kind, body, offset, current))
            offset, current, used = offset + len(current), [], shell
        current.append(row)
        used += size
    pieces.append(_piece(kind, body, offset, current))
    return pieces


def _piece(kind: str, body: dict[str, Any], offset: int, rows: list[Any]) -> Request:
    piece = {**body, "rows": rows}
    if "start" in body:
        piece["start"] = {**body["start"], "rowIndex": body["start"].get("rowIndex", 0) + offset}
    return {kind: piece}


def _splittable(request: Request) -> bool:
    body = request[_kind(request)]
    return (
        _kind(request) in ("updateCells", "appendCells")
        and "rows" in body
        and (_kind(request) == "appendCells" or "start" in body)
    )


def _pack(requests: list[Request], room: int, what: str) -> list[list[Request]]:
    """Requests in order, in batches of at most `room` bytes of requests each."""
    batches: list[list[Request]] = [[]]
    used = [0]

    def place(request: Request, size: int) -> None:
        if size > room:
            raise OutputError(
                f"{what}: one request needs {size:,} bytes, more than the {room:,} Google takes"
            )
        if used[-1] + size > room and batches[-1]:
            batches.append([])
            used.append(0)
        batches[-1].append(request)
        used[-1] += size

    for request in requests:
        size = request_bytes(request) + 2
        if used[-1] + size <= room or not _splittable(request):
            place(request, size)
            continue
        for piece in _split_rows(request, room - used[-1], room):
            place(piece, request_bytes(piece) + 2)
    return [batch for batch in batches if batch]


def _choose(layout: _Layout, limit: int) -> tuple[dict[int, int], list[int]]:
    """Tabs to stage (tab id -> staging tab id), largest first, until the last request fits;
    then, if it still does not, tabs that cannot be staged to send ahead of it."""
    groups = layout.groups.items()
    whole = {tab: sum(request_bytes(r) + 2 for r in group) for tab, group in groups}
    sizes = {tab: sum(request_bytes(r) + 2 for r in layout.moved(tab)) for tab in layout.groups}
    swap_room = _SWAP_ROOM * (len(layout.tabs) + len(layout.groups)) + _MARKER_ROOM
    remaining = _EMPTY_BODY + swap_room + sum(request_bytes(r) + 2 for r in layout.finals)
    remaining += sum(whole.values())
    taken = set(layout.tabs) | set(layout.groups)
    staged: dict[int, int] = {}
    ahead: list[int] = []
    for stage in (True, False):
        for tab in sorted(sizes, key=lambda t: sizes[t], reverse=True):
            if remaining <= limit:
                break
            if tab in staged or tab in ahead or layout.stageable(tab) != stage:
                continue
            if stage:
                new = tab not in layout.tabs
                staged[tab] = tab if new else _staging_id(layout.title(tab), taken)
                taken.add(staged[tab])
                remaining -= sizes[tab]
            else:
                ahead.append(tab)
                remaining -= whole[tab]
    return staged, [tab for tab in layout.groups if tab in ahead]


def refuse_over_cell_limit(what: str, grids: dict[str, tuple[int, int]]) -> None:
    """Refuse, before anything is sent, a spreadsheet whose tabs (title -> rows, columns) would
    pass Google's cell limit: Google would refuse the write half way through a sync."""
    cells = sum(rows * columns for rows, columns in grids.values())
    if cells <= MAX_CELLS:
        return
    title, (rows, columns) = max(grids.items(), key=lambda item: item[1][0] * item[1][1])
    raise OutputError(
        f"{what}: needs {cells:,} cells, Google allows at most {MAX_CELLS:,} in one spreadsheet "
        f"(largest tab '{title}': {rows:,} rows x {columns} columns); write this campaign with "
        "output.kind: xlsx, or split it into smaller campaigns"
    )


def _grids(layout: _Layout, staged: dict[int, int]) -> dict[str, tuple[int, int]]:
    """Every tab's size (title -> rows, columns) at the fullest moment of the write: an old tab
    and its staging copy exist together until the last request."""
    tabs = {t: (p.get("title", ""), p.get("gridProperties", {})) for t, p in layout.tabs.items()}
    for tab, group in layout.groups.items():
        first = group[0]
        if _kind(first) not in ("addSheet", "updateSheetProperties"):
            continue
        properties = first[_kind(first)]["properties"]
        title, grid = tabs.get(tab, ("", {}))
        grid = {**grid, **properties.get("gridProperties", {})}
        tabs[tab] = (properties.get("title", title), grid)
        if staged.get(tab, tab) != tab:  # a kept tab beside the staging tab of its values
            tabs[staged[tab]] = (STAGING_PREFIX + title, _values_grid(layout.moved(tab)))
    deleted = {r["deleteSheet"]["sheetId"] for r in layout.finals if _kind(r) == "deleteSheet"}
    return {
        f"{title} ({tab})": (grid.get("rowCount", 1000), grid.get("columnCount", 26))
        for tab, (title, grid) in tabs.items()
        if tab not in deleted
    }


def plan(
    requests: list[Request], metadata: dict[str, Any], what: str, limit: int | None = None
) -> list[Batch]:
    """The batches that write `requests` (one spreadsheet's ordered batchUpdate requests) with
    `metadata` (its spreadsheets.get answer: sheets.properties, developerMetadata) as found."""
    limit = limit or MAX_REQUEST_BYTES
    layout = _Layout.of(requests, metadata)
    cleanup = _cleanup(metadata)
    applied = _final_probe(layout.finals, metadata)
    if body_bytes(cleanup + requests) <= limit:
        refuse_over_cell_limit(what, _grids(layout, {}))
        return [Batch(cleanup + requests, applied)]
    staged, ahead = _choose(layout, limit)
    refuse_over_cell_limit(what, _grids(layout, staged))
    early = [r for tab in staged for r in _staged_group(layout, tab, staged[tab])]
    early += [r for tab in ahead for r in layout.groups[tab]]
    run = secrets.token_hex(4)
    batches = [
        Batch([*chunk, _marker(run, number)], _marked_probe(run, number))
        for number, chunk in enumerate(_pack(cleanup + early, limit - _MARKER_ROOM, what), 1)
    ]
    last: list[Request] = []
    for tab, group in layout.groups.items():
        if tab not in ahead and staged.get(tab) != tab:  # neither sent nor staged whole
            last += _in_place(group, staged[tab]) if tab in staged else group
    lookup = {"developerMetadataLookup": {"metadataKey": PROGRESS_KEY}}
    last += [
        *layout.finals,
        *_swap(layout, staged),
        {"deleteDeveloperMetadata": {"dataFilter": lookup}},
    ]
    if body_bytes(last) > limit:
        raise OutputError(
            f"{what}: the last request needs {body_bytes(last):,} bytes, more than the "
            f"{limit:,} Google takes"
        )
    return [*batches, Batch(last, applied)]


def send(google: GoogleSession, key: str, batches: list[Batch]) -> None:
    """Send the batches in order. A batch whose reply was lost is sent again only when the
    developer metadata read back shows it was not applied."""
    policy = google.http.policy
    for batch in batches:
        attempt = 0
        while True:
            try:
                google.http.batch_update(key, {"requests": batch.requests})
                break
            except APIError as exc:
                raise google.explain(exc, f"spreadsheet {key}") from None
            except UncertainWrite as exc:
                # Wait first: a request that timed out may still be running at Google.
                policy.sleep(policy.delay(attempt, None))
                if batch.applied(_developer_metadata(google, key)):
                    break
                if attempt >= policy.max_retries:
                    raise GoogleError(
                        f"Google did not answer the write of spreadsheet {key} after "
                        f"{attempt + 1} tries ({exc.failure}); the tabs officers see are "
                        "unchanged, try again later"
                    ) from None
                attempt += 1


def _developer_metadata(google: GoogleSession, key: str) -> list[dict[str, Any]]:
    try:
        found = google.http.fetch_sheet_metadata(key, params={"fields": "developerMetadata"})
    except APIError as exc:
        raise google.explain(exc, f"spreadsheet {key}") from None
    return found.get("developerMetadata", [])
