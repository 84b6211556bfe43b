"""The units' spreadsheets on Drive: finding, creating and sharing them, the way config.yaml
chooses (`google.owner`):

- `user`: a person signed in with `sangkien login`; the files are theirs, in their Drive.
- `shared_drive`: a service account, member of a Google Workspace shared drive; every Drive call
  carries `supportsAllDrives` (and a listing `corpora=drive`, `driveId`), without which Google
  answers "not found" for shared-drive items.
- `apps_script`: the provincial officer's Apps Script created the spreadsheets and listed them in
  the registry tab; the sync only finds them and never creates one.

Readers are granted by folder, once: the province's folder is shared with the province's
officers, a folder per superior union (inside its superior's folder) with that union's officers,
and each unit's spreadsheet is created inside its superior's folder, so every officer above a
unit reads it through Drive's inheritance. Only the unit's own officers are granted on the file
(as editors). An address Google refuses is skipped and reported; the run goes on.

Every spreadsheet and folder is recorded in `google-drive.json` (output folder) the moment it
exists, so a sync that died after creating one finds it instead of making a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gspread.exceptions import APIError

from ..config import Settings
from ..orgtree import OrgTree, Unit
from ..templates import Templates
from ..writers.atomic import write_text_atomic
from .client import (
    DRIVE_FILES,
    THREE_WAYS,
    GoogleError,
    GoogleSession,
    error_reason,
    spreadsheet_key,
)

DRIVE_STATE_FILE = "google-drive.json"
SHEET_URL = "https://docs.google.com/spreadsheets/d/{}"
FOLDER_MIME = "application/vnd.google-apps.folder"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
# Google refuses these addresses one by one (no Google account, a domain that forbids outside
# sharing, a group it cannot resolve); the others still get their grants.
REFUSED_ADDRESS_REASONS = frozenset(
    {"invalidSharingRequest", "invalid", "badRequest", "notFound", "sharingNotSupported"}
)
# A new spreadsheet has exactly one blank tab, id 0: its metadata need not be read before the
# first write, which deletes it.
BLANK_SPREADSHEET: dict[str, Any] = {"sheets": [{"properties": {"sheetId": 0, "title": ""}}]}


def unit_title(unit: Unit) -> str:
    return f"{unit.id} – {unit.name}"


def lookup_record(templates: Templates) -> tuple[str, str, str]:
    """The public lookup's own spreadsheet: its id in the registry (the local lookup file's
    name), its name there, and its title in Drive."""
    record = Path(templates.review.lookup_file).stem
    name = templates.sheets["lookup"].name
    return record, name, f"{record} – {name}"


def registry_entries(rows: Iterable[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Unit id -> (spreadsheet key, fingerprint last written), from the rows of the provincial
    spreadsheet's registry tab (written by the sync, or by the spreadsheets' Apps Script)."""
    return {
        str(row["id"]): (spreadsheet_key(str(row["url"])), str(row.get("fingerprint") or ""))
        for row in rows
        if row.get("id") and row.get("url")
    }


def registry_rows(found: Iterable[tuple[Unit, str, str]]) -> list[list[Any]]:
    """The registry tab's rows, by unit id: (unit, spreadsheet key, fingerprint) each."""
    return [
        [unit.id, unit.name, SHEET_URL.format(key), fingerprint]
        for unit, key, fingerprint in sorted(found, key=lambda item: item[0].id)
    ]


@dataclass
class RefusedAddress:
    """An officer's address Google would not share a file or folder with."""

    email: str
    unit: str
    file: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"email": self.email, "unit": self.unit, "file": self.file, "reason": self.reason}


@dataclass
class DriveState:
    """What this sync created and shared, saved after every change."""

    path: Path
    folders: dict[str, str] = field(default_factory=dict)  # unit id -> folder id
    spreadsheets: dict[str, str] = field(default_factory=dict)  # unit id -> spreadsheet key
    shared: set[str] = field(default_factory=set)  # files and folders whose grants are done

    @classmethod
    def load(cls, out_dir: Path) -> DriveState:
        path = out_dir / DRIVE_STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return cls(path)
        return cls(
            path,
            dict(data.get("folders", {})),
            dict(data.get("spreadsheets", {})),
            set(data.get("shared", [])),
        )

    def save(self) -> None:
        data = {
            "folders": self.folders,
            "spreadsheets": self.spreadsheets,
            "shared": sorted(self.shared),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1))


