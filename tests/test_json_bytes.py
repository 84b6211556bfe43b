"""The sync's JSON documents as bytes: what orjson encodes, and what it refuses, read back."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest

from sync.json_bytes import from_json_bytes, json_bytes


class _Status(StrEnum):
    VALID = "valid"


# A score an officer typed as 1e25, read back from the sheet as a whole number.
TYPO = int(1e25)


@pytest.mark.parametrize(
    "value",
    [
        {"title": "Sáng kiến «thứ hai»\nhai dòng", "score": 9.5, "nominated": True, "x": None},
        {"review": {"U1": {"review.score": TYPO, "review.appraisal": "Đạt"}}},
        [TYPO, -TYPO, 2**64, 2**63 - 1, "đồng"],
        {_Status.VALID: _Status.VALID},
    ],
)
def test_every_value_reads_back_as_the_standard_decoder_reads_it(value) -> None:
    encoded = json_bytes(value)
    assert json.loads(encoded) == json.loads(json.dumps(value, ensure_ascii=False))
    assert from_json_bytes(encoded) == json.loads(encoded)


@pytest.mark.parametrize("number", [1, TYPO])
def test_vietnamese_is_written_as_itself_not_escaped(number: int) -> None:
    assert "Sáng kiến đạt".encode() in json_bytes({"title": "Sáng kiến đạt", "n": number})


def test_a_not_a_number_written_by_the_standard_encoder_reads_back() -> None:
    """json writes NaN, which orjson will not read: the state of an earlier version, or a
    piece that also held a large whole number, still loads."""
    read = from_json_bytes(json.dumps({"score": float("nan"), "big": TYPO}).encode())
    assert read["score"] != read["score"] and read["big"] == TYPO


def test_damaged_bytes_are_refused_as_a_value_error() -> None:
    with pytest.raises(ValueError):
        from_json_bytes(b'{"units": {')
