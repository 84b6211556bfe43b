"""In-memory state of the emulated Sheets, Drive and Forms.

Resources are kept in Google's own JSON shapes (SheetProperties, CellData, ProtectedRange...)
so that answering a request is mostly copying them out. Cell dicts are never mutated in
place: every write stores a new dict, which makes cloning a spreadsheet for an atomic
batchUpdate a cheap shallow copy of the cell map.
"""

from __future__ import annotations

import copy
import random
import string
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .a1 import Bounds, RangeParseError, grid_range_bounds, parse_cells, split_sheet

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
FORM_MIME = "application/vnd.google-apps.form"
DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"

Cell = dict[str, Any]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Grid:
    """Sparse cells keyed by ``(row, column)``, zero-based."""

    __slots__ = ("cells",)

    def __init__(self, cells: dict[tuple[int, int], Cell] | None = None) -> None:
        self.cells = cells if cells is not None else {}

    def get(self, row: int, col: int) -> Cell | None:
        return self.cells.get((row, col))

    def put(self, row: int, col: int, cell: Cell | None) -> None:
        if cell:
            self.cells[(row, col)] = cell
        else:
            self.cells.pop((row, col), None)

    def clone(self) -> Grid:
        return Grid(dict(self.cells))

    def within(self, bounds: Bounds) -> Iterator[tuple[tuple[int, int], Cell]]:
        for key, cell in self.cells.items():
            if bounds.contains(*key):
                yield key, cell

    def remap(self, move: Callable[[int, int], tuple[int, int] | None]) -> None:
        """Move every cell; ``move`` returns the new key or None to drop the cell."""
        moved: dict[tuple[int, int], Cell] = {}
        for (row, col), cell in self.cells.items():
            target = move(row, col)
            if target is not None:
                moved[target] = cell
        self.cells = moved


