"""Errors in the JSON shapes Google's APIs answer with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .discovery import Violation

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


@dataclass
class ApiError(Exception):
    """An error answer: ``{"error": {"code", "message", "status", ...}}``."""

    code: int
    message: str
    status: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)
    # Drive v3 still answers with the legacy ``errors`` array (gspread's back-off reads it).
    errors: list[dict[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if not self.status:
            self.status = _STATUS_NAMES.get(self.code, "UNKNOWN")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            error["errors"] = self.errors
        error["status"] = self.status
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid_argument(message: str, violations: Sequence[Violation] = ()) -> ApiError:
    details = []
    if violations:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {"field": v.path, "description": v.message} for v in violations
                ],
            }
        )
    return ApiError(400, message, details=details)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError(404, message)


def permission_denied(message: str = "The caller does not have permission") -> ApiError:
    return ApiError(403, message)


def unauthenticated() -> ApiError:
    return ApiError(
        401,
        "Request is missing required authentication credential. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential.",
    )


def unimplemented(what: str) -> ApiError:
    # 501 rather than a silent success: a test must notice the emulator lacks a feature.
    return ApiError(501, f"The emulator does not implement {what}.")


def drive_error(code: int, message: str, reason: str, location: str | None = None) -> ApiError:
    item: dict[str, Any] = {"message": message, "domain": "global", "reason": reason}
    if location:
        item.update({"locationType": "parameter", "location": location})
    return ApiError(code, message, errors=[item])


def drive_file_not_found(file_id: str) -> ApiError:
    return drive_error(404, f"File not found: {file_id}.", "notFound", "fileId")
