"""The three ways a federation owns its spreadsheets (google.owner), each on the emulator in its
strict mode: a first and an unchanged sync of the bundled example (its own 3,000 responses) and
of a province of 100 units and 5,000 responses, no request body over 2 MB; a service account
outside a shared drive gets the plain message; a refused officer address is reported while
every other spreadsheet is written and shared."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from emulator import SERVICE_ACCOUNT_QUOTA_MESSAGE, Fault, SheetsEmulator
from sync.config import read_settings
from sync.console import summary_json
from sync.doctor import check_google_way
from sync.errors import ConfigError
from sync.google.client import GoogleError
from sync.google.drive import FOLDER_MIME, lookup_record
from sync.google.target import FINGERPRINT_KEY
from sync.pipeline import SyncResult
from sync.report import REPORT_FILE
from sync.templates import load_templates

from .conftest import REPO
from .federation import (
    EXAMPLE_UNITS,
    OFFICER,
    PERSON,
    SERVICE_ACCOUNT,
    WAYS,
    Federation,
    example_sources,
    province_of,
)

# A first sync of the bundled example at Google's default quotas (issue: at most 1,000).
FIRST_SYNC_REQUEST_BUDGET = 1000
# Google recommends request bodies of at most 2 MB; the sync writes large tabs in chunks.
LARGEST_BODY = 2_000_000


@pytest.fixture
def emu():
    with SheetsEmulator(account=OFFICER) as server:
        yield server
        assert not server.internal_errors


def _first_and_unchanged(federation: Federation) -> tuple[SyncResult, int]:
    """The first sync's result and request count; the unchanged sync writes nothing, and no
    request of either passes 2 MB although the provincial spreadsheet is larger."""
    emu = federation.emu
    emu.reset_counters()
    first = federation.sync()
    requests = emu.counts.total()
    province_writes = [r for r in emu.requests if r.method_id == "sheets.spreadsheets.batchUpdate"
                       and federation.dashboard in r.path]  # fmt: skip
    assert len(province_writes) > 1  # its tabs went in chunks
    assert {r.status for r in emu.requests} == {200}  # nothing sent that Google would refuse
    emu.reset_counters()
    federation.sync()
    assert emu.counts.writes() == 0
    assert federation.largest.bytes <= LARGEST_BODY
    return first, requests


def _every_unit_written(federation: Federation, result: SyncResult) -> None:
    tree = result.report.tree
    expected = {u.id for u in tree if u.tier in federation.settings.output.tiers} - {tree.root.id}
    expected.add(lookup_record(load_templates())[0])  # the public lookup's own spreadsheet
    files = federation.spreadsheets()
    assert set(files) == expected
    for unit_id in expected:
        metadata = federation.emu.spreadsheet_json(files[unit_id]["id"])
        keys = [m["metadataKey"] for m in metadata.get("developerMetadata", [])]
        assert keys == [FINGERPRINT_KEY], unit_id


@pytest.mark.parametrize("way", WAYS)
def test_bundled_example_in_each_way(emu, tmp_path: Path, way: str) -> None:
    federation = Federation(emu, tmp_path, way, EXAMPLE_UNITS, example_sources())
    first, sent = _first_and_unchanged(federation)
    assert len(first.report.responses) == 3000  # the campaign itself, not a sample of it
    _every_unit_written(federation, first)
    assert sent <= FIRST_SYNC_REQUEST_BUDGET
    assert first.report.refused_addresses == []


@pytest.mark.parametrize("way", WAYS)
def test_hundred_units_in_each_way(emu, tmp_path: Path, way: str) -> None:
    units = province_of(100, tmp_path)
    federation = Federation(emu, tmp_path, way, units, responses=5000)
    first, _ = _first_and_unchanged(federation)
    assert (len(first.report.tree.units), len(first.report.responses)) == (100, 5000)
    _every_unit_written(federation, first)


def test_readers_are_granted_by_folder_not_file_by_file(emu, tmp_path: Path) -> None:
    federation = Federation(emu, tmp_path, "user", province_of(40, tmp_path))
    result = federation.sync()
    tree = result.report.tree
    files = {u: f for u, f in federation.spreadsheets().items() if u in tree.units}
    for unit_id, file in files.items():
        granted = {p.get("emailAddress") for p in file.get("permissions", [])}
        assert set(tree[unit_id].officer_emails) <= granted
        for ancestor in tree.ancestors(unit_id):
            assert not set(tree[ancestor].officer_emails) & granted - {PERSON}
    folders = [f for f in (emu.drive_file(k) for k in list(emu.store.files))
               if f["mimeType"] == FOLDER_MIME and f["id"] != federation.folder]  # fmt: skip
    with_folder = [tree.root.id, *(f["name"].split(" – ")[0] for f in folders)]
    lookup_editors = len(tree.root.officer_emails)  # the public lookup's own spreadsheet
    once_each = sum(len(tree[u].officer_emails) for u in [*files, *with_folder]) + lookup_editors
    assert emu.counts["drive.permissions.create"] == once_each


def test_service_account_outside_a_shared_drive_gets_the_plain_message(emu, tmp_path: Path) -> None:
    federation = Federation(emu, tmp_path, "user", province_of(20, tmp_path))
    emu.share(federation.folder, SERVICE_ACCOUNT, "writer")
    emu.share(federation.dashboard, SERVICE_ACCOUNT, "writer")
    google = federation.settings.google.model_copy(
        update={"auth": "service_account", "owner": "shared_drive"}
    )
    federation.settings = federation.settings.model_copy(update={"google": google})
    federation.account = SERVICE_ACCOUNT
    with pytest.raises(GoogleError) as raised:
        federation.sync()
    message = str(raised.value)
    assert "shared drive" in message and "apps_script" in message and "auth: user" in message
    assert "access denied" not in message
    assert emu.counts["drive.files.create"] == 0  # it never tried outside a shared drive


def test_a_configured_drive_that_does_not_hold_the_folder_creates_nothing(
    emu, tmp_path: Path
) -> None:
    federation = Federation(emu, tmp_path, "user", province_of(20, tmp_path))
    emu.share(federation.folder, SERVICE_ACCOUNT, "writer")
    drive = emu.create_shared_drive("Khác", organizer=OFFICER, members={SERVICE_ACCOUNT: "writer"})
    google = federation.settings.google.model_copy(
        update={"auth": "service_account", "owner": "shared_drive", "shared_drive": drive}
    )  # a shared drive in the config, but the folder is in a person's Drive
    federation.settings = federation.settings.model_copy(update={"google": google})
    federation.account = SERVICE_ACCOUNT
    with pytest.raises(GoogleError, match="not in a shared drive"):
        federation.sync()
    assert emu.counts["drive.files.create"] == 0


def test_storage_quota_refusal_names_the_three_ways(emu, tmp_path: Path) -> None:
    federation = Federation(emu, tmp_path, "shared_drive", province_of(20, tmp_path))
    refusal = Fault(
        "status", 403, message=SERVICE_ACCOUNT_QUOTA_MESSAGE, reason="storageQuotaExceeded",
        domain="usageLimits",
    )  # fmt: skip
    emu.faults.schedule(refusal, method="drive.files.create")
    with pytest.raises(GoogleError, match="apps_script") as raised:
        federation.sync()
    assert "access denied" not in str(raised.value)


def test_service_account_cannot_be_the_owner_in_config(tmp_path: Path, write_config) -> None:
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    config["units"] = str(EXAMPLE_UNITS)
    config["google"] = {"auth": "service_account", "owner": "user"}
    with pytest.raises(ConfigError, match="cannot own files"):
        read_settings(write_config(config))


def test_refused_address_is_reported_and_the_rest_is_shared(emu, tmp_path: Path) -> None:
    units = province_of(30, tmp_path)
    federation = Federation(emu, tmp_path, "user", units)
    with units.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    victim = next(r for r in rows if r["kind"] == "grassroots" and r["officer_emails"])
    bad = victim["officer_emails"].split(";")[0]
    emu.mark_without_google_account(bad)
    result = federation.sync()
    refused = result.report.refused_addresses
    assert [(r["email"], r["unit"], r["reason"]) for r in refused] == [
        (bad, victim["id"], "invalidSharingRequest")
    ]
    _every_unit_written(federation, result)
    tree = result.report.tree
    for unit_id, file in federation.spreadsheets().items():
        granted = {p.get("emailAddress") for p in file.get("permissions", [])}
        unit = tree.units.get(unit_id, tree.root)  # the province's officers edit the lookup
        assert set(unit.officer_emails) - {bad} <= granted
    saved = json.loads((federation.settings.output.dir / REPORT_FILE).read_text("utf-8"))
    assert saved["refused_addresses"] == refused
    assert json.loads(summary_json(result))["refused_addresses"] == refused


@pytest.mark.parametrize("way", WAYS)
def test_doctor_proves_each_way_before_the_first_sync(emu, tmp_path: Path, way: str) -> None:
    federation = Federation(emu, tmp_path, way, province_of(20, tmp_path))
    form_id = emu.create_form("Sáng kiến 2021", owner=OFFICER)
    emu.share(form_id, federation.account, "writer")
    campaign = federation.settings.campaign.model_copy(update={"form_id": form_id})
    federation.settings = federation.settings.model_copy(update={"campaign": campaign})
    emu.reset_counters()
    findings = check_google_way(federation.settings, federation.connect())
    assert [(f.name, f.ok) for f in findings] == [
        ("unit spreadsheets", True),
        ("dashboard write", True),
        ("form", True),
    ], findings
    assert emu.counts.writes() == 0  # nothing created, nothing left behind


def test_doctor_sees_a_service_account_outside_a_shared_drive(emu, tmp_path: Path) -> None:
    federation = Federation(emu, tmp_path, "user", province_of(20, tmp_path))
    emu.share(federation.folder, SERVICE_ACCOUNT, "writer")
    google = federation.settings.google.model_copy(
        update={"auth": "service_account", "owner": "shared_drive"}
    )
    federation.settings = federation.settings.model_copy(update={"google": google})
    federation.account = SERVICE_ACCOUNT
    found = {f.name: f for f in check_google_way(federation.settings, federation.connect())}
    assert found["unit spreadsheets"].blocking
    assert "shared drive" in found["unit spreadsheets"].message


def test_doctor_sees_units_the_script_has_not_made_yet(emu, tmp_path: Path) -> None:
    federation = Federation(emu, tmp_path, "apps_script", province_of(20, tmp_path))
    registry = f"'{federation.registry.name}'!A3:D100"
    emu.set_values(federation.dashboard, registry, [[""] * 4] * 98)  # the script stopped early
    found = {f.name: f for f in check_google_way(federation.settings, federation.connect())}
    assert found["unit spreadsheets"].blocking
    assert "spreadsheets-script" in found["unit spreadsheets"].message


def test_doctor_sees_a_legacy_form_and_a_form_it_cannot_edit(emu, tmp_path: Path) -> None:
    federation = Federation(emu, tmp_path, "user", province_of(20, tmp_path))
    for form_id, problem in (
        (emu.create_form("Cũ", owner=OFFICER, legacy=True), "legacy"),
        (emu.create_form("Không chia sẻ", owner=OFFICER), "access denied"),
    ):
        if problem == "legacy":
            emu.share(form_id, PERSON, "writer")
        campaign = federation.settings.campaign.model_copy(update={"form_id": form_id})
        settings = federation.settings.model_copy(update={"campaign": campaign})
        [form] = [f for f in check_google_way(settings, federation.connect()) if f.name == "form"]
        assert form.blocking and problem in form.message


def test_signed_in_person_without_a_folder_gets_one_made(emu, tmp_path: Path) -> None:
    federation = Federation(emu, tmp_path, "user", province_of(20, tmp_path))
    google = federation.settings.google.model_copy(update={"drive_folder": None})
    federation.settings = federation.settings.model_copy(update={"google": google})
    result = federation.sync()
    _every_unit_written(federation, result)
    made = [emu.drive_file(k) for k in list(emu.store.files)]
    [campaign] = [f for f in made if f["name"] == federation.settings.campaign.name]
    assert campaign["mimeType"] == FOLDER_MIME
    federation.sync()  # found again, not made twice
    again = [emu.drive_file(k)["name"] for k in list(emu.store.files)]
    assert again.count(federation.settings.campaign.name) == 1
