"""On Google the sync edits only the tabs and columns it owns: an officer's own tab, own column
to the right of a sync tab and notes survive syncs; a renamed review header keeps its values."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from gspread.utils import rowcol_to_a1

from emulator.transport import emulator_client
from sync.templates import load_templates
from sync.writers import books, records
from tests.officer import INITIATIVES
from tests.test_google import ACCOUNT
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


FULL_LIST, LOOKUP_TAB = "Toàn bộ sáng kiến", "Tra cứu kết quả"


def write_the_previous_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the sync write as the version before the lean full list did: every sync-owned
    column of the review list in the full list, and the public lookup as a province tab."""

    def wide_full_list(self: records.Renderer, unit_id: str) -> records.Sheet:
        base = self.layouts["initiatives"]
        columns = tuple(c for c in base.columns if not c.review and c.tiers is None
                        and c.key not in ("outcome", "proposed_at"))  # fmt: skip
        layout = replace(base, name=FULL_LIST, columns=columns)
        listed = self._under(unit_id)
        rows = [[self.initiative_values.of(r.id)[c.key] for c in columns] for r in listed]
        return records.Sheet(layout, rows)

    lean_book = books.unit_book

    def with_lookup_tab(renderer: records.Renderer, unit: Any) -> books.UnitBook:
        book = lean_book(renderer, unit)
        if unit.tier != "province":
            return book
        return replace(book, sheets=(*book.sheets, renderer.lookup()))

    monkeypatch.setattr(records.Renderer, "all_initiatives", wide_full_list)
    monkeypatch.setattr(books, "unit_book", with_lookup_tab)


def add_column_right_of(officer: Officer, title: str) -> dict[str, str]:
    values = officer.values(title)
    sheet_id, _, columns = officer._grid(title)
    officer._send({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": 1}})
    cells = [[OWN_COLUMN]] + [[f"riêng {row[0]}"] for row in values[1:]]
    a1 = f"{quoted(title)}!{rowcol_to_a1(1, columns + 1)}"
    officer.emu.set_values(officer.key, a1, cells, input_option="USER_ENTERED")
    return {row[0]: f"riêng {row[0]}" for row in values[1:]}


def synced_in_the_previous_layout(
    campaign: Campaign,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Officer:
    """A sync as the previous version wrote, then the province's spreadsheet in the hands of its
    editor (the spreadsheet the campaign was given) for the officer's additions."""
    write_the_previous_layout(monkeypatch)
    sync_at(campaign)
    province = Officer(campaign.emu, campaign.dashboard)
    province.http = emulator_client(campaign.emu, account=ACCOUNT).http_client
    return province


def test_the_previous_wide_full_list_and_lookup_tab_are_upgraded_on_google(
    campaign: Campaign,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    province = synced_in_the_previous_layout(campaign, monkeypatch)
    assert province.tab(LOOKUP_TAB) is not None
    assert "Số điện thoại" in province.values(FULL_LIST)[0]
    expected = add_column_right_of(province, FULL_LIST)
    monkeypatch.undo()
    sync_at(campaign)
    header = province.values(FULL_LIST)[0]
    lean = [c.header for c in load_templates().sheets["all_initiatives"].columns]
    assert header == [*lean, OWN_COLUMN]  # the stale wide columns gone, the officer's closed up
    rows = province.rows(FULL_LIST)
    assert {i: r[OWN_COLUMN] for i, r in rows.items()} == expected
    assert all(r["Họ và tên"] for r in rows.values())  # each row's own values
    assert province.tab(LOOKUP_TAB) is None  # written once, in its own spreadsheet
    lookup = Officer(campaign.emu, campaign.unit_files()["tra-cuu-ket-qua"])
    assert len(lookup.values(LOOKUP_TAB)) == 1 + len(rows)
    sync_at(campaign)  # and stays so
    assert province.values(FULL_LIST)[0] == [*lean, OWN_COLUMN]


def test_an_old_lookup_tab_an_officer_added_a_column_to_is_left_to_them(
    campaign: Campaign,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    province = synced_in_the_previous_layout(campaign, monkeypatch)
    expected = add_column_right_of(province, LOOKUP_TAB)
    monkeypatch.undo()
    sync_at(campaign)
    assert {i: r[OWN_COLUMN] for i, r in province.rows(LOOKUP_TAB).items()} == expected


def notes_in(officer: Officer, title: str) -> list[str]:
    data = officer.emu.spreadsheet_json(officer.key, include_grid=True)
    [tab] = [s for s in data["sheets"] if s["properties"]["title"] == title]
    rows = tab["data"][0].get("rowData", [])
    return [v["note"] for row in rows for v in row.get("values", []) if v.get("note")]


def test_a_note_on_a_stale_wide_column_is_not_deleted_with_it(
    campaign: Campaign,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The upgrade deletes the columns the lean full list dropped, unless an officer put a note
    on one of their cells: then they stay, emptied of the sync's values, with the note."""
    province = synced_in_the_previous_layout(campaign, monkeypatch)
    header = province.values(FULL_LIST)[0]
    sheet_id, _, _ = province._grid(FULL_LIST)
    start = {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": header.index("Mô tả sáng kiến")}
    province._send({"updateCells": {"rows": [{"values": [{"note": "Gọi lại tuần sau"}]}],
                                    "fields": "note", "start": start}})  # fmt: skip
    monkeypatch.undo()
    sync_at(campaign)
    lean = [c.header for c in load_templates().sheets["all_initiatives"].columns]
    values = province.values(FULL_LIST)
    assert values[0][: len(lean)] == lean
    assert all(cell == "" for row in values for cell in row[len(lean) :])  # no stale copies
    assert notes_in(province, FULL_LIST) == ["Gọi lại tuần sau"]
    sync_at(campaign)
    assert notes_in(province, FULL_LIST) == ["Gọi lại tuần sau"]
