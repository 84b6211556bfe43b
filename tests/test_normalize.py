import math
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sync.normalize import (
    date_order,
    parse_date,
    parse_email,
    parse_money,
    parse_phone,
    parse_timestamp,
    parse_timestamps,
    parse_year,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")

BLANKS = [None, math.nan, "", "   ", pd.NA, pd.NaT, np.nan]


def vn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VN)


# --- parse_timestamp --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        # Vietnamese locale text, both sides of the D6 deadline.
        ("22/04/2021 23:59:59", "vi", vn(2021, 4, 22, 23, 59, 59)),
        ("23/04/2021 00:00:00", "vi", vn(2021, 4, 23, 0, 0, 0)),
        ("23/04/2021 0:00:01", "vi", vn(2021, 4, 23, 0, 0, 1)),
        ("22/04/2021 23:59", "vi", vn(2021, 4, 22, 23, 59)),
        ("1/4/2021 8:05:00", "vi", vn(2021, 4, 1, 8, 5)),
        ("22/04/2021", "vi", vn(2021, 4, 22)),
        ("  22/04/2021   23:59:59 ", "vi", vn(2021, 4, 22, 23, 59, 59)),
        ("22/04/2021 11:59:59 CH", "vi", vn(2021, 4, 22, 23, 59, 59)),
        ("22/04/2021 12:00:01 SA", "vi", vn(2021, 4, 22, 0, 0, 1)),
        # English locale text.
        ("4/22/2021 23:59:59", "en", vn(2021, 4, 22, 23, 59, 59)),
        ("4/23/2021 0:00:00", "en", vn(2021, 4, 23, 0, 0, 0)),
        ("4/22/2021 23:59", "en", vn(2021, 4, 22, 23, 59)),
        ("4/22/2021 11:59:59 PM", "en", vn(2021, 4, 22, 23, 59, 59)),
        ("4/1/2021 8:05:00", "en", vn(2021, 4, 1, 8, 5)),
        # auto: decided by a part above 12, day first when in doubt.
        ("22/04/2021 23:59:59", "auto", vn(2021, 4, 22, 23, 59, 59)),
        ("4/22/2021 23:59:59", "auto", vn(2021, 4, 22, 23, 59, 59)),
        ("4/1/2021 8:05:00", "auto", vn(2021, 1, 4, 8, 5)),
        ("12/12/2021 8:05:00", "auto", vn(2021, 12, 12, 8, 5)),
        # ISO text, whatever the locale.
        ("2021-04-22 23:59:59", "vi", vn(2021, 4, 22, 23, 59, 59)),
        ("2021-04-22T23:59:59", "en", vn(2021, 4, 22, 23, 59, 59)),
        ("2021-04-22 23:59", "auto", vn(2021, 4, 22, 23, 59)),
        ("2021-04-22T16:59:59Z", "vi", vn(2021, 4, 22, 23, 59, 59)),
        ("2021-04-22T23:59:59+07:00", "vi", vn(2021, 4, 22, 23, 59, 59)),
        # Serial numbers: days since 1899-12-30, time of day in the sheet's zone.
        (44308.999988, "vi", vn(2021, 4, 22, 23, 59, 59)),
        (44308 + 86399 / 86400, "vi", vn(2021, 4, 22, 23, 59, 59)),
        (44309, "vi", vn(2021, 4, 23, 0, 0, 0)),
        (44309.0, "en", vn(2021, 4, 23, 0, 0, 0)),
        (44309 + 1 / 86400, "vi", vn(2021, 4, 23, 0, 0, 1)),
        (44308.5, "auto", vn(2021, 4, 22, 12, 0, 0)),
        ("44308.999988", "vi", vn(2021, 4, 22, 23, 59, 59)),
        ("44308,999988", "vi", vn(2021, 4, 22, 23, 59, 59)),
        ("44309", "vi", vn(2021, 4, 23, 0, 0, 0)),
        (np.float64(44308.999988), "vi", vn(2021, 4, 22, 23, 59, 59)),
        (np.int64(44309), "vi", vn(2021, 4, 23)),
        # datetime objects: naive ones are local, aware ones are converted.
        (datetime(2021, 4, 22, 23, 59, 59), "vi", vn(2021, 4, 22, 23, 59, 59)),
        (datetime(2021, 4, 22, 16, 59, 59, tzinfo=UTC), "vi", vn(2021, 4, 22, 23, 59, 59)),
        (pd.Timestamp("2021-04-22 23:59:59"), "vi", vn(2021, 4, 22, 23, 59, 59)),
        (date(2021, 4, 22), "vi", vn(2021, 4, 22)),
    ],
)
def test_parse_timestamp(value: object, locale: str, expected: datetime) -> None:
    parsed = parse_timestamp(value, locale, VN)
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("value", "locale"),
    [
        *((blank, "vi") for blank in BLANKS),
        ("4/22/2021 23:59:59", "vi"),  # no month 22
        ("22/04/2021 23:59:59", "en"),
        ("31/02/2021 10:00:00", "vi"),
        ("22/04/2021 24:00:00", "vi"),
        ("22/04/2021 23:60:00", "vi"),
        ("22/04/2021 13:00:00 CH", "vi"),
        ("22/04/21 23:59:59", "vi"),
        ("hôm qua", "vi"),
        ("abc", "auto"),
        ("2021-13-01 00:00:00", "vi"),
        (True, "vi"),
        (False, "vi"),
        (-1, "vi"),
        (0, "vi"),
        (2021, "vi"),  # a year, not a serial day
        (1e12, "vi"),
        (math.inf, "vi"),
        (datetime(1800, 1, 1), "vi"),
        ("22/04/2221 10:00:00", "vi"),
        (["22/04/2021"], "vi"),
    ],
)
def test_parse_timestamp_rejects(value: object, locale: str) -> None:
    assert parse_timestamp(value, locale, VN) is None


