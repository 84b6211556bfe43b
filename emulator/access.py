"""Who may see and change what: owners, sharing, folder inheritance and shared-drive members.

A principal is the e-mail address an access token maps to. Google gives service accounts
addresses ending in ``.gserviceaccount.com``; every other address is a person's account.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError, drive_error
from .store import DriveFile, Store

_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}
WRITER = "writer"

SERVICE_ACCOUNT_QUOTA_MESSAGE = (
    "Service Accounts do not have storage quota. Leverage shared drives "
    "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use "
    "OAuth delegation (http://support.google.com/a/answer/7281227) instead."
)


def is_service_account(email: str) -> bool:
    return email.lower().endswith(".gserviceaccount.com")


def at_least(role: str | None, wanted: str) -> bool:
    return role is not None and _RANK[role] >= _RANK[wanted]


def role_of(store: Store, file: DriveFile, account: str) -> str | None:
    """The strongest role ``account`` holds on ``file``; None when it cannot see it.

    Roles come from owning the file, from its own permissions, from any ancestor folder's
    permissions (Drive's inheritance) and from membership of the file's shared drive.
    """
    if store.is_denied(file.id, account):
        return None
    if not store.strict:
        return "owner"
    best: str | None = None
    pending, seen = [file], set()
    while pending:
        current = pending.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        if current.drive_id is None and current.owner.lower() == account.lower():
            return "owner"
        best = _stronger(best, granted_role(current.permissions, account))
        pending.extend(store.files[p] for p in current.parents if p in store.files)
    if file.drive_id is not None and file.drive_id in store.drives:
        best = _stronger(best, granted_role(store.drives[file.drive_id].members, account))
    return best


def drive_role(store: Store, drive_id: str, account: str) -> str | None:
    """A member's role on a shared drive itself (None for non-members)."""
    drive = store.drives.get(drive_id)
    if drive is None:
        return None
    if not store.strict:
        return "organizer"
    return granted_role(drive.members, account)


def granted_role(permissions: list[dict[str, Any]], account: str) -> str | None:
    wanted = account.lower()
    domain = wanted.rpartition("@")[2]
    best: str | None = None
    for permission in permissions:
        kind = permission.get("type")
        if (
            kind == "anyone"
            or (kind in ("user", "group") and permission.get("emailAddress", "").lower() == wanted)
            or (kind == "domain" and permission.get("domain", "").lower() == domain)
        ):
            best = _stronger(best, permission.get("role"))
    return best


def _stronger(first: str | None, second: str | None) -> str | None:
    if first is None or (second is not None and _RANK[second] > _RANK[first]):
        return second
    return first


def insufficient_permissions(file_id: str) -> ApiError:
    """Drive's 403 for a caller who may see a file but not change it."""
    return drive_error(
        403,
        f"The user does not have sufficient permissions for this file: {file_id}.",
        "insufficientFilePermissions",
    )


def storage_quota_exceeded() -> ApiError:
    """Drive's 403 for a service account creating a file outside a shared drive."""
    error = drive_error(403, SERVICE_ACCOUNT_QUOTA_MESSAGE, "storageQuotaExceeded")
    if error.errors:
        error.errors[0]["domain"] = "usageLimits"
    return error
