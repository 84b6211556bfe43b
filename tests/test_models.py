import sys

import pytest

from sync.models import FIELDS, FieldValues

POSITIONS = {"timestamp": 0, "full_name": 1, "phone": 2}


def _row(*values: object) -> FieldValues:
    return FieldValues(POSITIONS, values)


def test_a_row_reads_as_the_dict_of_its_cells() -> None:
    row = _row("01/03/2021 08:00:00", "Nguyễn Văn An", None)
    as_dict = {"timestamp": "01/03/2021 08:00:00", "full_name": "Nguyễn Văn An", "phone": None}
    assert row == as_dict and as_dict == row
    assert dict(row) == as_dict
    assert list(row) == list(as_dict)
    assert list(row.items()) == list(as_dict.items())
    assert list(row.values()) == list(as_dict.values())
    assert len(row) == 3
    assert repr(row) == repr(as_dict)


def test_a_field_the_source_lacks_reads_as_missing() -> None:
    row = _row("t", "n", "p")
    assert row.get("email") is None
    assert row.get("email", "") == ""
    assert "email" not in row and "phone" in row
    with pytest.raises(KeyError):
        row["email"]


def test_a_row_of_every_question_takes_under_half_the_memory_of_a_dict() -> None:
    positions = {name: place for place, name in enumerate(FIELDS)}
    values = tuple(f"cell {place}" for place in range(len(FIELDS)))
    row = FieldValues(positions, values)
    assert sys.getsizeof(row) + sys.getsizeof(values) < sys.getsizeof(dict(row)) / 2


@pytest.mark.parametrize("shared", [True, False])
def test_columns_of_rows_with_and_without_a_shared_table(shared: bool) -> None:
    rows: list = [_row("t1", "n1", None), _row("t2", "n2", "p2")]
    if not shared:
        rows.append({"timestamp": "t3", "phone": "p3"})
    columns = FieldValues.columns(rows, ("phone", "timestamp", "email"))
    expected = {"phone": [None, "p2"], "timestamp": ["t1", "t2"], "email": [None, None]}
    if not shared:
        expected = {key: [*values, {"phone": "p3", "timestamp": "t3"}.get(key)]
                    for key, values in expected.items()}  # fmt: skip
    assert {key: list(values) for key, values in columns.items()} == expected