# Stamps of the export's own shape (read together by `parse_timestamps`) next to the ones a
# stamp of that shape must not be taken for.
FIXED_SHAPE_EDGES = [
    "05/03/2021 06:00:38", "13/04/2021 23:59:59", "04/13/2021 00:00:00", "12/11/2021 10:11:12",
    "29/02/2020 12:00:00", "29/02/2021 12:00:00", "29/02/2000 12:00:00", "29/02/1900 12:00:00",
    "31/04/2021 08:00:00", "00/04/2021 08:00:00", "15/00/2021 08:00:00", "15/13/2021 08:00:00",
    "22/04/2021 24:00:00", "22/04/2021 23:60:00", "22/04/2021 23:59:60", "01/01/1899 00:00:00",
    "01/01/1900 00:00:00", "31/12/2100 23:59:59", "01/01/2101 00:00:00", "22.04.2021 08:00:00",
    "22-04/2021 08:00:00", "22/04/2021T08:00:00", "22/04/2021,08:00:00", "22/04/2021 08.00.00",
    " 2/04/2021 08:00:00", "22/04/2021 08:00:0 ", "22/04/2021  8:00:00", "2a/04/2021 08:00:00",
    "22/04/٢٠٢1 08:00:00", "22/04/2021 8:00 SA", "5/3/2021 6:00:38 PM", "2021-04-22 08:00:00",
    "2021-04-22T08:00:00", "22/04/2021", "", None, 44308.5, datetime(2021, 4, 22, 8),
]  # fmt: skip


@pytest.mark.parametrize("locale", ["vi", "en", "auto"])
def test_timestamps_read_together_are_each_read_alone(locale: str) -> None:
    """Every edge of the export's shape, then a thousand stamps of that shape drawn at random
    (impossible days and hours among them): read together as each is read alone."""
    rng = np.random.default_rng(7)
    drawn = [
        f"{d:02d}/{m:02d}/{y} {h:02d}:{mi:02d}:{sec:02d}"
        for d, m, y, h, mi, sec in zip(rng.integers(0, 33, 1000), rng.integers(0, 14, 1000),
                                       rng.integers(1895, 2105, 1000), rng.integers(0, 26, 1000),
                                       rng.integers(0, 61, 1000), rng.integers(0, 61, 1000),
                                       strict=True)
    ]  # fmt: skip
    values = [*FIXED_SHAPE_EDGES, *drawn]
    alone = [parse_timestamp(value, locale, VN) for value in values]
    together = parse_timestamps(values, locale, VN)
    assert together == alone
    assert [getattr(t, "tzinfo", None) for t in together] == [VN if t else None for t in alone]
    assert sum(t is not None for t in together) > 250  # real moments read, not all refused


