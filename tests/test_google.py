"""The whole sync against the local Sheets API server, with the real gspread client over HTTP.

The server checks every request body and query parameter against Google's discovery documents
and answers a bad one with 400, so a passing sync here is one Google would accept."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from emulator import Fault, SheetsEmulator
from emulator.transport import authorized_session
from sync.config import read_settings
from sync.google.client import GoogleError, Policy, RateLimiter, connect
from sync.google.drive import FOLDER_MIME, SPREADSHEET_MIME
from sync.google.target import FINGERPRINT_KEY
from sync.pipeline import run_sync
from sync.templates import load_templates

from .conftest import TREE, VALID_ROW, write_units

# A person signed in: real Google refuses files.create by a service account outside a shared
# drive (storageQuotaExceeded), so the sync runs as the account that owns what it creates.
ACCOUNT = "sangkien.dienbien@gmail.com"
FORM = load_templates().form
EPOCH = datetime(1899, 12, 30)
PEOPLE = [
    ("Lò Văn Thắng", "0912820510", "LĐLĐ huyện Tuần Giáo", "THPT Tuần Giáo"),
    ("Nguyễn Thị An", "0987654321", "LĐLĐ huyện Tuần Giáo", "Trường Tiểu học Thị trấn"),
    ("Cà Văn Dũng", "0966000222", "LĐLĐ huyện Mường Ảng", "TTYT Mường Ảng"),
    ("Quàng Thị Mai", "0977000111", "LĐLĐ tỉnh", "Điện lực Điện Biên"),
]


def serial(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds() / 86400


def form_rows(english: bool = False) -> list[list]:
    header = [q.en if english else q.vi for q in FORM.questions]
    rows = [header]
    for index, (name, phone, superior, unit) in enumerate(PEOPLE):
        values = {
            **VALID_ROW,
            "timestamp": serial(datetime(2021, 3, 15 + index, 9, 30)),
            "full_name": name,
            "phone": phone,
            "email": f"nguoi{index}@example.vn",
            "superior_unit": superior,
            "grassroots_unit": unit,
            "title": f"Sáng kiến số {index} của {name}",
            "description": f"Nội dung riêng số {index}.",
        }
        rows.append([values[q.key] for q in FORM.questions])
    rows[1][FORM.questions.index(FORM.question("description"))] = (
        '=IMPORTXML("http://x.example", "//a")'
    )
    return rows


class Campaign:
    def __init__(self, emu: SheetsEmulator, folder: Path, base_config: dict, write_config):
        self.emu = emu
        tab = "Câu trả lời biểu mẫu 1"
        self.responses = emu.create_spreadsheet(
            "Câu trả lời", sheets={tab: form_rows()}, locale="vi_VN", time_zone="Asia/Ho_Chi_Minh"
        )
        self.dashboard = emu.create_spreadsheet("LĐLĐ tỉnh Điện Biên", sheets=["Trang tính1"])
        self.folder = emu.create_folder("Sáng kiến 2021")
        config = dict(base_config)
        config["units"] = str(write_units(folder, TREE))
        address = f"https://docs.google.com/spreadsheets/d/{self.responses}/edit"
        config["sources"] = [{"name": "form", "kind": "google_sheet", "spreadsheet": address}]
        config["output"] = {"kind": "google_sheets", "dir": str(folder / "out")}
        config["google"] = {
            "auth": "user",
            "dashboard_spreadsheet": self.dashboard,
            "drive_folder": self.folder,
        }
        self.settings = read_settings(write_config(config))

    def connect(self, max_retries: int = 6):
        no_wait = Policy(
            reads=RateLimiter(100_000), writes=RateLimiter(100_000), max_retries=max_retries,
            timeout=5, sleep=lambda _seconds: None,
        )  # fmt: skip
        credentials = self.emu.credentials(ACCOUNT)
        session = authorized_session(self.emu, credentials)
        return connect(
            self.settings.google,
            credentials=credentials,
            session=session,
            policy=no_wait,
            account=ACCOUNT,
        )

    def sync(self, **kwargs):
        return run_sync(self.settings, google=self.connect(**kwargs))

    def unit_files(self) -> dict[str, str]:
        """The units' spreadsheets and the public lookup's (key LOOKUP)."""
        return spreadsheets_under(self.emu, self.folder)


def spreadsheets_under(emu: SheetsEmulator, folder: str) -> dict[str, str]:
    """Unit id -> spreadsheet key, of the spreadsheets in the folder or in a folder under it."""
    files = [emu.drive_file(key) for key in list(emu.store.files)]
    inside = {folder}
    for _ in range(5):  # the tree is at most a few folders deep
        inside |= {f["id"] for f in files if inside & set(f.get("parents", ())) and
                   f["mimeType"] == FOLDER_MIME}  # fmt: skip
    return {
        file["name"].split(" – ")[0]: file["id"]
        for file in files
        if inside & set(file.get("parents", ())) and file["mimeType"] == SPREADSHEET_MIME
    }


@pytest.fixture
def campaign(tmp_path: Path, base_config: dict, write_config):
    with SheetsEmulator(account=ACCOUNT) as emu:
        yield Campaign(emu, tmp_path, base_config, write_config)
        assert not emu.internal_errors


LOOKUP = "tra-cuu-ket-qua"  # the public lookup's own spreadsheet


def rejected(emu: SheetsEmulator) -> list:
    return [(r.method, r.status) for r in emu.requests if r.status == 400]


def test_full_sync_reads_the_form_and_writes_every_unit(campaign: Campaign) -> None:
    result = campaign.sync()
    emu = campaign.emu
    assert rejected(emu) == []
    report = result.report
    assert [r.unit_id for r in report.responses] == ["P.TG.THPT", "P.TG.TT", "P.MA.YT", "P.DL"]
    assert all(str(r.status) == "valid" for r in report.responses)
    assert report.responses[0].submitted_at.isoformat() == "2021-03-15T09:30:00+07:00"
    files = campaign.unit_files()
    assert set(files) == {u[0] for u in TREE} - {"P"} | {LOOKUP}  # the province's is given
    lookup = emu.get_values(files[LOOKUP], "'Tra cứu kết quả'")
    assert lookup[0] == ["Mã sáng kiến", "Tên sáng kiến", "Công đoàn cơ sở", "Kết quả",
                         "Cập nhật ngày"]  # fmt: skip
    assert len(lookup) == 5  # every initiative, and nothing personal
    registry = emu.get_values(campaign.dashboard, "'Danh sách bảng tính đơn vị'")
    assert LOOKUP in [row[0] for row in registry]
    school = files["P.TG.THPT"]
    permissions = emu.drive_file(school).get("permissions", [])
    granted = {(p.get("emailAddress"), p.get("role")) for p in permissions}
    assert ("a@example.vn", "writer") in granted
    values = emu.get_values(school, "'Sáng kiến'!A1:Z")
    assert values[0][:3] == ["Mã sáng kiến", "Tên sáng kiến", "Tóm tắt nội dung"]
    assert len(values) == 2
    board = emu.spreadsheet_json(campaign.dashboard)
    titles = [s["properties"]["title"] for s in board["sheets"]]
    assert {"Bảng điều khiển", "Sáng kiến", "Danh sách bảng tính đơn vị"} <= set(titles)
    charts = [c for s in board["sheets"] for c in s.get("charts", ())]
    assert len(charts) == 4
    assert any(m["metadataKey"] == FINGERPRINT_KEY for m in board.get("developerMetadata", ()))


def test_formula_text_is_sent_as_a_string(campaign: Campaign) -> None:
    campaign.sync()
    school = campaign.unit_files()["P.TG.THPT"]
    values = campaign.emu.get_values(school, "'Sáng kiến'!A1:Z")
    column = values[0].index("Mô tả sáng kiến")
    cell = campaign.emu.cell(school, f"'Sáng kiến'!{chr(65 + column)}2")
    assert cell["userEnteredValue"] == {"stringValue": '=IMPORTXML("http://x.example", "//a")'}


def test_each_spreadsheet_is_one_batch_update(campaign: Campaign) -> None:
    campaign.sync()
    counts = campaign.emu.counts
    spreadsheets = len(campaign.unit_files()) + 1
    assert counts["sheets.spreadsheets.batchUpdate"] == spreadsheets
    assert counts["sheets.spreadsheets.values.get"] == 1  # the form (no registry tab yet)
    assert counts["sheets.spreadsheets.values.update"] == 0


def test_unchanged_second_sync_makes_no_write(campaign: Campaign) -> None:
    campaign.sync()
    campaign.emu.reset_counters()
    result = campaign.sync()
    assert campaign.emu.counts.writes() == 0
    assert [w for w in result.written if "docs.google.com" in w] == []


def test_a_change_rewrites_only_the_units_that_show_it(campaign: Campaign) -> None:
    campaign.sync()
    files = campaign.unit_files()
    rows = form_rows()
    rows[3][FORM.questions.index(FORM.question("title"))] = "Tên sáng kiến đã sửa"
    campaign.emu.set_values(campaign.responses, "'Câu trả lời biểu mẫu 1'!A1", rows)
    campaign.emu.reset_counters()
    result = campaign.sync()
    touched = {w.rsplit("/", 1)[1] for w in result.written if "docs.google.com" in w}
    # the public lookup shows the title too
    assert touched == {files["P.MA.YT"], files["P.MA"], files[LOOKUP], campaign.dashboard}
    assert campaign.emu.counts["sheets.spreadsheets.batchUpdate"] == 4


def test_english_locale_form(campaign: Campaign) -> None:
    campaign.emu.set_values(campaign.responses, "'Câu trả lời biểu mẫu 1'!A1", form_rows(True))
    report = run_sync(campaign.settings, write=False, google=campaign.connect()).report
    assert [str(r.status) for r in report.responses] == ["valid"] * 4


def test_faults_on_a_fifth_of_requests_are_retried(campaign: Campaign) -> None:
    one_in_five = [Fault.rate_limit(0.01), Fault.unavailable(), Fault.drop(), Fault.server_error()]
    campaign.emu.faults.schedule([f for fault in one_in_five * 20 for f in (fault, *[None] * 4)])
    result = campaign.sync()
    assert sum(campaign.emu.faults.fired.values()) > 5
    assert rejected(campaign.emu) == []
    assert len([w for w in result.written if "docs.google.com" in w]) == len(TREE) + 1


def test_a_sync_that_cannot_finish_fails_cleanly_and_writes_nothing_half(campaign: Campaign):
    campaign.sync()
    before = {key: campaign.emu.spreadsheet_json(key)
              for key in [*campaign.unit_files().values(), campaign.dashboard]}  # fmt: skip
    rows = form_rows()
    rows[1][FORM.questions.index(FORM.question("title"))] = "Một tên khác hẳn"
    campaign.emu.set_values(campaign.responses, "'Câu trả lời biểu mẫu 1'!A1", rows)
    campaign.emu.faults.schedule(Fault.unavailable(), method="sheets.spreadsheets.batchUpdate",
                                 times=1000)  # fmt: skip
    with pytest.raises(GoogleError, match="did not answer"):
        campaign.sync(max_retries=2)
    for key, state in before.items():
        assert campaign.emu.spreadsheet_json(key) == state


def test_403_names_the_service_account(campaign: Campaign) -> None:
    campaign.emu.deny_access(campaign.responses, ACCOUNT)
    with pytest.raises(GoogleError, match=ACCOUNT):
        campaign.sync()


def test_404_names_the_spreadsheet(campaign: Campaign, base_config, write_config) -> None:
    settings = campaign.settings
    source = settings.sources[0].model_copy(update={"spreadsheet": "no-such-key"})
    campaign.settings = settings.model_copy(update={"sources": (source,)})
    with pytest.raises(GoogleError, match=r"no-such-key.*not found"):
        campaign.sync()


def test_sync_closes_the_form_once_the_close_moment_has_passed(campaign: Campaign) -> None:
    form_id = campaign.emu.create_form("Sáng kiến 2021")
    campaign_settings = campaign.settings.campaign.model_copy(update={"form_id": form_id})
    campaign.settings = campaign.settings.model_copy(update={"campaign": campaign_settings})
    result = campaign.sync()  # "now" is long after 22/04/2021 24:00
    assert campaign.emu.form(form_id)["publishSettings"]["publishState"] == {
        "isPublished": True,
        "isAcceptingResponses": False,
    }
    assert any("closed to new responses" in w for w in result.written)


def test_sync_leaves_an_open_form_alone_before_the_close_moment(campaign: Campaign) -> None:
    form_id = campaign.emu.create_form("Sáng kiến 2099")
    later = campaign.settings.campaign.model_copy(
        update={"form_id": form_id, "form_closes_at": datetime(2099, 4, 23)}
    )
    campaign.settings = campaign.settings.model_copy(update={"campaign": later})
    campaign.sync()
    state = campaign.emu.form(form_id).get("publishSettings", {}).get("publishState", {})
    assert state.get("isAcceptingResponses", True) is True


def test_doctor_opens_every_configured_spreadsheet(campaign: Campaign, tmp_path: Path) -> None:
    import yaml

    from sync.doctor import blocks_sync, run_doctor

    token = tmp_path / "token.json"  # what `sangkien login` saved
    token.write_text(json.dumps({"refresh_token": "r", "account": ACCOUNT}), encoding="utf-8")
    token.chmod(0o600)
    config = tmp_path / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["google"]["token"] = str(token)
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    environ: dict[str, str] = {}
    findings = run_doctor(config, environ=environ, google=campaign.connect())
    assert not blocks_sync(findings), findings
    names = {f.name for f in findings}
    assert {"sign-in", "source form", "dashboard", "drive folder", "unit spreadsheets"} <= names
    campaign.emu.deny_access(campaign.dashboard, ACCOUNT)
    findings = run_doctor(config, environ=environ, google=campaign.connect())
    [denied] = [f for f in findings if f.name == "dashboard"]
    assert denied.blocking and "access denied" in denied.message


@pytest.mark.parametrize(
    "reason", ["sharingRateLimitExceeded", "userRateLimitExceeded", "rateLimitExceeded"]
)
def test_drive_403_rate_limits_are_retried(campaign: Campaign, reason: str) -> None:
    campaign.emu.faults.schedule(
        Fault.drive_rate_limit(reason), method="drive.permissions.create", times=2
    )
    result = campaign.sync()
    assert campaign.emu.faulted["drive.permissions.create"] == 2
    assert result.report.refused_addresses == []
    school = campaign.unit_files()["P.TG.THPT"]
    granted = {p.get("emailAddress") for p in campaign.emu.drive_file(school)["permissions"]}
    assert "a@example.vn" in granted


def test_other_403s_are_explained_by_their_reason(campaign: Campaign) -> None:
    campaign.emu.faults.schedule(
        Fault.error(403, "The user does not have sufficient permissions for this file."),
        method="drive.files.create",
    )
    with pytest.raises(GoogleError, match=r"access denied \(403\)|access denied \(\w+\)"):
        campaign.sync()


def test_drive_calls_have_their_own_rate_limit(campaign: Campaign) -> None:
    from sync.google.client import DRIVE_FILES

    google = campaign.connect()
    counted: list[str] = []
    policy = google.http.policy
    drive = RateLimiter(100_000)
    drive.acquire = lambda: counted.append("drive")  # type: ignore[method-assign]
    google.http.policy = Policy(policy.reads, policy.writes, 0, 5, drive=drive)
    google.call("GET", DRIVE_FILES, params={"q": "trashed = false"})
    google.http.fetch_sheet_metadata(campaign.dashboard)
    assert counted == ["drive"]


@pytest.mark.parametrize("forget_local_record", [False, True])
def test_a_crash_after_creating_never_makes_a_second_spreadsheet(
    campaign: Campaign, forget_local_record: bool
) -> None:
    from sync.google.drive import DRIVE_STATE_FILE

    campaign.emu.faults.schedule(Fault.unavailable(), method="sheets.spreadsheets.batchUpdate",
                                 times=1000)  # fmt: skip
    with pytest.raises(GoogleError):
        campaign.sync(max_retries=0)  # dies on the first write, after the first creation
    created = campaign.emu.counts["drive.files.create"]
    assert created >= 1
    record = campaign.settings.output.dir / DRIVE_STATE_FILE
    assert json.loads(record.read_text(encoding="utf-8"))["spreadsheets"]
    if forget_local_record:  # another machine: found again by name in its folder
        record.unlink()
    campaign.emu.faults.clear()
    campaign.sync()
    files = [campaign.emu.drive_file(k) for k in list(campaign.emu.store.files)]
    sheets = [f["name"] for f in files if f["mimeType"] == SPREADSHEET_MIME]
    assert len(sheets) == len(set(sheets))  # none made twice
    assert set(campaign.unit_files()) == {row[0] for row in TREE} - {"P"} | {LOOKUP}


# -- the form's responses as the last sync checked them -----------------------------------------

CHECK_STAGES = {"normalise", "validate", "resolve", "dedupe"}
SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"


def form_values_read(campaign: Campaign) -> int:
    """Requests for the values of the form's responses spreadsheet."""
    return sum(
        1
        for r in campaign.emu.requests
        if r.method_id == "sheets.spreadsheets.values.get" and campaign.responses in r.path
    )


