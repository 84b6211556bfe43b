"""Legacy-encoded answers resolve to the right union and meet their Unicode twins in the
duplicate check; control characters never reach a Response."""

from pathlib import Path

import pytest

from sync.config import read_settings
from sync.pipeline import run_sync
from sync.text import to_tcvn3, to_vni

from .conftest import VALID_ROW


def misdecoded(text: str) -> str:
    """UTF-8 shown through Windows-1252, undefined bytes as their C1 controls."""
    return "".join(
        chr(b) if b < 0x80 else bytes([b]).decode("cp1252", errors="ignore") or chr(b)
        for b in text.encode()
    )


def legacy_row(encode) -> dict:
    keys = ("full_name", "superior_unit", "grassroots_unit", "title", "description")
    return {key: encode(VALID_ROW[key]) for key in keys} | {"timestamp": "16/03/2021 08:30:00"}


def sync(config: Path):
    return run_sync(read_settings(config), write=False).report


@pytest.mark.parametrize("encode", [to_tcvn3, to_vni, misdecoded])
def test_legacy_row_resolves_and_duplicates_its_unicode_twin(small_campaign, encode) -> None:
    row = legacy_row(encode)
    assert row["grassroots_unit"] != VALID_ROW["grassroots_unit"]
    alone = sync(small_campaign([row])).responses[0]
    assert alone.unit_id == "P.TG.THPT"
    assert alone.full_name == VALID_ROW["full_name"]
    assert {v.code for v in alone.violations} == {"LEGACY_ENCODING"}
    assert {v.field for v in alone.violations} == set(row) - {"timestamp"}
    unicode_row, legacy = sync(small_campaign([{}, row])).responses
    assert str(unicode_row.status) == "duplicate" and unicode_row.duplicate_of == legacy.id


def test_control_characters_are_removed(small_campaign) -> None:
    row = {"title": "Sổ tay\x1b[0m điện tử\x07", "description": "Dòng 1\nDòng\x00 2"}
    response = sync(small_campaign([row])).responses[0]
    assert (response.title, response.description) == ("Sổ tay[0m điện tử", "Dòng 1\nDòng 2")
    assert not response.violations