def test_parse_timestamp_serial_uses_the_sheet_zone() -> None:
    utc_sheet = parse_timestamp(44308.5, "vi", ZoneInfo("UTC"))
    assert utc_sheet == datetime(2021, 4, 22, 12, tzinfo=ZoneInfo("UTC"))


def test_parse_timestamp_converts_aware_values_into_the_zone() -> None:
    stamp = datetime(2021, 4, 23, 0, 30, tzinfo=timezone(timedelta(hours=9)))
    parsed = parse_timestamp(stamp, "vi", VN)
    assert parsed == stamp
    assert parsed is not None
    assert (parsed.day, parsed.hour, parsed.minute) == (22, 22, 30)


def test_parse_timestamp_every_second_of_a_day_survives_the_float() -> None:
    for second in range(0, 86_400, 7):
        serial = 44308 + second / 86_400
        expected = vn(2021, 4, 22) + timedelta(seconds=second)
        assert parse_timestamp(serial, "vi", VN) == expected


def test_parse_timestamp_unknown_locale_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_timestamp("22/04/2021 23:59:59", "fr", VN)


# --- parse_date -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15/03/2021", date(2021, 3, 15)),
        ("15-03-2021", date(2021, 3, 15)),
        ("15.03.2021", date(2021, 3, 15)),
        ("5/3/2021", date(2021, 3, 5)),
        (" 15/03/2021 ", date(2021, 3, 15)),
        ("15/03/2021 08:30:00", date(2021, 3, 15)),
        ("29/02/2020", date(2020, 2, 29)),
        ("2021-03-15", date(2021, 3, 15)),
        ("2021/3/15", date(2021, 3, 15)),
        ("03/2021", date(2021, 3, 1)),
        ("3/2021", date(2021, 3, 1)),
        ("3-2021", date(2021, 3, 1)),
        ("12.2021", date(2021, 12, 1)),
        ("tháng 3/2021", date(2021, 3, 1)),
        ("Tháng 3/2021", date(2021, 3, 1)),
        ("Tháng 03-2021", date(2021, 3, 1)),
        ("Tháng 3 năm 2021", date(2021, 3, 1)),
        ("tháng 3, 2021", date(2021, 3, 1)),
        ("thang 3 nam 2021", date(2021, 3, 1)),
        (unicodedata.normalize("NFD", "Tháng 3 năm 2021"), date(2021, 3, 1)),
        ("T3/2021", date(2021, 3, 1)),
        ("t3/2021", date(2021, 3, 1)),
        ("T.3/2021", date(2021, 3, 1)),
        ("ngày 15 tháng 3 năm 2021", date(2021, 3, 15)),
        ("Ngày 15/03/2021", date(2021, 3, 15)),
        (44270, date(2021, 3, 15)),
        (44270.0, date(2021, 3, 15)),
        (44270.75, date(2021, 3, 15)),
        ("44270", date(2021, 3, 15)),
        (np.int64(44270), date(2021, 3, 15)),
        (datetime(2021, 3, 15, 8, 30), date(2021, 3, 15)),
        (pd.Timestamp("2021-03-15 08:30"), date(2021, 3, 15)),
        (date(2021, 3, 15), date(2021, 3, 15)),
        ("01/01/1900", date(1900, 1, 1)),
        ("31/12/2100", date(2100, 12, 31)),
    ],
)
def test_parse_date(value: object, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        *BLANKS,
        "31/02/2021",
        "29/02/2021",
        "32/01/2021",
        "15/13/2021",
        "13/2021",
        "0/2021",
        "15/03/1899",
        "15/03/2101",
        "2101-01-01",
        date(1899, 12, 31),
        datetime(2101, 1, 1),
        "15/03-2021",
        "t32021",
        "giữa tháng 3",
        "2021",
        2021,  # a bare year is not a date
        2021.0,
        15,
        -44270,
        1e9,
        math.inf,
        True,
        "abc",
        object(),
    ],
)
def test_parse_date_rejects(value: object) -> None:
    assert parse_date(value) is None