@dataclass
class Sheet:
    properties: dict[str, Any]
    grid: Grid = field(default_factory=Grid)
    merges: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    charts: list[dict[str, Any]] = field(default_factory=list)
    row_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    col_meta: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def sheet_id(self) -> int:
        return self.properties.get("sheetId", 0)

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def grid_properties(self) -> dict[str, Any]:
        return self.properties.setdefault("gridProperties", {})

    @property
    def row_count(self) -> int:
        return self.grid_properties.get("rowCount", 0)

    @property
    def col_count(self) -> int:
        return self.grid_properties.get("columnCount", 0)

    def resize(self, rows: int, cols: int) -> None:
        """Set the grid size, dropping cells and row/column properties that fall outside."""
        self.grid_properties["rowCount"] = rows
        self.grid_properties["columnCount"] = cols
        if any(r >= rows or c >= cols for r, c in self.grid.cells):
            self.grid.remap(lambda r, c: (r, c) if r < rows and c < cols else None)
        self.row_meta = {i: m for i, m in self.row_meta.items() if i < rows}
        self.col_meta = {i: m for i, m in self.col_meta.items() if i < cols}

    def grow_to(self, rows: int, cols: int) -> None:
        self.grid_properties["rowCount"] = max(self.row_count, rows)
        self.grid_properties["columnCount"] = max(self.col_count, cols)

    def clone(self) -> Sheet:
        return Sheet(
            properties=copy.deepcopy(self.properties),
            grid=self.grid.clone(),
            merges=copy.deepcopy(self.merges),
            conditional_formats=copy.deepcopy(self.conditional_formats),
            protected_ranges=copy.deepcopy(self.protected_ranges),
            basic_filter=copy.deepcopy(self.basic_filter),
            charts=copy.deepcopy(self.charts),
            row_meta=dict(self.row_meta),
            col_meta=dict(self.col_meta),
        )


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    properties: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)
    named_ranges: list[dict[str, Any]] = field(default_factory=list)
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.properties.get("locale", "en_US")

    def clone(self) -> Spreadsheet:
        return Spreadsheet(
            spreadsheet_id=self.spreadsheet_id,
            properties=copy.deepcopy(self.properties),
            sheets=[sheet.clone() for sheet in self.sheets],
            named_ranges=copy.deepcopy(self.named_ranges),
            developer_metadata=copy.deepcopy(self.developer_metadata),
        )

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        # Sheet titles are unique ignoring case, and lookups ignore case too.
        folded = title.casefold()
        return next((s for s in self.sheets if s.title.casefold() == folded), None)

    def reindex(self) -> None:
        for index, sheet in enumerate(self.sheets):
            sheet.properties["index"] = index

    def resolve(self, text: str) -> tuple[Sheet, Bounds]:
        """Resolve an A1 range or named range; raises RangeParseError naming ``text``."""
        try:
            title, ref = split_sheet(text)
        except RangeParseError:
            raise RangeParseError(text) from None
        if title is None:
            return self._resolve_unqualified(text, ref or "")
        sheet = self.sheet_by_title(title)
        if sheet is None:
            raise RangeParseError(text)
        if not ref:
            return sheet, Bounds()
        try:
            return sheet, parse_cells(ref)
        except RangeParseError:
            raise RangeParseError(text) from None

    def _resolve_unqualified(self, text: str, ref: str) -> tuple[Sheet, Bounds]:
        sheet = self.sheet_by_title(ref)
        if sheet is not None:
            return sheet, Bounds()
        named = next((n for n in self.named_ranges if n.get("name") == ref), None)
        if named is not None:
            grid_range = named.get("range", {})
            target = self.sheet_by_id(grid_range.get("sheetId", 0))
            if target is not None:
                return target, grid_range_bounds(grid_range)
        grid_sheets = [s for s in self.sheets if s.properties.get("sheetType", "GRID") == "GRID"]
        if not grid_sheets:
            raise RangeParseError(text)
        try:
            return grid_sheets[0], parse_cells(ref)
        except RangeParseError:
            raise RangeParseError(text) from None


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    owner: str
    parents: list[str]
    created_time: str
    modified_time: str
    trashed: bool = False
    starred: bool = False
    description: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    app_properties: dict[str, str] = field(default_factory=dict)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    # The shared drive holding the file; such a file has no owner and its "owner" is unused.
    drive_id: str | None = None
    # Drive's File.version: "A monotonically increasing version number for the file. This
    # reflects every change made to the file on the server, even those not visible to the user."
    version: int = 1

    def changed(self) -> None:
        """Count a change to the file: its content, its metadata or who may see it."""
        self.version += 1

    def to_json(self, caller: str) -> dict[str, Any]:
        """The full File resource; responses are cut down by the ``fields`` mask."""
        data: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": list(self.parents),
            "starred": self.starred,
            "trashed": self.trashed,
            "createdTime": self.created_time,
            "modifiedTime": self.modified_time,
            "version": str(self.version),  # an int64, which Drive sends as a string
            "permissions": copy.deepcopy(self.permissions),
            "webViewLink": _web_link(self),
            "capabilities": {"canEdit": True, "canShare": True},
        }
        if self.drive_id is None:
            data["owners"] = [
                {
                    "kind": "drive#user",
                    "displayName": self.owner.split("@")[0],
                    "emailAddress": self.owner,
                    "me": self.owner == caller,
                }
            ]
        else:
            # Items in a shared drive are owned by the drive, not by a person.
            data["driveId"] = self.drive_id
        if self.description is not None:
            data["description"] = self.description
        if self.properties:
            data["properties"] = dict(self.properties)
        if self.app_properties:
            data["appProperties"] = dict(self.app_properties)
        return data


def _web_link(file: DriveFile) -> str:
    if file.mime_type == SPREADSHEET_MIME:
        return f"https://docs.google.com/spreadsheets/d/{file.id}/edit?usp=drivesdk"
    if file.mime_type == FOLDER_MIME:
        return f"https://drive.google.com/drive/folders/{file.id}"
    if file.mime_type == FORM_MIME:
        return f"https://docs.google.com/forms/d/{file.id}/edit?usp=drivesdk"
    return f"https://drive.google.com/file/d/{file.id}/view?usp=drivesdk"


