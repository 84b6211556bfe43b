"""Drive v3 methods: files and permissions, with a small parser for the ``q`` language."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .context import NO_CONTENT, Call, Handler, NoContent
from .errors import drive_error, drive_file_not_found
from .forms_api import new_form
from .store import (
    FOLDER_MIME,
    FORM_MIME,
    SPREADSHEET_MIME,
    DriveFile,
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


def visible_file(call: Call, file_id: str) -> DriveFile:
    """Drive answers 404 for files the caller cannot see, not 403."""
    file = call.store.files.get(file_id)
    if file is None or call.store.is_denied(file_id, call.account):
        raise drive_file_not_found(file_id)
    return file


def _file_json(call: Call, file: DriveFile) -> dict[str, Any]:
    full = file.to_json(call.account)
    if call.query.get("fields"):
        return full  # The server cuts it down to the requested fields.
    return {key: full[key] for key in _DEFAULT_FILE_FIELDS}


def _check_parents(call: Call, parents: list[str]) -> None:
    if len(parents) > 1:
        raise drive_error(
            403, "Increasing the number of parents is not allowed.", "cannotAddParent"
        )
    for parent in parents:
        if parent == "root":
            continue
        folder = call.store.files.get(parent)
        if folder is None or folder.mime_type != FOLDER_MIME:
            raise drive_file_not_found(parent)


def files_create(call: Call) -> dict[str, Any]:
    body = call.body or {}
    store = call.store
    name = body.get("name") or "Untitled"
    mime_type = body.get("mimeType") or "application/octet-stream"
    parents = list(body.get("parents") or [])
    _check_parents(call, parents)
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
    found = [
        f
        for f in call.store.files.values()
        if not call.store.is_denied(f.id, call.account) and predicate(f)
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
    file = visible_file(call, call.path["fileId"])
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
    return _file_json(call, file)


def _id_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def files_delete(call: Call) -> NoContent:
    file = visible_file(call, call.path["fileId"])
    call.store.delete_file(file.id)
    return NO_CONTENT


def files_copy(call: Call) -> dict[str, Any]:
    source = visible_file(call, call.path["fileId"])
    body = call.body or {}
    store = call.store
    name = body.get("name") or f"Copy of {source.name}"
    parents = list(body.get("parents") or source.parents)
    _check_parents(call, parents)
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


def _find_permission(file: DriveFile, permission_id: str) -> dict[str, Any]:
    for permission in file.permissions:
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


def permissions_create(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"])
    permission = _new_permission(call.body or {})
    if permission["role"] == "owner":
        if not call.query.get("transferOwnership"):
            raise drive_error(
                403,
                "The transferOwnership parameter must be enabled when the permission role is "
                "'owner'.",
                "forbidden",
                "transferOwnership",
            )
        for existing in file.permissions:
            if existing["role"] == "owner":
                existing["role"] = "writer"
        file.owner = permission.get("emailAddress", file.owner)
    for existing in file.permissions:
        if existing["id"] == permission["id"]:
            existing.update(role=permission["role"])  # Drive updates rather than duplicates.
            return _permission_json(call, existing)
    file.permissions.append(permission)
    return _permission_json(call, permission)


def permissions_list(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"])
    return {
        "kind": "drive#permissionList",
        "permissions": [_permission_json(call, p) for p in file.permissions],
    }


def permissions_get(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"])
    return _permission_json(call, _find_permission(file, call.path["permissionId"]))


def permissions_update(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"])
    permission = _find_permission(file, call.path["permissionId"])
    role = (call.body or {}).get("role")
    if role is not None:
        if role not in _ROLES:
            raise drive_error(400, "Invalid Value", "invalid", "permission.role")
        permission["role"] = role
    return _permission_json(call, permission)


def permissions_delete(call: Call) -> NoContent:
    file = visible_file(call, call.path["fileId"])
    permission = _find_permission(file, call.path["permissionId"])
    if permission["role"] == "owner":
        raise drive_error(403, "The owner of a file cannot be removed.", "cannotRemoveOwner")
    file.permissions.remove(permission)
    return NO_CONTENT


# --------------------------------------------------------------------------- comments


def comments_list(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"])
    return {"kind": "drive#commentList", "comments": [dict(c) for c in file.comments]}


def comments_create(call: Call) -> dict[str, Any]:
    file = visible_file(call, call.path["fileId"])
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


HANDLERS: dict[str, Handler] = {
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
