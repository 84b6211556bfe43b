"""On Google the sync edits only the tabs and columns it owns: an officer's own tab, own column
to the right of a sync tab and notes survive syncs; a renamed review header keeps its values."""

from __future__ import annotations

from typing import Any

from gspread.utils import rowcol_to_a1

from tests.officer import INITIATIVES
from tests.test_review_google import (
    NOTES,
    SCORE,
    Campaign,
    Officer,
    campaign,  # noqa: F401  (the fixture)
    quoted,
    school,
    sync_at,
)

OWN_TAB, OWN_COLUMN = "Ghi chú riêng", "Cột riêng của cán bộ"


def add_own_tab(officer: Officer) -> None:
    officer._send({"addSheet": {"properties": {"title": OWN_TAB}}})
    officer.emu.set_values(officer.key, f"{quoted(OWN_TAB)}!A1", [["Việc cần làm", "=1+1"]],
                           input_option="USER_ENTERED")  # fmt: skip


def add_own_column(officer: Officer) -> dict[str, str]:
    """A header and a value per initiative in the first column right of the sync's columns."""
    values = officer.values()
    sheet_id, _, columns = officer._grid()
    officer._send({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": 1}})
    column = columns + 1
    cells = [[OWN_COLUMN]] + [[f"riêng {row[0]}"] for row in values[1:]]
    a1 = f"{quoted(INITIATIVES)}!{rowcol_to_a1(1, column)}"
    officer.emu.set_values(officer.key, a1, cells, input_option="USER_ENTERED")
    return {row[0]: f"riêng {row[0]}" for row in values[1:]}


def add_note(officer: Officer, initiative: str, header: str, note: str) -> None:
    sheet_id, _, _ = officer._grid()
    row = officer._row_of(initiative)
    column = officer.values()[0].index(header)
    start = {"sheetId": sheet_id, "rowIndex": row, "columnIndex": column}
    officer._send({"updateCells": {"rows": [{"values": [{"note": note}]}], "fields": "note",
                                   "start": start}})  # fmt: skip


def note_at(officer: Officer, initiative: str, header: str) -> Any:
    data = officer.emu.spreadsheet_json(officer.key, include_grid=True)
    [tab] = [s for s in data["sheets"] if s["properties"]["title"] == INITIATIVES]
    grid = tab["data"][0]["rowData"][officer._row_of(initiative)]["values"]
    return grid[officer.values()[0].index(header)].get("note")


def test_own_tab_column_and_notes_survive_syncs(campaign: Campaign) -> None:  # noqa: F811
    sync_at(campaign)
    officer = school(campaign)
    add_own_tab(officer)
    expected = add_own_column(officer)
    first = officer.ids()[0]
    add_note(officer, first, NOTES, "Cần xem lại")
    for _ in range(3):
        sync_at(campaign)
        own = officer.emu.get_values(officer.key, quoted(OWN_TAB), render="FORMULA")
        assert own == [["Việc cần làm", "=1+1"]]
        assert {i: r[OWN_COLUMN] for i, r in officer.rows().items()} == expected
        assert note_at(officer, first, NOTES) == "Cần xem lại"


def test_a_renamed_review_header_keeps_its_values_on_google(campaign: Campaign) -> None:  # noqa: F811
    sync_at(campaign)
    officer = school(campaign)
    first = officer.ids()[0]
    officer.type(first, {NOTES: "Ghi chú cũ", SCORE: 70})
    sync_at(campaign)
    header = officer.values()[0]
    for old, new in ((NOTES, "Ghi chú"), (SCORE, "Score")):
        a1 = f"{quoted(INITIATIVES)}!{rowcol_to_a1(1, header.index(old) + 1)}"
        officer.emu.set_values(officer.key, a1, [[new]], input_option="USER_ENTERED")
    officer.type(first, {"Ghi chú": "Ghi chú mới", "Score": 85})
    sync_at(campaign)
    row = officer.rows()[first]
    assert (row[NOTES], row[SCORE]) == ("Ghi chú mới", 85)
