import math
import random
import unicodedata

import pandas as pd
import pytest

from sync.text import (
    clean_text,
    fold,
    is_missing,
    looks_mojibake,
    person_sort_key,
    strip_diacritics,
    vietnamese_sort_key,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# Every letter of Vietnamese, composed, in both cases.
BASES = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
VOWELS = [unicodedata.normalize("NFC", base + tone) for base in BASES for tone in TONES]
LETTERS = VOWELS + list("bcdđghklmnpqrstvx")
ALL_LETTERS = LETTERS + [letter.upper() for letter in LETTERS]


# --- is_missing / clean_text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        (math.nan, True),
        (pd.NA, True),
        (pd.NaT, True),
        ("", False),
        (0, False),
        (0.0, False),
        (False, False),
        ("nan", False),
    ],
)
def test_is_missing(value: object, expected: bool) -> None:
    assert is_missing(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (math.nan, ""),
        (pd.NA, ""),
        ("", ""),
        ("   ", ""),
        (12.0, "12"),
        (1985.0, "1985"),
        (12.5, "12.5"),
        (12, "12"),
        (True, "True"),
        ("  Công đoàn  ", "Công đoàn"),
        ("Công\u00a0đoàn", "Công đoàn"),
        ("Công\u202fđoàn", "Công đoàn"),
        ("Công\tđoàn", "Công đoàn"),
        ("Công \t \u00a0 đoàn", "Công đoàn"),
        ("Công\u200bđoàn", "Côngđoàn"),
        ("\ufeffCông đoàn", "Công đoàn"),
        ("sáng  kiến   mới", "sáng kiến mới"),
        ("dòng 1   \ndòng 2  ", "dòng 1\ndòng 2"),
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\n\nb", "a\n\nb"),
        ("a\n\n\nb", "a\n\nb"),
        ("a\r\n\r\n\r\n\r\nb", "a\n\nb"),
        ("a\n   \n  \nb", "a\n\nb"),
        ("a\u2028b", "a\nb"),
        ("\n\n  a  \n\n", "a"),
        (nfd("Nguyễn Thị Ánh"), "Nguyễn Thị Ánh"),
        (nfd("Công đoàn cơ sở"), "Công đoàn cơ sở"),
        # A zero-width joiner between a letter and its tone mark must not stop composition.
        ("Nguye\u0302\u200d\u0303n", "Nguyễn"),
    ],
)
def test_clean_text(value: object, expected: str) -> None:
    assert clean_text(value) == expected


def test_clean_text_output_is_nfc() -> None:
    for letter in ALL_LETTERS:
        assert clean_text(nfd(letter)) == letter


# --- strip_diacritics / fold ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đường Tỉnh", "Duong Tinh"),
        ("Điện Biên Phủ", "Dien Bien Phu"),
        ("NGUYỄN THỊ ÁNH", "NGUYEN THI ANH"),
        (nfd("Nguyễn Thị Ánh"), "Nguyen Thi Anh"),
        ("Công đoàn, (CĐ)!", "Cong doan, (CD)!"),
        ("abc 123", "abc 123"),
        ("", ""),
    ],
)
def test_strip_diacritics(text: str, expected: str) -> None:
    assert strip_diacritics(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Công đoàn Cơ sở  Trường THPT", "cong doan co so truong thpt"),
        ("CÔNG ĐOÀN CƠ SỞ TRƯỜNG THPT", "cong doan co so truong thpt"),
        (nfd("Công đoàn Cơ sở  Trường THPT"), "cong doan co so truong thpt"),
        ("Liên đoàn Lao động tỉnh Điện Biên", "lien doan lao dong tinh dien bien"),
        ("Khối hành chính - sự nghiệp", "khoi hanh chinh su nghiep"),
        ("CĐCS Trường THPT số 1 (huyện Tuần Giáo).", "cdcs truong thpt so 1 huyen tuan giao"),
        ("LĐLĐ/TP.Điện Biên Phủ", "ldld tp dien bien phu"),
        ("  an_toàn\tvệ\nsinh  ", "an toan ve sinh"),
        ("“Sáng kiến” – cải tiến…", "sang kien cai tien"),
        ("Công\u00a0đoàn", "cong doan"),
        ("Công\u200bđoàn", "congdoan"),
        ("ＣÔＮＧ ĐOÀN", "cong doan"),  # full-width letters
        ("Sáng kiến 🚀 mới", "sang kien moi"),
        ("sang kien cai tien", "sang kien cai tien"),
        ("", ""),
        ("  ", ""),
        ("!!!", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_fold_every_vietnamese_letter(letter: str) -> None:
    folded = fold(letter)
    assert len(folded) == 1
    assert folded.isascii()
    assert folded.islower()
    assert fold(nfd(letter)) == folded


# --- vietnamese_sort_key ----------------------------------------------------------------------

ALPHABET = list("aăâbcdđeêghiklmnoôơpqrstuưvxy")


def test_sort_key_alphabet_order() -> None:
    shuffled = ALPHABET[:]
    random.Random(75).shuffle(shuffled)
    assert sorted(shuffled, key=vietnamese_sort_key) == ALPHABET


def test_sort_key_alphabet_order_upper_case() -> None:
    upper = [letter.upper() for letter in ALPHABET]
    assert sorted(reversed(upper), key=vietnamese_sort_key) == upper


@pytest.mark.parametrize("base", list("aăâeêioôơuưy"))
def test_sort_key_tone_order(base: str) -> None:
    toned = [unicodedata.normalize("NFC", base + tone) for tone in TONES]
    assert sorted(reversed(toned), key=vietnamese_sort_key) == toned


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("a", "b"),
        ("An", "Anh"),  # a prefix first
        ("Anh", "Ánh"),  # tones break a tie of letters
        ("ánh", "ăn"),  # letters beat tones: a < ă whatever the tone
        ("ạch", "ăn"),
        ("an", "An"),  # case is the last resort
        ("An", "án"),  # tone beats case
        ("Dương", "Đào"),  # every D before Đ
        ("Dzung", "Đa"),
        ("On", "Ôn"),
        ("Ôn", "Ơn"),
        ("Ơn", "Pha"),
        ("U", "Ư"),
        ("Ừ", "V"),
        ("An Bình", "Anh"),  # a word break sorts before any letter
        ("a1", "a2"),
        ("a9", "ab"),
        ("Ba Cá", "Bà Ca"),  # the first tone difference decides
        (nfd("Ánh"), "Ăn"),
    ],
)
def test_sort_key_pairs(smaller: str, larger: str) -> None:
    assert vietnamese_sort_key(smaller) < vietnamese_sort_key(larger)