@dataclass
class SharedDrive:
    """A shared drive: it owns its items; its members are permissions on the drive."""

    id: str
    name: str
    created_time: str
    members: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "drive#drive", "id": self.id, "name": self.name}


@dataclass
class Form:
    form_id: str
    document: dict[str, Any]
    responses: list[dict[str, Any]] = field(default_factory=list)


class Store:
    """All emulated resources plus the access rules tests set up."""

    def __init__(
        self,
        *,
        seed: int = 0,
        locale: str = "en_US",
        time_zone: str = "Etc/GMT",
        owner: str = "emulator-owner@example.iam.gserviceaccount.com",
    ) -> None:
        # One lock for everything: requests are applied one at a time, like a single
        # well-behaved backend, which keeps atomicity trivial to reason about.
        self.lock = threading.RLock()
        self.random = random.Random(seed)
        self.default_locale = locale
        self.default_time_zone = time_zone
        self.owner = owner
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.files: dict[str, DriveFile] = {}
        self.forms: dict[str, Form] = {}
        self.denied: set[tuple[str, str]] = set()
        self.drives: dict[str, SharedDrive] = {}
        # Addresses Google knows no account for (sharing to them may need a notification).
        self.without_google_account: set[str] = set()
        # Strict: enforce ownership, sharing, quotas and limits as Google does.
        self.strict = True

    # ------------------------------------------------------------------------------- ids

    def new_id(self, length: int = 44) -> str:
        while True:
            candidate = "1" + "".join(self.random.choices(_ID_ALPHABET, k=length - 1))
            if candidate not in self.files and candidate not in self.forms:
                return candidate

    def new_int_id(self, used: set[int]) -> int:
        """A random positive int32, like Google's sheet, chart and protected-range ids."""
        while True:
            candidate = self.random.randint(1, 2**31 - 1)
            if candidate not in used:
                return candidate

    # ----------------------------------------------------------------------------- access

    def is_denied(self, resource_id: str, account: str) -> bool:
        return (resource_id, account) in self.denied or (resource_id, "*") in self.denied

    # ----------------------------------------------------------------------- spreadsheets

    def new_spreadsheet(
        self,
        title: str,
        *,
        locale: str | None = None,
        time_zone: str | None = None,
        sheets: list[dict[str, Any]] | None = None,
    ) -> Spreadsheet:
        spreadsheet = Spreadsheet(
            spreadsheet_id=self.new_id(),
            properties={
                "title": title,
                "locale": locale or self.default_locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": time_zone or self.default_time_zone,
                "defaultFormat": default_cell_format(),
            },
        )
        for properties in sheets or [{}]:
            spreadsheet.sheets.append(self.new_sheet(spreadsheet, properties))
            spreadsheet.reindex()
        return spreadsheet

    def new_sheet(self, spreadsheet: Spreadsheet, properties: dict[str, Any]) -> Sheet:
        """A sheet with Google's defaults filled in (the first sheet gets id 0)."""
        given = copy.deepcopy(properties)
        if "sheetId" in given:
            sheet_id = given.pop("sheetId")
        elif not spreadsheet.sheets:
            sheet_id = 0
        else:
            sheet_id = self.new_int_id({s.sheet_id for s in spreadsheet.sheets})
        props: dict[str, Any] = {
            "sheetId": sheet_id,
            "title": given.pop("title", None) or _next_title(spreadsheet, "Sheet"),
            "index": given.pop("index", len(spreadsheet.sheets)),
            "sheetType": given.pop("sheetType", "GRID"),
        }
        if props["sheetType"] == "GRID":
            grid = given.pop("gridProperties", {})
            props["gridProperties"] = {
                "rowCount": grid.pop("rowCount", DEFAULT_ROWS),
                "columnCount": grid.pop("columnCount", DEFAULT_COLUMNS),
                **grid,
            }
        props.update(given)
        return Sheet(properties=props)

    def add_spreadsheet(
        self, spreadsheet: Spreadsheet, owner: str, parents: list[str] | None = None
    ) -> DriveFile:
        """Register a spreadsheet and its Drive file."""
        self.spreadsheets[spreadsheet.spreadsheet_id] = spreadsheet
        return self.add_file(
            spreadsheet.spreadsheet_id,
            spreadsheet.properties["title"],
            SPREADSHEET_MIME,
            owner=owner,
            parents=parents,
        )

    def commit(self, spreadsheet: Spreadsheet) -> None:
        """Make a modified working copy the current state (the atomic swap)."""
        self.spreadsheets[spreadsheet.spreadsheet_id] = spreadsheet
        file = self.files.get(spreadsheet.spreadsheet_id)
        if file is not None:
            file.name = spreadsheet.properties["title"]
            file.modified_time = utc_now()
            file.changed()

    # ------------------------------------------------------------------------------ drive

    def add_file(
        self,
        file_id: str,
        name: str,
        mime_type: str,
        *,
        owner: str,
        parents: list[str] | None = None,
    ) -> DriveFile:
        now = utc_now()
        parents = list(parents or [])
        drive_id = self.drive_of(parents)
        file = DriveFile(
            id=file_id,
            name=name,
            mime_type=mime_type,
            owner=owner,
            parents=parents,
            created_time=now,
            modified_time=now,
            permissions=[] if drive_id else [owner_permission(owner)],
            drive_id=drive_id,
        )
        self.files[file_id] = file
        return file

    def new_drive(self, name: str, organizer: str) -> SharedDrive:
        drive_id = "0A" + "".join(self.random.choices(_ID_ALPHABET, k=17))
        drive = SharedDrive(drive_id, name, utc_now(), [user_permission(organizer, "organizer")])
        self.drives[drive_id] = drive
        return drive

    def drive_of(self, parents: list[str]) -> str | None:
        """The shared drive that parents (a drive id or folders inside one) belong to."""
        for parent in parents:
            if parent in self.drives:
                return parent
            folder = self.files.get(parent)
            if folder is not None and folder.drive_id is not None:
                return folder.drive_id
        return None

    def delete_file(self, file_id: str) -> None:
        self.files.pop(file_id, None)
        self.spreadsheets.pop(file_id, None)
        self.forms.pop(file_id, None)