def answer_the_form(campaign: Campaign, name: str, phone: str) -> None:
    """A response as the Form adds it: a row appended through the Sheets API."""
    row = dict(zip([q.key for q in FORM.questions], form_rows()[2], strict=True))
    row |= {"full_name": name, "phone": phone, "title": f"Sáng kiến mới của {name}"}
    session = authorized_session(campaign.emu, campaign.emu.credentials(ACCOUNT))
    appended = session.post(
        f"{SHEETS}/{campaign.responses}/values/'Câu trả lời biểu mẫu 1'!A1:append",
        params={"valueInputOption": "RAW"},
        json={"values": [[row[q.key] for q in FORM.questions]]},
    )
    assert appended.ok


def test_an_unchanged_form_sheet_is_neither_read_nor_checked_again(campaign: Campaign) -> None:
    for _ in range(2):  # the second sync finds the same version and keeps the responses
        assert set(campaign.sync().report.timings) >= CHECK_STAGES
    campaign.emu.reset_counters()
    third = campaign.sync()
    assert not CHECK_STAGES & set(third.report.timings)
    assert form_values_read(campaign) == 0
    assert [r.unit_id for r in third.report.responses] == [
        "P.TG.THPT", "P.TG.TT", "P.MA.YT", "P.DL",
    ]  # fmt: skip
    assert campaign.emu.counts.writes() == 0