@pytest.mark.parametrize("text", ["Nguyễn Thị Ánh", "Đỗ Ơn", "Hoàng Quốc Việt"])
def test_sort_key_same_for_nfd(text: str) -> None:
    assert vietnamese_sort_key(nfd(text)) == vietnamese_sort_key(text)


def test_sort_key_differs_from_code_point_order() -> None:
    words = ["Đào", "Ân", "Bình", "Ơn", "Ôn", "Ư", "Ánh", "Dung", "Anh", "Zô", "Ông", "Ăn"]
    assert sorted(words, key=vietnamese_sort_key) == [
        "Anh",
        "Ánh",
        "Ăn",
        "Ân",
        "Bình",
        "Dung",
        "Đào",
        "Ôn",
        "Ông",
        "Ơn",
        "Ư",
        "Zô",
    ]


# --- person_sort_key --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            ["Trần Văn Bình", "Nguyễn Thị An", "Lê Ánh", "Đỗ Anh"],
            ["Nguyễn Thị An", "Đỗ Anh", "Lê Ánh", "Trần Văn Bình"],
        ),
        (
            ["Hà Văn Đào", "Vũ Dung", "Lò Thị Duyên", "Lường Văn Dũng"],
            ["Vũ Dung", "Lường Văn Dũng", "Lò Thị Duyên", "Hà Văn Đào"],
        ),
        (
            ["Lò Văn Ơn", "Lò Văn Ôn", "Lò Văn On"],
            ["Lò Văn On", "Lò Văn Ôn", "Lò Văn Ơn"],
        ),
        # Same given name: the rest (family and middle names) decides.
        (
            ["Trần Thị Mai", "Bùi Thị Mai", "Đặng Mai", "Bùi Anh Mai"],
            ["Bùi Anh Mai", "Bùi Thị Mai", "Đặng Mai", "Trần Thị Mai"],
        ),
        (["  Nguyễn   Thị  An ", "Anh"], ["  Nguyễn   Thị  An ", "Anh"]),
        (["Bình", ""], ["", "Bình"]),
    ],
)
def test_person_sort_key(names: list[str], expected: list[str]) -> None:
    assert sorted(names, key=person_sort_key) == expected


def test_person_sort_key_same_for_nfd() -> None:
    name = "Nguyễn Thị Ánh Tuyết"
    assert person_sort_key(nfd(name)) == person_sort_key(name)


# --- looks_mojibake ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "C«ng ®oµn",  # TCVN3: Công đoàn
        "Liªn ®oµn Lao ®éng tØnh §iÖn Biªn",  # TCVN3: Liên đoàn Lao động tỉnh Điện Biên
        "Kh¸nh",  # TCVN3: Khánh
        "ViÖt Nam",  # TCVN3: Việt Nam
        "NguyÔn V¨n An",  # TCVN3: Nguyễn Văn An
        "Coâng ñoaøn",  # VNI: Công đoàn
        "Nguyeãn Vaên An",  # VNI: Nguyễn Văn An
        "Leâ Thò Hoa",  # VNI: Lê Thị Hoa
    ],
)
def test_looks_mojibake_legacy_text(text: str) -> None:
    assert looks_mojibake(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Công đoàn",
        "Liên đoàn Lao động tỉnh Điện Biên",
        nfd("Liên đoàn Lao động tỉnh Điện Biên"),
        "Cong doan co so",
        "Hoà Bình",
        "Thuý Kiều",
        "Xuân Quế",
        "Lê Anh",
        "Müller",
        "Noël",
        "José Martí",
        "Señor Peña",
        "Björn Ørsted",
        "«Hello» world",
        "Coca-Cola®",
        "5 µm × 3 mm",
        "Nhiệt độ 25°C, ½ lít",
        "Café",
    ],
)
def test_looks_mojibake_normal_text(text: str) -> None:
    assert looks_mojibake(text) is False
