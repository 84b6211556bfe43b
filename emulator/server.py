"""The HTTP server: a local stand-in for sheets.googleapis.com, Drive v3 and Forms v1.

Example::

    with SheetsEmulator(locale="vi_VN", time_zone="Asia/Ho_Chi_Minh") as emu:
        client = emulator_client(emu)          # from emulator.transport
        spreadsheet = client.create("x")
        assert emu.counts["drive.files.create"] == 1
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from google.oauth2.credentials import Credentials

from . import drive_api, fieldmask, forms_api, sheets_api
from .a1 import RangeParseError
from .context import NO_CONTENT, Call, Handler
from .defaults import omit_defaults
from .discovery import ApiMethod, Discovery, QueryError
from .errors import ApiError, invalid_argument, unauthenticated, unimplemented
from .faults import Fault, FaultPlan, RequestInfo
from .forms_api import new_form
from .render import spreadsheet_json
from .store import FOLDER_MIME, FORM_MIME, Spreadsheet, Store, user_permission

WRITE_METHODS = frozenset(
    {
        "sheets.spreadsheets.create",
        "sheets.spreadsheets.batchUpdate",
        "sheets.spreadsheets.values.update",
        "sheets.spreadsheets.values.batchUpdate",
        "sheets.spreadsheets.values.batchUpdateByDataFilter",
        "sheets.spreadsheets.values.append",
        "sheets.spreadsheets.values.clear",
        "sheets.spreadsheets.values.batchClear",
        "sheets.spreadsheets.values.batchClearByDataFilter",
        "sheets.spreadsheets.sheets.copyTo",
        "drive.files.create",
        "drive.files.update",
        "drive.files.delete",
        "drive.files.copy",
        "drive.comments.create",
        "drive.permissions.create",
        "drive.permissions.update",
        "drive.permissions.delete",
        "forms.forms.create",
        "forms.forms.batchUpdate",
        "forms.forms.setPublishSettings",
    }
)
PAYLOAD_LIMIT = 10 * 1024 * 1024  # bytes; Google refuses larger request bodies
DEFAULT_ACCOUNT = "sangkien-sync@emulator-project.iam.gserviceaccount.com"
_HANDLERS: dict[str, Handler] = {
    **sheets_api.HANDLERS,
    **drive_api.HANDLERS,
    **forms_api.HANDLERS,
}
_FAULT_MESSAGES = {
    429: (
        "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' "
        "of service 'sheets.googleapis.com' for consumer 'project_number:0'."
    ),
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


class MethodCounter(Counter[str]):
    """Requests per discovery method id; ``total()``, ``writes()`` and ``reads()`` sum it."""

    def writes(self) -> int:
        return sum(count for method, count in self.items() if method in WRITE_METHODS)

    def reads(self) -> int:
        return self.total() - self.writes()


@dataclass
class RequestRecord:
    method_id: str | None  # None when no discovery method matched the path.
    http_method: str
    path: str
    query: dict[str, list[str]]
    status: int | None  # None when the connection was dropped without an answer.
    body: Any = None
    response: Any = None
    account: str | None = None
    fault: str | None = None
    # Unknown body fields / query parameters ("?name") a lenient service (Drive) dropped.
    ignored_fields: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Outcome:
    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    def encoded(self) -> bytes:
        if self.payload is None:
            return b""
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")


class SheetsEmulator:
    """An in-memory Google Sheets/Drive/Forms backend served over real HTTP on 127.0.0.1."""

    def __init__(
        self,
        *,
        locale: str = "en_US",
        time_zone: str = "Etc/GMT",
        account: str = DEFAULT_ACCOUNT,
        seed: int = 0,
        record_bodies: bool = True,
        strict: bool = True,
    ) -> None:
        self.discovery = Discovery.default()
        self.store = Store(seed=seed, locale=locale, time_zone=time_zone, owner=account)
        self.store.strict = strict
        self.default_account = account
        self.faults = FaultPlan()
        self.counts = MethodCounter()  # served requests (faulted ones are not included)
        self.faulted = MethodCounter()  # requests answered by a fault instead of being served
        self.requests: list[RequestRecord] = []
        # Exceptions raised by the emulator itself (answered as 500); tests may assert none.
        self.internal_errors: list[Exception] = []
        self.record_bodies = record_bodies
        self._tokens: dict[str, str] = {}
        self._log_lock = threading.Lock()
        self._sequence = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------ lifecycle

    def start(self) -> SheetsEmulator:
        if self._server is not None:
            return self
        handler = type("EmulatorRequestHandler", (_RequestHandler,), {"emulator": self})
        server = _Server(("127.0.0.1", 0), handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The emulator is not running; use start() or a with block.")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------------- identity

    def token_for(self, account: str | None = None) -> str:
        """An access token that the emulator maps back to ``account``."""
        account = account or self.default_account
        token = f"emulator-token:{account}"
        self._tokens[token] = account
        return token

    def credentials(self, account: str | None = None) -> Credentials:
        """google-auth credentials carrying a token for ``account`` (never refreshed)."""
        return Credentials(token=self.token_for(account))

    def account_for_token(self, token: str) -> str:
        if token in self._tokens:
            return self._tokens[token]
        claims = _jwt_claims(token)
        return claims.get("email") or claims.get("iss") or self.default_account

    def deny_access(self, resource_id: str, account: str = "*") -> None:
        """Make a spreadsheet/file/form inaccessible to ``account`` ("*" for everybody)."""
        with self.store.lock:
            self.store.denied.add((resource_id, account))

    def allow_access(self, resource_id: str, account: str = "*") -> None:
        with self.store.lock:
            self.store.denied.discard((resource_id, account))

    def share(self, file_id: str, email: str, role: str = "writer") -> None:
        """Grant ``email`` a role on a file or folder (folders pass it on to their items)."""
        with self.store.lock:
            file = self.store.files[file_id]
            file.permissions = [p for p in file.permissions if p.get("emailAddress") != email]
            file.permissions.append(user_permission(email, role))
            file.changed()

    def create_shared_drive(
        self, name: str, *, organizer: str | None = None, members: Mapping[str, str] = {}
    ) -> str:
        """A shared drive whose ``organizer`` (default account by default) and ``members``
        (address -> role: organizer, fileOrganizer, writer, commenter, reader) may use it."""
        with self.store.lock:
            drive = self.store.new_drive(name, organizer or self.default_account)
            drive.members += [user_permission(email, role) for email, role in members.items()]
        return drive.id

    def add_drive_member(self, drive_id: str, email: str, role: str = "writer") -> None:
        with self.store.lock:
            self.store.drives[drive_id].members.append(user_permission(email, role))

    def mark_without_google_account(self, *emails: str) -> None:
        """Addresses Google has no account for: sharing to them without a notification
        e-mail is refused with ``invalidSharingRequest``."""
        with self.store.lock:
            self.store.without_google_account.update(email.lower() for email in emails)

    # -------------------------------------------------------------- seeding and inspecting

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        *,
        sheets: Mapping[str, Sequence[Sequence[Any]]] | Sequence[str] | None = None,
        locale: str | None = None,
        time_zone: str | None = None,
        folder_id: str | None = None,
        owner: str | None = None,
        input_option: str = "RAW",
    ) -> str:
        """Create a spreadsheet directly (not counted); ``sheets`` maps titles to rows."""
        titles = list(sheets or ["Sheet1"])
        with self.store.lock:
            spreadsheet = self.store.new_spreadsheet(
                title, locale=locale, time_zone=time_zone, sheets=[{"title": t} for t in titles]
            )
            self.store.add_spreadsheet(
                spreadsheet, owner or self.default_account, [folder_id] if folder_id else []
            )
        if isinstance(sheets, Mapping):
            for sheet_title, rows in sheets.items():
                if rows:
                    quoted = sheet_title.replace("'", "''")
                    self.set_values(
                        spreadsheet.spreadsheet_id,
                        f"'{quoted}'!A1",
                        rows,
                        input_option=input_option,
                    )
        return spreadsheet.spreadsheet_id

    def set_values(
        self,
        spreadsheet_id: str,
        range_a1: str,
        rows: Sequence[Sequence[Any]],
        *,
        input_option: str = "RAW",
    ) -> None:
        """Write values directly (not counted), growing the grid as needed."""
        with self.store.lock:
            work = self.spreadsheet(spreadsheet_id).clone()
            value_range = {"values": [list(row) for row in rows]}
            sheets_api.write_value_range(work, range_a1, value_range, input_option)
            self.store.commit(work)

    def get_values(
        self, spreadsheet_id: str, range_a1: str, *, render: str = "UNFORMATTED_VALUE"
    ) -> list[list[Any]]:
        with self.store.lock:
            result = sheets_api.value_range_json(
                self.spreadsheet(spreadsheet_id), range_a1, {"valueRenderOption": render}
            )
        return result.get("values", [])

    def cell(self, spreadsheet_id: str, a1: str) -> dict[str, Any]:
        """The stored CellData of one cell (userEnteredValue, userEnteredFormat, ...)."""
        with self.store.lock:
            try:
                sheet, bounds = self.spreadsheet(spreadsheet_id).resolve(a1)
            except RangeParseError:
                raise KeyError(a1) from None
            return dict(sheet.grid.get(bounds.start_row, bounds.start_col) or {})

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        """The live stored spreadsheet (read it under ``emu.store.lock`` if requests run)."""
        return self.store.spreadsheets[spreadsheet_id]

    def spreadsheet_json(self, spreadsheet_id: str, *, include_grid: bool = False) -> dict:
        """What ``spreadsheets.get`` would answer, without a request being counted."""
        with self.store.lock:
            return spreadsheet_json(self.spreadsheet(spreadsheet_id), include_grid=include_grid)

    def create_folder(
        self, name: str, parent: str | None = None, *, owner: str | None = None
    ) -> str:
        """A folder in My Drive, or in a shared drive when ``parent`` is a drive or in one."""
        with self.store.lock:
            folder = self.store.add_file(
                self.store.new_id(33),
                name,
                FOLDER_MIME,
                owner=owner or self.default_account,
                parents=[parent] if parent else [],
            )
        return folder.id

    def drive_file(self, file_id: str) -> dict[str, Any]:
        with self.store.lock:
            return self.store.files[file_id].to_json(self.default_account)

    def create_form(
        self,
        title: str,
        *,
        accepting: bool = True,
        published: bool = True,
        legacy: bool = False,
        linked_sheet_id: str | None = None,
        items: list[dict[str, Any]] | None = None,
        owner: str | None = None,
    ) -> str:
        with self.store.lock:
            form = new_form(
                self.store,
                title,
                accepting=accepting and published,
                published=published,
                legacy=legacy,
                linked_sheet_id=linked_sheet_id,
                items=items,
            )
            self.store.add_file(form.form_id, title, FORM_MIME, owner=owner or self.default_account)
        return form.form_id

    def form(self, form_id: str) -> dict[str, Any]:
        with self.store.lock:
            return json.loads(json.dumps(self.store.forms[form_id].document))

    def add_form_response(self, form_id: str, response: dict[str, Any]) -> None:
        """Store a FormResponse (JSON shape of Forms v1) for responses.list/get."""
        with self.store.lock:
            self.store.forms[form_id].responses.append(dict(response))

    def reset_counters(self) -> None:
        with self._log_lock:
            self.counts.clear()
            self.faulted.clear()
            self.requests.clear()
            self.faults.fired.clear()
            self.faults.log.clear()

    # ------------------------------------------------------------------------- serving

    def serve(
        self, http_method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> _Outcome:
        """Answer one HTTP request (called by the request handler threads)."""
        started = time.perf_counter()
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)
        if split.path == "/token" and http_method == "POST":
            return self._issue_token(raw)
        route = self.discovery.match(http_method, split.path)
        if route is None:
            error = ApiError(404, f"Method not found: {http_method} {split.path}")
            self._record(RequestRecord(None, http_method, split.path, query, 404))
            return _Outcome(404, error.body())
        method = route.method
        if self.store.strict and len(raw) > PAYLOAD_LIMIT:
            error = payload_too_large()
            self._record(RequestRecord(method.id, http_method, split.path, query, 400))
            return _Outcome(400, error.body())
        fault = self.faults.pick(self._request_info(method, http_method, split.path))
        record = RequestRecord(method.id, http_method, split.path, query, None)
        if fault is not None:
            record.fault = fault.label
            if not fault.applies_request:
                return self._answer_with_fault(fault, record, raw, started)
            time.sleep(fault.delay)
        outcome = self._dispatch(method, route.path_params, query, headers, raw, record)
        outcome.drop = fault is not None and fault.kind == "drop_after_apply"
        record.status = None if outcome.drop else outcome.status
        record.seconds = time.perf_counter() - started
        self._record(record, self.counts)
        return outcome

    def _request_info(self, method: ApiMethod, http_method: str, path: str) -> RequestInfo:
        with self._log_lock:
            self._sequence += 1
            sequence = self._sequence
        return RequestInfo(method.id, http_method, path, method.id in WRITE_METHODS, sequence)

    def _answer_with_fault(
        self, fault: Fault, record: RequestRecord, raw: bytes, started: float
    ) -> _Outcome:
        if self.record_bodies:
            record.body = _try_json(raw)
        record.seconds = time.perf_counter() - started
        if fault.kind == "drop":
            self._record(record, self.faulted)
            return _Outcome(0, drop=True)
        message = fault.message or _FAULT_MESSAGES.get(fault.status, "Injected failure.")
        error = ApiError(fault.status, message)
        if fault.reason is not None:
            error.errors = [{"message": message, "domain": fault.domain, "reason": fault.reason}]
        if fault.retry_after is not None:
            error.headers["Retry-After"] = _seconds_text(fault.retry_after)
        record.status = fault.status
        record.response = error.body()
        self._record(record, self.faulted)
        return _Outcome(fault.status, error.body(), dict(error.headers))

    def _dispatch(
        self,
        method: ApiMethod,
        path_params: dict[str, str],
        raw_query: dict[str, list[str]],
        headers: Mapping[str, str],
        raw: bytes,
        record: RequestRecord,
    ) -> _Outcome:
        try:
            account = self._authenticate(headers, raw_query)
            record.account = account
            query = self.discovery.validate_query(method, raw_query)
            body = self._parse_body(method, raw, headers, record)
            ignored = self.discovery.unknown_query_parameters(method, raw_query)
            record.ignored_fields += [f"?{name}" for name in ignored]
            if self.record_bodies:
                record.body = body
            handler = _HANDLERS.get(method.id)
            if handler is None:
                raise unimplemented(method.id)
            call = Call(
                method.id,
                path_params,
                query,
                body,
                account,
                self.store,
                self.discovery,
                write=method.id in WRITE_METHODS,
            )
            with self.store.lock:
                result = handler(call)
            if result is NO_CONTENT:
                return _Outcome(204)
            if method.id.startswith(("sheets.", "forms.")):
                result = omit_defaults(result)
            payload = _partial(result, query.get("fields"))
        except QueryError as error:
            payload, status, extra = invalid_argument(str(error)).body(), 400, {}
        except ApiError as error:
            payload, status, extra = error.body(), error.code, dict(error.headers)
        except Exception as error:  # an emulator bug must answer 500, not look like a drop
            self.internal_errors.append(error)
            message = f"Emulator internal error: {type(error).__name__}: {error}"
            payload, status, extra = ApiError(500, message).body(), 500, {}
        else:
            status, extra = 200, {}
        if self.record_bodies:
            record.response = payload
        return _Outcome(status, payload, extra)

    def _authenticate(self, headers: Mapping[str, str], query: dict[str, list[str]]) -> str:
        authorization = headers.get("Authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return self.account_for_token(token.strip())
        for name in ("access_token", "oauth_token"):
            if query.get(name):
                return self.account_for_token(query[name][0])
        raise unauthenticated()

    def _parse_body(
        self, method: ApiMethod, raw: bytes, headers: Mapping[str, str], record: RequestRecord
    ) -> Any:
        if not raw.strip():
            return None
        content_type = (headers.get("Content-Type") or "").lower()
        if content_type.startswith("multipart/") or method.request_schema is None:
            if method.request_schema is None:
                return None
            raise unimplemented("media uploads")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise invalid_argument(f"Invalid JSON payload received. {error}") from None
        violations, record.ignored_fields = self.discovery.check_body(method, body)
        if violations:
            message = "\n".join(v.message for v in violations)
            raise invalid_argument(message, violations)
        return _without_null_fields(body)

    def _issue_token(self, raw: bytes) -> _Outcome:
        """OAuth token endpoint, so real service-account credentials can refresh locally."""
        form = parse_qs(raw.decode("utf-8", "replace"))
        assertion = (form.get("assertion") or [""])[0]
        claims = _jwt_claims(assertion)
        account = claims.get("iss") or claims.get("sub") or self.default_account
        token = self.token_for(account)
        return _Outcome(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _record(self, record: RequestRecord, counter: MethodCounter | None = None) -> None:
        with self._log_lock:
            self.requests.append(record)
            if counter is not None and record.method_id is not None:
                counter[record.method_id] += 1


class _Server(ThreadingHTTPServer):
    # Daemon threads and no joining: a sleeping "slow" fault must not block shutdown.
    daemon_threads = True
    block_on_close = False


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API and requests' pool
    server_version = "SheetsEmulator/1"
    # Headers and body go out as separate writes; with Nagle's algorithm on, the client's delayed
    # ACK held every answer back about 40 ms on loopback.
    disable_nagle_algorithm = True
    emulator: SheetsEmulator

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        # requests streams generator bodies this way; the whole body must be consumed or
        # the rest would be read as the next request on this keep-alive connection.
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():
                    pass  # trailers
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # CRLF after each chunk

    def _handle(self) -> None:
        raw = self._read_body()
        outcome = self.emulator.serve(self.command, self.path, self.headers, raw)
        if outcome.drop:
            # No status line at all: the client sees the connection closed under it.
            self.close_connection = True
            return
        body = outcome.encoded()
        self.send_response(outcome.status)
        if body:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; ``emulator.requests`` is the log."""


def payload_too_large() -> ApiError:
    message = f"Request payload size exceeds the limit: {PAYLOAD_LIMIT} bytes."
    return ApiError(
        400, message, errors=[{"message": message, "domain": "global", "reason": "badRequest"}]
    )


def _without_null_fields(value: Any) -> Any:
    """Drop ``"field": null`` (an unset field in Google's JSON mapping) at every depth.

    List items stay: a null inside ``values`` means "leave this cell alone".
    """
    if isinstance(value, dict):
        return {k: _without_null_fields(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_null_fields(item) for item in value]
    return value


def _partial(result: Any, fields: str | None) -> Any:
    if not fields:
        return result
    try:
        return fieldmask.filter_response(result, fields)
    except fieldmask.FieldMaskError:
        raise invalid_argument(f"Invalid field selection {fields}") from None


def _seconds_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def _try_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _jwt_claims(token: str) -> dict[str, Any]:
    """Claims of an unsigned-checked JWT; {} when ``token`` is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
