"""A local emulator of the Google Sheets v4, Drive v3 and Forms v1 REST APIs for tests.

Routes and payloads are validated against Google's discovery documents; state lives in
memory; the real gspread client talks to it over HTTP through :mod:`.transport`::

    with SheetsEmulator(locale="vi_VN", time_zone="Asia/Ho_Chi_Minh") as emu:
        client = emulator_client(emu)                   # an unmodified gspread.Client
        spreadsheet_id = emu.create_spreadsheet("x", sheets={"Sheet1": [["a", 1]]})
        emu.faults.schedule(Fault.rate_limit(retry_after=0.01), method="sheets.*")
        ...
        emu.counts["sheets.spreadsheets.batchUpdate"], emu.counts.writes(), emu.faulted
"""

from .batch import implemented_kinds
from .discovery import Discovery, DiscoveryUnavailableError
from .faults import Fault, FaultPlan, RequestInfo
from .server import WRITE_METHODS, MethodCounter, RequestRecord, SheetsEmulator
from .transport import (
    EmulatorAdapter,
    authorized_session,
    emulator_client,
    emulator_session,
    mount_emulator,
)

__all__ = [
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
    "mount_emulator",
]
