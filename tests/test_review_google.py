"""The officers' review on Google, against the local Sheets API server: review values typed into a
unit's spreadsheet, tabs sorted and filtered, rows inserted and deleted, nominations, sync-owned
cells edited by mistake. What an officer does goes as an officer's client would send it (values
typed into cells; sort, filter, insert and delete as batchUpdate requests through gspread), and
every sync goes through `run_sync` with the real gspread client, as in tests/test_google.py."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from gspread.utils import rowcol_to_a1
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from emulator import SheetsEmulator
from emulator.faults import Fault, RequestInfo
from emulator.transport import authorized_session, emulator_client
from sync.config import Settings, read_settings
from sync.google.client import GoogleSession, Policy, RateLimiter, connect
from sync.pipeline import SyncResult, run_sync
from sync.templates import load_templates
from tests.conftest import REPO, TREE, VALID_ROW, write_units
from tests.officer import ARCHIVE, ID, INITIATIVES
from tests.review_model import NOMINATION, PLACES, REVIEW, START, UNITS, Ledger, response, submitted
from tests.test_google import ACCOUNT, Campaign, serial, spreadsheets_under

OFFICER = "a@example.vn"
FORM_TAB = "Câu trả lời biểu mẫu 1"
QUESTIONS = load_templates().form.questions
AUDIT_TAB = load_templates().sheets["audit"].name
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
BEFORE_DUE = datetime(2021, 4, 1, 9, 0, tzinfo=ZONE)
APPRAISAL, SCORE, NOTES = "Kết quả thẩm định", "Điểm (0–100)", "Ghi chú thẩm định"
NOMINATE, TITLE = "Đề xuất lên cấp trên", "Tên sáng kiến"
REVIEW_HEADERS = (APPRAISAL, SCORE, "Giá trị làm lợi được xác nhận (đồng)", NOMINATE,
                  "Có khiếu nại", "Tranh chấp quyền tác giả", NOTES)  # fmt: skip
AT_SCHOOL = PLACES[0]


def quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def form_row(n: int, place: dict[str, str]) -> list[Any]:
    """Response number `n` as the Form writes it into its sheet: the timestamp a serial number."""
    moment = submitted(n).replace(tzinfo=None)
    values = {**VALID_ROW, **response(n, place), "timestamp": serial(moment)}
    return [values[q.key] for q in QUESTIONS]


class Officer:
    """One unit's spreadsheet in an officer's hands. Values are typed into cells as the Sheets UI
    stores them; sorting, filtering, inserting and deleting rows are batchUpdate requests sent
    through gspread with the officer's own credentials."""

    def __init__(self, emu: SheetsEmulator, key: str) -> None:
        self.emu, self.key = emu, key
        self.http = emulator_client(emu, account=OFFICER).http_client

    def tab(self, title: str = INITIATIVES) -> dict[str, Any] | None:
        sheets = self.emu.spreadsheet_json(self.key)["sheets"]
        return next((s for s in sheets if s["properties"]["title"] == title), None)

    def values(self, title: str = INITIATIVES) -> list[list[Any]]:
        if self.tab(title) is None:
            return []
        return self.emu.get_values(self.key, quoted(title))

    def ids(self, title: str = INITIATIVES) -> list[str]:
        """The ids down the tab, in sheet order, blank rows skipped."""
        values = self.values(title)
        if not values:
            return []
        column = values[0].index(ID)
        return [row[column] for row in values[1:] if len(row) > column and row[column]]

    def rows(self, title: str = INITIATIVES) -> dict[str, dict[str, Any]]:
        """Initiative id -> header -> value (None for a blank cell), as the officer sees them."""
        values = self.values(title)
        if not values:
            return {}
        header = values[0]
        found = {}
        for row in values[1:]:
            record = {h: row[i] if i < len(row) and row[i] != "" else None
                      for i, h in enumerate(header) if h}  # fmt: skip
            if record.get(ID):
                found[record[ID]] = record
        return found

    def _row_of(self, initiative: str, title: str = INITIATIVES) -> int:
        """The 0-based grid row of the initiative."""
        values = self.values(title)
        column = values[0].index(ID)
        for index, row in enumerate(values):
            if index and len(row) > column and row[column] == initiative:
                return index
        raise KeyError(initiative)

    def type(self, initiative: str, values: dict[str, Any], title: str = INITIATIVES) -> None:
        header = self.values(title)[0]
        row = self._row_of(initiative, title) + 1
        for name, value in values.items():
            a1 = f"{quoted(title)}!{rowcol_to_a1(row, header.index(name) + 1)}"
            typed = "" if value is None else value
            self.emu.set_values(self.key, a1, [[typed]], input_option="USER_ENTERED")

    def _send(self, *requests: dict[str, Any]) -> None:
        self.http.batch_update(self.key, {"requests": list(requests)})

    def _grid(self, title: str = INITIATIVES) -> tuple[int, int, int]:
        tab = self.tab(title)
        assert tab is not None
        grid = tab["properties"]["gridProperties"]
        return tab["properties"]["sheetId"], grid["rowCount"], grid["columnCount"]

    def sort(self, header: str, descending: bool = False) -> None:
        """Data > Sort range, header row excluded: whole rows move."""
        sheet_id, rows, columns = self._grid()
        if rows < 2:
            return  # nothing under the header to sort
        spec = {
            "dimensionIndex": self.values()[0].index(header),
            "sortOrder": "DESCENDING" if descending else "ASCENDING",
        }
        span = {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": rows,
                "startColumnIndex": 0, "endColumnIndex": columns}  # fmt: skip
        self._send({"sortRange": {"range": span, "sortSpecs": [spec]}})

    def filter(self, header: str, hidden: list[str]) -> None:
        """A filter on the whole tab hiding the rows whose `header` cell is one of `hidden`."""
        sheet_id, rows, columns = self._grid()
        span = {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": rows,
                "startColumnIndex": 0, "endColumnIndex": columns}  # fmt: skip
        spec = {
            "columnIndex": self.values()[0].index(header),
            "filterCriteria": {"hiddenValues": hidden},
        }
        self._send({"setBasicFilter": {"filter": {"range": span, "filterSpecs": [spec]}}})

    def _row_span(self, row: int, title: str = INITIATIVES) -> dict[str, Any]:
        """The DimensionRange of one 0-based grid row."""
        sheet_id, _, _ = self._grid(title)
        return {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}

    def insert_blank_row(self, at: int) -> None:
        """A blank row at 0-based grid row `at` (1: just under the header)."""
        _, rows, _ = self._grid()
        span = self._row_span(min(max(at, 1), rows))
        self._send({"insertDimension": {"range": span, "inheritFromBefore": True}})

    def delete_grid_row(self, row: int, title: str = INITIATIVES) -> None:
        self._send({"deleteDimension": {"range": self._row_span(row, title)}})

    def delete_row(self, initiative: str) -> None:
        self.delete_grid_row(self._row_of(initiative))

    def delete_blank_rows(self) -> None:
        """Delete the blank rows between the data rows, bottom up, in one request."""
        values = self.values()
        blank = [i for i, row in enumerate(values) if i and all(v == "" for v in row)]
        requests = [{"deleteDimension": {"range": self._row_span(i)}} for i in reversed(blank)]
        if requests:
            self._send(*requests)