# --- parse_phone ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0912820510", "0912820510"),
        ("0912 820 510", "0912820510"),
        ("0912.820.510", "0912820510"),
        ("0912-820-510", "0912820510"),
        ("  0912 820 510  ", "0912820510"),
        ("0912\u00a0820\u00a0510", "0912820510"),
        ("+84 912 820 510", "0912820510"),
        ("+84912820510", "0912820510"),
        ("84912820510", "0912820510"),
        ("(+84)912820510", "0912820510"),
        ("(+84) 912 820 510", "0912820510"),
        ("+84 (0) 912 820 510", "0912820510"),
        ("(0912) 820 510", "0912820510"),
        ("'0912820510", "0912820510"),  # forced to text in the sheet
        (912820510, "0912820510"),  # stored as a number: the leading 0 is gone
        (912820510.0, "0912820510"),
        ("912820510", "0912820510"),
        ("912820510.0", "0912820510"),
        (np.int64(912820510), "0912820510"),
        (84912820510, "0912820510"),
        ("0386 123 456", "0386123456"),
        ("0842345678", "0842345678"),
        ("842345678", "0842345678"),  # starts like the country code, but is 084...
        ("024 3825 1234", "02438251234"),  # Hà Nội landline
        ("0215 3825 123", "02153825123"),  # Điện Biên landline
    ],
)
def test_parse_phone(value: object, expected: str) -> None:
    assert parse_phone(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        *BLANKS,
        "abc",
        "không có",
        "0912",
        "091282051",
        "09128205100000",
        "0123456789",
        "01234567890",  # retired 11-digit mobile numbering
        "+1 650 253 0000",  # not Vietnamese
        "1900 1234",  # a hotline, not a person
        "0912820510 / 0987654321",
        "0912820510 (Zalo)",
        "0912++820510",
        "0912 820 510+",
        912820510.5,
        -912820510,
        0,
        True,
        date(2021, 3, 15),
    ],
)
def test_parse_phone_rejects(value: object) -> None:
    assert parse_phone(value) is None


# --- parse_email ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("an.nguyen@gmail.com", "an.nguyen@gmail.com"),
        ("  an.nguyen@gmail.com  ", "an.nguyen@gmail.com"),
        ("An.Nguyen@Gmail.COM", "An.Nguyen@gmail.com"),
        ("ldld@dienbien.gov.vn", "ldld@dienbien.gov.vn"),
        ("cong-doan_2021+sk@mail.dien-bien.vn", "cong-doan_2021+sk@mail.dien-bien.vn"),
        ("mailto:ldld@dienbien.gov.vn", "ldld@dienbien.gov.vn"),
        ("\u200ban@gmail.com", "an@gmail.com"),
    ],
)
def test_parse_email(value: object, expected: str) -> None:
    assert parse_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        *BLANKS,
        "an.nguyen",
        "an.nguyen@gmail",
        "an nguyen@gmail.com",
        "an@gmail .com",
        "an@@gmail.com",
        "an@b@gmail.com",
        "@gmail.com",
        "an@",
        "an@.com",
        "an@gmail..com",
        "an@gmail.com.",
        "an@-gmail.com",
        ".an@gmail.com",
        "an..nguyen@gmail.com",
        "an@gmail.com, binh@gmail.com",
        "an@gmaịl.com",
        12345,
        True,
    ],
)
def test_parse_email_rejects(value: object) -> None:
    assert parse_email(value) is None


