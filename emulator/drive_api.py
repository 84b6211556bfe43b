"""Drive v3 methods: files and permissions, with a small parser for the ``q`` language."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .access import (
    WRITER,
    at_least,
    drive_role,
    insufficient_permissions,
    is_service_account,
    role_of,
    storage_quota_exceeded,
)
from .context import NO_CONTENT, Call, Handler, NoContent
from .errors import drive_error, drive_file_not_found
from .forms_api import new_form
from .store import (
    FOLDER_MIME,
    FORM_MIME,
    SPREADSHEET_MIME,
    DriveFile,
    SharedDrive,
    permission_id_for,
    utc_now,
)

_DEFAULT_FILE_FIELDS = ("kind", "id", "name", "mimeType")
_DEFAULT_PERMISSION_FIELDS = ("kind", "id", "type", "role")
_PERMISSION_TYPES = ("user", "group", "domain", "anyone")
_ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
_ROLE_GROUPS = {
    "owners": {"owner"},
    "writers": {"owner", "organizer", "fileOrganizer", "writer"},
    "readers": {"owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"},
}
_MAX_PAGE_SIZE = 1000

FilePredicate = Callable[[DriveFile], bool]


# ------------------------------------------------------------------------------ query


class DriveQueryError(ValueError):
    pass


_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?P<op>!=|<=|>=|=|<|>|\(|\))|(?P<word>[A-Za-z_][A-Za-z0-9_.]*|-?\d+))"""
)