def rejected(emu: SheetsEmulator) -> list[tuple[str | None, str]]:
    return [(r.method_id, r.path) for r in emu.requests if r.status == 400]


def connect_to(emu: SheetsEmulator, settings: Settings) -> GoogleSession:
    """A session on the emulator that never waits: no rate limit, no sleep between retries."""
    no_wait = Policy(
        reads=RateLimiter(100_000), writes=RateLimiter(100_000), max_retries=6, timeout=5,
        sleep=lambda _seconds: None,
    )  # fmt: skip
    credentials = emu.credentials(ACCOUNT)
    session = authorized_session(emu, credentials)
    return connect(
        settings.google, credentials=credentials, session=session, policy=no_wait, account=ACCOUNT
    )


def sync_at(campaign: Campaign, now: datetime = BEFORE_DUE) -> SyncResult:
    return run_sync(campaign.settings, google=connect_to(campaign.emu, campaign.settings), now=now)


def audit_log(campaign: Campaign) -> list[dict[str, Any]]:
    path = Path(campaign.settings.output.dir) / "audit-log.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def campaign(tmp_path: Path, base_config: dict, write_config):
    """The campaign of tests/test_google.py with four more initiatives at the school, so its
    sheet has rows to sort."""
    with SheetsEmulator(account=ACCOUNT) as emu:
        campaign = Campaign(emu, tmp_path, base_config, write_config)
        extra = [form_row(n, AT_SCHOOL) for n in range(1, 5)]
        emu.set_values(campaign.responses, f"{quoted(FORM_TAB)}!A6", extra)
        yield campaign
        assert not emu.internal_errors
        assert rejected(emu) == []


