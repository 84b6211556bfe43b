"""Target `google_sheets`: one spreadsheet per reviewing unit, the province's being the shared
dashboard spreadsheet.

A sync first reads every unit's spreadsheet (metadata, then the officers' review tabs), settles
the review round exactly as the local writer does, then writes each spreadsheet with ONE
batchUpdate (values, formats, filters, highlights, dropdowns, charts, protection and the content
fingerprint together), or, past Google's request size, with several that `chunks` arranges so
the last one shows every change at once. Google applies a batch all or nothing, so a failed sync
leaves every spreadsheet showing its previous or its new state; the review state and the audit
log are saved only after every write went through. A spreadsheet whose fingerprint already
matches, and whose review tabs still show what was written (no row deleted, no sync-owned cell
edited), is not written. One whose review tabs changed after the sync read them (an officer
typed meanwhile) is not written either: it is named as left, and read again at the next sync.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gspread.exceptions import APIError

from ..a1 import column_letter
from ..config import Settings
from ..errors import GoogleError
from ..normalize import from_serial
from ..orgtree import OrgTree, Unit
from ..review.audit import AuditEntry
from ..review.settle import ReadBack
from ..review.state import ReviewState
from ..review.store import Written
from ..review.values import fingerprint
from ..templates import SheetLayout, Templates
from ..writers.atomic import Text
from ..writers.books import Books, UnitBook, retired_titles, reviewing_units, sheet_digests
from ..writers.folder import StateFiles
from ..writers.plan import Planner, owned_runs
from ..writers.readback import read_tab, readback_of, rows_by_header
from ..writers.records import Dashboard, Sheet
from . import chunks
from .client import GoogleSession, spreadsheet_key
from .drive import (
    BLANK_SPREADSHEET,
    SHEET_URL,
    Drive,
    DriveState,
    lookup_record,
    registry_entries,
    registry_rows,
)
from .sheet_requests import cell, dashboard_requests, sheet_id_for, tab_requests

FINGERPRINT_KEY = "sangkien-sync.fingerprint"
# The last audit rows appended alone, to a spreadsheet otherwise left as it was.
AUDIT_KEY = "sangkien-sync.audit"
PROTECTION_MARK = "sangkien-sync"
_METADATA_FIELDS = (
    "properties.title,developerMetadata,sheets(properties,conditionalFormats,charts(chartId),"
    "protectedRanges(protectedRangeId,description,range))"
)


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


@dataclass
class Content:
    """Everything one spreadsheet shows, rendered once and fingerprinted before any request."""

    sheets: list[Sheet]
    dashboard: Dashboard | None
    appended: list[dict[str, Any]] = field(default_factory=list)  # audit rows, never rewritten

    def fingerprint(self) -> str:
        # The "updated at" line changes every run; it must not make an unchanged sync write.
        parts: list[Any] = [[s.layout.name, s.rows] for s in self.sheets]
        if self.dashboard is not None:
            board = self.dashboard
            parts.append([board.heading, board.totals, board.chart_data.rows])
        text = json.dumps(parts, ensure_ascii=False, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass
class Spreadsheet:
    """One unit's spreadsheet as found before writing: None key when it does not exist yet.
    Its metadata is read only when needed (to write it, or to find its tabs after a read of a
    tab that is gone), so an unchanged unit costs one request per sync."""

    unit: Unit
    key: str | None
    metadata: dict[str, Any] | None = None
    fingerprint: str = ""  # as recorded in the registry by the last sync that wrote it
    review: str | None = None  # a digest of the review tabs' values as this sync read them

    def tabs(self) -> dict[str, dict[str, Any]]:
        assert self.metadata is not None
        return {s["properties"]["title"]: s for s in self.metadata.get("sheets", ())}


class EditedWhileSyncing(Exception):
    """A spreadsheet's review tabs changed after the sync read them: writing it would replace
    what the officer typed since with what was read before."""


def _values_digest(values: Mapping[str, list[list[Any]]]) -> str:
    return hashlib.blake2b(json.dumps(values, sort_keys=True).encode(), digest_size=16).hexdigest()


class GoogleWriter:
    def __init__(self, google: GoogleSession, settings: Settings, templates: Templates):
        self.google = google
        self.settings = settings
        self.templates = templates
        self.planner = Planner(templates)

    # -- reads -------------------------------------------------------------------------------------

    def metadata(self, key: str) -> dict[str, Any]:
        try:
            return self.google.http.fetch_sheet_metadata(key, params={"fields": _METADATA_FIELDS})
        except APIError as exc:
            raise self.google.explain(exc, f"spreadsheet {key}") from None

    def load_metadata(self, sheet: Spreadsheet) -> dict[str, Any]:
        if sheet.metadata is None:
            assert sheet.key is not None
            sheet.metadata = self.metadata(sheet.key)
        return sheet.metadata

    def read_tabs(self, sheet: Spreadsheet, titles: list[str]) -> dict[str, list[list[Any]]]:
        """The values of those of `titles` the spreadsheet has, in one request (two when a tab
        was deleted and its metadata has to say which are left)."""
        if sheet.key is None:
            return {}
        present = [t for t in titles if sheet.metadata is None or t in sheet.tabs()]
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
        try:
            answer = self.google.http.values_batch_get(
                sheet.key, [_quoted(t) for t in present], params=params
            ) if present else {}  # fmt: skip
        except APIError as exc:
            if exc.response.status_code != 400 or sheet.metadata is not None:
                raise self.google.explain(exc, f"spreadsheet {sheet.key}") from None
            self.load_metadata(sheet)  # a tab is missing: ask which ones are there
            return self.read_tabs(sheet, titles)
        return {
            title: block.get("values", [])
            for title, block in zip(present, answer.get("valueRanges", []), strict=False)
        }

    def read_review(self, sheet: Spreadsheet) -> ReadBack | None:
        if sheet.key is None:
            return None
        if not sheet.fingerprint:
            # Never recorded as written (made by the Apps Script, or configured): its review tabs
            # may not exist yet, so ask which it has rather than have the read refused.
            self.load_metadata(sheet)
        layouts = self.templates.sheets
        listed, archived = layouts["initiatives"], layouts["archive"]
        values = self.read_tabs(sheet, [listed.name, archived.name])
        sheet.review = _values_digest(values)
        tabs = [
            read_tab(values.get(layout.name, []), layout, layout.for_tier(sheet.unit.tier))
            for layout in (listed, archived)
        ]
        for layout, (rows, _) in zip((listed, archived), tabs, strict=True):
            _dated(rows, layout)
        return readback_of(*tabs)

    def edited_since_read(self, sheet: Spreadsheet) -> bool:
        """Whether an officer changed the review tabs after this sync read them: one more read,
        made just before the spreadsheet would be written over."""
        if sheet.review is None:
            return False
        layouts = self.templates.sheets
        titles = [layouts["initiatives"].name, layouts["archive"].name]
        return _values_digest(self.read_tabs(sheet, titles)) != sheet.review

    def read_registry(self, sheet: Spreadsheet) -> dict[str, tuple[str, str]]:
        """Unit id -> (spreadsheet key, fingerprint last written), from the provincial
        spreadsheet's registry tab."""
        layout = self.templates.sheets["registry"]
        values = self.read_tabs(sheet, [layout.name]).get(layout.name, [])
        return registry_entries(rows_by_header(values, layout))

    # -- writing -----------------------------------------------------------------------------------

    def requests_for(
        self, content: Content, sheet: Spreadsheet, fingerprint: str, fresh: bool
    ) -> list[dict[str, Any]]:
        existing = sheet.tabs()
        assert sheet.metadata is not None
        requests: list[dict[str, Any]] = []
        owned = [s.layout.name for s in content.sheets]
        narrowed: list[dict[str, Any]] = []
        for data in content.sheets:
            tab = existing.get(data.layout.name)
            requests += tab_requests(self.planner.tab(data), tab)
            narrowed += self._narrowed(sheet, tab, len(data.layout.columns))
        requests += self._retire(existing, owned)
        if content.dashboard is not None:
            title = self.templates.dashboard.title
            board = self.planner.dashboard(content.dashboard)
            requests += dashboard_requests(board, existing.get(title))
            owned.append(title)
        requests += self._protect(content, existing)
        requests += narrowed  # after the protections: the old ones are gone by then
        if content.appended:
            requests += self._append_audit(content.appended, existing)
            owned.append(self.templates.sheets["audit"].name)
        if fresh:  # the blank tab Drive gives a new spreadsheet
            requests += [
                {"deleteSheet": {"sheetId": tab["properties"]["sheetId"]}}
                for title, tab in existing.items()
                if title not in owned
            ]
        requests += _metadata_set(sheet.metadata, FINGERPRINT_KEY, fingerprint)
        return requests

    def _narrowed(
        self, sheet: Spreadsheet, tab: dict[str, Any] | None, width: int
    ) -> list[dict[str, Any]]:
        """Stale columns a wider layout left are deleted, so an officer's columns to their right
        close up beside the sync's. Where an officer put a note on one of their cells they stay,
        emptied of the sync's values, so the note is not lost with them."""
        stale = _stale_columns(tab, width)
        if tab is None or stale is None:
            return []
        sheet_id, title = tab["properties"]["sheetId"], tab["properties"]["title"]
        span = {"sheetId": sheet_id, "startColumnIndex": stale[0], "endColumnIndex": stale[1]}
        if self._has_notes(sheet, title, stale):
            return [{"updateCells": {"range": span, "fields": "userEnteredValue"}}]
        columns = {"sheetId": sheet_id, "dimension": "COLUMNS",
                   "startIndex": stale[0], "endIndex": stale[1]}  # fmt: skip
        return [{"deleteDimension": {"range": columns}}]

    def _has_notes(self, sheet: Spreadsheet, title: str, columns: tuple[int, int]) -> bool:
        assert sheet.key is not None
        first, last = column_letter(columns[0]), column_letter(columns[1] - 1)
        params = {"ranges": f"{_quoted(title)}!{first}:{last}",
                  "fields": "sheets.data.rowData.values.note"}  # fmt: skip
        try:
            found = self.google.http.fetch_sheet_metadata(sheet.key, params=params)
        except APIError as exc:
            raise self.google.explain(exc, f"spreadsheet {sheet.key}") from None
        return any(
            value.get("note")
            for tab in found.get("sheets", ())
            for block in tab.get("data", ())
            for row in block.get("rowData", ())
            for value in row.get("values", ())
        )

    def _retire(self, existing: dict[str, Any], owned: list[str]) -> list[dict[str, Any]]:
        """Tabs this book no longer holds (the public lookup, now a spreadsheet of its own) are
        deleted, unless an officer added columns beside the sync's: then they stay theirs."""
        widths = {layout.name: len(layout.columns) for layout in self.templates.sheets.values()}
        found = [existing[t]["properties"] for t in sorted(retired_titles(self.templates))
                 if t in existing and t not in owned]  # fmt: skip
        return [
            {"deleteSheet": {"sheetId": tab["sheetId"]}}
            for tab in found
            if tab.get("gridProperties", {}).get("columnCount", 0) <= widths[tab["title"]]
        ]

    def _protect(self, content: Content, existing: dict[str, Any]) -> list[dict[str, Any]]:
        """The sync-owned columns may be edited only by the service account, so an officer gets a
        clear refusal instead of an edit the next sync would undo; review columns stay open."""
        requests: list[dict[str, Any]] = []
        for data in content.sheets:
            tab = existing.get(data.layout.name)
            for protected in (tab or {}).get("protectedRanges", ()):
                if protected.get("description") == PROTECTION_MARK:
                    requests.append(
                        {
                            "deleteProtectedRange": {
                                "protectedRangeId": protected["protectedRangeId"]
                            }
                        }
                    )
            sheet_id = tab["properties"]["sheetId"] if tab else sheet_id_for(data.layout.name)
            for start, end in owned_runs(data.layout.columns):
                protected_range = {
                    "range": {
                        "sheetId": sheet_id,
                        "startColumnIndex": start,
                        "endColumnIndex": end,
                    },
                    "description": PROTECTION_MARK,
                    "warningOnly": False,
                    "editors": {"users": [self.google.account]},
                }
                requests.append({"addProtectedRange": {"protectedRange": protected_range}})
        return requests

    def _append_audit(
        self, rows: list[dict[str, Any]], existing: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The audit tab only ever grows: rows are appended, never rewritten."""
        layout = self.templates.sheets["audit"]
        tab = existing.get(layout.name)
        sheet_id = tab["properties"]["sheetId"] if tab else sheet_id_for(layout.name)
        requests: list[dict[str, Any]] = []
        if tab is None:
            header = Sheet(layout, [])
            requests += tab_requests(self.planner.tab(header), None)
        keys = layout.column_keys()
        cells = [{"values": [cell(row.get(k)) for k in keys]} for row in rows]
        requests.append(
            {"appendCells": {"sheetId": sheet_id, "rows": cells, "fields": "userEnteredValue"}}
        )
        return requests

    def append_audit_alone(self, sheet: Spreadsheet, rows: list[dict[str, Any]]) -> None:
        """The round's audit rows, appended to a spreadsheet otherwise left as it is: the audit
        tab only grows, so this takes nothing an officer typed. The new value under
        `AUDIT_KEY` tells a lost reply's batch from one Google applied."""
        assert sheet.key is not None
        metadata = self.load_metadata(sheet)
        mark = hashlib.blake2b(json.dumps(rows, default=str).encode(), digest_size=8).hexdigest()
        requests = self._append_audit(rows, sheet.tabs()) + _metadata_set(metadata, AUDIT_KEY, mark)
        what = f"spreadsheet {sheet.key}"
        chunks.send(self.google, sheet.key, chunks.plan(requests, metadata, what))

    def write(
        self, sheet: Spreadsheet, content: Content, fresh: bool = False, drifted: bool = False
    ) -> bool:
        """Write the content unless the spreadsheet already shows it; True when it wrote.
        `drifted`: the tabs read back no longer show what was last written, so the matching
        fingerprint does not mean the spreadsheet shows the content."""
        assert sheet.key is not None
        digest = content.fingerprint()
        unchanged = not content.appended and not drifted
        if unchanged and sheet.fingerprint == digest:
            return False  # the registry says so: not even the metadata needs reading
        stored = [
            m.get("metadataValue")
            for m in self.load_metadata(sheet).get("developerMetadata", ())
            if m.get("metadataKey") == FINGERPRINT_KEY
        ]
        if unchanged and stored == [digest]:
            sheet.fingerprint = digest
            return False
        if not fresh and self.edited_since_read(sheet):
            raise EditedWhileSyncing
        sheet.fingerprint = digest
        requests = self.requests_for(content, sheet, digest, fresh)
        what = f"spreadsheet {sheet.key}"
        chunks.send(self.google, sheet.key, chunks.plan(requests, sheet.metadata or {}, what))
        return True


def _metadata_set(metadata: dict[str, Any], key: str, value: str) -> list[dict[str, Any]]:
    """Requests replacing the spreadsheet's developer metadata under `key` with `value`."""
    requests: list[dict[str, Any]] = [
        {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
            "metadataId": item["metadataId"]}}}}
        for item in metadata.get("developerMetadata", ())
        if item.get("metadataKey") == key
    ]  # fmt: skip
    requests.append(
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": key,
                    "metadataValue": value,
                    "location": {"spreadsheet": True},
                    "visibility": "DOCUMENT",
                }
            }
        }
    )
    return requests


