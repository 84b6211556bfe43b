"""Google's rules the strict emulator enforces; each test names the page or report it follows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from emulator import Fault, SheetsEmulator, authorized_session
from emulator.store import SPREADSHEET_MIME

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE = "https://www.googleapis.com/drive/v3"
FORMS = "https://forms.googleapis.com/v1/forms"
OWNER = "chu-tich.ldld@gmail.com"
OFFICER = "can-bo.congdoan@gmail.com"
ROBOT = "sangkien-sync@du-an.iam.gserviceaccount.com"
ALL_DRIVES = {"supportsAllDrives": "true"}
PROTECTED = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner "
    "to remove protection if you need to edit."
)


@pytest.fixture
def emu() -> Iterator[SheetsEmulator]:
    with SheetsEmulator(account=OWNER) as emulator:
        yield emulator
    assert emulator.internal_errors == []


def as_(emu: SheetsEmulator, account: str) -> requests.Session:
    return authorized_session(emu, account=account)


def reason(response: requests.Response) -> str:
    return response.json()["error"]["errors"][0]["reason"]


def new_spreadsheet(session: requests.Session, parent: str, **params: str) -> requests.Response:
    body = {"name": "Đơn vị", "mimeType": SPREADSHEET_MIME, "parents": [parent]}
    return session.post(f"{DRIVE}/files", json=body, params=params)


class TestPrincipalsAndAccess:
    """Drive "Resolve errors" page: 404 notFound for files the caller cannot see; Sheets
    answers 403 PERMISSION_DENIED for a spreadsheet that is not shared with the caller."""

    def test_unshared_file_is_not_found_in_drive_and_forbidden_in_sheets(self, emu) -> None:
        key = emu.create_spreadsheet("Riêng")
        stranger = as_(emu, OFFICER)
        drive = stranger.get(f"{DRIVE}/files/{key}")
        assert drive.status_code == 404
        assert drive.json()["error"]["message"] == f"File not found: {key}."
        assert reason(drive) == "notFound"
        sheets = stranger.get(f"{SHEETS}/{key}")
        assert sheets.status_code == 403
        assert sheets.json()["error"]["status"] == "PERMISSION_DENIED"
        assert stranger.get(f"{DRIVE}/files").json()["files"] == []

    def test_sharing_a_folder_reaches_its_items_and_readers_cannot_write(self, emu) -> None:
        folder = emu.create_folder("Huyện Tuần Giáo")
        key = emu.create_spreadsheet("Trường THPT", folder_id=folder)
        emu.share(folder, OFFICER, "reader")
        officer = as_(emu, OFFICER)
        assert officer.get(f"{SHEETS}/{key}").status_code == 200
        listed = officer.get(f"{DRIVE}/files").json()["files"]
        assert {f["id"] for f in listed} == {folder, key}
        write = officer.put(
            f"{SHEETS}/{key}/values/A1", params={"valueInputOption": "RAW"}, json={"values": [[1]]}
        )
        assert write.status_code == 403
        rename = officer.patch(f"{DRIVE}/files/{key}", json={"name": "x"})
        assert (rename.status_code, reason(rename)) == (403, "insufficientFilePermissions")
        emu.share(folder, OFFICER, "writer")
        assert officer.patch(f"{DRIVE}/files/{key}", json={"name": "x"}).status_code == 200

    def test_lenient_mode_lets_every_principal_in(self) -> None:
        with SheetsEmulator(account=OWNER, strict=False) as emu:
            key = emu.create_spreadsheet("Riêng")
            assert as_(emu, OFFICER).get(f"{SHEETS}/{key}").status_code == 200


class TestStorageQuota:
    """gspread issue 1592 / pull 1593, n8n issue 26050 and Google's shared-drives guide:
    service accounts have no storage quota, even in a folder shared with them."""

    def test_service_account_cannot_create_in_a_folder_shared_with_it(self, emu) -> None:
        folder = emu.create_folder("Sáng kiến 2021")
        emu.share(folder, ROBOT, "writer")
        robot = as_(emu, ROBOT)
        answer = new_spreadsheet(robot, folder)
        assert (answer.status_code, reason(answer)) == (403, "storageQuotaExceeded")
        assert answer.json()["error"]["message"].startswith(
            "Service Accounts do not have storage quota. Leverage shared drives"
        )
        created = robot.post(SHEETS, json={"properties": {"title": "x"}})
        assert created.status_code == 403
        assert "do not have storage quota" in created.json()["error"]["message"]
        # A folder holds no bytes: n8n issue 17235 reports "Create Folder works" for one.
        folder_body = {"name": "x", "mimeType": "application/vnd.google-apps.folder"}
        assert robot.post(f"{DRIVE}/files", json={**folder_body, "parents": [folder]}).ok

    def test_a_person_owns_what_they_create(self, emu) -> None:
        folder = emu.create_folder("Sáng kiến 2021")
        emu.share(folder, OFFICER, "writer")
        answer = new_spreadsheet(as_(emu, OFFICER), folder)
        assert answer.status_code == 200
        owners = emu.drive_file(answer.json()["id"])["owners"]
        assert [o["emailAddress"] for o in owners] == [OFFICER]


class TestSharedDrives:
    """Google's "Implement shared drive support" guide: supportsAllDrives on every call,
    includeItemsFromAllDrives, corpora and driveId for listing; the drive owns its items."""

    def test_service_account_member_creates_in_a_shared_drive(self, emu) -> None:
        drive = emu.create_shared_drive("LĐLĐ tỉnh", members={ROBOT: "writer"})
        folder = emu.create_folder("2021", parent=drive)
        robot = as_(emu, ROBOT)
        hidden = new_spreadsheet(robot, folder)
        assert hidden.status_code == 404  # no supportsAllDrives: the folder is not found
        created = new_spreadsheet(robot, folder, **ALL_DRIVES)
        assert created.status_code == 200
        key = created.json()["id"]
        file = robot.get(f"{DRIVE}/files/{key}", params={**ALL_DRIVES, "fields": "*"}).json()
        assert file["driveId"] == drive and "owners" not in file
        assert robot.get(f"{DRIVE}/files/{key}").status_code == 404
        assert robot.get(f"{SHEETS}/{key}").status_code == 200

    def test_listing_needs_the_all_drives_parameters(self, emu) -> None:
        drive = emu.create_shared_drive("LĐLĐ tỉnh", members={OFFICER: "reader"})
        key = emu.create_spreadsheet("Trong drive", folder_id=emu.create_folder("x", drive))
        officer = as_(emu, OFFICER)
        assert officer.get(f"{DRIVE}/files").json()["files"] == []
        wrong = officer.get(f"{DRIVE}/files", params={"corpora": "drive"})
        assert wrong.status_code == 400
        params = {**ALL_DRIVES, "includeItemsFromAllDrives": "true"}
        listed = officer.get(
            f"{DRIVE}/files", params={**params, "corpora": "drive", "driveId": drive}
        )
        assert key in {f["id"] for f in listed.json()["files"]}
        drives = officer.get(f"{DRIVE}/drives").json()["drives"]
        assert [d["id"] for d in drives] == [drive]

    def test_members_are_permissions_on_the_drive(self, emu) -> None:
        made = as_(emu, OFFICER).post(
            f"{DRIVE}/drives", params={"requestId": "r1"}, json={"name": "Huyện"}
        )
        drive = made.json()["id"]
        officer = as_(emu, OFFICER)
        grant = {"type": "user", "role": "writer", "emailAddress": ROBOT}
        url = f"{DRIVE}/files/{drive}/permissions"
        assert officer.post(url, json=grant).status_code == 404
        assert officer.post(url, json=grant, params=ALL_DRIVES).status_code == 200
        assert new_spreadsheet(as_(emu, ROBOT), drive, **ALL_DRIVES).status_code == 200


class TestProtectedRanges:
    """Sheets API ProtectedRange reference: only the editors (and the owner) may edit."""

    def protect(self, emu: SheetsEmulator, key: str) -> None:
        protected = {"range": {"sheetId": 0, "endColumnIndex": 1}, "editors": {"users": [OWNER]}}
        answer = as_(emu, OWNER).post(
            f"{SHEETS}/{key}:batchUpdate",
            json={"requests": [{"addProtectedRange": {"protectedRange": protected}}]},
        )
        assert answer.status_code == 200

    def test_non_editor_writes_inside_are_refused(self, emu) -> None:
        key = emu.create_spreadsheet("Đơn vị")
        emu.share(key, OFFICER, "writer")
        self.protect(emu, key)
        officer = as_(emu, OFFICER)
        params = {"valueInputOption": "RAW"}
        inside = officer.put(f"{SHEETS}/{key}/values/A2", params=params, json={"values": [[1]]})
        assert inside.status_code == 400 and inside.json()["error"]["message"] == PROTECTED
        cells = {
            "updateCells": {
                "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "endColumnIndex": 1},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
                "fields": "userEnteredValue",
            }
        }
        batch = officer.post(f"{SHEETS}/{key}:batchUpdate", json={"requests": [cells]})
        assert batch.status_code == 400 and batch.json()["error"]["message"] == PROTECTED
        outside = officer.put(f"{SHEETS}/{key}/values/B2", params=params, json={"values": [[1]]})
        assert outside.status_code == 200
        owner = as_(emu, OWNER).put(
            f"{SHEETS}/{key}/values/A2", params=params, json={"values": [[1]]}
        )
        assert owner.status_code == 200


class TestLimits:
    """Sheets API "Usage limits" page (2 MB recommended; larger bodies refused past 10 MiB, as
    psgsuite issue 62 records) and Google's 10 million cells per spreadsheet."""

    def test_payload_over_ten_mebibytes_is_refused(self, emu) -> None:
        key = emu.create_spreadsheet("Lớn")
        big = {"values": [["x" * 1000] for _ in range(11_000)]}
        answer = as_(emu, OWNER).put(
            f"{SHEETS}/{key}/values/A1", params={"valueInputOption": "RAW"}, json=big
        )
        assert answer.status_code == 400
        message = answer.json()["error"]["message"]
        assert message == "Request payload size exceeds the limit: 10485760 bytes."

    def test_workbook_over_ten_million_cells_is_refused(self, emu) -> None:
        key = emu.create_spreadsheet("Lớn")
        grow = {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"rowCount": 400_000}},
                "fields": "gridProperties.rowCount",
            }
        }
        answer = as_(emu, OWNER).post(f"{SHEETS}/{key}:batchUpdate", json={"requests": [grow]})
        assert answer.status_code == 400
        assert answer.json()["error"]["message"] == (
            "This action would increase the number of cells in the workbook above the limit of "
            "10000000 cells."
        )