def school(campaign: Campaign) -> Officer:
    return Officer(campaign.emu, campaign.unit_files()["P.TG.THPT"])


def test_reviews_stay_beside_their_ids_through_sort_insert_and_delete(campaign: Campaign):
    sync_at(campaign)
    officer = school(campaign)
    first, second, third, fourth, fifth = officer.ids()
    officer.type(first, {APPRAISAL: "Đạt", SCORE: 91, NOTES: "Tốt"})
    officer.type(second, {APPRAISAL: "Không đạt", SCORE: 40})
    sync_at(campaign)
    officer.type(third, {NOTES: "Cần bổ sung", SCORE: 75})
    officer.type(fourth, {APPRAISAL: "Chờ thẩm định"})
    officer.sort(TITLE, descending=True)
    officer.insert_blank_row(2)
    officer.insert_blank_row(5)
    officer.delete_row(first)  # reviewed at the last sync: that review comes back
    assert first not in officer.ids()
    sync_at(campaign)
    rows = officer.rows()
    assert sorted(officer.ids()) == sorted([first, second, third, fourth, fifth])
    assert (rows[first][APPRAISAL], rows[first][SCORE], rows[first][NOTES]) == ("Đạt", 91, "Tốt")
    assert (rows[second][APPRAISAL], rows[second][SCORE]) == ("Không đạt", 40)
    assert (rows[third][NOTES], rows[third][SCORE], rows[third][APPRAISAL]) == (
        "Cần bổ sung", 75, None)  # fmt: skip
    assert rows[fourth][APPRAISAL] == "Chờ thẩm định"
    assert all(rows[fifth][h] is None for h in (APPRAISAL, SCORE, NOTES))
    titles = {r[TITLE] for r in rows.values()}
    assert len(titles) == 5  # each row's own title still beside its own id


def test_a_deleted_row_comes_back_when_nothing_else_changed(campaign: Campaign) -> None:
    """Regression: the spreadsheet's fingerprint matched the content, so it was not written and
    the row an officer deleted stayed deleted."""
    sync_at(campaign)
    officer = school(campaign)
    gone = officer.ids()[2]
    officer.type(gone, {APPRAISAL: "Đạt", NOTES: "Giữ"})
    sync_at(campaign)
    officer.delete_row(gone)
    sync_at(campaign)
    assert (officer.rows()[gone][APPRAISAL], officer.rows()[gone][NOTES]) == ("Đạt", "Giữ")
    assert len(officer.ids()) == 5


def test_a_nomination_shows_in_the_superiors_spreadsheet_after_the_next_sync(campaign: Campaign):
    sync_at(campaign)
    files = campaign.unit_files()
    officer, district = school(campaign), Officer(campaign.emu, files["P.TG"])
    chosen = officer.ids()[1]
    officer.type(chosen, {**NOMINATION, SCORE: 88})
    assert district.ids() == []
    sync_at(campaign)
    assert district.ids() == [chosen]
    row = district.rows()[chosen]
    assert row["Đơn vị đề xuất"] == "Công đoàn cơ sở Trường THPT Tuần Giáo"
    assert (row["Thẩm định của cấp dưới"], row["Điểm của cấp dưới"]) == ("Đạt", 88)
    assert row[TITLE] == officer.rows()[chosen][TITLE]
    assert row[APPRAISAL] is None  # the district's own review starts blank
    province = Officer(campaign.emu, campaign.dashboard)
    assert chosen not in province.ids()  # one tier per sync
    district.type(chosen, {**NOMINATION, SCORE: 90})
    sync_at(campaign)
    assert chosen in province.ids()
    assert province.rows()[chosen]["Điểm của cấp dưới"] == 90
    officer.type(chosen, {NOMINATE: None})  # withdrawn: the district archives its review
    sync_at(campaign)
    assert district.ids() == []
    assert district.rows(ARCHIVE)[chosen][SCORE] == 90


