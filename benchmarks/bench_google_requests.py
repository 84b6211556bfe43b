"""API requests per sync on Google: `sangkien sync` against the common gspread way.

    python benchmarks/bench_google_requests.py [--units 100] [--rows 5000] [--json]

Both write the same sheets (the records rendered from sheets_templates/) for the same units into
the local Sheets API server, which counts the requests. The common way is what the gspread
ecosystem documents: gspread-dataframe's `set_with_dataframe` per tab and gspread-formatting for
the header, frozen row, widths and highlights. Each is measured on a first sync (spreadsheets
created) and a second sync with nothing changed: requests, writes, the largest request body as
sent, and the minutes the requests take at Google's default quotas (60 reads and 60 writes a
minute; the client waits rather than exceed them, so the larger of the two counts sets the
pace). Two scenarios: the bundled example's tree, and a province of N reviewing units.
`--sign-in` names the way the sync signs in and owns its spreadsheets. The server is strict, as
Google is: a service account may create files only inside a shared drive, so both ways run as a
person's account (`user`), which owns what it creates. A service account in a shared drive is
not measured yet: the sync's Drive calls do not send `supportsAllDrives`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from functools import partial
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from emulator import SheetsEmulator  # noqa: E402
from emulator.transport import authorized_session, emulator_client  # noqa: E402
from sync.config import read_settings  # noqa: E402
from sync.google.client import Policy, RateLimiter, connect  # noqa: E402
from sync.orgtree import UNITS_HEADER  # noqa: E402
from sync.pipeline import run_sync  # noqa: E402
from sync.templates import load_templates  # noqa: E402
from sync.writers.records import Renderer  # noqa: E402

ACCOUNT = "sangkien.bench@gmail.com"  # a person's account: not ending in .gserviceaccount.com
DEFAULT_QUOTA_PER_MINUTE = 60  # Google's default, for reads and for writes alike
SIGN_IN_WAYS = ("user",)  # each way connects in `ours`


class Largest:
    """The largest request body a session sent, as its bytes went out."""

    def __init__(self, session) -> None:
        self.bytes = 0
        session.hooks["response"].append(self.measure)

    def measure(self, response, *args, **kwargs) -> None:
        self.bytes = max(self.bytes, len(response.request.body or b""))


def province_of(units: int, folder: Path) -> Path:
    """The bundled tree cut to `units` reviewing units: the province, every superior, and as
    many grassroots unions as fill the count."""
    with (REPO / "examples/dien-bien-2021/units.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    upper = [r for r in rows if r["kind"] != "grassroots" or r["parent_id"] == ""]
    grassroots = [r for r in rows if r["kind"] == "grassroots"]
    kept = upper + grassroots[: max(0, units - len(upper))]
    path = folder / "units.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, UNITS_HEADER)
        writer.writeheader()
        writer.writerows(kept)
    return path


def settings_for(folder: Path, units_csv: Path, rows: int):
    from examplegen import generate_responses, write_responses_xlsx

    source = folder / "responses.xlsx"
    write_responses_xlsx(generate_responses(units_csv, rows, seed=11).rows, source)
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    config["units"] = str(units_csv)
    config["sources"] = [{"name": "bench", "kind": "xlsx", "path": str(source)}]
    config["output"] = {"kind": "google_sheets", "dir": str(folder / "out")}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return read_settings(path)


def ours(emu: SheetsEmulator, settings, report, sign_in: str):
    dashboard = emu.create_spreadsheet("Tỉnh", sheets=["Trang tính1"])
    folder = emu.create_folder("Sáng kiến")
    google_settings = settings.google.model_copy(
        update={"dashboard_spreadsheet": dashboard, "drive_folder": folder}
    )
    settings = settings.model_copy(update={"google": google_settings})
    # Counting requests, not time: no client-side waiting (the rate limiter has its own tests).
    policy = Policy(RateLimiter(10**9), RateLimiter(10**9), max_retries=6, timeout=120)
    if sign_in != "user":
        raise SystemExit(f"--sign-in {sign_in}: not measured yet")
    credentials = emu.credentials(ACCOUNT)
    session = authorized_session(emu, credentials)
    largest = Largest(session)
    google = connect(settings.google, credentials=credentials, session=session, policy=policy,
                     account=ACCOUNT)  # fmt: skip
    for label in ("first sync", "unchanged sync"):
        emu.reset_counters()
        largest.bytes = 0
        run_sync(settings, google=google)  # reads the review back, settles, writes
        yield label, emu.counts.total(), emu.counts.writes(), largest.bytes


def common_way(emu: SheetsEmulator, settings, report):
    """Per unit: one spreadsheet; per tab: set_with_dataframe, then gspread-formatting calls."""
    import gspread_formatting as fmt
    import pandas as pd
    from gspread_dataframe import set_with_dataframe

    client = emulator_client(emu, account=ACCOUNT)
    largest = Largest(client.http_client.session)
    renderer = Renderer(report, settings, load_templates())
    keys: dict[str, str] = {}
    for label in ("first sync", "unchanged sync"):
        emu.reset_counters()
        largest.bytes = 0
        for unit in report.tree:
            sheets = [renderer.initiatives(unit.id), renderer.problems(unit.id),
                      renderer.tallies(unit.id)]  # fmt: skip
            if unit.id not in keys:
                spreadsheet = client.create(f"{unit.id} {unit.name}")
                for email in unit.officer_emails:
                    spreadsheet.share(email, perm_type="user", role="writer", notify=False)
                keys[unit.id] = spreadsheet.id
            spreadsheet = client.open_by_key(keys[unit.id])
            existing = {w.title: w for w in spreadsheet.worksheets()}
            for data in sheets:
                layout = data.layout
                title = layout.name
                worksheet = existing.get(title) or spreadsheet.add_worksheet(
                    title, rows=len(data.rows) + 2, cols=len(layout.columns)
                )
                frame = pd.DataFrame(data.rows, columns=[c.header for c in layout.columns])
                worksheet.clear()
                set_with_dataframe(worksheet, frame.astype(str), resize=len(frame) > 0)
                bold = fmt.CellFormat(textFormat=fmt.TextFormat(bold=True))
                fmt.format_cell_range(worksheet, "1:1", bold)
                fmt.set_frozen(worksheet, rows=1)
                fmt.set_column_widths(
                    worksheet,
                    [(chr(65 + i) if i < 26 else "A" + chr(65 + i - 26), int(c.width * 7))
                     for i, c in enumerate(layout.columns)],
                )  # fmt: skip
                rules = fmt.get_conditional_format_rules(worksheet)
                rules.clear()
                for rule in layout.highlights:
                    rules.append(fmt.ConditionalFormatRule(
                        ranges=[fmt.GridRange.from_a1_range("A2:B", worksheet)],
                        booleanRule=fmt.BooleanRule(
                            condition=fmt.BooleanCondition("TEXT_EQ", [rule.equals]),
                            format=fmt.CellFormat(backgroundColor=fmt.Color(0.97, 0.84, 0.85)),
                        ),
                    ))  # fmt: skip
                rules.save()
        yield label, emu.counts.total(), emu.counts.writes(), largest.bytes


def minutes(requests: int, writes: int) -> float:
    return round(max(requests - writes, writes) / DEFAULT_QUOTA_PER_MINUTE, 1)


def scenario(name: str, units_csv: Path, rows: int, folder: Path, sign_in: str) -> list[dict]:
    settings = settings_for(folder, units_csv, rows)
    report = run_sync(settings, write=False).report
    ways = (("sangkien sync", partial(ours, sign_in=sign_in)),
            ("gspread-dataframe + formatting", common_way))  # fmt: skip
    results = []
    for way, method in ways:
        with SheetsEmulator(account=ACCOUNT) as emu:
            for phase, total, writes, largest in method(emu, settings, report):
                results.append({
                    "scenario": name, "units": len(report.tree.units), "responses": rows,
                    "way": way, "sign_in": sign_in if way == "sangkien sync" else None,
                    "sync": phase, "requests": total, "writes": writes,
                    "largest_request_bytes": largest,
                    "minutes_at_default_quotas": minutes(total, writes),
                })  # fmt: skip
    return results


def print_table(results: list[dict]) -> None:
    scenario = None
    for row in results:
        if row["scenario"] != scenario:
            scenario = row["scenario"]
            print(f"\n{scenario}: {row['units']} units, {row['responses']:,} responses")
            print(f"{'':46}{'requests':>10}{'writes':>8}{'largest body':>14}{'minutes':>9}")
        label = f"{row['way']}, {row['sync']}"
        largest, minutes = row["largest_request_bytes"], row["minutes_at_default_quotas"]
        print(f"{label:46}{row['requests']:>10}{row['writes']:>8}{largest:>14,}{minutes:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--sign-in", choices=SIGN_IN_WAYS, default=SIGN_IN_WAYS[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "example").mkdir()
        (folder / "province").mkdir()
        example_units = REPO / "examples/dien-bien-2021/units.csv"
        results = scenario("bundled example", example_units, 3000, folder / "example",
                           args.sign_in)  # fmt: skip
        results += scenario(f"province of {args.units} units",
                            province_of(args.units, folder / "province"), args.rows,
                            folder / "province", args.sign_in)  # fmt: skip
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