def owner_permission(email: str) -> dict[str, Any]:
    return {**user_permission(email, "owner"), "pendingOwner": False}


def user_permission(email: str, role: str) -> dict[str, Any]:
    return {
        "kind": "drive#permission",
        "id": permission_id_for(email),
        "type": "user",
        "role": role,
        "emailAddress": email,
        "displayName": email.split("@")[0],
        "deleted": False,
    }


def permission_id_for(email: str) -> str:
    """Stable numeric id per address, as Drive gives the same id for the same user."""
    digest = 0
    for char in email.lower():
        digest = (digest * 131 + ord(char)) % 10**20
    return f"{digest:020d}"


def _next_title(spreadsheet: Spreadsheet, stem: str) -> str:
    number = len(spreadsheet.sheets) + 1
    while spreadsheet.sheet_by_title(f"{stem}{number}") is not None:
        number += 1
    return f"{stem}{number}"


def default_cell_format() -> dict[str, Any]:
    return {
        "backgroundColor": {"red": 1, "green": 1, "blue": 1},
        "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
        "verticalAlignment": "BOTTOM",
        "wrapStrategy": "OVERFLOW_CELL",
        "textFormat": {
            "foregroundColor": {},
            "fontFamily": "arial,sans,sans-serif",
            "fontSize": 10,
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
        },
    }