class Drive:
    def __init__(self, google: GoogleSession, settings: Settings, state: DriveState):
        self.google = google
        self.settings = settings
        self.owner = settings.google.spreadsheet_owner
        self.state = state
        self.refused: list[RefusedAddress] = []
        self.created: set[str] = set()  # spreadsheets made by this run: blank, tab id 0
        self._drive_id: str | None = None
        self._children: dict[str, dict[tuple[str, str], str]] = {}  # folder -> (name, type) -> id

    # -- calls -------------------------------------------------------------------------------------

    def call(self, method: str, url: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Every Drive call names shared drives as supported: harmless in My Drive, required for
        any item of a shared drive."""
        return self.google.call(
            method, url, params={**(params or {}), "supportsAllDrives": "true"}, **kw
        )

    def drive_id(self) -> str | None:
        """The shared drive holding the campaign folder, asked of Drive once: a configured
        drive id is not trusted to hold the folder, so a service account never creates a file
        outside a shared drive."""
        if self.owner != "shared_drive":
            return None
        if self._drive_id is None:
            root = self.root_folder()
            configured = self.settings.google.shared_drive
            if configured and spreadsheet_key(configured) == root:
                self._drive_id = root  # the drive itself is the campaign folder
            else:
                found = self.call("GET", f"{DRIVE_FILES}/{root}", {"fields": "driveId"})
                self._drive_id = found.get("driveId") or ""
        return self._drive_id or None

    def list_params(self) -> dict[str, Any]:
        drive = self.drive_id()
        if drive is None:
            return {}
        return {"includeItemsFromAllDrives": "true", "corpora": "drive", "driveId": drive}

    # -- folders and files -------------------------------------------------------------------------

    def root_folder(self) -> str:
        """The province's folder: the configured one; for a signed-in person without one, a
        folder named after the campaign in their Drive, made by the sync (the drive.file scope
        lets it see only what it made)."""
        configured = self.settings.google.drive_folder
        if configured:
            return spreadsheet_key(configured)
        if self.owner == "shared_drive" and self.settings.google.shared_drive:
            return spreadsheet_key(self.settings.google.shared_drive)  # the drive's root
        if self.owner == "user":
            name = self.settings.campaign.name
            found = self.children("root").get((name, FOLDER_MIME))
            return found or self.create(name, "root", FOLDER_MIME)
        raise GoogleError(
            "google.drive_folder is not set in config.yaml: put there the address of the "
            "campaign's folder in the shared drive"
        )

    def children(self, folder: str) -> dict[tuple[str, str], str]:
        """(name, type) -> id of the folder's files and folders, one listing (paged) per folder:
        a superior's folder and its spreadsheet have the same name."""
        if folder not in self._children:
            found: dict[tuple[str, str], str] = {}
            token: str | None = None
            while True:
                params = {
                    "q": f"'{folder}' in parents and trashed = false",
                    "fields": "nextPageToken,files(id,name,mimeType)",
                    "pageSize": 1000,
                    **self.list_params(),
                }
                if token:
                    params["pageToken"] = token
                page = self.call("GET", DRIVE_FILES, params)
                for item in page.get("files", []):
                    found.setdefault((item["name"], item.get("mimeType", "")), item["id"])
                token = page.get("nextPageToken")
                if not token:
                    break
            self._children[folder] = found
        return self._children[folder]

    def create(self, name: str, parent: str, mime: str) -> str:
        if self.owner == "apps_script":
            raise GoogleError(
                f"«{name}» has no spreadsheet: google.owner is apps_script, so run the script of "
                "`sangkien spreadsheets-script` again (it resumes where it stopped)"
            )
        if self.owner == "shared_drive" and self.drive_id() is None:
            raise GoogleError(
                f"«{name}»: google.drive_folder is not in a shared drive: {THREE_WAYS}"
            )
        body = {"name": name, "mimeType": mime, "parents": [parent]}
        created = self.call("POST", DRIVE_FILES, {"fields": "id"}, json=body)["id"]
        self.created.add(created)
        if mime == FOLDER_MIME:
            self._children[created] = {}  # a new folder is empty: no need to list it
        self.children(parent)[name, mime] = created
        return created

    def folder_of(self, unit: Unit, tree: OrgTree) -> str:
        """The unit's folder: the configured one for the province, else one inside its
        superior's, shared with the unit's officers when it is first made."""
        if unit.id in self.state.folders:
            return self.state.folders[unit.id]
        if unit.id == tree.root.id:
            folder = self.root_folder()
        else:
            parent = self.folder_of(tree[unit.parent_id], tree)
            title = unit_title(unit)
            found = self.children(parent).get((title, FOLDER_MIME))
            folder = found or self.create(title, parent, FOLDER_MIME)
        self.state.folders[unit.id] = folder
        self.state.save()
        self.grant(folder, unit, "reader")
        return folder

    def spreadsheet_for(
        self, unit: Unit, tree: OrgTree, record: str | None = None, title: str | None = None
    ) -> str:
        """The unit's spreadsheet in its superior's folder (the province's own in its folder),
        found, else created and recorded at once; then the unit's officers are made editors.
        `record` and `title` name another spreadsheet of the unit (the public lookup)."""
        record = record or unit.id
        key = self.state.spreadsheets.get(record)
        if key is None:
            home = tree[unit.parent_id] if unit.parent_id else unit
            parent = self.folder_of(home, tree)
            title = title or unit_title(unit)
            found = self.children(parent).get((title, SPREADSHEET_MIME))
            key = found or self.create(title, parent, SPREADSHEET_MIME)
            self.state.spreadsheets[record] = key
            self.state.save()
        self.grant(key, unit, "writer")
        return key

    # -- sharing -----------------------------------------------------------------------------------

    def grant(self, file_id: str, unit: Unit, role: str) -> None:
        """Share once with each of the unit's officers; a refused address is reported."""
        if file_id in self.state.shared or self.owner == "apps_script":
            return  # the script shared the files it created
        for email in unit.officer_emails:
            self.share(file_id, unit, email, role)
        self.state.shared.add(file_id)
        self.state.save()

    def share(self, file_id: str, unit: Unit, email: str, role: str) -> None:
        url = f"{DRIVE_FILES}/{file_id}/permissions"
        body = {"type": "user", "role": role, "emailAddress": email}
        params = {"sendNotificationEmail": "false", "supportsAllDrives": "true", "fields": "id"}
        try:
            self.google.http.request("POST", url, params=params, json=body)
        except APIError as exc:
            reason = error_reason(exc.response)
            if exc.response.status_code != 400 and reason not in REFUSED_ADDRESS_REASONS:
                raise self.google.explain(exc, f"sharing {file_id} with {email}") from None
            self.refused.append(RefusedAddress(email, unit.id, file_id, reason or "400"))