def _tokenize(query: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _TOKEN.match(query, position)
        if not match:
            raise DriveQueryError(query)
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _QueryParser:
    """Recursive descent over: or-expr := and-expr ('or' and-expr)*, with not and parens."""

    def __init__(self, query: str) -> None:
        self.tokens = _tokenize(query)
        self.position = 0

    def parse(self) -> FilePredicate:
        predicate = self._or()
        if self.position != len(self.tokens):
            raise DriveQueryError("trailing tokens")
        return predicate

    def _peek_word(self) -> str:
        if self.position < len(self.tokens) and self.tokens[self.position][0] == "word":
            return self.tokens[self.position][1].lower()
        return ""

    def _take(self, kind: str | None = None) -> str:
        if self.position >= len(self.tokens):
            raise DriveQueryError("unexpected end")
        token_kind, value = self.tokens[self.position]
        if kind is not None and token_kind != kind:
            raise DriveQueryError(f"expected {kind}")
        self.position += 1
        return value

    def _or(self) -> FilePredicate:
        parts = [self._and()]
        while self._peek_word() == "or":
            self.position += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda f: any(p(f) for p in parts)

    def _and(self) -> FilePredicate:
        parts = [self._not()]
        while self._peek_word() == "and":
            self.position += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else lambda f: all(p(f) for p in parts)

    def _not(self) -> FilePredicate:
        if self._peek_word() == "not":
            self.position += 1
            inner = self._not()
            return lambda f: not inner(f)
        if self.tokens[self.position : self.position + 1] == [("op", "(")]:
            self.position += 1
            inner = self._or()
            if self._take() != ")":
                raise DriveQueryError("unbalanced parentheses")
            return inner
        return self._term()

    def _term(self) -> FilePredicate:
        kind, first = self.tokens[self.position] if self.position < len(self.tokens) else ("", "")
        if kind == "string":  # 'folder-id' in parents
            self.position += 1
            if self._take("word").lower() != "in":
                raise DriveQueryError("expected 'in'")
            return _membership(self._take("word"), first)
        field = self._take("word")
        operator = self._take()
        if operator.lower() == "in":  # parents in 'folder-id' (the form gspread sends)
            return _membership(field, self._take("string"))
        if operator.lower() == "contains":
            return _contains(field, self._take("string"))
        kind, value = self.tokens[self.position] if self.position < len(self.tokens) else ("", "")
        self.position += 1
        return _comparison(field, operator, value, kind)


def _membership(field: str, value: str) -> FilePredicate:
    if field == "parents":
        if value == "root":
            return lambda f: not f.parents or "root" in f.parents
        return lambda f: value in f.parents
    roles = _ROLE_GROUPS.get(field)
    if roles is None:
        raise DriveQueryError(field)
    wanted = value.lower()
    return lambda f: any(
        p.get("emailAddress", "").lower() == wanted and p.get("role") in roles
        for p in f.permissions
    )


def _contains(field: str, value: str) -> FilePredicate:
    lowered = value.lower()
    if field == "name":
        return lambda f: lowered in f.name.lower()
    if field == "fullText":
        return lambda f: lowered in f"{f.name} {f.description or ''}".lower()
    raise DriveQueryError(field)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_FILE_ATTRIBUTES: dict[str, Callable[[DriveFile], Any]] = {
    "name": lambda f: f.name,
    "mimeType": lambda f: f.mime_type,
    "trashed": lambda f: f.trashed,
    "starred": lambda f: f.starred,
    "modifiedTime": lambda f: f.modified_time,
    "createdTime": lambda f: f.created_time,
}


def _comparison(field: str, operator: str, value: str, kind: str) -> FilePredicate:
    attribute = _FILE_ATTRIBUTES.get(field)
    compare = _COMPARE.get(operator)
    if attribute is None or compare is None:
        raise DriveQueryError(field)
    if field in ("trashed", "starred"):
        if kind != "word" or value.lower() not in ("true", "false") or operator not in ("=", "!="):
            raise DriveQueryError(field)
        expected: Any = value.lower() == "true"
    elif kind == "string":
        expected = value
    else:
        raise DriveQueryError(field)
    return lambda f: compare(attribute(f), expected)


def compile_query(query: str) -> FilePredicate:
    try:
        return _QueryParser(query).parse()
    except (DriveQueryError, IndexError):
        raise drive_error(400, "Invalid Value", "invalid", "q") from None


# ------------------------------------------------------------------------------ files


def supports_all_drives(call: Call) -> bool:
    return bool(call.query.get("supportsAllDrives") or call.query.get("supportsTeamDrives"))


def visible_file(call: Call, file_id: str, need: str | None = None) -> DriveFile:
    """The file, if the caller may see it (and holds the ``need`` role on it).

    Drive answers 404 for files the caller cannot see, not 403, and a shared-drive item is
    "not found" to a request without ``supportsAllDrives=true``.
    """
    file = call.store.files.get(file_id)
    role = None if file is None else role_of(call.store, file, call.account)
    hidden = file is not None and file.drive_id is not None and not supports_all_drives(call)
    if file is None or role is None or (hidden and call.store.strict):
        raise drive_file_not_found(file_id)
    if need is not None and not at_least(role, need):
        raise insufficient_permissions(file_id)
    return file


def _file_json(call: Call, file: DriveFile) -> dict[str, Any]:
    full = file.to_json(call.account)
    if call.query.get("fields"):
        return full  # The server cuts it down to the requested fields.
    return {key: full[key] for key in _DEFAULT_FILE_FIELDS}


def _check_parents(call: Call, parents: list[str]) -> None:
    """The caller must be able to add items to each parent (a folder or a shared drive)."""
    if len(parents) > 1:
        raise drive_error(
            403, "Increasing the number of parents is not allowed.", "cannotAddParent"
        )
    for parent in parents:
        if parent == "root":
            continue
        if parent in call.store.drives:
            role = drive_role(call.store, parent, call.account)
            if role is None or not supports_all_drives(call):
                raise drive_file_not_found(parent)
            if not at_least(role, WRITER):
                raise insufficient_permissions(parent)
            continue
        folder = visible_file(call, parent, WRITER)
        if folder.mime_type != FOLDER_MIME:
            raise drive_file_not_found(parent)


def _check_storage_quota(call: Call, mime_type: str, parents: list[str]) -> None:
    """A service account owns no storage: it may create files only inside a shared drive.

    Folders hold no bytes and stay allowed (n8n issue 17235: "Create Folder works").
    """
    if not call.store.strict or mime_type == FOLDER_MIME:
        return
    if is_service_account(call.account) and call.store.drive_of(parents) is None:
        raise storage_quota_exceeded()


def files_create(call: Call) -> dict[str, Any]:
    body = call.body or {}
    store = call.store
    name = body.get("name") or "Untitled"
    mime_type = body.get("mimeType") or "application/octet-stream"
    parents = list(body.get("parents") or [])
    _check_parents(call, parents)
    _check_storage_quota(call, mime_type, parents)
    if mime_type == SPREADSHEET_MIME:
        file = store.add_spreadsheet(store.new_spreadsheet(name), call.account, parents)
    elif mime_type == FORM_MIME:
        form = new_form(store, name)
        file = store.add_file(form.form_id, name, FORM_MIME, owner=call.account, parents=parents)
    else:
        length = 33 if mime_type == FOLDER_MIME else 44
        file = store.add_file(
            store.new_id(length), name, mime_type, owner=call.account, parents=parents
        )
    _apply_file_fields(file, body)
    return _file_json(call, file)


def _apply_file_fields(file: DriveFile, body: dict[str, Any]) -> None:
    for key, attribute in (("description", "description"), ("starred", "starred")):
        if key in body:
            setattr(file, attribute, body[key])
    for key, mapping in (("properties", file.properties), ("appProperties", file.app_properties)):
        for name, value in (body.get(key) or {}).items():
            if value is None:
                mapping.pop(name, None)  # Drive deletes a property set to null.
            else:
                mapping[name] = value


def files_get(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"])
    if call.query.get("alt") == "media":
        raise drive_error(
            403,
            "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            "fileNotDownloadable",
            "alt",
        )
    return _file_json(call, file)


def files_list(call: Call) -> dict[str, Any]:
    query = call.query.get("q")
    predicate = compile_query(query) if query else (lambda f: True)
    in_corpus = _corpus(call)
    found = [
        f
        for f in call.store.files.values()
        if in_corpus(f) and role_of(call.store, f, call.account) is not None and predicate(f)
    ]
    found = _ordered(found, call.query.get("orderBy"))
    size = min(call.query.get("pageSize") or 100, _MAX_PAGE_SIZE)
    offset = int(call.query.get("pageToken") or 0)
    page = found[offset : offset + size]
    response: dict[str, Any] = {
        "kind": "drive#fileList",
        "incompleteSearch": False,
        "files": [_file_json(call, f) for f in page],
    }
    if offset + size < len(found):
        response["nextPageToken"] = str(offset + size)
    return response


def _corpus(call: Call) -> FilePredicate:
    """Which items a listing searches, by ``corpora``, ``driveId`` and the all-drives flags.

    Shared-drive items are listed only with ``includeItemsFromAllDrives=true``, which itself
    needs ``supportsAllDrives=true``; ``driveId`` goes with ``corpora=drive`` and only with it.
    """
    corpora = call.query.get("corpora") or "user"
    drive_id = call.query.get("driveId")
    include_drives = bool(call.query.get("includeItemsFromAllDrives"))
    if not call.store.strict:
        return lambda f: drive_id is None or f.drive_id == drive_id
    if include_drives and not supports_all_drives(call):
        raise drive_error(
            403,
            "The includeItemsFromAllDrives parameter can only be set to true when "
            "supportsAllDrives is also set to true.",
            "teamDriveSupportRequired",
        )
    if (corpora == "drive") != (drive_id is not None):
        raise drive_error(
            400,
            "The driveId parameter must be specified if and only if corpora is set to drive.",
            "badRequest",
        )
    if corpora in ("drive", "allDrives") and not include_drives:
        raise drive_error(
            400,
            f"The includeItemsFromAllDrives parameter must be set to true when corpora is set "
            f"to {corpora}.",
            "badRequest",
        )
    if corpora == "drive":
        if drive_role(call.store, drive_id or "", call.account) is None:
            raise drive_error(404, f"Shared drive not found: {drive_id}", "notFound", "driveId")
        return lambda f: f.drive_id == drive_id
    return lambda f: f.drive_id is None or include_drives


def _ordered(files: list[DriveFile], order_by: str | None) -> list[DriveFile]:
    keys = {
        "name": lambda f: f.name.lower(),
        "name_natural": lambda f: f.name.lower(),
        "createdTime": lambda f: f.created_time,
        "modifiedTime": lambda f: f.modified_time,
        "folder": lambda f: f.mime_type != FOLDER_MIME,
    }
    for part in reversed([p.strip() for p in (order_by or "").split(",") if p.strip()]):
        field, _, direction = part.partition(" ")
        if field not in keys:
            raise drive_error(400, "Invalid Value", "invalid", "orderBy")
        files = sorted(files, key=keys[field], reverse=direction.strip().lower() == "desc")
    return files


def files_update(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"], WRITER)
    body = call.body or {}
    if body.get("mimeType") not in (None, file.mime_type):
        raise drive_error(403, "The mimeType of a file cannot be changed.", "fieldNotWritable")
    removed = _id_list(call.query.get("removeParents"))
    parents = [p for p in file.parents if p not in removed]
    parents += [p for p in _id_list(call.query.get("addParents")) if p not in parents]
    _check_parents(call, parents)
    file.parents = parents
    if body.get("name"):
        file.name = body["name"]
        spreadsheet = call.store.spreadsheets.get(file.id)
        if spreadsheet is not None:
            spreadsheet.properties["title"] = file.name
    if "trashed" in body:
        file.trashed = bool(body["trashed"])
    _apply_file_fields(file, body)
    file.changed()
    return _file_json(call, file)


def _id_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def files_delete(call: Call) -> NoContent:
    file = visible_file(call, call.path["fileId"])
    # Only the owner deletes a My Drive file; in a shared drive, an organizer.
    if not at_least(
        role_of(call.store, file, call.account), "owner" if file.drive_id is None else "organizer"
    ):
        raise insufficient_permissions(file.id)
    call.store.delete_file(file.id)
    return NO_CONTENT


def files_copy(call: Call) -> dict[str, Any]:
    source = visible_file(call, call.path["fileId"])
    body = call.body or {}
    store = call.store
    name = body.get("name") or f"Copy of {source.name}"
    parents = list(body.get("parents") or source.parents)
    _check_parents(call, parents)
    _check_storage_quota(call, source.mime_type, parents)
    original = store.spreadsheets.get(source.id)
    if original is None:
        file = store.add_file(
            store.new_id(), name, source.mime_type, owner=call.account, parents=parents
        )
    else:
        # A Drive copy keeps sheet ids (gids) and everything else; only the file is new.
        duplicate = original.clone()
        duplicate.spreadsheet_id = store.new_id()
        duplicate.properties["title"] = name
        file = store.add_spreadsheet(duplicate, call.account, parents)
    _apply_file_fields(file, body)
    return _file_json(call, file)


# ------------------------------------------------------------------------ permissions


def _permission_json(call: Call, permission: dict[str, Any]) -> dict[str, Any]:
    if call.query.get("fields"):
        return dict(permission)
    return {k: permission[k] for k in _DEFAULT_PERMISSION_FIELDS if k in permission}


def _find_permission(permissions: list[dict[str, Any]], permission_id: str) -> dict[str, Any]:
    for permission in permissions:
        if permission["id"] == permission_id:
            return permission
    raise drive_error(404, f"Permission not found: {permission_id}.", "notFound", "permissionId")


def _new_permission(body: dict[str, Any]) -> dict[str, Any]:
    kind, role = body.get("type"), body.get("role")
    for field, value, allowed in (("type", kind, _PERMISSION_TYPES), ("role", role, _ROLES)):
        if not value:
            raise drive_error(
                400, f"The permission {field} field is required.", "required", f"permission.{field}"
            )
        if value not in allowed:
            raise drive_error(400, "Invalid Value", "invalid", f"permission.{field}")
    permission: dict[str, Any] = {"kind": "drive#permission", "type": kind, "role": role}
    if kind in ("user", "group"):
        email = body.get("emailAddress")
        if not email or "@" not in email:
            raise drive_error(
                400, "The permission emailAddress field is required.", "required", "emailAddress"
            )
        permission.update(
            id=permission_id_for(email), emailAddress=email, displayName=email.split("@")[0]
        )
    elif kind == "domain":
        if not body.get("domain"):
            raise drive_error(400, "The permission domain field is required.", "required")
        permission.update(id=f"domain:{body['domain']}", domain=body["domain"])
        permission["allowFileDiscovery"] = bool(body.get("allowFileDiscovery"))
    else:
        permission.update(
            id="anyoneWithLink", allowFileDiscovery=bool(body.get("allowFileDiscovery"))
        )
    permission["deleted"] = False
    return permission


def _shared_permissions(
    call: Call, need: str | None
) -> tuple[list[dict[str, Any]], DriveFile | None]:
    """The permission list of a file, or the member list of a shared drive (the file is None).

    A shared drive's members are managed through permissions on the drive id; changing them
    takes an organizer.
    """
    target = call.path["fileId"]
    drive = call.store.drives.get(target)
    if drive is None:
        file = visible_file(call, target, need)
        return file.permissions, file
    role = drive_role(call.store, target, call.account)
    if role is None or (call.store.strict and not supports_all_drives(call)):
        raise drive_file_not_found(target)
    if need is not None and not at_least(role, "organizer"):
        raise insufficient_permissions(target)
    return drive.members, None


def _check_recipient(call: Call, permission: dict[str, Any]) -> None:
    """Without a notification, Drive cannot invite an address that has no Google account."""
    email = permission.get("emailAddress", "").lower()
    notify = call.query.get("sendNotificationEmail")
    if call.store.strict and notify is False and email in call.store.without_google_account:
        raise drive_error(400, invalid_sharing_message(email), "invalidSharingRequest")


def invalid_sharing_message(email: str) -> str:
    return (
        f'Bad Request. User message: "You are trying to invite {email}. Since there is no '
        "Google account associated with this email address, you must check the "
        '"Notify people" box to invite this recipient."'
    )


def permissions_create(call: Call) -> dict[str, Any]:
    permissions, file = _shared_permissions(call, WRITER)
    permission = _new_permission(call.body or {})
    _check_recipient(call, permission)
    if permission["role"] == "owner" and file is not None:
        if not call.query.get("transferOwnership"):
            raise drive_error(
                403,
                "The transferOwnership parameter must be enabled when the permission role is "
                "'owner'.",
                "forbidden",
                "transferOwnership",
            )
        for existing in permissions:
            if existing["role"] == "owner":
                existing["role"] = "writer"
        file.owner = permission.get("emailAddress", file.owner)
    if file is not None:
        file.changed()
    for existing in permissions:
        if existing["id"] == permission["id"]:
            existing.update(role=permission["role"])  # Drive updates rather than duplicates.
            return _permission_json(call, existing)
    permissions.append(permission)
    return _permission_json(call, permission)


def permissions_list(call: Call) -> dict[str, Any]:
    permissions, _ = _shared_permissions(call, None)
    return {
        "kind": "drive#permissionList",
        "permissions": [_permission_json(call, p) for p in permissions],
    }


def permissions_get(call: Call) -> dict[str, Any]:
    permissions, _ = _shared_permissions(call, None)
    return _permission_json(call, _find_permission(permissions, call.path["permissionId"]))


def permissions_update(call: Call) -> dict[str, Any]:
    permissions, file = _shared_permissions(call, WRITER)
    permission = _find_permission(permissions, call.path["permissionId"])
    role = (call.body or {}).get("role")
    if role is not None:
        if role not in _ROLES:
            raise drive_error(400, "Invalid Value", "invalid", "permission.role")
        permission["role"] = role
    if file is not None:
        file.changed()
    return _permission_json(call, permission)


def permissions_delete(call: Call) -> NoContent:
    permissions, file = _shared_permissions(call, WRITER)
    permission = _find_permission(permissions, call.path["permissionId"])
    if permission["role"] == "owner":
        raise drive_error(403, "The owner of a file cannot be removed.", "cannotRemoveOwner")
    permissions.remove(permission)
    if file is not None:
        file.changed()
    return NO_CONTENT


# --------------------------------------------------------------------------- comments


def comments_list(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"])
    return {"kind": "drive#commentList", "comments": [dict(c) for c in file.comments]}


def comments_create(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"], "commenter")
    body = call.body or {}
    if not body.get("content"):
        raise drive_error(400, "The comment content field is required.", "required", "content")
    comment = {
        "kind": "drive#comment",
        "id": call.store.new_id(12),
        "content": body["content"],
        "createdTime": utc_now(),
        "author": {"kind": "drive#user", "displayName": call.account.split("@")[0]},
    }
    if body.get("anchor"):
        comment["anchor"] = body["anchor"]
    file.comments.append(comment)
    return comment


# ----------------------------------------------------------------------- shared drives


def drives_create(call: Call) -> dict[str, Any]:
    """The caller becomes the new shared drive's organizer (``requestId`` is required)."""
    if not call.query.get("requestId"):
        raise drive_error(400, "Required parameter: requestId", "required", "requestId")
    name = (call.body or {}).get("name") or "Untitled"
    drive = call.store.new_drive(name, call.account)
    return drive.to_json()


def _visible_drive(call: Call) -> SharedDrive:
    drive_id = call.path["driveId"]
    drive = call.store.drives.get(drive_id)
    if drive is None or drive_role(call.store, drive_id, call.account) is None:
        raise drive_error(404, f"Shared drive not found: {drive_id}", "notFound", "driveId")
    return drive


def drives_get(call: Call) -> dict[str, Any]:
    return _visible_drive(call).to_json()


def drives_list(call: Call) -> dict[str, Any]:
    drives = [
        drive.to_json()
        for drive in call.store.drives.values()
        if drive_role(call.store, drive.id, call.account) is not None
    ]
    return {"kind": "drive#driveList", "drives": drives}


HANDLERS: dict[str, Handler] = {
    "drive.drives.create": drives_create,
    "drive.drives.get": drives_get,
    "drive.drives.list": drives_list,
    "drive.files.create": files_create,
    "drive.files.get": files_get,
    "drive.files.list": files_list,
    "drive.files.update": files_update,
    "drive.files.delete": files_delete,
    "drive.files.copy": files_copy,
    "drive.comments.list": comments_list,
    "drive.comments.create": comments_create,
    "drive.permissions.create": permissions_create,
    "drive.permissions.list": permissions_list,
    "drive.permissions.get": permissions_get,
    "drive.permissions.update": permissions_update,
    "drive.permissions.delete": permissions_delete,
}
