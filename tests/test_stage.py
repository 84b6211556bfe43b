"""The review round's bookkeeping after writing: each initiative's value digests, taken once and
shared by its mark in the state and every sheet row that shows it."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from sync.models import Response
from sync.review.stage import ValueTable, initiative_marks, picker, value_digests, value_marks
from sync.review.values import fingerprint

VALUES: dict[str, dict[str, Any]] = {
    "SK-1": {"id": "SK-1", "title": "Máy bơm", "problems": "", "row": 2, "start": date(2021, 3, 1)},
    "SK-2": {"id": "SK-2", "title": "Sổ sách", "problems": "[E] lỗi", "row": 3, "start": None},
}


def test_picker_always_gives_a_tuple() -> None:
    row = ["a", "b", "c"]
    assert picker([])(row) == ()
    assert picker([1])(row) == ("b",)
    assert picker([2, 0])(row) == ("c", "a")
    assert picker(["title"])(VALUES["SK-1"]) == ("Máy bơm",)


def test_value_digests_are_each_values_fingerprint_in_key_order() -> None:
    digests = value_digests(ValueTable.from_items(VALUES.items()))
    assert digests.keys == ("id", "title", "problems", "row", "start")
    for initiative, values in VALUES.items():
        expected = tuple(fingerprint(values[key]) for key in digests.keys)
        assert digests.rows[initiative] == expected


@pytest.mark.parametrize(
    "column",
    [
        ["Đã thẩm định", "Chờ", "Đã thẩm định", "Chờ", "", " "],  # repeated texts: digested once
        [date(2021, 3, 1), None, date(2021, 3, 1), None],
        [1, 1.0, True, 1, 1.0, True],  # equal as dict keys, not as cells: never merged
        ["1", 1, "1", 1],
        ["SK-1", " ", "Máy bơm " * 9, "0912345678"],  # texts that seldom repeat: no cache
        ["SK-1", None, "SK-2"],
    ],
)
def test_repeated_values_digest_as_each_alone(column: list[Any]) -> None:
    table = ValueTable.from_items((f"SK-{n}", {"value": v}) for n, v in enumerate(column))
    assert [row for (row,) in value_digests(table).rows.values()] == list(map(fingerprint, column))


def test_a_value_table_refuses_initiatives_with_other_keys() -> None:
    odd = {**VALUES, "SK-3": {"id": "SK-3", "title": "Thiếu cột"}}
    with pytest.raises(ValueError, match="SK-3"):
        ValueTable.from_items(odd.items())
    assert value_digests(ValueTable.from_items([])).rows == {}


def test_a_table_made_a_column_at_a_time_is_the_one_made_a_row_at_a_time() -> None:
    initiatives = list(VALUES)
    keys = list(VALUES["SK-1"])
    columns = {key: [VALUES[i][key] for i in initiatives] for key in keys}
    assert ValueTable.from_columns(initiatives, columns) == ValueTable.from_items(VALUES.items())
    assert ValueTable.from_columns(initiatives, {}).rows == {"SK-1": (), "SK-2": ()}
    with pytest.raises(ValueError):
        ValueTable.from_columns(initiatives, {**columns, "title": ["Máy bơm"]})
    no_initiative = ValueTable.from_columns([], {key: [] for key in keys})
    assert value_digests(no_initiative).rows == {}


def test_a_table_of_no_initiative_still_gives_a_picker() -> None:
    """A campaign whose every response was deleted still renders its (empty) lists."""
    empty = ValueTable.from_items([])
    assert [empty.picker(["unit", "title"])(row) for row in empty.rows.values()] == []


def test_some_initiatives_values_digest_and_mark_as_among_them_all() -> None:
    """A writer digests only the initiatives its list shows: their digests and marks are those
    the whole table gives them (a column of a few rows is digested value by value, a column of
    many repeated values once per value)."""
    table = ValueTable.from_items(
        (f"SK-{n}", {"id": f"SK-{n}", "unit": f"Đơn vị {n % 3}", "row": n}) for n in range(40)
    )
    whole = value_digests(table)
    some = table.only(["SK-7", "SK-2", "SK-99"])  # one the table does not hold
    assert list(some.rows) == ["SK-7", "SK-2"]
    digests = value_digests(some)
    assert digests.rows == {i: whole.rows[i] for i in ("SK-7", "SK-2")}
    marks = value_marks(whole)
    assert value_marks(digests) == {i: marks[i] for i in ("SK-7", "SK-2")}
    assert value_digests(table.only([])).rows == {}


def test_a_value_table_gives_an_initiatives_values_by_key() -> None:
    table = ValueTable.from_items(VALUES.items())
    assert table.of("SK-2") == VALUES["SK-2"]
    assert table.picker(["row", "id"])(table.rows["SK-1"]) == (2, "SK-1")


def test_a_marks_digest_covers_every_value_but_the_problems() -> None:
    responses = [
        Response(source="form", row=values["row"], id=initiative, raw={})
        for initiative, values in VALUES.items()
    ]
    outcome: Any = SimpleNamespace(flow=SimpleNamespace(tier_reached=dict.fromkeys(VALUES, "x")))
    digests = value_marks(value_digests(ValueTable.from_items(VALUES.items())))
    marks = initiative_marks(outcome, responses, digests)
    for initiative, values in VALUES.items():
        kept = [fingerprint(values[k]) for k in sorted(values) if k != "problems"]
        assert marks[initiative].digest == fingerprint("\x1f".join(kept))
        assert marks[initiative].tier == "x"
    with_problem = {**VALUES, "SK-1": {**VALUES["SK-1"], "problems": "[E] mới"}}
    again = value_marks(value_digests(ValueTable.from_items(with_problem.items())))
    assert again["SK-1"] == marks["SK-1"].digest