class TestDefaultValues:
    """Google's JSON mapping of proto3 leaves out default values; gspread's recordings
    (WorksheetTest.test_freeze, test_add_protected_range_normal) show which fields."""

    def test_zero_false_and_empty_fields_are_left_out(self, emu) -> None:
        key = emu.create_spreadsheet("Đơn vị")
        protected = {
            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
            "warningOnly": False,
            "editors": {"users": [], "groups": []},
        }
        unfreeze = {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 0}},
                "fields": "gridProperties.frozenRowCount",
            }
        }
        requests_ = [{"addProtectedRange": {"protectedRange": protected}}, unfreeze]
        owner = as_(emu, OWNER)
        answer = owner.post(f"{SHEETS}/{key}:batchUpdate", json={"requests": requests_})
        reply = answer.json()["replies"][0]["addProtectedRange"]["protectedRange"]
        assert reply["range"] == {"startRowIndex": 0, "endRowIndex": 1}
        assert reply["editors"] == {} and "warningOnly" not in reply
        sheet = owner.get(f"{SHEETS}/{key}").json()["sheets"][0]["properties"]
        assert sheet["sheetId"] == 0 and "frozenRowCount" not in sheet["gridProperties"]


class TestSharing:
    """Drive "Resolve errors" page: invalidSharingRequest and the 403 rate limits."""

    def test_address_without_google_account_needs_a_notification(self, emu) -> None:
        key = emu.create_spreadsheet("Đơn vị")
        emu.mark_without_google_account("khong-co@example.vn")
        url = f"{DRIVE}/files/{key}/permissions"
        grant = {"type": "user", "role": "writer", "emailAddress": "khong-co@example.vn"}
        owner = as_(emu, OWNER)
        silent = owner.post(url, json=grant, params={"sendNotificationEmail": "false"})
        assert (silent.status_code, reason(silent)) == (400, "invalidSharingRequest")
        assert "no Google account" in silent.json()["error"]["message"]
        assert owner.post(url, json=grant).status_code == 200

    @pytest.mark.parametrize(
        "why", ["sharingRateLimitExceeded", "userRateLimitExceeded", "rateLimitExceeded"]
    )
    def test_drive_rate_limits_are_403s_with_their_reason(self, emu, why: str) -> None:
        key = emu.create_spreadsheet("Đơn vị")
        emu.faults.schedule(Fault.drive_rate_limit(why), method="drive.permissions.create")
        grant = {"type": "user", "role": "writer", "emailAddress": OFFICER}
        answer = as_(emu, OWNER).post(f"{DRIVE}/files/{key}/permissions", json=grant)
        assert (answer.status_code, reason(answer)) == (403, why)


