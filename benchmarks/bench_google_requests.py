"""API requests per sync on Google: `sangkien sync`, in each of the three ways a federation owns
its spreadsheets, against the common gspread way.

    python benchmarks/bench_google_requests.py [--units 100] [--rows 5000] [--json]

Everything runs on the local Sheets/Drive API server (emulator/) in its strict mode, which
counts requests and enforces Google's rules. Two scenarios: the bundled example (its tree and
its own 3,000 responses, the files config.yaml names) and a province of N units with M generated
responses. `sangkien sync` runs each way as tests/federation.py sets it up: `user` (a person
signed in, who owns what the sync creates), `shared_drive` (a service account, member of a
shared drive holding the campaign folder) and `apps_script` (the officer's script made the
spreadsheets and shared them with the service account). The common way is what the gspread
ecosystem documents: gspread-dataframe's `set_with_dataframe` per tab and gspread-formatting for
the header, frozen row, widths and highlights, for the same records rendered from
sheets_templates/. Each is measured on a first sync and a second sync with nothing changed:
requests, writes, Drive calls, the largest request body as sent, and the minutes the requests
take at the client's default limits (60 Sheets reads and 60 Sheets writes a minute, Drive calls
on Drive's own quota of 600 a minute; the client waits rather than exceed any, so the slowest
binds).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from emulator import SheetsEmulator  # noqa: E402
from emulator.transport import emulator_client  # noqa: E402
from sync.pipeline import run_sync  # noqa: E402
from sync.templates import load_templates  # noqa: E402
from sync.writers.records import Renderer  # noqa: E402
from tests.federation import (  # noqa: E402
    EXAMPLE_UNITS,
    OFFICER,
    PERSON,
    WAYS,
    Federation,
    Largest,
    example_sources,
    generated_sources,
    minutes_at_quotas,
    province_of,
)

# The sync, the server that counted it, the largest body sent, the requests Google refused.
Phase = tuple[str, SheetsEmulator, int, int]


def ours(federation: Federation) -> Iterator[Phase]:
    for label in ("first sync", "unchanged sync"):
        federation.emu.reset_counters()
        federation.largest.bytes = 0
        federation.sync()  # reads the review back, settles, writes
        yield label, federation.emu, federation.largest.bytes, 0  # a refusal stops the sync


def common_way(emu: SheetsEmulator, settings, report) -> Iterator[Phase]:
    """Per unit: one spreadsheet; per tab: set_with_dataframe, then gspread-formatting calls."""
    import gspread_formatting as fmt
    import pandas as pd
    from gspread.exceptions import APIError
    from gspread_dataframe import set_with_dataframe

    client = emulator_client(emu, account=PERSON)
    largest = Largest()
    largest.watch(client.http_client.session)
    renderer = Renderer(report, settings, load_templates())
    keys: dict[str, str] = {}
    for label in ("first sync", "unchanged sync"):
        emu.reset_counters()
        largest.bytes = refused = 0
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
                try:
                    set_with_dataframe(worksheet, frame.astype(str), resize=len(frame) > 0)
                except APIError as exc:  # a body over 10 MiB: Google refuses it, the tab stays
                    if exc.response.status_code != 400:  # empty; go on to count the rest
                        raise
                    refused += 1
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
        yield label, emu, largest.bytes, refused


def figures(scenario: str, report, way: str, phases: Iterator[Phase], google) -> list[dict]:
    results = []
    for label, emu, largest, refused in phases:
        counts = emu.counts
        results.append({
            "scenario": scenario, "units": len(report.tree.units),
            "responses": len(report.responses), "way": way, "sync": label,
            "requests": counts.total(), "writes": counts.writes(),
            "drive_requests": sum(n for m, n in counts.items() if m.startswith("drive.")),
            "largest_request_bytes": largest, "refused_requests": refused,
            "minutes_at_default_quotas": minutes_at_quotas(counts, google),
        })  # fmt: skip
    return results


def scenario(name: str, units: Path, folder: Path, sources: list[dict]) -> list[dict]:
    """The scenario in each way of `sangkien sync`, then in the common way."""
    results: list[dict] = []
    for way in (*WAYS, "common"):
        with SheetsEmulator(account=OFFICER) as emu:
            place = folder / way
            place.mkdir()
            federation = Federation(emu, place, "user" if way == "common" else way, units, sources)
            settings = federation.settings
            report = run_sync(settings, write=False).report
            if way == "common":
                label, phases = "gspread-dataframe + formatting", common_way(emu, settings, report)
            else:
                label, phases = f"sangkien sync, {way}", ours(federation)
            results += figures(name, report, label, phases, settings.google)
    return results


def print_table(results: list[dict]) -> None:
    scenario = None
    for row in results:
        if row["scenario"] != scenario:
            scenario = row["scenario"]
            print(f"\n{scenario}: {row['units']} units, {row['responses']:,} responses")
            print(f"{'':50}{'requests':>10}{'writes':>8}{'Drive':>7}{'largest body':>14}"
                  f"{'minutes':>9}{'refused':>9}")  # fmt: skip
        label = f"{row['way']}, {row['sync']}"
        largest, minutes = row["largest_request_bytes"], row["minutes_at_default_quotas"]
        print(f"{label:50}{row['requests']:>10}{row['writes']:>8}{row['drive_requests']:>7}"
              f"{largest:>14,}{minutes:>9}{row['refused_requests']:>9}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for place in ("example", "province"):
            (folder / place).mkdir()
        results = scenario("bundled example", EXAMPLE_UNITS, folder / "example", example_sources())
        units = province_of(args.units, folder / "province")
        sources = generated_sources(units, args.rows, folder / "province", seed=11)
        results += scenario(f"province of {args.units} units", units, folder / "province",
                            sources)  # fmt: skip
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
