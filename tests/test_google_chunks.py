"""Splitting one spreadsheet's write into requests Google accepts, and the read-back that keeps
a write whose reply was lost from being applied twice."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from emulator import Fault, RequestInfo, SheetsEmulator, authorized_session
from sync.errors import OutputError
from sync.google import chunks
from sync.google.chunks import (
    PROGRESS_KEY,
    STAGING_PREFIX,
    Batch,
    plan,
    refuse_over_cell_limit,
)
from sync.google.client import GoogleError, repeatable
from sync.google.sheet_requests import sheet_id_for, tab_requests
from sync.templates import load_templates
from sync.writers.plan import Planner
from sync.writers.records import Sheet

from .test_google import ACCOUNT, FORM, Campaign, form_rows

TEMPLATES = load_templates()
PLANNER = Planner(TEMPLATES)
LIMIT = 40_000
FINGERPRINT = "sangkien-sync.fingerprint"


def listed(count: int) -> Sheet:
    layout = TEMPLATES.sheets["initiatives"]
    rows = [
        [f"SK-{n:05d}", *[f"Nội dung {n} cột {c}" for c in range(1, len(layout.columns))]]
        for n in range(count)
    ]
    return Sheet(layout, rows)


def fingerprint(value: str) -> dict[str, Any]:
    metadata = {"metadataKey": FINGERPRINT, "metadataValue": value,
                "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}  # fmt: skip
    return {"createDeveloperMetadata": {"developerMetadata": metadata}}


def protect(sheet_id: int) -> dict[str, Any]:
    grid = {"sheetId": sheet_id, "startColumnIndex": 0, "endColumnIndex": 1}
    return {"addProtectedRange": {"protectedRange": {"range": grid, "description": "x"}}}


def tab(title: str, sheet_id: int, index: int, rows: int = 1000) -> dict[str, Any]:
    grid = {"rowCount": rows, "columnCount": 40}
    return {"properties": {"sheetId": sheet_id, "title": title, "index": index,
                           "gridProperties": grid}}  # fmt: skip


def body_size(batch: Batch) -> int:
    return len(json.dumps({"requests": batch.requests}))  # as `requests` serialises json=


def written_rows(batches: list[Batch], sheet_id: int) -> dict[int, list]:
    """Row index -> row, of every updateCells from a start cell on `sheet_id`."""
    rows: dict[int, list] = {}
    for batch in batches:
        for request in batch.requests:
            update = request.get("updateCells", {})
            if update.get("start", {}).get("sheetId") == sheet_id:
                first = update["start"]["rowIndex"]
                rows.update({first + i: row for i, row in enumerate(update["rows"])})
    return rows


def kinds(batch: Batch) -> list[str]:
    return [next(iter(r)) for r in batch.requests]


def test_a_write_that_fits_is_one_request_as_built() -> None:
    requests = [*tab_requests(PLANNER.tab(listed(3)), None), fingerprint("a")]
    batches = plan(requests, {"sheets": [tab("Trang tính1", 0, 0)]}, "spreadsheet k", LIMIT)
    assert [b.requests for b in batches] == [requests]


def test_a_large_new_tab_is_written_hidden_then_shown_in_the_last_request() -> None:
    data = listed(400)
    title = data.layout.name
    sheet_id = sheet_id_for(title)
    requests = [*tab_requests(PLANNER.tab(data), None), protect(sheet_id), fingerprint("a")]
    batches = plan(requests, {"sheets": [tab("Trang tính1", 0, 0)]}, "spreadsheet k", LIMIT)
    assert len(batches) > 3
    assert all(body_size(b) <= LIMIT for b in batches)
    added = batches[0].requests[0]["addSheet"]["properties"]
    assert added["hidden"] is True and added["title"] == STAGING_PREFIX + title
    assert added["sheetId"] == sheet_id
    full = tab_requests(PLANNER.tab(data), None)[1]["updateCells"]["rows"]
    assert list(written_rows(batches, sheet_id).values()) == full
    assert sorted(written_rows(batches, sheet_id)) == list(range(len(full)))
    last = batches[-1].requests
    assert protect(sheet_id) in last and fingerprint("a") in last
    shown = {"sheetId": sheet_id, "title": title, "hidden": False}
    assert {"updateSheetProperties": {"properties": shown, "fields": "title,hidden"}} in last
    for batch in batches[:-1]:
        assert kinds(batch)[-1] in ("createDeveloperMetadata", "updateDeveloperMetadata")
        assert "addProtectedRange" not in kinds(batch)


def test_a_large_existing_tab_is_kept_and_its_staged_values_pasted_in() -> None:
    """copyPaste is a documented batchUpdate request; PASTE_VALUES leaves the rest of each cell:
    https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request#copypasterequest
    """
    data = listed(400)
    title = data.layout.name
    existing = {**tab(title, 77, 1), "conditionalFormats": [{}],
                "protectedRanges": [{"protectedRangeId": 5}]}  # fmt: skip
    metadata = {"sheets": [tab("Khác", 3, 0), existing]}
    requests = [
        *tab_requests(PLANNER.tab(data), existing),
        {"deleteProtectedRange": {"protectedRangeId": 5}},
        protect(77),
        fingerprint("a"),
    ]
    batches = plan(requests, metadata, "spreadsheet k", LIMIT)
    added = batches[0].requests[0]["addSheet"]["properties"]
    staging = added["sheetId"]
    assert staging not in (77, 3) and added["hidden"] is True
    width = len(data.layout.columns)
    assert added["gridProperties"] == {"rowCount": 401, "columnCount": width}
    full = tab_requests(PLANNER.tab(data), None)[1]["updateCells"]["rows"]
    assert list(written_rows(batches, staging).values()) == full
    assert not written_rows(batches, 77)
    for batch in batches[:-1]:  # the real tab is not touched before the last request
        assert 77 not in set(chunks._sheet_ids(batch.requests))
    last = batches[-1].requests
    assert all(body_size(b) <= LIMIT for b in batches)
    assert {"deleteSheet": {"sheetId": 77}} not in last
    assert protect(77) in last and protect(staging) not in last
    span = {"startRowIndex": 0, "endRowIndex": 401, "startColumnIndex": 0,
            "endColumnIndex": width}  # fmt: skip
    paste = {"copyPaste": {"source": {"sheetId": staging, **span},
                           "destination": {"sheetId": 77, **span},
                           "pasteType": "PASTE_VALUES", "pasteOrientation": "NORMAL"}}  # fmt: skip
    assert kinds(batches[-1])[:3] == [
        "updateSheetProperties", "deleteConditionalFormatRule", "copyPaste"
    ]  # fmt: skip
    assert paste in last
    assert last.index(paste) < last.index({"deleteSheet": {"sheetId": staging}})
    order = [r["updateSheetProperties"]["properties"] for r in last
             if r.get("updateSheetProperties", {}).get("fields") == "index"]  # fmt: skip
    assert order == [{"sheetId": 3, "index": 0}, {"sheetId": 77, "index": 1}]


def test_a_tab_another_tab_points_at_is_not_staged() -> None:
    data = listed(400)
    sheet_id = sheet_id_for(data.layout.name)
    chart = {"addChart": {"chart": {"position": {"overlayPosition": {"anchorCell": {
        "sheetId": 9}}}, "spec": {"sources": [{"sheetId": sheet_id}]}}}}  # fmt: skip
    requests = [*tab_requests(PLANNER.tab(data), None), chart, fingerprint("a")]
    batches = plan(requests, {"sheets": [tab("Bảng", 9, 0)]}, "spreadsheet k", LIMIT)
    assert all(body_size(b) <= LIMIT for b in batches)
    assert all(not r["addSheet"]["properties"].get("hidden")
               for b in batches for r in b.requests if "addSheet" in r)  # fmt: skip


def test_what_a_broken_write_left_is_removed_first() -> None:
    metadata = {
        "sheets": [tab("Trang tính1", 0, 0), tab(STAGING_PREFIX + "Sáng kiến", 12, 1)],
        "developerMetadata": [{"metadataId": 4, "metadataKey": PROGRESS_KEY, "metadataValue": "x"}],
    }
    batches = plan([fingerprint("a")], metadata, "spreadsheet k", LIMIT)
    assert batches[0].requests[0] == {"deleteSheet": {"sheetId": 12}}
    assert kinds(batches[0])[1] == "deleteDeveloperMetadata"


def test_a_request_is_known_applied_by_the_metadata_it_leaves() -> None:
    data = listed(400)
    requests = [*tab_requests(PLANNER.tab(data), None), fingerprint("new")]
    before = [{"metadataId": 1, "metadataKey": FINGERPRINT, "metadataValue": "old"}]
    batches = plan(requests, {"sheets": [], "developerMetadata": before}, "k", LIMIT)
    first_marker = batches[0].requests[-1]["createDeveloperMetadata"]["developerMetadata"]
    progress = [{"metadataId": 2, **{k: first_marker[k] for k in ("metadataKey",
                                                                   "metadataValue")}}]  # fmt: skip
    assert batches[0].applied(before + progress)
    assert not batches[0].applied(before)
    assert not batches[1].applied(before + progress)
    assert not batches[-1].applied(before + progress)
    written = [{"metadataId": 3, "metadataKey": FINGERPRINT, "metadataValue": "new"}]
    assert batches[-1].applied(written)


def test_a_layout_over_ten_million_cells_is_refused_before_any_request() -> None:
    data = listed(3)
    requests = tab_requests(PLANNER.tab(data), tab(data.layout.name, 5, 0, rows=400_000))
    metadata = {"sheets": [tab(data.layout.name, 5, 0, rows=400_000)]}
    with pytest.raises(OutputError, match="10,000,000") as refused:
        plan(requests, metadata, "spreadsheet k", LIMIT)
    assert refused.value.exit_code == 4
    with pytest.raises(OutputError, match="spreadsheet of unit P"):
        refuse_over_cell_limit("spreadsheet of unit P", {"Sáng kiến": (300_001, 35)})
    refuse_over_cell_limit("spreadsheet of unit P", {"Sáng kiến": (250_000, 40)})


# -- against the local Sheets API server ------------------------------------------------------


@pytest.fixture
def crowded(tmp_path: Path, base_config: dict, write_config, monkeypatch: pytest.MonkeyPatch):
    """The test campaign with 60 responses and requests capped small enough that the provincial
    spreadsheet is written in several."""
    monkeypatch.setattr(chunks, "MAX_REQUEST_BYTES", 120_000)
    with SheetsEmulator(account=ACCOUNT) as emu:
        campaign = Campaign(emu, tmp_path, base_config, write_config)
        respond(campaign, 60)
        yield campaign
        assert not emu.internal_errors


def respond(campaign: Campaign, count: int) -> None:
    header, *people = form_rows()
    title = FORM.questions.index(FORM.question("title"))
    name = FORM.questions.index(FORM.question("full_name"))
    rows = [header]
    for n in range(count):
        row = list(people[n % len(people)])
        row[title] = f"Sáng kiến thứ {n} về cải tiến quy trình làm việc"
        row[name] = f"{row[name]} {n}"
        rows.append(row)
    campaign.emu.set_values(campaign.responses, "'Câu trả lời biểu mẫu 1'!A1", rows)


def visible_tabs(emu: SheetsEmulator, key: str) -> dict[str, list[list[Any]]]:
    sheets = emu.spreadsheet_json(key)["sheets"]
    return {
        s["properties"]["title"]: emu.get_values(key, "'" + s["properties"]["title"] + "'")
        for s in sheets
        if not s["properties"].get("hidden")
    }


def all_keys(campaign: Campaign) -> dict[str, str]:
    return {**campaign.unit_files(), "P": campaign.dashboard}


def observe_writes(campaign: Campaign) -> list[tuple[str, dict[str, list[list[Any]]]]]:
    """What a reader sees in a spreadsheet just before each of its batchUpdates is applied."""
    seen: list[tuple[str, dict[str, list[list[Any]]]]] = []

    def poll(info: RequestInfo) -> None:
        key = info.path.split("/spreadsheets/")[1].split(":")[0]
        seen.append((key, visible_tabs(campaign.emu, key)))

    campaign.emu.faults.schedule(poll, method="sheets.spreadsheets.batchUpdate")
    return seen


def test_a_reader_between_requests_never_sees_a_half_written_tab(crowded: Campaign) -> None:
    emu = crowded.emu
    for change in (None, 90):  # a first sync, then one where every review tab grows
        if change:
            respond(crowded, change)
        before = {key: visible_tabs(emu, key) for key in all_keys(crowded).values()}
        seen = observe_writes(crowded)
        crowded.sync()
        emu.faults.clear()
        after = {key: visible_tabs(emu, key) for key in all_keys(crowded).values()}
        assert sum(1 for key, _ in seen if key == crowded.dashboard) > 2
        for key, tabs in seen:
            for title, values in tabs.items():
                if title not in after[key]:  # the blank tab of a new spreadsheet
                    assert values == []
                else:
                    assert values in (before.get(key, {}).get(title), after[key][title]), title
    for key in all_keys(crowded).values():
        titles = [s["properties"] for s in emu.spreadsheet_json(key)["sheets"]]
        assert not [t for t in titles if t.get("hidden") or STAGING_PREFIX in t["title"]]


def shape(emu: SheetsEmulator, key: str) -> list[tuple[str, int, int, int]]:
    """Per tab in order: title, charts, protected ranges, conditional formats."""
    return [
        (s["properties"]["title"], len(s.get("charts", [])), len(s.get("protectedRanges", [])),
         len(s.get("conditionalFormats", [])))
        for s in emu.spreadsheet_json(key)["sheets"]
    ]  # fmt: skip


def one_in_five(seed: int):
    """A fifth of the requests fail; a lost batchUpdate reply is mostly one Google applied."""
    chance = random.Random(seed)
    lost = [Fault.drop_after_apply(), Fault.drop_after_apply(), Fault.unavailable(),
            Fault.server_error()]  # fmt: skip
    other = [Fault.rate_limit(0.01), Fault.unavailable(), Fault.drop(), Fault.server_error()]

    def decide(info: RequestInfo) -> Fault | None:
        if chance.random() >= 0.2:
            return None
        batch = info.method_id == "sheets.spreadsheets.batchUpdate"
        return chance.choice(lost if batch else other)

    return decide


def test_lost_replies_never_make_a_duplicate_tab_chart_or_protection(
    crowded: Campaign, tmp_path: Path, base_config: dict, write_config
) -> None:
    (tmp_path / "clean").mkdir()
    with SheetsEmulator(account=ACCOUNT) as emu:
        clean = Campaign(emu, tmp_path / "clean", base_config, write_config)
        respond(clean, 60)
        for campaign in (clean, crowded):
            campaign.sync()
        crowded.emu.faults.schedule(one_in_five(9))
        respond(clean, 90)
        respond(crowded, 90)
        for campaign in (clean, crowded):
            campaign.sync()
        assert crowded.emu.faults.fired["drop_after_apply"] >= 3
        expected = {unit: shape(emu, key) for unit, key in all_keys(clean).items()}
        assert {unit: shape(crowded.emu, key) for unit, key in all_keys(crowded).items()} == (
            expected
        )


def test_only_a_batch_update_waits_for_a_read_back_before_it_is_sent_again() -> None:
    sheets = "https://sheets.googleapis.com/v4/spreadsheets/k"
    assert not repeatable("POST", f"{sheets}:batchUpdate?alt=json")
    assert repeatable("PUT", f"{sheets}/values/A1")
    assert repeatable("GET", sheets)


def test_a_sync_that_died_between_requests_is_finished_by_the_next(crowded: Campaign) -> None:
    emu = crowded.emu
    crowded.sync()
    respond(crowded, 90)
    calls = []

    def third_write_refused(info: RequestInfo) -> Fault | None:
        calls.append(crowded.dashboard in info.path)
        return Fault.error(400, "Refused.") if calls.count(True) == 3 and calls[-1] else None

    emu.faults.schedule(third_write_refused, method="sheets.spreadsheets.batchUpdate")
    with pytest.raises(GoogleError):
        crowded.sync()
    hidden = [s for s in emu.spreadsheet_json(crowded.dashboard)["sheets"]
              if s["properties"].get("hidden")]  # fmt: skip
    assert hidden
    emu.faults.clear()
    crowded.sync()
    tabs = [s["properties"] for s in emu.spreadsheet_json(crowded.dashboard)["sheets"]]
    assert not [t for t in tabs if t.get("hidden") or t["title"].startswith(STAGING_PREFIX)]
    metadata = emu.spreadsheet_json(crowded.dashboard).get("developerMetadata", [])
    assert PROGRESS_KEY not in [m["metadataKey"] for m in metadata]


# -- officers' additions to a tab written in pieces ------------------------------------------

OFFICER = "can.bo.tinh@example.vn"  # a person's account the province shares the dashboard with
ALL = "Toàn bộ sáng kiến"  # the dashboard's largest tab, staged when written in pieces
OWN_HEADER = "Cột riêng của cán bộ"
YELLOW = {"red": 1, "green": 1, "blue": 0}


def officer_batch(
    emu: SheetsEmulator, key: str, requests: list[dict[str, Any]], account: str = OFFICER
) -> None:
    session = authorized_session(emu, account=account)
    url = f"{emu.base_url}/v4/spreadsheets/{key}:batchUpdate"
    reply = session.post(url, json={"requests": requests}, timeout=10)
    assert reply.status_code == 200, reply.text


def tab_json(emu: SheetsEmulator, key: str, title: str) -> dict[str, Any]:
    sheets = emu.spreadsheet_json(key, include_grid=True)["sheets"]
    return next(s for s in sheets if s["properties"]["title"] == title)


def add_officer_work(campaign: Campaign) -> tuple[int, int]:
    """An officer's own column right of the layout (header, a value in every row and beyond the
    sync's rows, a note, a colour) and a protected range of their own; a note on a sync cell,
    typed by the provincial officer whose account the sync signs in with (the sync's columns are
    protected for everyone else). Returns the tab's sheet id and the own column's index."""
    emu, key = campaign.emu, campaign.dashboard
    emu.share(key, OFFICER, "writer")
    found = tab_json(emu, key, ALL)
    sheet_id = found["properties"]["sheetId"]
    own = len(emu.get_values(key, f"'{ALL}'!1:1")[0])
    rows = found["properties"]["gridProperties"]["rowCount"]
    values = [{"values": [{"userEnteredValue": {"stringValue": OWN_HEADER}}]}]
    values += [
        {"values": [{"userEnteredValue": {"stringValue": f"riêng {n}"}}]} for n in range(1, rows)
    ]
    values[3]["values"][0] |= {"note": "ghi chú ở cột riêng",
                               "userEnteredFormat": {"backgroundColor": YELLOW}}  # fmt: skip
    officer_batch(emu, key, [
        {"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": 1}},
        {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": own},
                         "rows": values, "fields": "userEnteredValue,note,userEnteredFormat"}},
        {"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": sheet_id, "startColumnIndex": own, "endColumnIndex": own + 1},
            "description": "của cán bộ", "editors": {"users": [OFFICER, ACCOUNT]}}}},
    ])  # fmt: skip
    note = {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": 1},
                            "rows": [{"values": [{"note": "ghi chú trên ô của sync"}]}],
                            "fields": "note"}}  # fmt: skip
    officer_batch(emu, key, [note], account=ACCOUNT)
    return sheet_id, own


def assert_officer_work_kept(campaign: Campaign, sheet_id: int, own: int) -> None:
    found = tab_json(campaign.emu, campaign.dashboard, ALL)
    assert found["properties"]["sheetId"] == sheet_id
    cells = [row.get("values", []) for row in found["data"][0]["rowData"]]
    column = [row[own] if len(row) > own else {} for row in cells]
    assert column[0]["userEnteredValue"] == {"stringValue": OWN_HEADER}
    filled = len([c for c in column if "userEnteredValue" in c])
    assert filled > 1 and column[filled - 1]["userEnteredValue"]["stringValue"] == (
        f"riêng {filled - 1}"
    )
    assert column[3]["note"] == "ghi chú ở cột riêng"
    assert column[3]["userEnteredFormat"]["backgroundColor"] == YELLOW
    assert cells[1][1]["note"] == "ghi chú trên ô của sync"
    mine = [p for p in found.get("protectedRanges", ()) if p.get("description") == "của cán bộ"]
    assert [p["range"]["startColumnIndex"] for p in mine] == [own]


def synced_titles(campaign: Campaign) -> list[str]:
    """The initiative titles in the sync's columns of the tab, blank rows left out."""
    rows = campaign.emu.get_values(campaign.dashboard, f"'{ALL}'")
    header = rows[0]
    title = header.index(next(h for h in header if "Tên" in h))
    return sorted(row[title] for row in rows[1:] if len(row) > title and row[title])