def test_the_last_row_leaving_a_tab_takes_its_review_cells_along(campaign: Campaign) -> None:
    """Regression: the words under the header of an emptied tab were written into its first
    column only, so the review typed on the row that left stayed beside them; the next sync read
    it as cells no initiative can take, warned about them and wrote again."""
    sync_at(campaign)
    officer = school(campaign)
    district = Officer(campaign.emu, campaign.unit_files()["P.TG"])
    chosen = officer.ids()[1]
    officer.type(chosen, NOMINATION)
    sync_at(campaign)
    district.type(chosen, {APPRAISAL: "Đạt", SCORE: 90, NOTES: "Tốt"})
    officer.type(chosen, {NOMINATE: None})
    sync_at(campaign)
    rows = district.values()[1:]
    assert rows == [["", "Chưa có sáng kiến nào cần thẩm định."]]
    assert district.rows(ARCHIVE)[chosen][SCORE] == 90
    campaign.emu.reset_counters()
    result = sync_at(campaign)
    assert campaign.emu.counts.writes() == 0
    assert result.report.review is not None and not result.report.review.unplaced


@pytest.mark.parametrize("how", ["deleted", "corrupt"])
def test_a_lost_review_state_changes_no_nomination(campaign: Campaign, how: str) -> None:
    sync_at(campaign)
    officer = school(campaign)
    district = Officer(campaign.emu, campaign.unit_files()["P.TG"])
    chosen, late = officer.ids()[1], officer.ids()[2]
    officer.type(chosen, {**NOMINATION, SCORE: 88})
    sync_at(campaign)
    state = Path(campaign.settings.output.dir) / "review-state.json"
    if how == "deleted":
        state.unlink()
    else:
        state.write_text("{", encoding="utf-8")
    officer.type(late, NOMINATION)
    result = sync_at(campaign, BEFORE_DUE + timedelta(days=30))
    codes = {r.id: [v.code for v in r.violations] for r in result.report.responses}
    assert (codes[chosen], codes[late]) == ([], ["DOSSIER_LATE"])
    assert district.ids() == [chosen]
    assert district.rows()[chosen]["Điểm của cấp dưới"] == 88


def test_a_review_typed_while_the_sync_runs_is_not_written_over(
    campaign: Campaign, monkeypatch
) -> None:
    """An officer types a score after the sync read the spreadsheet and before it writes it (a
    sync of a province takes minutes at Google's request limits). Writing the spreadsheet would
    put back the blank read before; it is left as it is, named, and the next sync takes in
    what was typed."""
    from sync.google.target import GoogleStore

    sync_at(campaign)
    officer = school(campaign)
    first, second = officer.ids()[:2]
    officer.type(first, {APPRAISAL: "Đạt"})  # so the sync writes the spreadsheet again
    read = GoogleStore.read

    def typed_meanwhile(store: GoogleStore, tree: Any, units: Any) -> Any:
        found = read(store, tree, units)
        officer.type(second, {SCORE: 77})
        return found

    monkeypatch.setattr(GoogleStore, "read", typed_meanwhile)
    result = sync_at(campaign)
    assert (officer.rows()[second][SCORE], officer.rows()[first][APPRAISAL]) == (77, "Đạt")
    assert list(result.not_written) == [f"https://docs.google.com/spreadsheets/d/{officer.key}"]
    out = Path(campaign.settings.output.dir)
    report = json.loads((out / "sync-report.json").read_text(encoding="utf-8"))
    assert [held["path"] for held in report["not_written"]] == list(result.not_written)
    monkeypatch.undo()
    result = sync_at(campaign)
    assert not result.not_written
    assert (officer.rows()[second][SCORE], officer.rows()[first][APPRAISAL]) == (77, "Đạt")
    changes = [(e["id"], e["change"]) for e in audit_log(campaign) if e["unit"] == "P.TG.THPT"]
    assert (second, "review") in changes and (first, "review") in changes
    assert not [e for e in audit_log(campaign) if e["change"] == "overwritten"]


def lost_reply_to(key: str) -> Any:
    def decide(info: RequestInfo) -> Fault | None:
        write = info.method_id == "sheets.spreadsheets.batchUpdate" and key in info.path
        return Fault.drop_after_apply() if write else None

    return decide