class TestFileVersion:
    """Drive v3 File reference (https://developers.google.com/drive/api/reference/rest/v3/files,
    field `version`): "A monotonically increasing version number for the file. This reflects
    every change made to the file on the server, even those not visible to the user." An int64,
    which Google's JSON mapping sends as a string. (The recorded gspread sessions never ask
    Drive for it.)"""

    def version(self, session: requests.Session, key: str) -> str:
        answer = session.get(f"{DRIVE}/files/{key}", params={"fields": "version", **ALL_DRIVES})
        assert set(answer.json()) == {"version"}
        return answer.json()["version"]

    def test_every_change_to_the_file_and_only_a_change_raises_it(self, emu) -> None:
        owner = as_(emu, OWNER)
        key = new_spreadsheet(owner, emu.create_folder("Sáng kiến 2021")).json()["id"]
        seen = [self.version(owner, key)]
        write = {"values": [["Tên"]]}
        owner.put(f"{SHEETS}/{key}/values/A1", params={"valueInputOption": "RAW"}, json=write)
        seen.append(self.version(owner, key))
        owner.get(f"{SHEETS}/{key}/values/A1")  # reading changes nothing
        assert self.version(owner, key) == seen[-1]
        owner.patch(f"{DRIVE}/files/{key}", json={"description": "không ai thấy"})
        seen.append(self.version(owner, key))
        grant = {"type": "user", "role": "reader", "emailAddress": OFFICER}
        permission = owner.post(f"{DRIVE}/files/{key}/permissions", json=grant).json()["id"]
        seen.append(self.version(owner, key))
        owner.delete(f"{DRIVE}/files/{key}/permissions/{permission}")
        seen.append(self.version(owner, key))
        assert seen == ["1", "2", "3", "4", "5"]

    def test_served_only_when_the_fields_ask_for_it(self, emu) -> None:
        """Drive guide "Return specific fields"
        (https://developers.google.com/drive/api/guides/fields-parameter): without `fields` the
        server returns a default set of fields specific to the method (files: kind, id, name,
        mimeType)."""
        key = emu.create_spreadsheet("Đơn vị")
        owner = as_(emu, OWNER)
        assert "version" not in owner.get(f"{DRIVE}/files/{key}").json()
        listed = owner.get(f"{DRIVE}/files", params={"fields": "files(id,version)"}).json()
        assert listed["files"] == [{"id": key, "version": "1"}]


