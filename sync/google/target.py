"""Target `google_sheets`: one spreadsheet per reviewing unit and the provincial dashboard.

Each spreadsheet is written with ONE batchUpdate (values, formats, filters, highlights, charts,
protection and the content fingerprint together), which Google applies all or nothing, so a
failed sync leaves every spreadsheet in its previous or its new state. A spreadsheet whose
fingerprint already matches is not touched at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from gspread.exceptions import APIError

from ..config import Settings
from ..orgtree import Unit
from ..report import Report
from ..templates import Templates, load_templates
from ..writers.records import Dashboard, Renderer, Sheet
from .client import GoogleError, GoogleSession, spreadsheet_key
from .requests import dashboard_requests, sheet_id_for, tab_requests

FINGERPRINT_KEY = "sangkien-sync.fingerprint"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
SHEET_URL = "https://docs.google.com/spreadsheets/d/{}"
_METADATA_FIELDS = (
    "properties.title,developerMetadata,"
    "sheets(properties,conditionalFormats,charts(chartId),protectedRanges(protectedRangeId,range))"
)


@dataclass(frozen=True)
class Content:
    """Everything one spreadsheet shows, rendered once, fingerprinted before any request."""

    sheets: list[Sheet]
    dashboard: Dashboard | None

    def fingerprint(self) -> str:
        # The "updated at" line changes every run; it must not make an unchanged sync write.
        board = self.dashboard
        parts = [[s.layout.name, s.rows] for s in self.sheets]
        if board is not None:
            parts.append([board.heading, board.totals, board.chart_data.rows])
        text = json.dumps(parts, ensure_ascii=False, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass
class RegistryEntry:
    key: str
    fingerprint: str


def _content(renderer: Renderer, unit: Unit) -> Content:
    sheets = [renderer.initiatives(unit.id), renderer.problems(unit.id), renderer.tallies(unit.id)]
    if unit.tier == "grassroots":
        return Content(sheets, None)
    board = renderer.dashboard(unit.id)
    return Content([*sheets, board.chart_data], board)


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

    def read_registry(self, key: str, metadata: dict[str, Any]) -> dict[str, RegistryEntry]:
        layout = self.templates.sheets["registry"]
        titles = {s["properties"]["title"] for s in metadata.get("sheets", ())}
        if layout.name not in titles:
            return {}
        quoted = "'" + layout.name.replace("'", "''") + "'"
        try:
            values = self.google.http.values_get(key, quoted).get("values", [])
        except APIError as exc:
            raise self.google.explain(exc, f"spreadsheet {key}, tab {layout.name!r}") from None
        keys = layout.column_keys()
        entries = {}
        for row in values[1:]:
            record = dict(zip(keys, row, strict=False))
            if record.get("unit_id") and record.get("url"):
                entries[record["unit_id"]] = RegistryEntry(
                    spreadsheet_key(record["url"]), record.get("fingerprint", "")
                )
        return entries

    # -- creating and sharing ----------------------------------------------------------------------

    def find_or_create(self, title: str) -> str:
        """A spreadsheet named `title` in the configured folder; created when absent, so a sync
        that died after creating it finds it again instead of making a second one."""
        folder = self.settings.google.drive_folder
        query = f"name = '{title.replace(chr(39), chr(92) + chr(39))}' and trashed = false"
        query += " and mimeType = 'application/vnd.google-apps.spreadsheet'"
        if folder:
            query += f" and '{folder}' in parents"
        found = self.google.call(
            "GET", DRIVE_FILES, params={"q": query, "fields": "files(id,name)", "pageSize": 10}
        )
        if found.get("files"):
            return found["files"][0]["id"]
        body: dict[str, Any] = {
            "name": title,
            "mimeType": "application/vnd.google-apps.spreadsheet",
        }
        if folder:
            body["parents"] = [folder]
        return self.google.call("POST", DRIVE_FILES, json=body, params={"fields": "id"})["id"]

    def share(self, key: str, unit: Unit, tree) -> None:
        """Editors: the unit's own officers. Readers: the officers of every unit above it."""
        grants = [(email, "writer") for email in unit.officer_emails]
        for ancestor in tree.ancestors(unit.id):
            grants += [(email, "reader") for email in tree[ancestor].officer_emails]
        for email, role in grants:
            self.google.call(
                "POST",
                f"{DRIVE_FILES}/{key}/permissions",
                params={"sendNotificationEmail": "false"},
                json={"type": "user", "role": role, "emailAddress": email},
            )

    # -- writing -----------------------------------------------------------------------------------

    def requests_for(
        self, content: Content, metadata: dict[str, Any], fingerprint: str, fresh: bool
    ) -> list[dict[str, Any]]:
        existing = {s["properties"]["title"]: s for s in metadata.get("sheets", ())}
        requests: list[dict[str, Any]] = []
        owned = [s.layout.name for s in content.sheets]
        for sheet in content.sheets:
            requests += tab_requests(sheet, self.templates, existing.get(sheet.layout.name))
        if content.dashboard is not None:
            title = self.templates.dashboard["title"]
            requests += dashboard_requests(content.dashboard, self.templates, existing.get(title))
            owned.append(title)
        requests += self._protect(content, existing)
        if fresh:  # the blank tab Drive gives a new spreadsheet
            requests += [
                {"deleteSheet": {"sheetId": s["properties"]["sheetId"]}}
                for title, s in existing.items()
                if title not in owned
            ]
        requests += self._fingerprint(metadata, fingerprint)
        return requests

    def _protect(self, content: Content, existing: dict[str, Any]) -> list[dict[str, Any]]:
        """Columns the sync owns may be edited only by the service account (officers get a
        clear refusal instead of an edit the next sync would silently undo)."""
        requests = []
        for sheet in content.sheets:
            tab = existing.get(sheet.layout.name)
            if tab and tab.get("protectedRanges"):
                continue
            sheet_id = tab["properties"]["sheetId"] if tab else sheet_id_for(sheet.layout.name)
            requests.append(
                {
                    "addProtectedRange": {
                        "protectedRange": {
                            "range": {
                                "sheetId": sheet_id,
                                "startColumnIndex": 0,
                                "endColumnIndex": len(sheet.layout.columns),
                            },
                            "description": "sangkien-sync",
                            "warningOnly": False,
                            "editors": {"users": [self.google.account]},
                        }
                    }
                }
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
        self,
        key: str,
        content: Content,
        fresh: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> bool:
        """Write the content unless the spreadsheet already shows it; True when it wrote."""
        fingerprint = content.fingerprint()
        metadata = metadata if metadata is not None else self.metadata(key)
        stored = [
            m.get("metadataValue")
            for m in metadata.get("developerMetadata", ())
            if m.get("metadataKey") == FINGERPRINT_KEY
        ]
        if stored == [fingerprint]:
            return False
        body = {"requests": self.requests_for(content, metadata, fingerprint, fresh)}
        try:
            self.google.http.batch_update(key, body)
        except APIError as exc:
            raise self.google.explain(exc, f"spreadsheet {key}") from None
        return True


def write_google(report: Report, settings: Settings, google: GoogleSession) -> list[str]:
    """Write every reviewing unit's spreadsheet and the dashboard; return what was written."""
    if not settings.google.dashboard_spreadsheet:
        raise GoogleError(
            "output.kind is google_sheets but google.dashboard_spreadsheet is not set in "
            "config.yaml: create the provincial spreadsheet, share it with the service account "
            f"{google.account}, and put its address there"
        )
    templates = load_templates()
    renderer = Renderer(report, settings, templates)
    writer = GoogleWriter(google, settings, templates)
    tree = report.tree
    dashboard_key = spreadsheet_key(settings.google.dashboard_spreadsheet)
    dashboard_meta = writer.metadata(dashboard_key)
    registry = writer.read_registry(dashboard_key, dashboard_meta)
    configured = {u: spreadsheet_key(k) for u, k in settings.google.unit_spreadsheets.items()}
    written: list[str] = []
    for unit in report.tree:
        if unit.tier not in settings.output.tiers or unit.id == tree.root.id:
            continue
        content = _content(renderer, unit)
        fingerprint = content.fingerprint()
        entry = registry.get(unit.id)
        key = configured.get(unit.id) or (entry.key if entry else None)
        if key and entry and entry.fingerprint == fingerprint:
            continue
        fresh = key is None
        if key is None:
            key = writer.find_or_create(f"{unit.id} – {unit.name}")
            writer.share(key, unit, tree)
        writer.write(key, content, fresh)
        registry[unit.id] = RegistryEntry(key, fingerprint)
        written.append(SHEET_URL.format(key))
    province = _content(renderer, tree.root)
    registry_rows = [
        [unit_id, tree[unit_id].name, SHEET_URL.format(entry.key), entry.fingerprint]
        for unit_id, entry in sorted(registry.items())
        if unit_id in tree.units
    ]
    registry_sheet = Sheet(renderer.layouts["registry"], registry_rows)
    province = Content([*province.sheets, registry_sheet], province.dashboard)
    if writer.write(dashboard_key, province, metadata=dashboard_meta):
        written.append(SHEET_URL.format(dashboard_key))
    return written