def _stale_columns(tab: dict[str, Any] | None, width: int) -> tuple[int, int] | None:
    """The columns an earlier sync owned (protected) past the layout's width, as a wider layout
    of the tab left them."""
    ends = [
        protected["range"].get("endColumnIndex", 0)
        for protected in (tab or {}).get("protectedRanges", ())
        if protected.get("description") == PROTECTION_MARK and "range" in protected
    ]
    end = max(ends, default=0)
    return (width, end) if tab is not None and end > width else None


def _dated(rows: list[dict[str, Any]], layout: SheetLayout) -> list[dict[str, Any]]:
    """Date columns come back as serial numbers; make them dates again, as a workbook reader
    returns them, so a date the sync wrote is not mistaken for an officer's edit."""
    dated = [c.key for c in layout.columns if c.format in ("date", "datetime")]
    for row in rows:
        for key in dated:
            value = row.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                row[key] = from_serial(float(value))
    return rows


def _drifted(readback: ReadBack | None, content: Content, templates: Templates) -> bool:
    """Whether the review tabs as read differ from what `content` writes in them: a row deleted,
    copied or typed in by hand, or a sync-owned cell edited. Sorting, filtering and blank rows
    are not drift; the officers' review cells are compared by the content itself."""
    if readback is None:
        return False
    tabs = {s.layout.name: s for s in content.sheets}
    pairs = (
        (readback.listed, templates.sheets["initiatives"].name),
        (readback.archived, templates.sheets["archive"].name),
    )
    for rows, title in pairs:
        written = sheet_digests(tabs[title]) if title in tabs else {}
        found = [str(row.get("id") or "").strip() for row in rows]
        if sorted(found) != sorted(written):
            return True
        for initiative, row in zip(found, rows, strict=True):
            for key, digest in written[initiative].items():
                if key not in row or fingerprint(row[key]) != digest:
                    return True
    return False


