"""Legacy-encoded answers resolve to the right union and meet their Unicode twins in the
duplicate check; control characters never reach a Response."""

import base64
import hashlib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sync import responses as normalise_stage
from sync.config import read_settings
from sync.models import NO_EXTRA, RawRow
from sync.pipeline import run_sync
from sync.responses import Choices, build_responses, cell_text, response_id
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


VN = ZoneInfo("Asia/Ho_Chi_Minh")
CHOICES = Choices.from_lists([VALID_ROW["field"]], [VALID_ROW["sector"]])


def test_every_cell_lands_on_its_field() -> None:
    raw = RawRow(source="form", row=7, cells={**VALID_ROW, "coauthors": "Lò Thị Mai"},
                 extra={"Ghi chú": " đã gọi "})  # fmt: skip
    [response] = build_responses([raw], "vi", VN, CHOICES)
    assert (response.source, response.row, response.raw) == ("form", 7, raw.cells)
    assert response.id.startswith("SK-")
    assert response.submitted_at == datetime(2021, 3, 15, 8, 30, tzinfo=VN)
    assert (response.full_name, response.birth_year, response.gender) == (
        "Lò Văn Thắng",
        1985,
        "Nam",
    )
    assert (response.phone, response.email) == ("0912820510", "thang@example.vn")
    assert response.position == "Giáo viên"
    assert response.superior_unit == "LĐLĐ huyện Tuần Giáo"
    assert response.grassroots_unit == "CĐCS Trường THPT Tuần Giáo"
    assert (response.sector, response.field) == (VALID_ROW["sector"], VALID_ROW["field"])
    assert (response.title, response.description) == (VALID_ROW["title"], VALID_ROW["description"])
    assert (response.start_date, response.benefit_vnd) == (date(2021, 3, 1), 2_000_000)
    assert (response.coauthors, response.extra) == ("Lò Thị Mai", {"Ghi chú": "đã gọi"})


def test_cells_equal_as_numbers_are_cleaned_each_as_its_own_kind() -> None:
    """1, 1.0 and True are equal in Python, but not as cells: each is read as what it is, in a
    column of mixed kinds as in one of texts alone."""
    kinds = [1, True, 1.0, "1", 912820510, 912820510.0, True]
    rows = [
        RawRow("form", 2 + i, {**VALID_ROW, "position": kind, "phone": kind, "gender": "Nam"})
        for i, kind in enumerate(kinds)
    ]
    cleaned = build_responses(rows, "vi", VN, CHOICES)
    assert [r.position for r in cleaned] == [
        "1",
        "True",
        "1",
        "1",
        "912820510",
        "912820510",
        "True",
    ]
    assert [r.phone for r in cleaned][-3:] == ["0912820510", "0912820510", None]
    assert [r.gender for r in cleaned] == ["Nam"] * len(kinds)


def test_each_row_keeps_its_given_id_and_the_others_get_their_own() -> None:
    """Ids are spelt for many rows at once: each lands on its own row, around rows that came
    with an id of their own."""
    stamps = ["15/03/2021 08:30:00", "16/03/2021 09:00:00", "bad stamp", "17/03/2021 10:15:00"]
    given = [None, "SK-GIVEN", None, None]
    rows = [
        RawRow("form", 2 + i, {**VALID_ROW, "timestamp": stamp}, given_id=mine)
        for i, (stamp, mine) in enumerate(zip(stamps, given, strict=True))
    ]
    cleaned = build_responses(rows, "vi", VN, CHOICES)
    alone = [build_responses([row], "vi", VN, CHOICES)[0].id for row in rows]
    assert [r.id for r in cleaned] == alone
    assert alone[1] == "SK-GIVEN" and len(set(alone)) == len(alone)
    name = "lo van thang"  # VALID_ROW's author, folded
    assert alone[2] == response_id("form", None, "bad stamp", name)
    assert alone[3] == response_id("form", cleaned[3].submitted_at, stamps[3], name)


def test_clean_cells_are_kept_as_the_very_objects_read() -> None:
    """A cell that needs no cleaning is held once: the Response's field is the raw cell."""
    cells = {**VALID_ROW, "full_name": "Lò  Văn Thắng "}
    first, second = build_responses(
        [RawRow("form", 2, cells), RawRow("form", 3, dict(cells))], "vi", VN, CHOICES
    )
    for key in ("gender", "email", "position", "superior_unit", "title", "description"):
        assert getattr(first, key) is cells[key] and getattr(second, key) is cells[key]
    assert (first.sector, first.field) == (cells["sector"], cells["field"])
    assert first.full_name == "Lò Văn Thắng" and first.full_name is second.full_name


def test_rows_cleaned_a_share_at_a_time_are_those_cleaned_at_once(workers_take_the_tasks) -> None:
    """In a forked worker, a few rows a share: the same Responses, and what needed no cleaning
    is still the very cell read, not a copy sent back from another process."""
    edits = [
        {},
        {"full_name": " Lò  Văn Thắng", "timestamp": 44270.5, "benefit": None},
        {"description": "Dòng 1\r\nDòng\x00 2", "gender": "Nữ", "phone": "84912820510"},
        {"title": "C«ng nh©n", "coauthors": "Lò Thị Mai", "email": "SAI@"},
        {"grassroots_unit": 12, "start_date": "2021-13-01", "birth_year": 1985.0},
    ]
    rows = [
        RawRow("form", 2 + n, {**VALID_ROW, **edit}, extra={"Ghi chú": f"{n} "} if n % 2 else {})
        for n, edit in enumerate(edits * 3)
    ]
    at_once = build_responses(rows, "vi", VN, CHOICES)
    workers_take_the_tasks(normalise_stage)
    shared = build_responses(rows, "vi", VN, CHOICES, rows_per_share=2)
    assert shared == at_once
    for raw, response in zip(rows, shared, strict=True):
        assert response.raw is raw.cells
        assert response.gender is raw.cells["gender"]
        for key in ("full_name", "title", "description"):
            as_read = raw.cells[key] == VALID_ROW[key]
            assert (getattr(response, key) is raw.cells[key]) == as_read
        assert (response.extra is NO_EXTRA) == (not raw.extra)


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [("Dòng 1 \nDòng 2  ", "Dòng 1\nDòng 2"), ("Dòng 1\n\n\n\nDòng 2\n  ", "Dòng 1\n\nDòng 2")],
)
def test_cell_text_gives_clean_text_back_itself(typed: str, cleaned: str) -> None:
    clean = "".join(["Sổ tay\n", "điện tử"])
    assert cell_text(clean) is clean
    assert cell_text(typed) == cleaned


@pytest.mark.parametrize("name", ["lo van thang", "", "nguyen thi ha " * 20])
@pytest.mark.parametrize("submitted", [datetime(2021, 3, 15, 8, 30, tzinfo=VN), None])
def test_response_id_is_the_base32_of_its_digest(name: str, submitted: datetime | None) -> None:
    """Ids written into officers' sheets never change: "SK-" and the 48-bit digest of source,
    time and author in RFC 4648 base 32."""
    stamp = submitted.isoformat() if submitted else "15/03/2021 8:30"
    digest = hashlib.blake2b(f"form\x1f{stamp}\x1f{name}".encode(), digest_size=6).digest()
    expected = "SK-" + base64.b32encode(digest).decode().rstrip("=")
    assert response_id("form", submitted, "15/03/2021 8:30", name) == expected