# --- parse_year -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1985, 1985),
        ("1985", 1985),
        (1985.0, 1985),
        ("1985.0", 1985),
        (" 1985 ", 1985),
        ("năm 1985", 1985),
        ("15/03/1985", 1985),
        ("1985-03-15", 1985),
        ("03/1985", 1985),
        (date(1985, 3, 15), 1985),
        (datetime(1985, 3, 15), 1985),
        (31121, 1985),  # a date cell read unformatted: serial day of 1985-03-15
        (np.int64(1985), 1985),
        (1900, 1900),
        (2100, 2100),
    ],
)
def test_parse_year(value: object, expected: int) -> None:
    assert parse_year(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        *BLANKS,
        1899,
        2101,
        "1899",
        "2101",
        "85",
        85,
        1985.5,
        "1985.5",
        "19 85",
        "khoảng 1985",
        "15/03/1899",
        date(1850, 1, 1),
        -1985,
        True,
        "abc",
    ],
)
def test_parse_year_rejects(value: object) -> None:
    assert parse_year(value) is None


# --- parse_money ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.500.000 đ", 1_500_000),
        ("1.500.000đ", 1_500_000),
        ("1.500.000 VNĐ", 1_500_000),
        ("1.500.000 đồng", 1_500_000),
        ("1.500.000 đồng.", 1_500_000),
        ("1,500,000 VND", 1_500_000),
        ("1500000", 1_500_000),
        ("1 500 000", 1_500_000),
        ("1.500.000,00 đ", 1_500_000),
        ("1,500,000.00", 1_500_000),
        ("1.500", 1_500),
        ("1,500", 1_500),
        (1500000, 1_500_000),
        (1500000.0, 1_500_000),
        (np.float64(1500000.0), 1_500_000),
        (np.int64(1500000), 1_500_000),
        ("2 triệu", 2_000_000),
        ("2triệu", 2_000_000),
        ("2 tr", 2_000_000),
        ("2,5 triệu", 2_500_000),
        ("2.5 triệu", 2_500_000),
        ("2,25 triệu", 2_250_000),
        ("1,5 tỷ", 1_500_000_000),
        ("1.5 tỷ", 1_500_000_000),
        ("1,5 tỉ", 1_500_000_000),
        ("1 tỷ 200 triệu", 1_200_000_000),
        ("1 tỷ 200 triệu 500 nghìn", 1_200_500_000),
        ("500 nghìn", 500_000),
        ("500 ngàn", 500_000),
        ("500k", 500_000),
        ("500K", 500_000),
        ("2tr5", 2_500_000),  # the digits after a unit are its decimals
        ("2 triệu 5", 2_500_000),
        ("1 tỷ 2", 1_200_000_000),
        ("0", 0),
        (0, 0),
        ("0 đ", 0),
        ("khoảng 2 triệu đồng", 2_000_000),
        ("Khoảng 2 triệu đồng", 2_000_000),
        ("trên 500 triệu", 500_000_000),
        ("hơn 1 tỷ đồng", 1_000_000_000),
        ("Giá trị làm lợi: 500 triệu đồng/năm", 500_000_000),
        ("1.500.000 đồng/năm", 1_500_000),
        ("100 triệu mỗi năm", 100_000_000),
        ("~ 2 triệu", 2_000_000),
        (unicodedata.normalize("NFD", "2,5 triệu đồng"), 2_500_000),
        ("1.500 triệu", 1_500_000_000),  # dots followed by three digits group thousands
    ],
)
def test_parse_money(value: object, expected: int) -> None:
    assert parse_money(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        *BLANKS,
        "Không có",
        "không",
        "chưa tính được",
        "-500000",
        "- 500.000 đ",
        -1,
        -0.5,
        "1,5",  # a decimal without a unit is no whole amount
        "1.5",
        "1.5000",
        "200 triệu 1 tỷ",  # units must fall
        "2 triệu 3 triệu",
        "2 triệu đến 3 triệu",
        "2 triệu/tháng",
        "1 tỷ 2345",
        "500 usd",
        "$500",
        "2 trăm",
        "200 công nhân",
        "1 2",
        "k",
        "đ",
        math.inf,
        True,
        date(2021, 3, 15),
    ],
)
def test_parse_money_rejects(value: object) -> None:
    assert parse_money(value) is None


