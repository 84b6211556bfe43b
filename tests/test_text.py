import math
import random
import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.text import (
    clean_text,
    fold,
    fold_many,
    is_missing,
    person_sort_key,
    repair_legacy,
    strip_diacritics,
    to_tcvn3,
    to_vni,
    vietnamese_ranks,
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


def test_every_character_cleaning_changes_is_unprintable() -> None:
    """Text that `str.isprintable` passes skips the table and the line breaks' steps."""
    from sync.text import _CLEAN_TABLE

    assert not any(chr(code).isprintable() for code in [*_CLEAN_TABLE, ord("\r"), ord("\n")])


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


FOLD_CASES = [
    "Công đoàn Cơ sở  Trường THPT",
    nfd("Nguyễn Thị Ánh"),
    "  an_toàn\tvệ\nsinh  ",
    "Công\u200bđoàn",
    "ＣÔＮＧ ĐOÀN",
    "Sáng kiến 🚀 mới",
    "ﬁle 漢字 Ǆ",
    "a\x00b",
    "\x00",
    "ý\xfd\xfe",
    "",
    "  ",
    "!!!",
]


# Without a character beyond the BMP: fold_many reads their code points in 16 bits. A lone
# surrogate half, which a text can hold, is one character all the same.
BMP_FOLD_CASES = [text for text in FOLD_CASES if "🚀" not in text] + ["\ud83d x \udc4d"]


@pytest.mark.parametrize("texts", [FOLD_CASES, BMP_FOLD_CASES])
def test_fold_many_folds_each_text_as_fold_does(texts: list[str]) -> None:
    assert fold_many(texts) == [fold(text) for text in texts]
    assert fold_many([]) == []


@given(st.lists(st.text(alphabet="aăâđĐeêAÂ ̣́\t\n\u200b.-_ﬁ🚀漢Ǆ0\x00ý", max_size=30)))
def test_fold_many_agrees_with_fold(texts: list[str]) -> None:
    assert fold_many(texts) == [fold(text) for text in texts]


def test_fold_many_works_through_texts_longer_than_a_chunk() -> None:
    texts = [f"Sáng Kiến  số {i} " * 40_000 for i in range(8)]  # 5.6 million characters in all
    assert fold_many(texts) == [fold(text) for text in texts]


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


# Letters that tie once tones and case are set aside, in both normal forms.
_TIED_LETTERS = ["a", "A", "à", "á", "Á", nfd("Á"), "ă", "ằ", "b", "B", "đ", "Đ", " ", "1"]


@given(st.lists(st.lists(st.sampled_from(_TIED_LETTERS), max_size=4).map("".join), max_size=30))
def test_ranks_follow_the_sort_key(texts: list[str]) -> None:
    ranks = vietnamese_ranks(texts)
    assert set(ranks) == set(texts)
    for a in ranks:
        for b in ranks:
            by_key = (vietnamese_sort_key(a) > vietnamese_sort_key(b)) - (
                vietnamese_sort_key(a) < vietnamese_sort_key(b)
            )
            assert (ranks[a] > ranks[b]) - (ranks[a] < ranks[b]) == by_key


def test_ranks_are_places_without_gaps() -> None:
    ranks = vietnamese_ranks(["Ba", "bà", "Ba", "ba", nfd("bà"), "Ăn"])
    assert ranks == {"Ăn": 0, "ba": 1, "Ba": 2, "bà": 3, nfd("bà"): 3}


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


# --- control characters and Excel escapes ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguy\x1b[31mễn", "Nguy[31mễn"),
        ("A\x07B\x00C\x7fD\x9bE", "ABCDE"),
        ("dòng 1\ndòng 2", "dòng 1\ndòng 2"),
        ("cột\tmột", "cột một"),
    ],
)
def test_clean_text_drops_control_characters_keeps_breaks(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


# --- legacy encodings -------------------------------------------------------------------------

ALL_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
# Every Vietnamese letter with every tone, and đ, each in a word ("tán", "đan") inside a cell
# with other words, as an officer's cell would be.
WORDS = [unicodedata.normalize("NFC", f"t{v}{t}n") for v in VOWELS for t in ALL_TONES] + ["đan"]
CONTEXT = "Công đoàn {} Điện Biên"


def misdecoded(text: str, codepage: str) -> str:
    """UTF-8 bytes shown through a code page, undefined bytes as their C1 controls."""
    return "".join(
        chr(b) if b < 0x80 else bytes([b]).decode(codepage, errors="ignore") or chr(b)
        for b in text.encode()
    )


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_tcvn3_every_letter_every_tone(word: str, case) -> None:
    cell = case(CONTEXT.format(word))
    repaired, encoding = repair_legacy(to_tcvn3(cell))
    assert (repaired, encoding) == (cell, "TCVN3")


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_vni_every_letter_every_tone(word: str, case) -> None:
    cell = case(CONTEXT.format(word))
    repaired, encoding = repair_legacy(to_vni(cell))
    assert (repaired, encoding) == (cell, "VNI")


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("case", [str.lower, str.upper])
@pytest.mark.parametrize("codepage", ["cp1252", "cp1258"])
def test_double_decoded_utf8_every_letter(word: str, case, codepage: str) -> None:
    cell = case(CONTEXT.format(word))
    repaired, encoding = repair_legacy(misdecoded(cell, codepage))
    assert repaired == cell
    assert encoding is not None and encoding.startswith("UTF-8/")


@pytest.mark.parametrize(
    ("legacy", "unicode", "encoding"),
    [
        ("C«ng ®oµn", "Công đoàn", "TCVN3"),
        ("Liªn ®oµn Lao ®éng tØnh §iÖn Biªn", "Liên đoàn Lao động tỉnh Điện Biên", "TCVN3"),
        ("Kh¸nh", "Khánh", "TCVN3"),
        ("Lª Anh", "Lê Anh", "TCVN3"),
        ("NGUYÔN V¡N AN", "NGUYỄN VĂN AN", "TCVN3"),
        ("Coâng ñoaøn", "Công đoàn", "VNI"),
        ("Nguyeãn Vaên An", "Nguyễn Văn An", "VNI"),
        ("Leâ Thò Hoa", "Lê Thị Hoa", "VNI"),
        ("Hê A LÒnh", "Hờ A Lềnh", "TCVN3"),  # a capital inside a word
        ("Chaù A Chaù", "Chá A Chá", "VNI"),  # "Chaù" looks like a syllable but for its tone
        ("LÃ² VÄƒn", "Lò Văn", "UTF-8/Windows-1252"),
    ],
)
def test_repair_legacy_known_cells(legacy: str, unicode: str, encoding: str) -> None:
    assert repair_legacy(legacy) == (unicode, encoding)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Công đoàn",
        "Liên đoàn Lao động tỉnh Điện Biên",
        nfd("Liên đoàn Lao động tỉnh Điện Biên"),
        "Cong doan co so",
        "Hoà Bình",
        "Hòa Bình",
        "Thuý Kiều",
        "Lê Anh",
        "Lò Thị Tú",
        "Müller",
        "Noël",
        "José Martí",
        "Señor Peña",
        "Björn Ørsted",
        "naïve façade",
        "Ångström",
        "«Hello» world",
        "Coca-Cola®",
        "5 µm × 3 mm",
        "Nhiệt độ 25°C, ½ lít",
        "Café",
        "Cảm ơn 🙏🏻 nhiều 😀",
        "😀👍",
        "Tiếng Việt có dấu và emoji 🇻🇳",
        "Straße",
    ],
)
def test_repair_legacy_leaves_ordinary_text(text: str) -> None:
    assert repair_legacy(text) == (text, None)