def test_a_new_form_response_is_read_and_checked(campaign: Campaign) -> None:
    campaign.sync()
    campaign.sync()
    answer_the_form(campaign, "Lường Văn Mới", "0911222333")
    campaign.emu.reset_counters()
    result = campaign.sync()
    assert set(result.report.timings) >= CHECK_STAGES
    assert form_values_read(campaign) == 1
    names = [r.full_name for r in result.report.responses if str(r.status) == "valid"]
    assert len(names) == 5 and "Lường Văn Mới" in names


@pytest.mark.parametrize(
    "refusal",
    [Fault.error(404, "File not found."), Fault.server_error()],
    ids=["not-found", "server-error"],
)
def test_drive_not_telling_the_version_only_means_checking_everything(
    campaign: Campaign, refusal: Fault
) -> None:
    """A person signed in with drive.file is answered 404 for the form's spreadsheet."""
    campaign.sync()
    campaign.sync()
    responses = campaign.responses
    campaign.emu.faults.schedule(
        lambda info: refusal if responses in info.path else None, method="drive.files.get"
    )
    campaign.emu.reset_counters()
    result = campaign.sync()
    assert campaign.emu.faulted["drive.files.get"] >= 1
    assert set(result.report.timings) >= CHECK_STAGES
    assert form_values_read(campaign) == 1
    assert [str(r.status) for r in result.report.responses] == ["valid"] * 4