def staged_pastes(emu: SheetsEmulator, key: str) -> int:
    return sum(
        1
        for record in emu.requests
        if record.method_id == "sheets.spreadsheets.batchUpdate" and key in record.path
        for request in (record.body or {}).get("requests", ())
        if "copyPaste" in request
    )


def fewer_responses(campaign: Campaign, count: int) -> None:
    """Only the first `count` responses left: the rows below are emptied."""
    blank = [[""] * len(FORM.questions)] * 200
    campaign.emu.set_values(campaign.responses, "'Câu trả lời biểu mẫu 1'!A2", blank)
    respond(campaign, count)


def test_officers_additions_to_a_tab_written_in_pieces_survive(crowded: Campaign) -> None:
    crowded.sync()
    sheet_id, own = add_officer_work(crowded)
    # the tab grows, then shrinks: the sync's cells of the rows it no longer fills are cleared,
    # the rows and the officer's cells in them stay
    for count in (90, 120, 30):
        fewer_responses(crowded, count)
        pasted = staged_pastes(crowded.emu, crowded.dashboard)
        crowded.sync()
        assert staged_pastes(crowded.emu, crowded.dashboard) > pasted  # written in pieces
        assert_officer_work_kept(crowded, sheet_id, own)
        titles = synced_titles(crowded)
        assert len(titles) == count
        assert f"Sáng kiến thứ {count - 1} về cải tiến quy trình làm việc" in titles
    tabs = [s["properties"] for s in crowded.emu.spreadsheet_json(crowded.dashboard)["sheets"]]
    assert not [t for t in tabs if t.get("hidden") or t["title"].startswith(STAGING_PREFIX)]


def test_officers_additions_survive_a_sync_that_died_half_way(crowded: Campaign) -> None:
    emu = crowded.emu
    crowded.sync()
    sheet_id, own = add_officer_work(crowded)
    before = synced_titles(crowded)
    respond(crowded, 90)
    calls = []

    def second_write_refused(info: RequestInfo) -> Fault | None:
        calls.append(crowded.dashboard in info.path)
        return Fault.error(400, "Refused.") if calls.count(True) == 2 and calls[-1] else None

    emu.faults.schedule(second_write_refused, method="sheets.spreadsheets.batchUpdate")
    with pytest.raises(GoogleError):
        crowded.sync()
    assert [s for s in emu.spreadsheet_json(crowded.dashboard)["sheets"]
            if s["properties"].get("hidden")]  # fmt: skip
    assert_officer_work_kept(crowded, sheet_id, own)
    assert synced_titles(crowded) == before
    emu.faults.clear()
    crowded.sync()
    assert_officer_work_kept(crowded, sheet_id, own)
    assert len(synced_titles(crowded)) == 90
