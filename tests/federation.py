"""A campaign on the emulator, set up for one of the three ways a federation owns its
spreadsheets (google.owner: user, shared_drive, apps_script), as tests/test_google_ways.py and
benchmarks/bench_google_requests.py run it: the principals, the campaign folder, the provincial
spreadsheet, the responses, and what the officer's Apps Script does before the first sync."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import requests
import yaml

from emulator import WRITE_METHODS, MethodCounter, SheetsEmulator
from emulator.transport import authorized_session
from sync.config import GoogleSettings, Settings, read_settings
from sync.google.client import GoogleSession, Policy, RateLimiter, connect
from sync.google.drive import SPREADSHEET_MIME, lookup_record, unit_title
from sync.google.target import SHEET_URL
from sync.orgtree import UNITS_HEADER, load_tree
from sync.pipeline import SyncResult, run_sync
from sync.templates import load_templates

REPO = Path(__file__).resolve().parent.parent
SERVICE_ACCOUNT = "sangkien-sync@dien-bien.iam.gserviceaccount.com"
PERSON = "sangkien.dienbien@gmail.com"  # signed in with `sangkien login`
OFFICER = "vanphong.dienbien@gmail.com"  # the provincial officer who runs the Apps Script
WAYS = ("user", "shared_drive", "apps_script")
EXAMPLE_UNITS = REPO / "examples/dien-bien-2021/units.csv"


def province_of(units: int, folder: Path) -> Path:
    """The bundled tree cut to `units` unions: the province and every union above the
    grassroots, then as many grassroots unions as fill the count."""
    with EXAMPLE_UNITS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    upper = [r for r in rows if r["kind"] != "grassroots" or r["parent_id"] == ""]
    grassroots = [r for r in rows if r["kind"] == "grassroots" and r["parent_id"] != ""]
    kept = upper + grassroots[: max(0, units - len(upper))]
    path = folder / "units.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, UNITS_HEADER)
        writer.writeheader()
        writer.writerows(kept)
    return path


def example_sources() -> list[dict[str, Any]]:
    """The bundled example's own responses (3,000), as the repository's config.yaml names them."""
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    return [{**source, "path": str(REPO / source["path"])} for source in config["sources"]]


def generated_sources(units: Path, responses: int, folder: Path, seed: int = 9) -> list[dict]:
    """`responses` form answers for the units, as examplegen makes them, in one xlsx source."""
    from examplegen import generate_responses, write_responses_xlsx

    path = folder / "responses.xlsx"
    write_responses_xlsx(generate_responses(units, responses, seed=seed).rows, path)
    return [{"name": "form", "kind": "xlsx", "path": str(path)}]


def minutes_at_quotas(counts: MethodCounter, google: GoogleSettings) -> float:
    """Minutes the requests take at the client's limits (Sheets reads, Sheets writes, Drive
    calls, each on its own quota): the client waits rather than exceed any, so the slowest
    binds."""
    sheets = {m: n for m, n in counts.items() if not m.startswith("drive.")}
    writes = sum(n for m, n in sheets.items() if m in WRITE_METHODS)
    drive = counts.total() - sum(sheets.values())
    return round(
        max(
            (sum(sheets.values()) - writes) / google.reads_per_minute,
            writes / google.writes_per_minute,
            drive / google.drive_per_minute,
        ),
        1,
    )


class Largest:
    """The largest request body the sessions it watches sent, as its bytes went out."""

    def __init__(self) -> None:
        self.bytes = 0

    def watch(self, session: requests.Session) -> None:
        session.hooks["response"].append(self.measure)

    def measure(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.bytes = max(self.bytes, len(response.request.body or b""))


class Federation:
    """One campaign on the emulator, set up the way `way` needs before the first sync; its
    responses are `sources` (config.yaml's), else `responses` generated for the units."""

    def __init__(
        self,
        emu: SheetsEmulator,
        folder: Path,
        way: str,
        units: Path,
        sources: list[dict[str, Any]] | None = None,
        responses: int = 300,
    ):
        self.emu = emu
        self.way = way
        self.account = PERSON if way == "user" else SERVICE_ACCOUNT
        self.largest = Largest()  # of every sync's requests, until its bytes are reset
        owner = {"user": PERSON, "shared_drive": OFFICER, "apps_script": OFFICER}[way]
        parent = None
        if way == "shared_drive":
            parent = emu.create_shared_drive(
                "Sáng kiến", organizer=OFFICER, members={SERVICE_ACCOUNT: "writer"}
            )
        self.folder = emu.create_folder("Sáng kiến 2021", parent=parent, owner=owner)
        self.registry = load_templates().sheets["registry"]
        self.dashboard = emu.create_spreadsheet(
            "LĐLĐ tỉnh",
            sheets=["Trang tính1", self.registry.name],
            folder_id=self.folder,
            owner=owner,
        )
        config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
        config["sources"] = sources or generated_sources(units, responses, folder)
        config["units"] = str(units)
        config["output"] = {"kind": "google_sheets", "dir": str(folder / "out")}
        config["google"] = {
            "auth": "user" if way == "user" else "service_account",
            "owner": way,
            "dashboard_spreadsheet": self.dashboard,
            "drive_folder": self.folder,
        }
        path = folder / "config.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        self.settings: Settings = read_settings(path)
        if way == "apps_script":
            self.run_the_script()

    def run_the_script(self) -> None:
        """What `sangkien spreadsheets-script` does when the officer runs it (its layout and
        resuming are tested in node): spreadsheets the officer owns, the campaign folder and
        the provincial spreadsheet shared with the sync's account, the registry tab filled."""
        tree = load_tree(self.settings.units)
        rows: list[list[Any]] = [[c.header for c in self.registry.columns]]
        for unit in tree:
            if unit.id == tree.root.id or unit.tier not in self.settings.output.tiers:
                continue
            key = self.emu.create_spreadsheet(
                unit_title(unit), folder_id=self.folder, owner=OFFICER
            )
            for email in unit.officer_emails:
                self.emu.share(key, email, "writer")
            rows.append([unit.id, unit.name, SHEET_URL.format(key), ""])
        record, name, title = lookup_record(load_templates())
        key = self.emu.create_spreadsheet(title, folder_id=self.folder, owner=OFFICER)
        rows.append([record, name, SHEET_URL.format(key), ""])
        self.emu.share(self.folder, SERVICE_ACCOUNT, "writer")
        self.emu.share(self.dashboard, SERVICE_ACCOUNT, "writer")
        self.emu.set_values(self.dashboard, f"'{self.registry.name}'!A1", rows)

    def sync(self) -> SyncResult:
        return run_sync(self.settings, google=self.connect())

    def connect(self) -> GoogleSession:
        # Counting requests, not time: no client-side waiting (the rate limiter has its own tests).
        no_wait = Policy(
            reads=RateLimiter(10**9), writes=RateLimiter(10**9), max_retries=6,
            timeout=120, sleep=lambda _seconds: None,
        )  # fmt: skip
        credentials = self.emu.credentials(self.account)
        session = authorized_session(self.emu, credentials)
        self.largest.watch(session)
        return connect(
            self.settings.google,
            credentials=credentials,
            session=session,
            policy=no_wait,
            account=self.account,
        )

    def spreadsheets(self) -> dict[str, dict[str, Any]]:
        """Unit id -> Drive file, of every spreadsheet but the dashboard."""
        files = [self.emu.drive_file(key) for key in list(self.emu.store.files)]
        return {
            file["name"].split(" – ")[0]: file
            for file in files
            if file["mimeType"] == SPREADSHEET_MIME and file["id"] != self.dashboard
        }