class TestForms:
    """Forms API reference: PublishState (isPublished, isAcceptingResponses) and
    forms.setPublishSettings ("Legacy forms aren't supported")."""

    def close(self, session: requests.Session, form_id: str) -> requests.Response:
        state = {"isPublished": True, "isAcceptingResponses": False}
        return session.post(
            f"{FORMS}/{form_id}:setPublishSettings",
            json={"publishSettings": {"publishState": state}, "updateMask": "publishState"},
        )

    def test_closing_twice_is_fine_and_legacy_forms_are_refused(self, emu) -> None:
        owner = as_(emu, OWNER)
        form_id = emu.create_form("Sáng kiến", published=False)
        state = owner.get(f"{FORMS}/{form_id}").json()["publishSettings"]["publishState"]
        assert state == {}  # both false, so both left out
        opened = emu.create_form("Sáng kiến")
        assert self.close(owner, opened).status_code == 200
        assert self.close(owner, opened).status_code == 200
        legacy = self.close(owner, emu.create_form("Cũ", legacy=True))
        assert legacy.status_code == 400
        assert "publishSettings" in legacy.json()["error"]["message"]

    def test_only_editors_use_the_forms_api(self, emu) -> None:
        form_id = emu.create_form("Sáng kiến")
        assert as_(emu, OFFICER).get(f"{FORMS}/{form_id}").status_code == 403
        emu.share(form_id, OFFICER, "writer")
        assert as_(emu, OFFICER).get(f"{FORMS}/{form_id}").status_code == 200
