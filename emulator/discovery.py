"""Google's own discovery documents as the authority for routes, parameters and payload shapes.

The emulator never hand-writes an API surface: every route, query parameter and request body
is checked against the discovery documents shipped inside ``google-api-python-client``, so a
request the emulator accepts is one Google's schema accepts too.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import unquote

DOCUMENTS = ("sheets.v4", "drive.v3", "forms.v1")

# Sheets and Forms reject unknown JSON fields ("Cannot find field") and unknown query
# parameters ("Cannot bind query parameter"); Drive v3 silently ignores both, which is why
# gspread can keep sending the v2-era ``withLink`` field and ``includeItemsFromAllDrives``
# on files.get.
_REJECTS_UNKNOWN_FIELDS = {"sheets": True, "forms": True, "drive": False}

_INT32 = (-(2**31), 2**31 - 1)
_UINT32 = (0, 2**32 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")
_NUMERIC_STRING = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_SPECIAL_FLOATS = {"NaN", "Infinity", "-Infinity"}
_TEMPLATE_VAR = re.compile(r"\{(\+?)([^}]+)\}")
_MAX_REPORTED_VIOLATIONS = 10


class DiscoveryUnavailableError(RuntimeError):
    """The discovery documents could not be found (google-api-python-client is missing)."""


class QueryError(ValueError):
    """A query parameter is unknown, repeated where it may not be, or of the wrong type."""


@dataclass(frozen=True)
class Violation:
    """One problem found in a request body; ``path`` is the JSON path, e.g. ``requests[3].x``."""

    path: str
    message: str
    unknown_field: bool = False


@dataclass(frozen=True)
class ApiMethod:
    """One discovery method, bound to the full URL path template it is served under."""

    id: str
    service: str
    http_method: str
    template: str
    pattern: re.Pattern[str]
    path_params: tuple[str, ...]
    parameters: Mapping[str, Any]
    request_schema: str | None
    response_schema: str | None

    @property
    def literal_length(self) -> int:
        """Length of the fixed text in the template; longer means more specific."""
        return len(_TEMPLATE_VAR.sub("", self.template))


@dataclass(frozen=True)
class RouteMatch:
    method: ApiMethod
    path_params: dict[str, str]


def documents_dir() -> Path:
    """Locate ``googleapiclient/discovery_cache/documents`` without importing the client."""
    spec = find_spec("googleapiclient")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "discovery_cache" / "documents"
        if candidate.is_dir():
            return candidate
    raise DiscoveryUnavailableError(
        "Google discovery documents not found: install the test extra "
        "(pip install -e '.[test]'), which brings google-api-python-client."
    )


@cache
def load_document(name: str) -> dict[str, Any]:
    """Parse one discovery document, e.g. ``sheets.v4``; cached for the process lifetime."""
    path = documents_dir() / f"{name}.json"
    if not path.is_file():
        raise DiscoveryUnavailableError(
            f"Discovery document {path.name} is missing from google-api-python-client; "
            "install the test extra (pip install -e '.[test]')."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _compile_template(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """Turn ``v4/spreadsheets/{spreadsheetId}/values/{range}:append`` into a regex."""
    parts: list[str] = []
    names: list[str] = []
    position = 0
    for match in _TEMPLATE_VAR.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        reserved, name = match.groups()
        # "{+name}" may span slashes (RFC 6570 reserved expansion); "{name}" is one segment.
        parts.append("(.+)" if reserved else "([^/]+)")
        names.append(name)
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$"), tuple(names)


def _iter_methods(resource: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield from resource.get("methods", {}).values()
    for child in resource.get("resources", {}).values():
        yield from _iter_methods(child)


class Discovery:
    """Routes and validators built from the Sheets v4, Drive v3 and Forms v1 documents."""

    def __init__(self, documents: Iterable[Mapping[str, Any]]) -> None:
        self._docs: dict[str, Mapping[str, Any]] = {}
        methods: list[ApiMethod] = []
        for doc in documents:
            service = doc["name"]
            self._docs[service] = doc
            methods.extend(self._build_methods(service, doc))
        # Most specific template first, so "files/generateIds" wins over "files/{fileId}".
        methods.sort(key=lambda m: m.literal_length, reverse=True)
        self._methods = methods
        self._by_id = {m.id: m for m in methods}

    @classmethod
    @cache
    def default(cls) -> Discovery:
        return cls(load_document(name) for name in DOCUMENTS)

    @staticmethod
    def _build_methods(service: str, doc: Mapping[str, Any]) -> list[ApiMethod]:
        built: list[ApiMethod] = []
        for spec in _iter_methods(doc):
            templates = {spec.get("flatPath", spec["path"]), spec["path"]}
            for suffix in sorted(templates):
                template = doc["servicePath"] + suffix
                pattern, names = _compile_template(template)
                built.append(
                    ApiMethod(
                        id=spec["id"],
                        service=service,
                        http_method=spec["httpMethod"],
                        template=template,
                        pattern=pattern,
                        path_params=names,
                        parameters=spec.get("parameters", {}),
                        request_schema=spec.get("request", {}).get("$ref"),
                        response_schema=spec.get("response", {}).get("$ref"),
                    )
                )
        return built

    # ----------------------------------------------------------------------------- routing

    def method(self, method_id: str) -> ApiMethod:
        return self._by_id[method_id]

    def match(self, http_method: str, path: str) -> RouteMatch | None:
        """Find the discovery method serving ``path`` (percent-encoded, leading slash allowed)."""
        relative = path.lstrip("/")
        for method in self._methods:
            if method.http_method != http_method.upper():
                continue
            found = method.pattern.match(relative)
            if found:
                values = [unquote(v) for v in found.groups()]
                return RouteMatch(method, dict(zip(method.path_params, values, strict=True)))
        return None

    # ----------------------------------------------------------------------- query params

    def validate_query(self, method: ApiMethod, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """Check and convert query parameters; raise :class:`QueryError` on the first problem."""
        converted: dict[str, Any] = {}
        strict = _REJECTS_UNKNOWN_FIELDS.get(method.service, True)
        for name, raw_values in query.items():
            spec = self._query_parameter(method, name)
            if spec is None and not strict:
                continue
            if spec is None:
                raise QueryError(
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query '
                    f"parameter. Field '{name}' could not be found in request message."
                )
            values = [_convert_param(name, spec, raw) for raw in raw_values]
            if spec.get("repeated"):
                converted[name] = values
            elif len(values) > 1:
                raise QueryError(f"Parameter '{name}' must not be repeated.")
            else:
                converted[name] = values[0]
        for name, spec in method.parameters.items():
            if spec.get("location") == "query" and spec.get("required") and name not in query:
                raise QueryError(f"Required parameter '{name}' is missing.")
        return converted

    def unknown_query_parameters(self, method: ApiMethod, names: Iterable[str]) -> list[str]:
        return [name for name in names if self._query_parameter(method, name) is None]

    def _query_parameter(self, method: ApiMethod, name: str) -> Mapping[str, Any] | None:
        spec = method.parameters.get(name)
        if spec is not None and spec.get("location") == "query":
            return spec
        return self._docs[method.service]["parameters"].get(name)

    # ------------------------------------------------------------------------------ bodies

    def validate_body(self, method: ApiMethod, body: Any) -> list[Violation]:
        """Violations of the method's request schema that the service would reject."""
        return self.check_body(method, body)[0]

    def ignored_fields(self, method: ApiMethod, body: Any) -> list[str]:
        """JSON paths of unknown fields a lenient service (Drive) silently drops."""
        return self.check_body(method, body)[1]

    def check_body(self, method: ApiMethod, body: Any) -> tuple[list[Violation], list[str]]:
        """``(violations, ignored unknown-field paths)``; unknown fields are violations only
        where the service rejects them (see ``_REJECTS_UNKNOWN_FIELDS``)."""
        if method.request_schema is None or body is None:
            return [], []
        found: list[Violation] = []
        self._check(method.service, body, {"$ref": method.request_schema}, "", found)
        if _REJECTS_UNKNOWN_FIELDS.get(method.service, True):
            return found, []
        return (
            [v for v in found if not v.unknown_field],
            [v.path for v in found if v.unknown_field],
        )

    def schema(self, service: str, name: str) -> Mapping[str, Any]:
        return self._docs[service]["schemas"][name]

    def has_field_path(self, service: str, schema_name: str, path: Sequence[str]) -> bool:
        """Whether a field-mask path such as ``gridProperties.frozenRowCount`` exists."""
        schema: Mapping[str, Any] = {"$ref": schema_name}
        for part in path:
            schema = self._resolve(service, schema)
            while schema.get("type") == "array":
                schema = self._resolve(service, schema["items"])
            properties = schema.get("properties")
            if properties is not None and part in properties:
                schema = properties[part]
            elif "additionalProperties" in schema:
                schema = schema["additionalProperties"]
            else:
                return False
        return True

    def _resolve(self, service: str, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = schema.get("$ref")
        return self._docs[service]["schemas"][ref] if ref else schema

    def _check(
        self,
        service: str,
        value: Any,
        schema: Mapping[str, Any],
        path: str,
        out: list[Violation],
    ) -> None:
        if value is None or len(out) >= _MAX_REPORTED_VIOLATIONS:
            return  # JSON null means "field not set" in Google's JSON mapping.
        schema = self._resolve(service, schema)
        kind = schema.get("type")
        if kind == "object":
            self._check_object(service, value, schema, path, out)
        elif kind == "array":
            if not isinstance(value, list):
                out.append(_type_violation(path, "TYPE_LIST", value))
                return
            items = self._resolve(service, schema["items"])
            if items.get("type") == "any":
                return  # e.g. ValueRange.values cells: nothing to check, and there are many
            for index, item in enumerate(value):
                self._check(service, item, items, f"{path}[{index}]", out)
        elif kind in _SCALAR_CHECKS:
            problem = _SCALAR_CHECKS[kind](value, schema)
            if problem:
                out.append(_type_violation(path, problem, value))

    def _check_object(
        self,
        service: str,
        value: Any,
        schema: Mapping[str, Any],
        path: str,
        out: list[Violation],
    ) -> None:
        if not isinstance(value, dict):
            out.append(_type_violation(path, "TYPE_MESSAGE", value))
            return
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child_path = f"{path}.{key}" if path else key
            if properties is not None and key in properties:
                self._check(service, item, properties[key], child_path, out)
            elif extra is not None:
                self._check(service, item, extra, child_path, out)
            else:
                where = f" at '{child_path}'" if path else ""
                out.append(
                    Violation(
                        child_path,
                        f'Invalid JSON payload received. Unknown name "{key}"{where}: '
                        "Cannot find field.",
                        unknown_field=True,
                    )
                )


def _type_violation(path: str, proto_type: str, value: Any) -> Violation:
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return Violation(path, f"Invalid value at '{path}' ({proto_type}), {shown}")


def _integer_problem(value: Any, schema: Mapping[str, Any]) -> str | None:
    bounds = {"int32": _INT32, "uint32": _UINT32}.get(schema.get("format", "int32"), _INT32)
    number = _as_integer(value)
    if number is None or not bounds[0] <= number <= bounds[1]:
        return "TYPE_INT32" if bounds is _INT32 else "TYPE_UINT32"
    return None


def _as_integer(value: Any) -> int | None:
    """Proto JSON accepts integers as numbers, integral floats or decimal strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    return None


def _number_problem(value: Any, schema: Mapping[str, Any]) -> str | None:
    proto_type = "TYPE_FLOAT" if schema.get("format") == "float" else "TYPE_DOUBLE"
    if isinstance(value, bool):
        return proto_type
    if isinstance(value, int | float):
        return None
    if isinstance(value, str) and (value in _SPECIAL_FLOATS or _NUMERIC_STRING.match(value)):
        return None
    return proto_type


def _string_problem(value: Any, schema: Mapping[str, Any]) -> str | None:
    fmt = schema.get("format")
    if fmt in ("int64", "uint64"):
        # 64-bit integers travel as JSON strings (JavaScript cannot hold them) or numbers.
        bounds = _INT64 if fmt == "int64" else _UINT64
        number = _as_integer(value)
        ok = number is not None and bounds[0] <= number <= bounds[1]
        return None if ok else f"TYPE_{fmt.upper()}"
    if not isinstance(value, str):
        return "TYPE_STRING"
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        return "TYPE_ENUM"
    checks = {
        "google-datetime": _RFC3339.match,
        "date-time": _RFC3339.match,
        "date": _DATE.match,
        "google-duration": _DURATION.match,
        "byte": _is_base64,
    }
    check = checks.get(fmt or "")
    return None if check is None or check(value) else f"TYPE_STRING ({fmt})"


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=False)
    except ValueError:
        return False
    return True


def _boolean_problem(value: Any, schema: Mapping[str, Any]) -> str | None:
    return None if isinstance(value, bool) else "TYPE_BOOL"


_SCALAR_CHECKS = {
    "integer": _integer_problem,
    "number": _number_problem,
    "string": _string_problem,
    "boolean": _boolean_problem,
    "any": lambda value, schema: None,
}


def _convert_param(name: str, spec: Mapping[str, Any], raw: str) -> Any:
    kind = spec.get("type", "string")
    if kind == "boolean":
        # requests renders Python True as "True"; Google's binder is case-insensitive too.
        lowered = raw.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise QueryError(f"Invalid value at '{name}' (TYPE_BOOL), \"{raw}\"")
        return lowered in ("true", "1")
    if kind == "integer":
        number = _as_integer(raw)
        if number is None:
            raise QueryError(f"Invalid value at '{name}' (TYPE_INT32), \"{raw}\"")
        return number
    enum = spec.get("enum")
    if enum is not None and raw not in enum:
        raise QueryError(f"Invalid value at '{name}' (TYPE_ENUM), \"{raw}\"")
    return raw