@pytest.mark.parametrize("word", WORDS)
def test_tcvn3_capital_toned_letter_starting_a_name(word: str) -> None:
    # TCVN3 has no code for capital toned letters: a name's capitals come back from its shape.
    name = f"{word[1:].title()} Nguyễn" if word != "đan" else "Đan Nguyễn"
    assert repair_legacy(to_tcvn3(name)) == (name, "TCVN3")


@pytest.mark.parametrize(
    "text",
    ["CĐCS Trường THPT Tuần Giáo", "LĐLĐ huyện Tuần Giáo", "Ứng dụng bảng tính trong theo dõi"],
)
@pytest.mark.parametrize("encode", [to_tcvn3, to_vni])
def test_legacy_cells_with_abbreviations(text: str, encode) -> None:
    assert repair_legacy(encode(text))[0] == text


ORDINARY_WORDS = [
    "Hòa",
    "Bình",
    "Lê",
    "Anh",
    "Tú",
    "Giáo",
    "viên",
    "Hoàng",
    "Thuý",
    "quà",
    "giá",
    "Thái",
    "Mai",
    "Hà",
    "Tâm",
    "Tín",
    "Tài",
    "Hoà",
    "Nga",
    "Yên",
    "Ý",
    "Công",
    "đoàn",
    "Trường",
    "Điện",
    "Biên",
    "Nguyễn",
    "Thị",
    "Lò",
    "Văn",
    "Thắng",
    "Mường",
    "Ảng",
    "Tuần",
    "chuyên",
    "cần",
    "sáng",
    "kiến",
    "Excel",
    "Google",
    "Forms",
    "José",
    "Müller",
    "Noël",
    "café",
    "naïve",
    "Zoë",
    "Ørsted",
    "Straße",
    "5",
    "µm",
    "×",
    "½",
    "25°C",
    "©",
    "®",
    "«",
    "»",
    "😀",
    "🙏🏻",
    "🇻🇳",
    "👍",
    "THPT",
    "CĐCS",
    "LĐLĐ",
    "Wi-Fi",
    "e-mail",
    "0912.820.510",
    "a@b.vn",
]


@given(st.lists(st.sampled_from(ORDINARY_WORDS), min_size=1, max_size=8), st.sampled_from(" ,-/"))
def test_repair_legacy_never_touches_ordinary_text(words: list[str], separator: str) -> None:
    text = separator.join(words)
    assert repair_legacy(text) == (text, None)
