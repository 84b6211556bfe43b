"""The bundled Điện Biên example and the sample-response generator behind it."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import openpyxl
import phonenumbers
import pytest
from rapidfuzz import fuzz

from examplegen.generator import (
    CODES,
    SHEET_NAME,
    GeneratedSet,
    generate_responses,
    write_example,
    write_responses_csv,
    write_responses_xlsx,
)
from sync.config import read_settings
from sync.templates import load_templates
from sync.text import strip_diacritics

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "dien-bien-2021"
UNITS = EXAMPLE / "units.csv"
CONFIG = REPO / "config.yaml"
KINDS = {"province", "district", "sector", "civil_service", "grassroots"}
HEADER = ["id", "parent_id", "kind", "name", "aliases", "members", "officer_emails", "quota"]


@pytest.fixture(scope="module")
def settings():
    return read_settings(CONFIG)


@pytest.fixture(scope="module")
def example(settings) -> GeneratedSet:
    """The set the bundled files are made of."""
    return generate_responses(settings.units, 3000, 2021, "vi", settings=settings)


def units() -> list[dict[str, str]]:
    with UNITS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def key(text: str) -> str:
    return " ".join(strip_diacritics(text).lower().split())


@pytest.fixture(scope="module")
def vi_headers() -> dict[str, str]:
    return {q.key: q.vi for q in load_templates().form.questions}


# --- the organisation tree -----------------------------------------------------------------------


def test_units_csv_is_a_well_formed_tree():
    with UNITS.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == HEADER
    rows = units()
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z0-9.\-]+", i) for i in ids)
    assert {r["kind"] for r in rows} <= KINDS
    provinces = [r for r in rows if r["kind"] == "province"]
    assert len(provinces) == 1 and provinces[0]["id"] == "DB" and provinces[0]["parent_id"] == ""
    assert provinces[0]["quota"] == "4"  # D11
    assert all(r["parent_id"] in ids for r in rows if r["kind"] != "province")
    by_id = {r["id"]: r for r in rows}
    for row in rows:
        if row["kind"] in {"district", "sector", "civil_service"}:
            assert by_id[row["parent_id"]]["kind"] == "province"
        if row["kind"] == "grassroots":
            assert by_id[row["parent_id"]]["kind"] != "grassroots"


def test_units_csv_has_the_real_superiors_and_enough_grassroots():
    rows = units()
    districts = {r["name"] for r in rows if r["kind"] == "district"}
    assert len(districts) == 10
    for place in ("thành phố Điện Biên Phủ", "thị xã Mường Lay", "huyện Tuần Giáo", "huyện Nậm Pồ"):
        assert f"Liên đoàn Lao động {place}" in districts
    assert sum(r["kind"] == "sector" for r in rows) == 5
    assert [r["name"] for r in rows if r["kind"] == "civil_service"] == [
        "Công đoàn Viên chức tỉnh Điện Biên"
    ]
    children = Counter(r["parent_id"] for r in rows if r["kind"] == "grassroots")
    assert 150 <= sum(children.values()) <= 250
    assert all(8 <= count <= 25 for count in children.values())
    assert children["DB"] > 0  # grassroots unions directly under the province


def test_units_csv_values_are_plausible():
    for row in units():
        quota, members = int(row["quota"]), int(row["members"])
        if row["kind"] == "grassroots":
            assert 2 <= quota <= 5 and 10 <= members <= 600
            assert row["name"].startswith("Công đoàn cơ sở ")
        elif row["kind"] != "province":
            assert 3 <= quota <= 8
        emails = row["officer_emails"].split(";")
        assert 1 <= len(emails) <= 2 and all(e.endswith("@example.vn") for e in emails)
        assert row["aliases"]


def test_units_names_are_unambiguous_within_a_superior_but_not_across():
    rows = units()
    seen: dict[tuple[str, str], str] = {}
    for row in rows:
        pool = row["parent_id"] if row["kind"] == "grassroots" else "*superiors"
        for name in [row["name"], *row["aliases"].split(";")]:
            owner = seen.setdefault((pool, key(name)), row["id"])
            assert owner == row["id"], f"{name!r} names both {owner} and {row['id']}"
    names = Counter(r["name"] for r in rows if r["kind"] == "grassroots")
    assert names["Công đoàn cơ sở Trường Tiểu học Thị trấn"] == 2
    assert sum(1 for count in names.values() if count > 1) >= 3


# --- the generator -------------------------------------------------------------------------------


def test_same_seed_same_rows(settings):
    first = generate_responses(UNITS, 400, seed=7, settings=settings)
    second = generate_responses(UNITS, 400, seed=7, settings=settings)
    other = generate_responses(UNITS, 400, seed=8, settings=settings)
    assert first.rows == second.rows and first.expected == second.expected
    assert first.unit_ids == second.unit_ids
    assert first.rows != other.rows


def test_row_count_headers_and_sorted_timestamps(settings, example, vi_headers):
    assert len(example.rows) == 3000
    assert example.headers == list(vi_headers.values())
    stamps = [datetime.strptime(str(r["Dấu thời gian"]), "%d/%m/%Y %H:%M:%S") for r in example.rows]
    assert stamps == sorted(stamps)
    assert stamps[0] >= datetime(2021, 3, 5)
    peak = sum(datetime(2021, 3, 10) <= s < datetime(2021, 4, 23) for s in stamps)
    assert peak / len(stamps) > 0.85  # D5


def test_english_locale(settings):
    generated = generate_responses(UNITS, 200, locale="en", settings=settings)
    english = [q.en for q in load_templates().form.questions]
    assert generated.headers == english
    for row in generated.rows:
        assert set(row) == set(english)
        assert re.fullmatch(r"\d{1,2}/\d{1,2}/2021 \d{1,2}:\d{2}:\d{2}", str(row["Timestamp"]))
    with pytest.raises(ValueError):
        generate_responses(UNITS, 10, locale="fr", settings=settings)


def test_every_code_is_planted(example):
    planted = example.expected["planted"]
    counts = Counter(code for p in planted for code in p["codes"])
    for code in CODES:
        assert 30 <= counts[code] <= 60, code  # 1-2 % of 3000 rows
    notes = Counter(p.get("note") for p in planted)
    assert notes["formula"] >= 2 and notes["nfd_at_limit"] >= 1 and notes["at_limit"] >= 1
    assert notes["last_second"] >= 1
    assert all(len(p["codes"]) <= 1 for p in planted)
    indexes = [p["row_index"] for p in planted]
    assert len(indexes) == len(set(indexes))
    assert 50 <= len(example.expected["duplicates"]) <= 70  # ~2 %
    assert 10 <= len(example.expected["cross_author"]) <= 20  # ~0.5 %


def test_planted_rows_carry_their_problem(settings, example, vi_headers):
    h = vi_headers
    limit = settings.campaign.description_max_chars
    for p in example.expected["planted"]:
        row = example.rows[p["row_index"]]
        codes, note = p["codes"], p.get("note")
        description = str(row[h["description"]] or "")
        stamp = datetime.strptime(str(row[h["timestamp"]]), "%d/%m/%Y %H:%M:%S")
        if codes == ["TOO_LONG"]:
            assert len(unicodedata.normalize("NFC", description)) > limit
        elif note == "nfd_at_limit":
            assert len(unicodedata.normalize("NFC", description)) == limit < len(description)
        elif note == "at_limit":
            assert len(description) == limit
        elif codes == ["LATE"]:
            assert stamp >= settings.campaign.form_closes_at
        elif note == "last_second":
            assert row[h["timestamp"]] == "22/04/2021 23:59:59"
        elif codes == ["MISSING_REQUIRED"]:
            assert not str(row[h[p["field"]]] or "").strip()
        elif codes == ["UNKNOWN_UNIT"]:
            assert example.unit_ids[p["row_index"]] is None
        elif codes == ["INVALID_CHOICE"]:
            allowed = settings.fields if p["field"] == "field" else settings.sectors
            assert row[h[p["field"]]] not in allowed
        elif note == "formula":
            assert description.startswith(("=IMPORTXML(", "+84"))
        if codes != ["LATE"]:
            assert stamp < settings.campaign.form_closes_at


def test_unplanted_rows_are_valid(settings, example, vi_headers):
    h = vi_headers
    planted = {p["row_index"] for p in example.expected["planted"]}
    limit = settings.campaign.description_max_chars
    genders = load_templates().form.genders
    lengths = []
    for index, row in enumerate(example.rows):
        if index in planted:
            continue
        assert example.unit_ids[index] is not None
        assert row[h["field"]] in settings.fields and row[h["sector"]] in settings.sectors
        for field in ("full_name", "title", "superior_unit", "grassroots_unit", "start_date"):
            assert str(row[h[field]]).strip(), field
        description = unicodedata.normalize("NFC", str(row[h["description"]]))
        assert len(description) <= limit
        lengths.append(len(description))
        assert row[h["gender"]] in genders
        year = row[h["birth_year"]]
        assert year is None or 1965 <= int(year) <= 2000  # type: ignore[call-overload]
        phone = row[h["phone"]]
        if phone is not None:
            digits = re.sub(r"\D", "", str(phone))
            if str(phone).startswith("+"):
                digits = "+" + digits
            elif not digits.startswith("0"):
                digits = "0" + digits  # a number cell lost its leading zero
            number = phonenumbers.parse(digits, "VN")
            assert phonenumbers.is_valid_number(number), phone
        email = row[h["email"]]
        assert not email or re.fullmatch(r"[a-z0-9.]+@[a-z.]+\.[a-z]+", str(email)), email
    assert min(lengths) >= 200 and sorted(lengths)[len(lengths) // 2] < 900


def test_sector_follows_the_kind_of_workplace(settings, example, vi_headers):
    names = {r["id"]: r["name"] for r in units()}
    business, public = "Khối doanh nghiệp", "Khối hành chính sự nghiệp"
    planted = {p["row_index"] for p in example.expected["planted"]}
    for index, row in enumerate(example.rows):
        unit = example.unit_ids[index]
        if index in planted or unit is None:
            continue
        name = names[unit].removeprefix("Công đoàn cơ sở ")
        expected = business if name.startswith(("Công ty", "Ngân hàng", "Hợp tác xã")) else None
        if name.startswith(("Trường", "Bệnh viện", "Sở ", "UBND")):
            expected = public
        if expected:
            assert row[vi_headers["sector"]] == expected, name


def similarity(row_a: dict[str, object], row_b: dict[str, object], h: dict[str, str]) -> float:
    def text(row: dict[str, object]) -> str:
        return key(f"{row[h['title']]} {row[h['description']]}")

    return fuzz.ratio(text(row_a), text(row_b))


def test_duplicate_pairs_are_the_same_author_resubmitting(example, vi_headers):
    h = vi_headers
    for older, newer in example.expected["duplicates"]:
        a, b = example.rows[older], example.rows[newer]
        assert older < newer
        assert a[h["full_name"]] == b[h["full_name"]]
        assert (
            re.sub(r"\D", "", str(a[h["phone"]]))[-9:] == re.sub(r"\D", "", str(b[h["phone"]]))[-9:]
        )
        assert example.unit_ids[older] == example.unit_ids[newer]
        assert similarity(a, b, h) >= 85


def test_cross_author_pairs_are_near_copies_by_someone_else(example, vi_headers):
    h = vi_headers
    for first, second in example.expected["cross_author"]:
        a, b = example.rows[first], example.rows[second]
        assert key(str(a[h["full_name"]])) != key(str(b[h["full_name"]]))
        assert similarity(a, b, h) >= 92


def test_authors_with_several_initiatives_send_different_ones(example, vi_headers):
    h = vi_headers
    paired = {i for pair in example.expected["duplicates"] for i in pair}
    by_author: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, row in enumerate(example.rows):
        phone = re.sub(r"\D", "", str(row[h["phone"]] or ""))[-9:]
        if phone and index not in paired:
            by_author[(str(row[h["full_name"]]), phone)].append(index)
    groups = [rows for rows in by_author.values() if len(rows) > 1]
    assert len(groups) >= 20
    for rows in groups:
        for i, first in enumerate(rows):
            for second in rows[i + 1 :]:
                assert similarity(example.rows[first], example.rows[second], h) < 70


# --- writing and the bundled files -------------------------------------------------------------


def test_writers_keep_text_as_text(tmp_path: Path, settings):
    generated = generate_responses(UNITS, 150, settings=settings)
    rows = [dict(r) for r in generated.rows[:5]]
    description = generated.headers[12]
    rows[0][description] = '=IMPORTXML("https://example.vn";"//p") mô tả'
    xlsx = write_responses_xlsx(rows, tmp_path / "a.xlsx", generated.headers)
    sheet = openpyxl.load_workbook(xlsx).worksheets[0]
    assert sheet.title == SHEET_NAME
    assert [c.value for c in sheet[1]] == generated.headers
    assert sheet.cell(2, 13).data_type == "s" and sheet.cell(2, 13).value.startswith("=IMPORTXML")
    path = write_responses_csv(rows, tmp_path / "a.csv", generated.headers)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data


def read_xlsx(path: Path) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_bundled_files_are_what_the_generator_makes_now(tmp_path: Path, settings):
    written = write_example(CONFIG, out_dir=tmp_path)
    assert set(written) == {s.name for s in settings.sources} | {"expected"}
    for source in settings.sources:
        assert source.path is not None
        fresh, bundled = tmp_path / source.path.name, source.path
        if source.kind == "xlsx":
            assert read_xlsx(fresh) == read_xlsx(bundled)
            assert openpyxl.load_workbook(bundled, read_only=True).sheetnames == [SHEET_NAME]
        else:
            assert fresh.read_bytes() == bundled.read_bytes()
    assert json.loads((tmp_path / "expected.json").read_text(encoding="utf-8")) == json.loads(
        (EXAMPLE / "expected.json").read_text(encoding="utf-8")
    )


def test_answer_key_covers_every_row_and_code(settings):
    answer = json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))
    assert answer["rows"] == sum(s["rows"] for s in answer["sources"].values()) == 3000
    assert set(answer["sources"]) == {s.name for s in settings.sources}
    for source in answer["sources"].values():
        assert sorted(map(int, source["codes"])) == list(range(2, source["rows"] + 2))
    counts = Counter(c for s in answer["sources"].values() for codes in s["codes"].values()
                     for c in codes)  # fmt: skip
    assert counts == Counter(answer["counts"]["codes"]) and set(counts) == set(CODES)
    for pair in answer["duplicates"]:
        assert pair["older"]["source"] == pair["newer"]["source"]
        assert pair["older"]["row"] < pair["newer"]["row"]
    assert answer["cross_author"]
    assert not re.search(r'"/|[A-Za-z]:\\\\', (EXAMPLE / "expected.json").read_text())


def test_pipeline_agrees_with_the_answer_key(tmp_path: Path):
    """The sync, run over the bundled files, finds exactly the planted problems, units and
    duplicates."""
    pytest.importorskip("sync.dedupe")
    pipeline = pytest.importorskip("sync.pipeline")
    answer = json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))
    report = pipeline.build_report(read_settings(CONFIG))
    found = {(r.source, r.row): r for r in report.responses}
    assert len(found) == answer["rows"]
    for name, source in answer["sources"].items():
        for row, codes in source["codes"].items():
            response = found[(name, int(row))]
            got = sorted(v.code for v in response.violations if v.code != "POSSIBLE_DUPLICATE")
            assert got == sorted(codes), (name, row, response.violations)
            assert response.unit_id == source["unit_ids"][row], (name, row)
    superseded = {k for k, r in found.items() if r.duplicate_of}
    assert superseded == {(d["older"]["source"], d["older"]["row"]) for d in answer["duplicates"]}
    for d in answer["duplicates"]:
        older = found[(d["older"]["source"], d["older"]["row"])]
        assert older.duplicate_of == found[(d["newer"]["source"], d["newer"]["row"])].id
    similar = {frozenset((r.id, other)) for r in report.responses for other in r.similar_to}
    expected = {
        frozenset(found[(p["source"], p["row"])].id for p in pair)
        for pair in answer["cross_author"]
    }
    assert similar == expected