# --- no input makes a parser raise ------------------------------------------------------------

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet="0123456789 ./,-:+()'đtrệuỷkngàìháămTS"),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
)


@given(CELLS, st.sampled_from(["auto", "vi", "en"]))
def test_parse_timestamp_never_raises(value: object, locale: str) -> None:
    parsed = parse_timestamp(value, locale, VN)
    assert parsed is None or parsed.tzinfo is VN


@given(CELLS)
def test_parsers_never_raise(value: object) -> None:
    parsed_date = parse_date(value)
    assert parsed_date is None or 1900 <= parsed_date.year <= 2100
    phone = parse_phone(value)
    assert phone is None or (phone.isdigit() and phone.startswith("0"))
    email = parse_email(value)
    assert email is None or email.count("@") == 1
    year = parse_year(value)
    assert year is None or 1900 <= year <= 2100
    money = parse_money(value)
    assert money is None or (isinstance(money, int) and money >= 0)


def fresh(text: str) -> str:
    """An equal text that is a new object, as a reader makes it."""
    return "".join(list(text))


@pytest.mark.parametrize(
    ("parse", "clean", "untidy"),
    [
        (parse_email, "thang@example.vn", "  Thang@Example.VN "),
        (parse_phone, "0912820510", "0912 820 510"),
    ],
)
def test_a_clean_cell_is_given_back_itself(parse, clean: str, untidy: str) -> None:
    """Cleaned values that read as typed are the typed object: kept once, not twice."""
    cell = fresh(clean)
    assert parse(cell) is cell
    tidied = parse(untidy)
    assert tidied == clean.replace("thang", "Thang") and tidied is not untidy


class _TextOfItsOwn(str):
    """Text that is not exactly `str`: the phone check reads it the whole way, never by the
    short way it takes for digits and separators typed as text."""


@given(st.text(alphabet="0123456789 .-()+'\u00a0\t8", max_size=16))
def test_parse_phone_reads_digits_and_separators_as_the_whole_check_does(text: str) -> None:
    assert parse_phone(text) == parse_phone(_TextOfItsOwn(text))


@given(st.text(alphabet="aZ9_%+-.@ :\u00e1", max_size=12))
@example("an.nguyen+sk@mail.example.vn")
@example("An@Example.vn")
def test_parse_email_reads_a_plain_address_as_the_whole_check_does(text: str) -> None:
    assert parse_email(text) == parse_email(_TextOfItsOwn(text))


@pytest.mark.parametrize("value", ["+84912820510", "+84 912 820 510", "84912820510", 912820510])
def test_parse_phone_country_code_forms_read_as_national(value: object) -> None:
    assert parse_phone(value) == "0912820510"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("+84 123 456 789", None), ("+840912820510", "0912820510"), ("+8491282051", None)],
)
def test_parse_phone_country_code_edge_forms(value: str, expected: str | None) -> None:
    assert parse_phone(value) == expected


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        (["22/4/2021 10:00:00", "3/1/2021"], "vi"),
        (["4/22/2021 10:00:00 PM", 44300.5, None], "en"),
        ([" 22 /4/2021"], None),  # not a stamp
        (["22/4/2021 garbage", "3/1/2021 10:00"], None),  # the day tells, but not a stamp
        (["  22/4/2021   10:00 ", "3/1/2021"], "vi"),  # spaces made single first
        (["22/4/2021", "23/4/2021", "4/24/2021"], None),  # they contradict each other
        (["4/24/2021", *["22/4/2021"] * 3], None),
        (["1/2/2021", "12/12/2021", 22.4], None),  # nothing tells
    ],
)
def test_date_order_told_by_the_stamps(stamps: list[object], expected: str | None) -> None:
    assert date_order(stamps) == expected
