"""A local emulator of the Google Sheets v4, Drive v3 and Forms v1 REST APIs for tests.

Routes and payloads are validated against Google's discovery documents; state lives in
memory; the real gspread client talks to it over HTTP through :mod:`.transport`::

    with SheetsEmulator(locale="vi_VN", time_zone="Asia/Ho_Chi_Minh") as emu:
        client = emulator_client(emu)                   # an unmodified gspread.Client
        spreadsheet_id = emu.create_spreadsheet("x", sheets={"Sheet1": [["a", 1]]})
        emu.faults.schedule(Fault.rate_limit(retry_after=0.01), method="sheets.*")
        ...
        emu.counts["sheets.spreadsheets.batchUpdate"], emu.counts.writes(), emu.faulted

Principals. Every request carries a bearer token; ``emu.token_for(email)``,
``emu.credentials(email)``, ``authorized_session(emu, account=email)`` and
``emulator_client(emu, account=email)`` make one for any address. An address ending in
``.gserviceaccount.com`` is a service account, any other a person's account. Seeded
resources (``create_spreadsheet``, ``create_folder``, ``create_form``) belong to
``SheetsEmulator(account=...)`` (the default account) unless ``owner=`` says otherwise.

Strict mode (the default; ``SheetsEmulator(strict=False)`` turns it off) enforces Google's
rules, each covered by a test in ``tests/test_emulator_rules.py`` naming its source:

- a principal sees what it owns, what is shared with it (``emu.share(file_id, email, role)``),
  what sits in a folder shared with it, and what is in a shared drive it is a member of;
  others get Drive's 404 ``File not found: <id>.`` or Sheets' 403; readers cannot write;
- a service account creating a file (Drive ``files.create``/``copy``, Sheets
  ``spreadsheets.create``, Forms ``forms.create``) outside a shared drive gets 403
  ``storageQuotaExceeded``; a person's account owns what it creates::

      drive_id = emu.create_shared_drive("Sáng kiến", members={SERVICE_ACCOUNT: "writer"})
      folder = emu.create_folder("2021", parent=drive_id)   # a folder inside the drive
      # requests need supportsAllDrives=true (listing: includeItemsFromAllDrives, corpora,
      # driveId); without it a shared-drive item is "not found". ``drives`` create/get/list
      # and permissions on the drive id (members) are served too.

- protected ranges refuse writes by principals who are not among their editors;
- request bodies over 10 MiB and spreadsheets over 10,000,000 cells are refused;
- ``emu.mark_without_google_account(email)``: sharing to it with
  ``sendNotificationEmail=false`` answers 400 ``invalidSharingRequest``; Drive's 403 rate
  limits come from ``Fault.drive_rate_limit("sharingRateLimitExceeded")`` (or
  ``"userRateLimitExceeded"``, ``"rateLimitExceeded"``);
- forms have ``publishSettings``; ``emu.create_form(..., legacy=True)`` makes a form without
  them, on which ``setPublishSettings`` is refused as Google documents.

``deny_access``/``allow_access`` still hide one resource from one account in either mode.
"""

from .access import SERVICE_ACCOUNT_QUOTA_MESSAGE, is_service_account
from .batch import implemented_kinds
from .discovery import Discovery, DiscoveryUnavailableError
from .faults import Fault, FaultPlan, RequestInfo
from .server import PAYLOAD_LIMIT, WRITE_METHODS, MethodCounter, RequestRecord, SheetsEmulator
from .sheets_api import CELL_LIMIT
from .transport import (
    EmulatorAdapter,
    authorized_session,
    emulator_client,
    emulator_session,
    mount_emulator,
)

__all__ = [
    "CELL_LIMIT",
    "PAYLOAD_LIMIT",
    "SERVICE_ACCOUNT_QUOTA_MESSAGE",
    "WRITE_METHODS",
    "Discovery",
    "DiscoveryUnavailableError",
    "EmulatorAdapter",
    "Fault",
    "FaultPlan",
    "MethodCounter",
    "RequestInfo",
    "RequestRecord",
    "SheetsEmulator",
    "authorized_session",
    "emulator_client",
    "emulator_session",
    "implemented_kinds",
    "is_service_account",
    "mount_emulator",
]
