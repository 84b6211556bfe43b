"""The Sheets/Drive/Forms emulator, exercised through the real gspread client over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gspread
import pytest
import requests
from gspread.utils import ValueInputOption, ValueRenderOption

from emulator import (
    Discovery,
    DiscoveryUnavailableError,
    Fault,
    SheetsEmulator,
    a1,
    authorized_session,
    emulator_client,
    fieldmask,
    implemented_kinds,
)
from emulator import discovery as discovery_module

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE = "https://www.googleapis.com/drive/v3/files"
FORMS = "https://forms.googleapis.com/v1/forms"
RESPONSES_TITLE = "Câu trả lời biểu mẫu 1"
# A person's account: it owns what it creates (a service account would own nothing).
USER = "can-bo.sangkien@gmail.com"


@pytest.fixture
def emu() -> Iterator[SheetsEmulator]:
    with SheetsEmulator(locale="vi_VN", time_zone="Asia/Ho_Chi_Minh", account=USER) as emulator:
        yield emulator
    assert emulator.internal_errors == []


@pytest.fixture
def client(emu: SheetsEmulator) -> gspread.Client:
    return emulator_client(emu)


@pytest.fixture
def session(emu: SheetsEmulator) -> requests.Session:
    return authorized_session(emu)


def batch(session: requests.Session, spreadsheet_id: str, *requests_: dict) -> requests.Response:
    return session.post(
        f"{SHEETS}/{spreadsheet_id}:batchUpdate", json={"requests": list(requests_)}
    )


def sheet_json(session: requests.Session, spreadsheet_id: str, title: str) -> dict[str, Any]:
    spreadsheet = session.get(f"{SHEETS}/{spreadsheet_id}").json()
    return next(s for s in spreadsheet["sheets"] if s["properties"]["title"] == title)


# ----------------------------------------------------------------------------- discovery


class TestDiscovery:
    @pytest.mark.parametrize(
        ("method", "path", "method_id", "params"),
        [
            ("POST", "/v4/spreadsheets/abc:batchUpdate", "sheets.spreadsheets.batchUpdate", {}),
            (
                "GET",
                "/v4/spreadsheets/abc/values/%27C%C3%A2u%201%27%21A1%3AZ",
                "sheets.spreadsheets.values.get",
                {"spreadsheetId": "abc", "range": "'Câu 1'!A1:Z"},
            ),
            (
                "POST",
                "/v4/spreadsheets/abc/values/Sheet1%21A1:append",
                "sheets.spreadsheets.values.append",
                {"range": "Sheet1!A1"},
            ),
            ("POST", "/drive/v3/files", "drive.files.create", {}),
            ("GET", "/drive/v3/files/generateIds", "drive.files.generateIds", {}),
            ("POST", "/drive/v3/files/f1/permissions", "drive.permissions.create", {}),
            ("POST", "/v1/forms/f1:setPublishSettings", "forms.forms.setPublishSettings", {}),
        ],
    )
    def test_routes_match_discovery_methods(
        self, method: str, path: str, method_id: str, params: dict[str, str]
    ) -> None:
        match = Discovery.default().match(method, path)
        assert match is not None
        assert match.method.id == method_id
        assert params.items() <= match.path_params.items()

    def test_query_parameters_are_typed_and_checked(self) -> None:
        discovery = Discovery.default()
        method = discovery.method("sheets.spreadsheets.values.get")
        query = {"valueRenderOption": ["FORMULA"], "prettyPrint": ["True"], "fields": ["range"]}
        assert discovery.validate_query(method, query)["prettyPrint"] is True
        with pytest.raises(ValueError, match='Unknown name "bogus"'):
            discovery.validate_query(method, {"bogus": ["1"]})
        with pytest.raises(ValueError, match="TYPE_ENUM"):
            discovery.validate_query(method, {"valueRenderOption": ["PRETTY"]})

    def test_body_violations_name_the_json_path(self) -> None:
        discovery = Discovery.default()
        method = discovery.method("sheets.spreadsheets.batchUpdate")
        body = {
            "requests": [
                {"repeatCell": {"range": {"sheetId": "zero"}}},
                {"updateCells": {"rows": [{"values": [{"userEnteredValue": {"boolValue": 1}}]}]}},
            ]
        }
        paths = [v.path for v in discovery.validate_body(method, body)]
        assert paths == [
            "requests[0].repeatCell.range.sheetId",
            "requests[1].updateCells.rows[0].values[0].userEnteredValue.boolValue",
        ]

    def test_int64_may_be_a_string_and_drive_ignores_unknown_fields(self) -> None:
        discovery = Discovery.default()
        create = discovery.method("drive.files.create")
        assert discovery.validate_body(create, {"name": "x", "size": "123", "withLink": 1}) == []
        assert discovery.ignored_fields(create, {"withLink": 1}) == ["withLink"]
        bad = discovery.validate_body(create, {"size": "12a"})
        assert [v.path for v in bad] == ["size"]

    def test_missing_documents_ask_for_the_test_extra(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(discovery_module, "find_spec", lambda name: None)
        with pytest.raises(DiscoveryUnavailableError, match="test extra"):
            discovery_module.documents_dir()


def test_field_masks_filter_and_update() -> None:
    resource = {"a": {"b": 1, "c": 2}, "files": [{"id": "1", "name": "x"}], "d": 3}
    assert fieldmask.filter_response(resource, "a/b,files(id)") == {
        "a": {"b": 1},
        "files": [{"id": "1"}],
    }
    assert fieldmask.filter_response(resource, "*") == resource
    updated = fieldmask.apply_update({"a": {"b": 1, "c": 2}}, {"a": {"c": 5}}, "a(b,c)")
    assert updated == {"a": {"c": 5}}  # b is in the mask but not in the source: cleared


@pytest.mark.parametrize(
    ("text", "title", "bounds"),
    [
        ("A1", None, (0, 1, 0, 1)),
        ("'It''s'!B2:C", "It's", (1, None, 1, 3)),
        (f"'{RESPONSES_TITLE}'!A:Z", RESPONSES_TITLE, (0, None, 0, 26)),
        ("Sheet1!2:5", "Sheet1", (1, 5, 0, None)),
    ],
)
def test_a1_parsing(text: str, title: str | None, bounds: tuple) -> None:
    parsed_title, ref = a1.split_sheet(text)
    parsed = a1.parse_cells(ref or "")
    assert parsed_title == title
    assert (parsed.start_row, parsed.end_row, parsed.start_col, parsed.end_col) == bounds


# ------------------------------------------------------------------------- gspread end to end


class TestGspreadEndToEnd:
    def test_create_open_update_and_read(self, emu: SheetsEmulator, client: gspread.Client) -> None:
        created = client.create("Sáng kiến 2024")
        opened = client.open_by_key(created.id)
        assert opened.title == "Sáng kiến 2024"
        assert opened.locale == "vi_VN"
        assert opened.timezone == "Asia/Ho_Chi_Minh"
        worksheet = opened.sheet1
        worksheet.update([["Họ tên", "Số"], ["An", 1.5], ["Bình", 2]], "A1")
        assert worksheet.get_all_values() == [["Họ tên", "Số"], ["An", "1,5"], ["Bình", "2"]]
        unformatted = worksheet.get("B2:B3", value_render_option=ValueRenderOption.unformatted)
        assert unformatted == [[1.5], [2]]
        assert emu.counts["drive.files.create"] == 1
        assert emu.counts["sheets.spreadsheets.values.update"] == 1

    def test_worksheets_append_and_batch_values(self, client: gspread.Client) -> None:
        spreadsheet = client.create("book")
        responses = spreadsheet.add_worksheet(RESPONSES_TITLE, rows=5, cols=4)
        responses.append_rows([["Dấu thời gian", "Tên"], ["1/1/2024", "A"]])
        responses.append_row(["2/1/2024", "B"])  # grows the 5-row grid as Google does
        responses.batch_update(
            [{"range": "C1:C2", "values": [["Điểm"], [7]]}, {"range": "D1", "values": [["x"]]}]
        )
        assert responses.get_all_values()[:3] == [
            ["Dấu thời gian", "Tên", "Điểm", "x"],
            ["1/1/2024", "A", "7", ""],
            ["2/1/2024", "B", "", ""],
        ]
        ranges = responses.batch_get(["A1:B1", "C2"])
        assert [r.range for r in ranges] == [
            f"'{RESPONSES_TITLE}'!A1:B1",
            f"'{RESPONSES_TITLE}'!C2",
        ]
        spreadsheet.del_worksheet(spreadsheet.sheet1)
        assert [w.title for w in spreadsheet.worksheets()] == [RESPONSES_TITLE]

    def test_structural_requests_show_up_in_metadata(
        self, client: gspread.Client, session: requests.Session
    ) -> None:
        spreadsheet = client.create("formatted")
        worksheet = spreadsheet.sheet1
        worksheet.update([["b", 2], ["a", 1], ["c", 3]], "A2")
        worksheet.freeze(rows=1)
        worksheet.format("A1:B1", {"textFormat": {"bold": True}})
        worksheet.set_basic_filter("A1:B4")
        worksheet.sort((2, "asc"), range="A2:B4")
        worksheet.add_protected_range("A1:B1", editor_users_emails=["boss@example.com"])
        worksheet.columns_auto_resize(0, 2)
        sheet = sheet_json(session, spreadsheet.id, "Sheet1")
        assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 1
        assert sheet["basicFilter"]["range"]["endRowIndex"] == 4
        # The owner is always an editor, as Google lists it.
        assert sheet["protectedRanges"][0]["editors"]["users"] == ["boss@example.com", USER]
        assert worksheet.get("A2:A4") == [["a"], ["b"], ["c"]]
        bold = worksheet.get("A1", value_render_option=ValueRenderOption.unformatted)
        assert bold == [[]]  # formatting alone is not a value
        grid = session.get(
            f"{SHEETS}/{spreadsheet.id}",
            params={
                "ranges": "Sheet1!A1:B1",
                "fields": "sheets.data.rowData.values.userEnteredFormat",
            },
        ).json()
        cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
        assert cell == {"userEnteredFormat": {"textFormat": {"bold": True}}}

    def test_share_and_list_files(self, emu: SheetsEmulator, client: gspread.Client) -> None:
        folder = emu.create_folder("Công đoàn")
        first = client.create("Đơn vị A", folder_id=folder)
        client.create("Đơn vị B")
        first.share("chairman@example.com", perm_type="user", role="writer", notify=False)
        permissions = first.list_permissions()
        assert {(p["emailAddress"], p["role"]) for p in permissions} == {
            (emu.default_account, "owner"),
            ("chairman@example.com", "writer"),
        }
        assert emu.requests[-2].ignored_fields == ["withLink"]  # Drive drops unknown fields
        names = sorted(f["name"] for f in client.list_spreadsheet_files())
        assert names == ["Đơn vị A", "Đơn vị B"]
        assert [f["id"] for f in client.list_spreadsheet_files(folder_id=folder)] == [first.id]
        assert client.open("Đơn vị A").id == first.id
        client.del_spreadsheet(first.id)
        with pytest.raises(gspread.SpreadsheetNotFound):
            client.open_by_key(first.id)

    def test_notes_and_raw_batch_update(self, client: gspread.Client) -> None:
        spreadsheet = client.create("notes")
        worksheet = spreadsheet.sheet1
        worksheet.update_note("B2", "kiểm tra")
        assert worksheet.get_note("B2") == "kiểm tra"
        reply = spreadsheet.batch_update(
            {"requests": [{"addSheet": {"properties": {"title": "Tổng hợp", "index": 0}}}]}
        )
        assert reply["replies"][0]["addSheet"]["properties"]["title"] == "Tổng hợp"
        assert [w.title for w in spreadsheet.worksheets()] == ["Tổng hợp", "Sheet1"]


# ----------------------------------------------------------------------------------- values


class TestValueInput:
    def test_user_entered_makes_formulas_raw_keeps_text(
        self, emu: SheetsEmulator, client: gspread.Client
    ) -> None:
        worksheet = client.create("inject").sheet1
        worksheet.update([["=1+1"]], "A1", value_input_option=ValueInputOption.user_entered)
        worksheet.update([["=1+1"]], "B1", value_input_option=ValueInputOption.raw)
        sheet_id = worksheet.spreadsheet_id
        assert emu.cell(sheet_id, "A1")["userEnteredValue"] == {"formulaValue": "=1+1"}
        assert emu.cell(sheet_id, "B1")["userEnteredValue"] == {"stringValue": "=1+1"}
        assert worksheet.get("A1:B1") == [["#FORMULA", "=1+1"]]
        formulas = worksheet.get("A1:B1", value_render_option=ValueRenderOption.formula)
        assert formulas == [["=1+1", "=1+1"]]

    def test_user_entered_parses_numbers_and_dates_by_locale(
        self, emu: SheetsEmulator, client: gspread.Client
    ) -> None:
        worksheet = client.create("types").sheet1
        typed = [["0912345678", "1,5", "15/01/2024", "true", "'0912"]]
        worksheet.update(typed, "A1", value_input_option=ValueInputOption.user_entered)
        assert worksheet.get("A1:E1", value_render_option=ValueRenderOption.unformatted) == [
            [912345678, 1.5, 45306, True, "0912"]
        ]
        assert worksheet.get("A1:E1") == [["912345678", "1,5", "15/01/2024", "TRUE", "0912"]]
        as_text = worksheet.get(
            "C1",
            value_render_option=ValueRenderOption.unformatted,
            date_time_render_option="FORMATTED_STRING",
        )
        assert as_text == [["15/01/2024"]]

    def test_major_dimension_and_open_ranges(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet(
            "m", sheets={RESPONSES_TITLE: [["a", "b"], ["c", "d"], ["e"]]}
        )
        url = f"{SHEETS}/{spreadsheet_id}/values/'{RESPONSES_TITLE}'!A2:B"
        result = session.get(url, params={"majorDimension": "COLUMNS"}).json()
        assert result["range"] == f"'{RESPONSES_TITLE}'!A2:B1000"
        assert result["values"] == [["c", "e"], ["d"]]

    def test_range_outside_grid_and_unknown_sheet(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("g")
        missing = session.get(f"{SHEETS}/{spreadsheet_id}/values/Nope!A1")
        assert missing.status_code == 400
        assert missing.json()["error"]["message"] == "Unable to parse range: Nope!A1"
        too_wide = session.get(f"{SHEETS}/{spreadsheet_id}/values/Sheet1!A1:AB2")
        assert too_wide.status_code == 400
        assert "exceeds grid limits" in too_wide.json()["error"]["message"]

    def test_append_fills_the_row_after_the_first_table(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("a", sheets={"Sheet1": [["h"], ["1"], [], ["3"]]})
        response = session.post(
            f"{SHEETS}/{spreadsheet_id}/values/Sheet1!A:B:append",
            params={"valueInputOption": "RAW"},
            json={"values": [["2"]]},
        ).json()
        assert response["tableRange"] == "Sheet1!A1:A2"
        assert response["updates"]["updatedRange"] == "Sheet1!A3"
        assert emu.get_values(spreadsheet_id, "Sheet1") == [["h"], ["1"], ["2"], ["3"]]

    def test_concurrent_appends_are_not_lost(self, emu: SheetsEmulator) -> None:
        spreadsheet_id = emu.create_spreadsheet("c")

        def append(worker: int) -> None:
            worksheet = emulator_client(emu).open_by_key(spreadsheet_id).sheet1
            for item in range(5):
                worksheet.append_row([f"{worker}-{item}"])

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(append, range(6)))
        values = emu.get_values(spreadsheet_id, "Sheet1!A:A")
        assert sorted(v[0] for v in values) == sorted(
            f"{w}-{i}" for w in range(6) for i in range(5)
        )

    def test_clear_keeps_formats(self, emu: SheetsEmulator, session: requests.Session) -> None:
        spreadsheet_id = emu.create_spreadsheet("c", sheets={"Sheet1": [["x", "y"]]})
        batch(
            session,
            spreadsheet_id,
            {
                "repeatCell": {
                    "range": {"sheetId": 0, "endRowIndex": 1},
                    "cell": {"userEnteredFormat": {"textFormat": {"italic": True}}},
                    "fields": "userEnteredFormat.textFormat.italic",
                }
            },
        )
        cleared = session.post(f"{SHEETS}/{spreadsheet_id}/values/Sheet1!A1:B1:clear")
        assert cleared.json()["clearedRange"] == "Sheet1!A1:B1"
        assert emu.get_values(spreadsheet_id, "Sheet1") == []
        assert emu.cell(spreadsheet_id, "A1") == {
            "userEnteredFormat": {"textFormat": {"italic": True}}
        }


# -------------------------------------------------------------------------- batchUpdate


class TestBatchUpdate:
    def test_invalid_field_rejects_the_whole_batch(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("atomic")
        response = batch(
            session,
            spreadsheet_id,
            {"addSheet": {"properties": {"title": "Mới"}}},
            {"updateSheetProperties": {"properties": {"title": "Đổi"}, "fields": "title"}},
            {"addSheet": {"properties": {"title": "Khác"}}},
            {
                "repeatCell": {
                    "range": {"sheetId": 0},
                    "cell": {"userEnteredFormat": {"fooBar": True}},
                    "fields": "userEnteredFormat",
                }
            },
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT"
        assert "requests[3].repeatCell.cell.userEnteredFormat.fooBar" in error["message"]
        titles = [s["properties"]["title"] for s in emu.spreadsheet_json(spreadsheet_id)["sheets"]]
        assert titles == ["Sheet1"]
        assert emu.counts["sheets.spreadsheets.batchUpdate"] == 1

    def test_semantic_error_in_third_request_applies_nothing(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("atomic", sheets={"Sheet1": [["giữ nguyên"]]})
        response = batch(
            session,
            spreadsheet_id,
            {"addSheet": {"properties": {"title": "Mới"}}},
            {
                "updateCells": {
                    "start": {"sheetId": 0},
                    "rows": [{"values": [{"userEnteredValue": {"stringValue": "đã sửa"}}]}],
                    "fields": "userEnteredValue",
                }
            },
            {"addSheet": {"properties": {"title": "Mới"}}},
        )
        assert response.status_code == 400
        assert response.json()["error"]["message"] == (
            'Invalid requests[2].addSheet: A sheet with the name "Mới" already exists. '
            "Please enter another name."
        )
        assert emu.get_values(spreadsheet_id, "Sheet1") == [["giữ nguyên"]]
        assert len(emu.spreadsheet_json(spreadsheet_id)["sheets"]) == 1

    def test_unknown_sheet_id(self, emu: SheetsEmulator, session: requests.Session) -> None:
        spreadsheet_id = emu.create_spreadsheet("x")
        response = batch(session, spreadsheet_id, {"deleteSheet": {"sheetId": 42}})
        assert (
            response.json()["error"]["message"]
            == "Invalid requests[0].deleteSheet: No grid with id: 42"
        )

    def test_unimplemented_kind_is_loud(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("x")
        response = batch(session, spreadsheet_id, {"addBanding": {"bandedRange": {}}})
        assert response.status_code == 501

    def test_formats_validation_charts_metadata_round_trip(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("rich", sheets={"Sheet1": [["Đơn vị", "Số"]]})
        response = batch(
            session,
            spreadsheet_id,
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                    "fields": "gridProperties.frozenRowCount",
                }
            },
            {
                "addConditionalFormatRule": {
                    "rule": {
                        "ranges": [{"sheetId": 0, "startRowIndex": 1}],
                        "booleanRule": {
                            "condition": {
                                "type": "CUSTOM_FORMULA",
                                "values": [{"userEnteredValue": "=$B2>10"}],
                            },
                            "format": {"backgroundColor": {"red": 1}},
                        },
                    }
                }
            },
            {
                "setDataValidation": {
                    "range": {
                        "sheetId": 0,
                        "startRowIndex": 1,
                        "endRowIndex": 3,
                        "endColumnIndex": 1,
                    },
                    "rule": {
                        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "A"}]},
                        "strict": True,
                    },
                }
            },
            {
                "addChart": {
                    "chart": {
                        "spec": {"title": "Biểu đồ"},
                        "position": {"overlayPosition": {"anchorCell": {"sheetId": 0}}},
                    }
                }
            },
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": "sync.version",
                        "metadataValue": "3",
                        "location": {"spreadsheet": True},
                        "visibility": "DOCUMENT",
                    }
                }
            },
            {"addProtectedRange": {"protectedRange": {"range": {"sheetId": 0, "endRowIndex": 1}}}},
        )
        assert response.status_code == 200, response.text
        replies = response.json()["replies"]
        chart_id = replies[3]["addChart"]["chart"]["chartId"]
        protected_id = replies[5]["addProtectedRange"]["protectedRange"]["protectedRangeId"]
        spreadsheet = session.get(f"{SHEETS}/{spreadsheet_id}").json()
        sheet = spreadsheet["sheets"][0]
        assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 1
        assert (
            sheet["conditionalFormats"][0]["booleanRule"]["condition"]["type"] == "CUSTOM_FORMULA"
        )
        assert sheet["charts"][0]["chartId"] == chart_id
        assert sheet["protectedRanges"][0]["editors"]["users"] == [emu.default_account]
        assert spreadsheet["developerMetadata"][0]["metadataValue"] == "3"
        assert "dataValidation" in emu.cell(spreadsheet_id, "A2")

        search = session.post(
            f"{SHEETS}/{spreadsheet_id}/developerMetadata:search",
            json={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "sync.version"}}]},
        ).json()
        assert search["matchedDeveloperMetadata"][0]["developerMetadata"]["metadataValue"] == "3"
        lookup = {"developerMetadataLookup": {"metadataKey": "sync.version"}}
        response = batch(
            session,
            spreadsheet_id,
            {"deleteEmbeddedObject": {"objectId": chart_id}},
            {"deleteProtectedRange": {"protectedRangeId": protected_id}},
            {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
            {
                "updateDeveloperMetadata": {
                    "dataFilters": [lookup],
                    "developerMetadata": {"metadataValue": "4"},
                    "fields": "metadataValue",
                }
            },
        )
        assert (
            response.json()["replies"][3]["updateDeveloperMetadata"]["developerMetadata"][0][
                "metadataValue"
            ]
            == "4"
        )
        sheet = session.get(f"{SHEETS}/{spreadsheet_id}").json()["sheets"][0]
        assert not {"charts", "protectedRanges", "conditionalFormats"} & sheet.keys()
        deleted = batch(
            session, spreadsheet_id, {"deleteDeveloperMetadata": {"dataFilter": lookup}}
        )
        assert (
            len(deleted.json()["replies"][0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"])
            == 1
        )

    def test_insert_and_delete_rows_move_cells_and_merges(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("dims", sheets={"Sheet1": [["1"], ["2"], ["3"]]})
        rows = {"sheetId": 0, "dimension": "ROWS"}
        merge = {"sheetId": 0, "startRowIndex": 2, "endRowIndex": 3, "endColumnIndex": 2}
        response = batch(
            session,
            spreadsheet_id,
            {"mergeCells": {"range": merge, "mergeType": "MERGE_ALL"}},
            {"insertDimension": {"range": {**rows, "startIndex": 1, "endIndex": 3}}},
            {"deleteDimension": {"range": {**rows, "startIndex": 0, "endIndex": 1}}},
        )
        assert response.status_code == 200, response.text
        assert emu.get_values(spreadsheet_id, "Sheet1!A1:A5") == [[], [], ["2"], ["3"]]
        sheet = emu.spreadsheet_json(spreadsheet_id)["sheets"][0]
        assert sheet["merges"][0]["startRowIndex"] == 3
        assert sheet["properties"]["gridProperties"]["rowCount"] == 1001

    def test_freezing_through_a_merge_is_rejected(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("m")
        merge = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 2, "endColumnIndex": 2}
        batch(session, spreadsheet_id, {"mergeCells": {"range": merge}})
        response = batch(
            session,
            spreadsheet_id,
            {
                "updateSheetProperties": {
                    "properties": {"gridProperties": {"frozenRowCount": 1}},
                    "fields": "gridProperties.frozenRowCount",
                }
            },
        )
        assert response.status_code == 400
        assert "part of a merged cell" in response.json()["error"]["message"]

    def test_every_requested_kind_is_implemented(self) -> None:
        required = {
            "addSheet", "deleteSheet", "updateSheetProperties", "updateCells", "repeatCell",
            "appendCells", "updateDimensionProperties", "setBasicFilter", "clearBasicFilter",
            "addConditionalFormatRule", "deleteConditionalFormatRule", "setDataValidation",
            "addChart", "deleteEmbeddedObject", "addProtectedRange", "deleteProtectedRange",
            "updateProtectedRange", "createDeveloperMetadata", "updateDeveloperMetadata",
            "deleteDeveloperMetadata", "deleteDimension", "insertDimension",
            "updateSpreadsheetProperties", "autoResizeDimensions", "mergeCells", "sortRange",
        }  # fmt: skip
        assert required <= set(implemented_kinds())


# -------------------------------------------------------------------- errors and access


class TestAccessAndErrors:
    def test_not_found_shape(self, client: gspread.Client, session: requests.Session) -> None:
        response = session.get(f"{SHEETS}/does-not-exist")
        assert response.status_code == 404
        assert response.json() == {
            "error": {
                "code": 404,
                "message": "Requested entity was not found.",
                "status": "NOT_FOUND",
            }
        }
        with pytest.raises(gspread.SpreadsheetNotFound):
            client.open_by_key("does-not-exist")

    def test_permission_denied_for_one_account_only(self, emu: SheetsEmulator) -> None:
        spreadsheet_id = emu.create_spreadsheet("secret")
        outsider = "outsider@other-project.iam.gserviceaccount.com"
        emu.deny_access(spreadsheet_id, outsider)
        denied = authorized_session(emu, account=outsider).get(f"{SHEETS}/{spreadsheet_id}")
        assert denied.status_code == 403
        assert denied.json()["error"] == {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED",
        }
        with pytest.raises(PermissionError):
            emulator_client(emu, account=outsider).open_by_key(spreadsheet_id)
        assert emulator_client(emu).open_by_key(spreadsheet_id).title == "secret"

    def test_service_account_credentials_refresh_against_the_emulator(
        self, emu: SheetsEmulator
    ) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from google.oauth2 import service_account

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        email = "writer@sangkien.iam.gserviceaccount.com"
        credentials = service_account.Credentials.from_service_account_info(
            {
                "type": "service_account",
                "client_email": email,
                "private_key": pem,
                "private_key_id": "k1",
                "token_uri": "https://oauth2.googleapis.com/token",
            },
            scopes=["https://www.googleapis.com/auth/spreadsheets"],
        )
        spreadsheet_id = emu.create_spreadsheet("sa")
        emu.deny_access(spreadsheet_id, email)
        client = emulator_client(emu, credentials)
        with pytest.raises(PermissionError):
            client.open_by_key(spreadsheet_id)
        assert emu.requests[-1].account == email

    def test_missing_credentials_are_unauthenticated(self, emu: SheetsEmulator) -> None:
        response = requests.get(f"{emu.base_url}/v4/spreadsheets/x", timeout=5)
        assert response.status_code == 401
        assert response.json()["error"]["status"] == "UNAUTHENTICATED"

    def test_chunked_request_body(self, emu: SheetsEmulator, session: requests.Session) -> None:
        spreadsheet_id = emu.create_spreadsheet("chunked")
        body = json.dumps({"requests": [{"addSheet": {}}]}).encode()
        response = session.post(
            f"{SHEETS}/{spreadsheet_id}:batchUpdate",
            data=iter([body[:10], body[10:]]),
            headers={"Content-Type": "application/json"},
        )
        assert response.json()["replies"][0]["addSheet"]["properties"]["title"] == "Sheet2"
        assert session.get(f"{SHEETS}/{spreadsheet_id}").status_code == 200

    def test_unknown_query_parameter(self, emu: SheetsEmulator, session: requests.Session) -> None:
        spreadsheet_id = emu.create_spreadsheet("q")
        response = session.get(f"{SHEETS}/{spreadsheet_id}", params={"includeGirdData": "true"})
        assert response.status_code == 400
        assert 'Unknown name "includeGirdData"' in response.json()["error"]["message"]

    def test_invalid_enum_in_body_and_missing_input_option(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("e")
        url = f"{SHEETS}/{spreadsheet_id}/values/Sheet1!A1"
        bad = session.put(url, params={"valueInputOption": "RAW"}, json={"majorDimension": "ROW"})
        assert "majorDimension" in bad.json()["error"]["message"]
        missing = session.put(url, json={"values": [["x"]]})
        assert missing.status_code == 400
        assert "valueInputOption" in missing.json()["error"]["message"]


# ------------------------------------------------------------------------ faults & counts


class TestFaultsAndCounters:
    def test_scheduled_faults_in_order(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("f")
        emu.faults.schedule(
            [
                Fault.rate_limit(retry_after=0.01),
                Fault.server_error(),
                Fault.unavailable(),
                Fault.drop(),
            ]
        )
        url = f"{SHEETS}/{spreadsheet_id}"
        first, second, third = (session.get(url) for _ in range(3))
        assert (first.status_code, first.headers["Retry-After"]) == (429, "0.01")
        assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert second.json()["error"] == {
            "code": 500,
            "message": "Internal error encountered.",
            "status": "INTERNAL",
        }
        assert third.json()["error"]["status"] == "UNAVAILABLE"
        with pytest.raises(requests.ConnectionError):
            session.get(url)
        assert session.get(url).status_code == 200
        assert emu.faults.fired == {"429": 1, "500": 1, "503": 1, "drop": 1}
        assert emu.faulted["sheets.spreadsheets.get"] == 4
        assert emu.counts["sheets.spreadsheets.get"] == 1
        assert emu.faults.pending == 0

    def test_faulted_writes_change_nothing(
        self, emu: SheetsEmulator, client: gspread.Client
    ) -> None:
        worksheet = client.create("w").sheet1
        emu.faults.schedule(Fault.server_error(503), method="sheets.spreadsheets.values.*", times=2)
        for _ in range(2):
            with pytest.raises(gspread.exceptions.APIError):
                worksheet.update([["lost"]], "A1")
        worksheet.update([["kept"]], "A1")
        assert worksheet.get_all_values() == [["kept"]]
        assert emu.faulted.writes() == 2
        assert emu.counts["sheets.spreadsheets.values.update"] == 1

    def test_drop_after_apply_loses_only_the_reply(
        self, emu: SheetsEmulator, client: gspread.Client
    ) -> None:
        worksheet = client.create("w").sheet1
        emu.faults.schedule(Fault.drop_after_apply(), writes_only=True)
        with pytest.raises(requests.ConnectionError):
            worksheet.update([["applied"]], "A1")
        assert worksheet.get_all_values() == [["applied"]]

    def test_slow_answer_trips_client_timeouts(
        self, emu: SheetsEmulator, session: requests.Session
    ) -> None:
        spreadsheet_id = emu.create_spreadsheet("s")
        emu.faults.schedule(Fault.slow(0.3))
        with pytest.raises(requests.Timeout):
            session.get(f"{SHEETS}/{spreadsheet_id}", timeout=0.05)
        assert emu.faults.fired["slow"] == 1

    def test_probability_schedule_is_repeatable(self) -> None:
        outcomes = []
        for _ in range(2):
            with SheetsEmulator() as emulator:
                spreadsheet_id = emulator.create_spreadsheet("p")
                emulator.faults.schedule(Fault.rate_limit(0), probability=0.5, seed=11)
                session = authorized_session(emulator)
                codes = [session.get(f"{SHEETS}/{spreadsheet_id}").status_code for _ in range(12)]
                outcomes.append(codes)
        assert outcomes[0] == outcomes[1]
        assert {200, 429} == set(outcomes[0])

    def test_callable_policy_and_read_write_split(
        self, emu: SheetsEmulator, client: gspread.Client
    ) -> None:
        emu.faults.schedule(lambda info: Fault.server_error() if info.sequence == 2 else None)
        with pytest.raises(gspread.exceptions.APIError):
            client.create("c")  # drive files.create (request 1) works, the get (2) fails
        [created] = client.list_spreadsheet_files("c")
        worksheet = client.open_by_key(created["id"]).sheet1
        emu.reset_counters()
        worksheet.update([["x"]], "A1")
        worksheet.get_all_values()
        assert (emu.counts.writes(), emu.counts.reads(), emu.counts.total()) == (1, 1, 2)
        record = emu.requests[0]
        assert (record.method_id, record.status) == ("sheets.spreadsheets.values.update", 200)
        assert record.body["values"] == [["x"]]


# ------------------------------------------------------------------------------ drive & forms


class TestDriveAndForms:
    def test_drive_files_lifecycle(self, emu: SheetsEmulator, session: requests.Session) -> None:
        folder = emu.create_folder("Thư mục")
        created = session.post(
            DRIVE,
            json={
                "name": "Tổng hợp",
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "parents": [folder],
            },
        ).json()
        assert set(created) == {"kind", "id", "name", "mimeType"}
        assert emu.spreadsheet_json(created["id"])["properties"]["title"] == "Tổng hợp"
        query = f"'{folder}' in parents and trashed = false and name = 'Tổng hợp'"
        listed = session.get(DRIVE, params={"q": query, "fields": "files(id,parents)"}).json()
        assert listed == {"files": [{"id": created["id"], "parents": [folder]}]}
        renamed = session.patch(f"{DRIVE}/{created['id']}", json={"name": "Mới"}).json()
        assert renamed["name"] == "Mới"
        assert emu.spreadsheet_json(created["id"])["properties"]["title"] == "Mới"
        assert session.delete(f"{DRIVE}/{created['id']}").status_code == 204
        gone = session.get(f"{DRIVE}/{created['id']}").json()["error"]
        assert gone["code"] == 404 and gone["errors"][0]["reason"] == "notFound"

    def test_drive_ignores_unknown_query_parameters(
        self, emu: SheetsEmulator, client: gspread.Client
    ) -> None:
        spreadsheet = client.create("d")
        assert spreadsheet.get_lastUpdateTime()  # gspread sends includeItemsFromAllDrives
        assert "?includeItemsFromAllDrives" in emu.requests[-1].ignored_fields

    def test_bad_drive_query(self, session: requests.Session) -> None:
        response = session.get(DRIVE, params={"q": "name ~ 'x'"})
        assert response.status_code == 400
        assert response.json()["error"]["errors"][0]["location"] == "q"

    def test_forms_publish_settings(self, emu: SheetsEmulator, session: requests.Session) -> None:
        form_id = emu.create_form("Đăng ký sáng kiến")
        assert session.get(f"{FORMS}/{form_id}").json()["info"]["title"] == "Đăng ký sáng kiến"
        closed = session.post(
            f"{FORMS}/{form_id}:setPublishSettings",
            json={
                "publishSettings": {"publishState": {"isAcceptingResponses": False}},
                "updateMask": "publishState.isAcceptingResponses",
            },
        )
        assert closed.status_code == 200, closed.text
        state = emu.form(form_id)["publishSettings"]["publishState"]
        assert state == {"isPublished": True, "isAcceptingResponses": False}
        assert emu.counts.writes() == 1


def test_request_log_is_json_serialisable(emu: SheetsEmulator, client: gspread.Client) -> None:
    client.create("log")
    assert json.dumps([r.__dict__ for r in emu.requests], ensure_ascii=False)