def test_the_audit_tab_gets_its_rows_when_the_provinces_spreadsheet_is_left(
    campaign: Campaign, monkeypatch
) -> None:
    """The province's spreadsheet, left as it is because its officer typed while the sync ran,
    still gets the round's audit rows (its audit tab only grows): every entry of the audit log,
    once, on the tab, through that sync and the next."""
    from sync.google.target import GoogleStore

    sync_at(campaign)
    officer, board = school(campaign), Officer(campaign.emu, campaign.dashboard)
    district = Officer(campaign.emu, campaign.unit_files()["P.TG"])
    chosen, other = officer.ids()[:2]
    officer.type(chosen, NOMINATION)
    sync_at(campaign)
    district.type(chosen, NOMINATION)
    sync_at(campaign)
    assert board.ids() == [chosen]
    officer.type(other, {APPRAISAL: "Đạt"})  # a change the audit records
    read = GoogleStore.read

    def province_types_meanwhile(store: GoogleStore, tree: Any, units: Any) -> Any:
        found = read(store, tree, units)
        board.type(chosen, {NOTES: "tỉnh đang xem"})
        # The reply to the audit rows' write is lost after Google applied it: not sent twice.
        campaign.emu.faults.schedule(lost_reply_to(board.key), times=1)
        return found

    monkeypatch.setattr(GoogleStore, "read", province_types_meanwhile)
    result = sync_at(campaign)
    assert list(result.not_written) == [f"https://docs.google.com/spreadsheets/d/{board.key}"]
    assert board.rows()[chosen][NOTES] == "tỉnh đang xem"
    assert campaign.emu.faults.fired["drop_after_apply"] == 1
    logged = len(audit_log(campaign))
    assert len(board.values(AUDIT_TAB)) - 1 == logged
    monkeypatch.undo()
    result = sync_at(campaign)
    assert not result.not_written
    assert board.rows()[chosen][NOTES] == "tỉnh đang xem"
    assert len(audit_log(campaign)) > logged  # the province's note, read now
    assert len(board.values(AUDIT_TAB)) - 1 == len(audit_log(campaign))


def test_the_provinces_review_is_read_last(campaign: Campaign) -> None:
    """The province's spreadsheet is written after every other; reading its review after every
    other too keeps short the time in which its officers' typing makes the sync leave it."""
    sync_at(campaign)
    school(campaign).type(school(campaign).ids()[0], {APPRAISAL: "Đạt"})
    campaign.emu.requests.clear()
    sync_at(campaign)
    reads = [r.path for r in campaign.emu.requests if r.method_id.endswith("values.batchGet")]
    # The registry, every unit's review, the province's; then, before each write, its review.
    first = reads[: len(campaign.unit_files()) + 1]  # the province is among the files
    assert campaign.dashboard in first[0] and campaign.dashboard in first[-1]
    assert not any(campaign.dashboard in path for path in first[1:-1])


def test_an_edit_to_a_sync_owned_cell_is_overwritten_and_logged(campaign: Campaign) -> None:
    """Regression: the unit's spreadsheet was not rewritten (its content had not changed), so
    the edit stayed although the audit log said it was overwritten."""
    sync_at(campaign)
    officer = school(campaign)
    target = officer.ids()[0]
    title = officer.rows()[target][TITLE]
    officer.type(target, {TITLE: "Tên do cán bộ sửa"})
    sync_at(campaign)
    assert officer.rows()[target][TITLE] == title
    [entry] = [e for e in audit_log(campaign) if e["change"] == "overwritten"]
    assert (entry["unit"], entry["id"], entry["column"], entry["value"]) == (
        "P.TG.THPT", target, TITLE, "Tên do cán bộ sửa")  # fmt: skip
    board = Officer(campaign.emu, campaign.dashboard)
    logged = board.values(AUDIT_TAB)
    header = logged[0]
    [row] = [r for r in logged[1:] if r[header.index("Thay đổi")] == "overwritten"]
    assert (row[header.index("Đơn vị")], row[header.index(ID)]) == ("P.TG.THPT", target)
    details = json.loads(row[header.index("Chi tiết")])
    assert details == {"column": TITLE, "value": "Tên do cán bộ sửa"}
    assert len(logged) - 1 == len(audit_log(campaign))  # every entry, once, in both places