def _audit_rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    rows = []
    for entry in entries:
        details = {k: v for k, v in entry.items() if k not in ("time", "unit", "id", "change")}
        rows.append(
            {
                "time": entry.get("time"),
                "unit": entry.get("unit"),
                "id": entry.get("id"),
                "change": entry.get("change"),
                "details": json.dumps(details, ensure_ascii=False) if details else "",
            }
        )
    return rows


def _locate(
    tree: OrgTree,
    settings: Settings,
    province: Spreadsheet,
    registry: dict[str, tuple[str, str]],
    drive: Drive,
) -> dict[str, Spreadsheet]:
    """Every reviewing unit's spreadsheet: the province's is the dashboard; the others come from
    the config, else the registry tab; those not found yet get a None key."""
    configured = {u: spreadsheet_key(k) for u, k in settings.google.unit_spreadsheets.items()}
    found = {tree.root.id: province}
    for unit in reviewing_units(tree, settings):
        if unit.id == tree.root.id:
            continue
        key, fingerprint = registry.get(unit.id, (drive.state.spreadsheets.get(unit.id), ""))
        if unit.id in configured and configured[unit.id] != key:
            key, fingerprint = configured[unit.id], ""
        found[unit.id] = Spreadsheet(unit, key, fingerprint=fingerprint)
    return found


