"""Target `google_sheets`: one spreadsheet per reviewing unit, the province's being the shared
dashboard spreadsheet.

A sync first reads every unit's spreadsheet (metadata, then the officers' review tabs), settles
the review round exactly as the local writer does, then writes each spreadsheet with ONE
batchUpdate (values, formats, filters, highlights, dropdowns, charts, protection and the content
fingerprint together). Google applies a batch all or nothing, so a failed sync leaves every
spreadsheet in its previous or its new state; the review state and the audit log are saved only
after every write went through. A spreadsheet whose fingerprint already matches, and whose
review tabs still show what was written (no row deleted, no sync-owned cell edited), is not
written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gspread.exceptions import APIError

from ..config import Settings
from ..orgtree import Unit
from ..report import Report
from ..review.audit import AUDIT_FILE, AuditEntry
from ..review.settle import ReadBack
from ..review.state import STATE_FILE, load_state, state_json
from ..review.values import fingerprint
from ..templates import SheetLayout, Templates, load_templates
from ..writers import append_lines, reviewing_units, unit_sheets
from ..writers.atomic import write_text_atomic
from ..writers.readback import rows_by_header
from ..writers.records import Dashboard, Renderer, Sheet
from ..writers.review import apply_review, remember, sheet_digests
from .client import GoogleError, GoogleSession, spreadsheet_key
from .drive import (
    BLANK_SPREADSHEET,
    SHEET_URL,
    Drive,
    DriveState,
    registry_entries,
    registry_rows,
)
from .requests import cell, dashboard_requests, owned_column_runs, sheet_id_for, tab_requests
from .serials import from_serial

FINGERPRINT_KEY = "sangkien-sync.fingerprint"
PROTECTION_MARK = "sangkien-sync"
_METADATA_FIELDS = (
    "properties.title,developerMetadata,sheets(properties,conditionalFormats,charts(chartId),"
    "protectedRanges(protectedRangeId,description))"
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

    def tabs(self) -> dict[str, dict[str, Any]]:
        assert self.metadata is not None
        return {s["properties"]["title"]: s for s in self.metadata.get("sheets", ())}


class GoogleWriter:
    def __init__(self, google: GoogleSession, settings: Settings, templates: Templates):
        self.google = google
        self.settings = settings
        self.templates = templates

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
        layouts = self.templates.sheets
        listed, archived = layouts["initiatives"], layouts["archive"]
        values = self.read_tabs(sheet, [listed.name, archived.name])
        return ReadBack(
            listed=_dated(rows_by_header(values.get(listed.name, []), listed), listed),
            archived=_dated(rows_by_header(values.get(archived.name, []), archived), archived),
        )

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
        for data in content.sheets:
            requests += tab_requests(data, self.templates, existing.get(data.layout.name))
        if content.dashboard is not None:
            title = self.templates.dashboard["title"]
            requests += dashboard_requests(content.dashboard, self.templates, existing.get(title))
            owned.append(title)
        requests += self._protect(content, existing)
        if content.appended:
            requests += self._append_audit(content.appended, existing)
            owned.append(self.templates.sheets["audit"].name)
        if fresh:  # the blank tab Drive gives a new spreadsheet
            requests += [
                {"deleteSheet": {"sheetId": tab["properties"]["sheetId"]}}
                for title, tab in existing.items()
                if title not in owned
            ]
        requests += self._fingerprint(sheet.metadata, fingerprint)
        return requests

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
            for start, end in owned_column_runs(data.layout):
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
            requests += tab_requests(header, self.templates, None)
        keys = layout.column_keys()
        cells = [{"values": [cell(row.get(k)) for k in keys]} for row in rows]
        requests.append(
            {"appendCells": {"sheetId": sheet_id, "rows": cells, "fields": "userEnteredValue"}}
        )
        return requests

    def _fingerprint(self, metadata: dict[str, Any], fingerprint: str) -> list[dict[str, Any]]:
        requests: list[dict[str, Any]] = [
            {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
                "metadataId": item["metadataId"]}}}}
            for item in metadata.get("developerMetadata", ())
            if item.get("metadataKey") == FINGERPRINT_KEY
        ]  # fmt: skip
        requests.append(
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": FINGERPRINT_KEY,
                        "metadataValue": fingerprint,
                        "location": {"spreadsheet": True},
                        "visibility": "DOCUMENT",
                    }
                }
            }
        )
        return requests

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
        sheet.fingerprint = digest
        if unchanged and stored == [digest]:
            return False
        body = {"requests": self.requests_for(content, sheet, digest, fresh)}
        try:
            self.google.http.batch_update(sheet.key, body)
        except APIError as exc:
            raise self.google.explain(exc, f"spreadsheet {sheet.key}") from None
        return True


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
    writer: GoogleWriter, report: Report, settings: Settings, dashboard_key: str, drive: Drive
) -> dict[str, Spreadsheet]:
    """Every reviewing unit's spreadsheet: the province's is the dashboard; the others come from
    the config, else the registry tab; those not found yet get a None key."""
    tree = report.tree
    province = Spreadsheet(tree.root, dashboard_key)
    writer.load_metadata(province)
    registry = writer.read_registry(province)
    configured = {u: spreadsheet_key(k) for u, k in settings.google.unit_spreadsheets.items()}
    found = {tree.root.id: province}
    for unit in reviewing_units(report, settings):
        if unit.id == tree.root.id:
            continue
        key, fingerprint = registry.get(unit.id, (drive.state.spreadsheets.get(unit.id), ""))
        if unit.id in configured and configured[unit.id] != key:
            key, fingerprint = configured[unit.id], ""
        found[unit.id] = Spreadsheet(unit, key, fingerprint=fingerprint)
    return found


def write_google(
    report: Report, settings: Settings, google: GoogleSession, out_dir: Path
) -> list[str]:
    """Read every unit's spreadsheet, settle the review round, write; return what was written."""
    if not settings.google.dashboard_spreadsheet:
        raise GoogleError(
            "output.kind is google_sheets but google.dashboard_spreadsheet is not set in "
            "config.yaml: create the provincial spreadsheet, share it with the service account "
            f"{google.account}, and put its address there"
        )
    templates = load_templates()
    writer = GoogleWriter(google, settings, templates)
    drive = Drive(google, settings, DriveState.load(out_dir))
    tree = report.tree
    sheets = _locate(
        writer, report, settings, spreadsheet_key(settings.google.dashboard_spreadsheet), drive
    )
    readbacks = {unit_id: writer.read_review(sheet) for unit_id, sheet in sheets.items()}
    previous = load_state(out_dir / STATE_FILE)
    apply_review(report, settings, templates, previous, readbacks)
    renderer = Renderer(report, settings, templates)
    contents: dict[str, Content] = {}
    for unit_id, sheet in sheets.items():
        board = renderer.dashboard(unit_id) if sheet.unit.tier != "grassroots" else None
        tabs = unit_sheets(renderer, sheet.unit)
        if board is not None:
            tabs.append(board.chart_data)
        contents[unit_id] = Content(tabs, board)
    listed = {unit_id: content.sheets[0] for unit_id, content in contents.items()}
    state, entries = remember(report, renderer, previous, listed, report.generated_at)
    written: list[str] = []
    for unit_id, sheet in sheets.items():
        if unit_id == tree.root.id:
            continue
        fresh = sheet.key is None
        if sheet.key is None:
            sheet.key = drive.spreadsheet_for(sheet.unit, tree)
            if sheet.key in drive.created:
                sheet.metadata = BLANK_SPREADSHEET
        drifted = _drifted(readbacks[unit_id], contents[unit_id], templates)
        if writer.write(sheet, contents[unit_id], fresh, drifted):
            written.append(SHEET_URL.format(sheet.key))
    province = sheets[tree.root.id]
    registry = registry_rows(
        (sheet.unit, sheet.key, sheet.fingerprint)
        for unit_id, sheet in sheets.items()
        if unit_id != tree.root.id and sheet.key
    )
    board = contents[tree.root.id]
    board.sheets.append(Sheet(renderer.layouts["registry"], registry))
    board.appended = _audit_rows(entries)
    if writer.write(province, board, drifted=_drifted(readbacks[tree.root.id], board, templates)):
        written.append(SHEET_URL.format(province.key))
    report.refused_addresses = [refused.as_json() for refused in drive.refused]
    # Saved only now: a sync that failed above settles the same round again next time.
    write_text_atomic(out_dir / STATE_FILE, json.dumps(state_json(state), ensure_ascii=False))
    append_lines(out_dir / AUDIT_FILE, entries)
    return written