def test_review_columns_are_open_and_validated_while_sync_columns_are_protected(
    campaign: Campaign,
) -> None:
    sync_at(campaign)
    officer = school(campaign)
    tab = officer.tab()
    assert tab is not None
    header = officer.values()[0]
    review = {header.index(h) for h in REVIEW_HEADERS}
    protected: set[int] = set()
    for item in tab["protectedRanges"]:
        span = item["range"]
        assert "startRowIndex" not in span and "endRowIndex" not in span  # whole columns
        assert item["editors"]["users"] == [ACCOUNT]
        assert not item.get("warningOnly")
        protected |= set(range(span["startColumnIndex"], span["endColumnIndex"]))
    assert protected == set(range(len(header))) - review
    for row in (2, 6):  # the first and the last initiative
        rules = {}
        for index, name in enumerate(header):
            found = campaign.emu.cell(
                officer.key, f"{quoted(INITIATIVES)}!{rowcol_to_a1(row, index + 1)}"
            )
            if "dataValidation" in found:
                rules[name] = found["dataValidation"]
        assert set(rules) == set(REVIEW_HEADERS) - {NOTES}
        appraisal = rules[APPRAISAL]
        assert appraisal["condition"]["type"] == "ONE_OF_LIST" and appraisal["showCustomUi"]
        choices = [v["userEnteredValue"] for v in appraisal["condition"]["values"]]
        assert choices == ["Chờ thẩm định", "Đạt", "Không đạt"]
        for box in (NOMINATE, "Có khiếu nại", "Tranh chấp quyền tác giả"):
            assert [v["userEnteredValue"] for v in rules[box]["condition"]["values"]] == ["x"]
        score = rules[SCORE]
        assert score["condition"]["type"] == "NUMBER_BETWEEN" and score["strict"]
        assert [v["userEnteredValue"] for v in score["condition"]["values"]] == ["0", "100"]


def test_no_change_after_reviews_sorting_and_filtering_makes_no_write(campaign: Campaign):
    sync_at(campaign)
    officer = school(campaign)
    ids = officer.ids()
    officer.type(ids[0], {**NOMINATION, SCORE: 70})
    officer.type(ids[3], {APPRAISAL: "Không đạt", NOTES: "Trùng ý"})
    sync_at(campaign)
    officer.sort(TITLE)
    officer.filter(ID, hidden=[ids[1]])
    officer.insert_blank_row(3)
    sorted_ids = officer.ids()
    campaign.emu.reset_counters()
    result = sync_at(campaign)
    assert campaign.emu.counts.writes() == 0
    assert [w for w in result.written if "docs.google.com" in w] == []
    assert officer.ids() == sorted_ids  # the officer's order is left alone
    rows = officer.rows()
    assert (rows[ids[0]][NOMINATE], rows[ids[0]][SCORE]) == ("x", 70)
    assert (rows[ids[3]][APPRAISAL], rows[ids[3]][NOTES]) == ("Không đạt", "Trùng ý")
    sync_at(campaign, BEFORE_DUE + timedelta(days=1))
    assert campaign.emu.counts.writes() == 0


# -- random sessions -------------------------------------------------------------------------------