def _content(book: UnitBook) -> Content:
    tabs = list(book.sheets)
    if book.dashboard is not None:
        tabs.append(book.dashboard.chart_data)
    return Content(tabs, book.dashboard)


@dataclass
class GoogleStore:
    """The Google `ReviewStore`: every reviewing unit's spreadsheet, found through the provincial
    dashboard spreadsheet's registry; the review state and the audit log are kept locally too
    (the audit also on the province's audit tab)."""

    files: StateFiles
    writer: GoogleWriter
    drive: Drive
    sheets: dict[str, Spreadsheet] = field(default_factory=dict)
    readbacks: dict[str, ReadBack | None] = field(default_factory=dict)
    lookup: Spreadsheet | None = None  # the public lookup's own spreadsheet
    # Unit id -> why its spreadsheet was left as it was (an officer typed while the sync ran).
    left: dict[str, str] = field(default_factory=dict)

    @classmethod
    def connect(
        cls, google: GoogleSession, settings: Settings, templates: Templates, out_dir: Path
    ) -> GoogleStore:
        if not settings.google.dashboard_spreadsheet:
            raise GoogleError(
                "output.kind is google_sheets but google.dashboard_spreadsheet is not set in "
                "config.yaml: create the provincial spreadsheet, share it with the service "
                f"account {google.account}, and put its address there"
            )
        drive = Drive(google, settings, DriveState.load(out_dir))
        return cls(StateFiles(out_dir), GoogleWriter(google, settings, templates), drive)

    def previous(self) -> ReviewState:
        return self.files.previous()

    def save(
        self, state: ReviewState, entries: list[AuditEntry], documents: Mapping[Path, Text]
    ) -> None:
        self.files.keep_last_written(state, self.left)
        self.files.save(state, entries, documents)

    def held(self) -> dict[str, str]:
        left = {SHEET_URL.format(self.sheets[u].key): why for u, why in self.left.items()}
        return {**self.files.held(), **left}

    def _write_unless_edited(
        self, unit_id: str, content: Content, fresh: bool = False, drifted: bool = False
    ) -> bool:
        """Write a unit's spreadsheet; one whose review tabs an officer changed while the sync
        ran is left as it is, named, and read again at the next sync."""
        try:
            return self.writer.write(self.sheets[unit_id], content, fresh, drifted)
        except EditedWhileSyncing:
            self.left[unit_id] = "edited while the sync ran; sync again to take in what was typed"
            return False

    def settled(self, steady: str, units: Sequence[Unit]) -> bool:
        return False  # a spreadsheet has no stamp to show it untouched: each is checked

    def read(self, tree: OrgTree, units: Sequence[Unit]) -> dict[str, ReadBack | None]:
        """Locate every reviewing unit's spreadsheet (the registry and the config say where
        each is; `units` are those of `reviewing_units`) and read its review tabs."""
        dashboard = spreadsheet_key(self.writer.settings.google.dashboard_spreadsheet or "")
        province = Spreadsheet(tree.root, dashboard)
        self.writer.load_metadata(province)
        registry = self.writer.read_registry(province)
        self.sheets = _locate(tree, self.writer.settings, province, registry, self.drive)
        saved = self.drive.state.spreadsheets.get(self._lookup_id)
        key, fingerprint = registry.get(self._lookup_id, (saved, ""))
        self.lookup = Spreadsheet(tree.root, key, fingerprint=fingerprint)
        # The province's spreadsheet is written last (it registers the others): its review is
        # read last too, so that what its officers type during the other reads is read, not
        # found changed at the write and the shared dashboard left as it was.
        last = [u for u in self.sheets if u != tree.root.id] + [tree.root.id]
        self.readbacks = {u: self.writer.read_review(self.sheets[u]) for u in last}
        return self.readbacks

    def write(self, books: Books, audit: Callable[[], list[AuditEntry]]) -> Written:
        """Each unit's spreadsheet in one batchUpdate (created and shared when new), then the
        province's with the registry and the audit rows appended."""
        writer, templates = self.writer, self.writer.templates
        contents = {unit.id: _content(books.book(unit)) for unit in books.units}
        for unit_id, content in contents.items():  # nothing is sent for a layout Google refuses
            tabs = content.sheets
            grids = {tab.layout.name: (len(tab.rows) + 1, len(tab.layout.columns)) for tab in tabs}
            chunks.refuse_over_cell_limit(f"spreadsheet of unit {unit_id}", grids)
        province = books.tree.root
        written: list[str] = []
        for unit_id, sheet in self.sheets.items():
            if unit_id == province.id:
                continue
            fresh = sheet.key is None
            if fresh:
                self._find_or_create(sheet, self.drive.spreadsheet_for(sheet.unit, books.tree))
            drifted = _drifted(self.readbacks[unit_id], contents[unit_id], templates)
            if self._write_unless_edited(unit_id, contents[unit_id], fresh, drifted):
                written.append(SHEET_URL.format(sheet.key))
        written += self._write_lookup(books)
        board = contents[province.id]
        board.sheets.append(Sheet(templates.sheets["registry"], self._registry(books)))
        board.appended = _audit_rows(audit())
        drifted = _drifted(self.readbacks[province.id], board, templates)
        if self._write_unless_edited(province.id, board, drifted=drifted):
            written.append(SHEET_URL.format(self.sheets[province.id].key))
        elif province.id in self.left and board.appended:  # the audit tab holds every entry
            writer.append_audit_alone(self.sheets[province.id], board.appended)
        refused = [address.as_json() for address in self.drive.refused]
        return Written(written, refused)

    def _find_or_create(self, sheet: Spreadsheet, key: str) -> None:
        """A spreadsheet this run created is blank (one tab, id 0): no need to read it."""
        sheet.key = key
        if key in self.drive.created:
            sheet.metadata = BLANK_SPREADSHEET

    @property
    def _lookup_id(self) -> str:
        return lookup_record(self.writer.templates)[0]

    def _write_lookup(self, books: Books) -> list[str]:
        """The public lookup in a spreadsheet of its own, which can be shared with every author
        without opening the province's spreadsheet; registered like the units' ones."""
        sheet = self.lookup
        assert sheet is not None
        fresh = sheet.key is None
        if sheet.key is None:
            record, _, title = lookup_record(self.writer.templates)
            key = self.drive.spreadsheet_for(books.tree.root, books.tree, record, title)
            self._find_or_create(sheet, key)
        if self.writer.write(sheet, Content([books.lookup()], None), fresh):
            return [SHEET_URL.format(sheet.key)]
        return []

    def _registry(self, books: Books) -> list[list[Any]]:
        tree = books.tree
        rows = registry_rows(
            (sheet.unit, sheet.key, sheet.fingerprint)
            for unit_id, sheet in self.sheets.items()
            if unit_id != tree.root.id and sheet.key
        )
        if self.lookup is not None and self.lookup.key:
            url = SHEET_URL.format(self.lookup.key)
            tab = self.writer.templates.sheets["lookup"].name
            rows.append([self._lookup_id, tab, url, self.lookup.fingerprint])
        return rows