class OfficersOnGoogle(RuleBasedStateMachine):
    """tests/test_review_stateful.py's sessions, on Google: the responses are the Form's tab,
    each unit works in its own spreadsheet, and syncs run against the local Sheets API server."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="review-google-"))
        self.emu = SheetsEmulator(account=ACCOUNT).start()
        header = [q.vi for q in QUESTIONS]
        self.responses = self.emu.create_spreadsheet(
            "Câu trả lời", sheets={FORM_TAB: [header]}, locale="vi_VN", time_zone=ZONE.key
        )
        self.dashboard = self.emu.create_spreadsheet("LĐLĐ tỉnh", sheets=["Trang tính1"])
        self.drive_folder = self.emu.create_folder("Sáng kiến 2021")
        config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
        config["units"] = str(write_units(self.folder, [r for r in TREE if r[0] in UNITS]))
        address = f"https://docs.google.com/spreadsheets/d/{self.responses}/edit"
        config["sources"] = [{"name": "form", "kind": "google_sheet", "spreadsheet": address}]
        config["output"] = {"kind": "google_sheets", "dir": str(self.folder / "out")}
        config["google"] = {
            "auth": "user",
            "dashboard_spreadsheet": self.dashboard,
            "drive_folder": self.drive_folder,
        }
        path = self.folder / "config.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        self.settings: Settings = read_settings(path)
        # The officers edit the response sheet, the dashboard and, through the campaign folder
        # shared with them once, every unit spreadsheet the sync creates in it.
        for shared in (self.responses, self.dashboard, self.drive_folder):
            self.emu.share(shared, OFFICER, "writer")
        self.form = Officer(self.emu, self.responses)
        self.order: list[int] = []  # response numbers down the Form's tab
        self.rows: dict[int, list[Any]] = {}  # live responses, as the Form's tab has them
        self.deleted: dict[int, list[Any]] = {}
        self.serial = 0
        self.now = START
        self.ledger = Ledger()
        self.officers: dict[str, Officer] = {}
        self.mistakes: dict[tuple[str, str], str] = {}  # (unit, id) -> text typed over a title
        self.edits = 0

    def teardown(self) -> None:
        self.emu.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _listed(self, unit: str) -> list[str]:
        officer = self.officers.get(unit)
        return sorted(officer.ids()) if officer else []

    @initialize()
    def first_sync(self) -> None:
        """A few responses and a sync, so officers have spreadsheets from the first step."""
        for place in (*PLACES, PLACES[0]):
            self.new_response(place)
        self.sync(1, again=False)

    # -- the Form's response tab -----------------------------------------------------------------

    def _put(self, n: int) -> None:
        row = self.order.index(n) + 2
        self.emu.set_values(self.responses, f"{quoted(FORM_TAB)}!A{row}", [self.rows[n]])

    @rule(place=st.sampled_from(PLACES))
    def new_response(self, place: dict[str, str]) -> None:
        n = self.serial = self.serial + 1
        self.rows[n] = form_row(n, place)
        self.order.append(n)
        self._put(n)

    @precondition(lambda self: self.rows)
    @rule(data=st.data())
    def edit_response(self, data: st.DataObject) -> None:
        """The author edits the answer: the Form rewrites the same row."""
        n = data.draw(st.sampled_from(sorted(self.rows)))
        self.rows[n][[q.key for q in QUESTIONS].index("description")] += " (đã sửa)"
        self._put(n)

    @precondition(lambda self: self.rows)
    @rule(data=st.data())
    def delete_response(self, data: st.DataObject) -> None:
        n = data.draw(st.sampled_from(sorted(self.rows)))
        self.form.delete_grid_row(self.order.index(n) + 1, FORM_TAB)
        self.order.remove(n)
        self.deleted[n] = self.rows.pop(n)

    @precondition(lambda self: self.deleted)
    @rule(data=st.data())
    def restore_response(self, data: st.DataObject) -> None:
        """The deleted answer is pasted back, at the bottom."""
        n = data.draw(st.sampled_from(sorted(self.deleted)))
        self.rows[n] = self.deleted.pop(n)
        self.order.append(n)
        self._put(n)

    # -- the officers ----------------------------------------------------------------------------

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_edits_review(self, unit: str, data: st.DataObject) -> None:
        listed = self._listed(unit)
        if not listed:
            return
        initiative = data.draw(st.sampled_from(listed))
        headers = data.draw(st.sets(st.sampled_from(sorted(REVIEW)), min_size=1))
        values = {h: data.draw(REVIEW[h]) for h in sorted(headers)}
        self.officers[unit].type(initiative, values)
        self.ledger.typed(unit, initiative, values)

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_nominates(self, unit: str, data: st.DataObject) -> None:
        listed = self._listed(unit)
        if not listed:
            return
        initiative = data.draw(st.sampled_from(listed))
        self.officers[unit].type(initiative, NOMINATION)
        self.ledger.typed(unit, initiative, NOMINATION)

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_edits_a_sync_cell(self, unit: str, data: st.DataObject) -> None:
        """A title typed over by mistake: the next sync puts the title back and logs it."""
        listed = self._listed(unit)
        if not listed:
            return
        initiative = data.draw(st.sampled_from(listed))
        self.edits += 1
        typed = f"Sửa nhầm {self.edits}"
        self.officers[unit].type(initiative, {TITLE: typed})
        self.mistakes[(unit, initiative)] = typed

    @rule(unit=st.sampled_from(UNITS), by=st.sampled_from([TITLE, ID]), descending=st.booleans())
    def officer_sorts(self, unit: str, by: str, descending: bool) -> None:
        if unit in self.officers:
            self.officers[unit].sort(by, descending)

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_filters(self, unit: str, data: st.DataObject) -> None:
        listed = self._listed(unit)
        if listed:
            hidden = data.draw(st.lists(st.sampled_from(listed), unique=True))
            self.officers[unit].filter(ID, hidden)

    @rule(unit=st.sampled_from(UNITS), at=st.integers(1, 8))
    def officer_inserts_blank_row(self, unit: str, at: int) -> None:
        if unit in self.officers:
            self.officers[unit].insert_blank_row(at)

    @rule(unit=st.sampled_from(UNITS))
    def officer_deletes_blank_rows(self, unit: str) -> None:
        if unit in self.officers:
            self.officers[unit].delete_blank_rows()

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_deletes_a_row(self, unit: str, data: st.DataObject) -> None:
        """An accidental deletion: the review as of the last sync comes back."""
        listed = self._listed(unit)
        if not listed:
            return
        initiative = data.draw(st.sampled_from(listed))
        self.officers[unit].delete_row(initiative)
        self.ledger.row_deleted(unit, initiative)
        self.mistakes.pop((unit, initiative), None)

    # -- the sync --------------------------------------------------------------------------------

    def _run(self) -> SyncResult:
        return run_sync(self.settings, google=connect_to(self.emu, self.settings), now=self.now)

    @rule(hours=st.integers(1, 400), again=st.booleans())
    def sync(self, hours: float, again: bool) -> None:
        self.now += timedelta(hours=hours)
        logged = len(self._audit())
        result = self._run()
        self.ledger.sync_done()
        self._spreadsheets()
        self._check(result, self._audit()[logged:])
        if again:  # nothing changed since: not one write request
            self.emu.reset_counters()
            result = self._run()
            assert self.emu.counts.writes() == 0, self.emu.counts
            self._check(result, [])

    @rule(minutes=st.integers(1, 59))
    def scheduled_sync(self, minutes: int) -> None:
        """The sync that runs every few minutes: syncs come as often as officers' steps."""
        self.sync(minutes / 60, again=False)

    def _audit(self) -> list[dict[str, Any]]:
        path = self.folder / "out" / "audit-log.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def _spreadsheets(self) -> None:
        self.officers.setdefault("P", Officer(self.emu, self.dashboard))
        for unit, key in spreadsheets_under(self.emu, self.drive_folder).items():
            if unit in UNITS and unit not in self.officers:  # not the lookup
                self.officers[unit] = Officer(self.emu, key)

    def _check(self, result: SyncResult, new_entries: list[dict[str, Any]]) -> None:
        review = result.report.review
        assert review is not None
        assert set(self.officers) == set(UNITS)
        overwritten = {(e["unit"], e["id"]): e["value"]
                       for e in new_entries if e["change"] == "overwritten"}  # fmt: skip
        for (unit, initiative), typed in self.mistakes.items():
            assert overwritten.get((unit, initiative)) == typed, (unit, initiative)
        self.mistakes.clear()
        for unit, officer in self.officers.items():
            listed, archived = officer.rows(), officer.rows(ARCHIVE)
            self.ledger.check(unit, listed, archived)
            ids = officer.ids()
            assert len(ids) == len(set(ids)), unit  # no row twice
            assert set(ids) == set(review.flow.listed.get(unit, ())), unit  # none lost
            assert set(archived) == set(review.archived.get(unit, {})), unit
            by_id = result.report.by_id
            assert all(row[TITLE] == by_id[i].title for i, row in listed.items()), unit
        # A superior lists exactly the nominations its children made that break no rule.
        tree = result.report.tree
        for unit in ("P", "P.TG"):
            passed = {
                initiative
                for child in UNITS
                if tree[child].parent_id == unit
                for initiative, row in self.officers[child].rows().items()
                if row[NOMINATE] == "x" and not review.flow.codes.get((child, initiative))
            }
            assert set(self.officers[unit].ids()) == passed, unit
        logged = self.officers["P"].values(AUDIT_TAB)[1:]  # every entry, once, in both places
        assert [(r[1], r[2] or "", r[3]) for r in logged] == [
            (e["unit"], e.get("id", ""), e["change"])
            for e in self._audit()  # unplaced: no id
        ]

    @invariant()
    def emulator_accepted_every_request(self) -> None:
        assert not self.emu.internal_errors
        assert rejected(self.emu) == []


OfficersOnGoogle.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestOfficersOnGoogle = OfficersOnGoogle.TestCase
