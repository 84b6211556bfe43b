"""Vietnamese text helpers: cleaning pasted cell text, folding it for matching, sorting names.

Everything here is pure and cheap; the lookup tables are built once, at import.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import chain, groupby, pairwise

import numpy as np

from .cores import in_threads

__all__ = [
    "SortKey",
    "clean_text",
    "fold",
    "fold_many",
    "is_missing",
    "person_sort_key",
    "repair_legacy",
    "strip_diacritics",
    "vietnamese_ranks",
    "vietnamese_sort_key",
]

# --- clean_text -------------------------------------------------------------------------------

# Invisible characters that Word, browsers and some keyboards leave in pasted text. They would
# make two equal-looking strings differ, and a zero-width joiner between a letter and its tone
# mark stops NFC from composing them, so they go before normalising.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# Spaces of every width become a plain space; vertical whitespace becomes a line break.
_SPACES = dict.fromkeys(
    map(
        ord,
        "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
        "\u202f\u205f\u3000",
    ),
    " ",
)
_BREAKS = dict.fromkeys(map(ord, "\x0b\x0c\x85\u2028\u2029"), "\n")
# Control characters (ESC, BEL, NUL, ...) pasted from terminals or old systems: invisible in a
# sheet, refused by .docx, and written back by Excel as "_x001B_". Tabs and line breaks stay.
_CONTROLS = dict.fromkeys(
    (c for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n\r\x0b\x0c\x85"), None
)
_CLEAN_TABLE = {**_INVISIBLE, **_SPACES, **_BREAKS, **_CONTROLS}
# str.translate walks a dict per character; finding whether there is anything to translate is a
# single C scan, and most cells have nothing.
_NEEDS_CLEANING = re.compile("[" + re.escape("".join(map(chr, _CLEAN_TABLE))) + "]")

_SPACE_RUN = re.compile(r" {2,}")
_TRAILING_SPACE = re.compile(r" +$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


def is_missing(value: object) -> bool:
    """True for an empty cell as the readers deliver it: None, NaN, NaT or pandas' NA."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        # NaN-like objects (numpy.nan, pandas.NaT) are the only values unequal to themselves.
        return bool(value != value)
    except (TypeError, ValueError):
        # pandas.NA refuses to be turned into a bool; nothing else we meet does.
        return True


def clean_text(value: object) -> str:
    """A cell as tidy text: NFC, plain spaces, no invisible characters, at most one blank line."""
    if type(value) is not str:  # most cells are text, neither missing nor a number
        if is_missing(value):
            return ""
        if isinstance(value, float) and value.is_integer():
            # Spreadsheets hand whole numbers back as floats; "12.0" is never what was typed.
            value = int(value)
    text = str(value)
    # Each step is guarded because most cells need none of them (the unguarded steps were most
    # of the normalise stage's time). Printable text holds no character of the table and no
    # line break, all of them unprintable: one scan in C spares it the search for them.
    printable = text.isprintable()
    if not printable:
        if "\r" in text:  # line ends typed on Windows: often the only thing to clean
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if _NEEDS_CLEANING.search(text):
            text = text.translate(_CLEAN_TABLE)
    if not text.isascii():  # ASCII is NFC already
        text = unicodedata.normalize("NFC", text)
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    if not printable and "\n" in text:
        if " \n" in text:  # spaces ending the last line go with strip() below
            text = _TRAILING_SPACE.sub("", text)
        if "\n\n\n" in text:
            text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


# --- strip_diacritics and fold ----------------------------------------------------------------

# đ/Đ are letters of their own, not d plus a mark, so Unicode does not decompose them.
_STROKED = {ord("đ"): "d", ord("Đ"): "D"}


def _without_marks(text: str) -> str:
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _build_strip_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict(_STROKED)
    # Latin-1 Supplement, Latin Extended-A/B and Latin Extended Additional hold every composed
    # Vietnamese letter; a bare combining mark (from NFD input) is simply dropped.
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        base = _without_marks(unicodedata.normalize("NFD", chr(code)))
        if base and base != chr(code):
            table[code] = base
    for code in range(0x300, 0x370):
        table[code] = None
    return table


def _fold_char(ch: str) -> str | None:
    if ch in "đĐ":
        return "d"
    if unicodedata.category(ch) == "Cf":  # zero-width and soft hyphen: they join, not split
        return ""
    out = []
    # NFKD also unfolds compatibility forms: full-width letters, ligatures, superscripts.
    for part in unicodedata.normalize("NFKD", ch):
        kind = unicodedata.category(part)
        if kind.startswith("M"):
            continue
        if kind[0] in "LN":
            out.append(_without_marks(part.lower()))
        else:
            out.append(" ")
    return "".join(out)


# Blocks skipped to keep the import quick: ideographs and syllabaries have neither case nor marks,
# surrogates are not characters, private-use ones mean nothing (the fallback turns them to spaces).
_UNFOLDED_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA000, 0xA4CF), (0xAC00, 0xF8FF))


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    start = 0
    codes: list[int] = []
    for skip_from, skip_to in _UNFOLDED_BLOCKS:
        codes.extend(range(start, skip_from))
        start = skip_to + 1
    codes.extend(range(start, 0x10000))
    for code in codes:
        folded = _fold_char(chr(code))
        if folded != chr(code):
            table[code] = folded or None
    return table


_STRIP_TABLE = _build_strip_table()
# Covers the whole Basic Multilingual Plane, so composed (NFC) and decomposed (NFD) input fold
# the same way without normalising first: composed letters map to their base, marks vanish.
_FOLD_TABLE = _build_fold_table()
# Characters beyond the table (emoji and other astral symbols) that are not letters or digits.
_NOT_WORD = re.compile(r"[\W_]+")


def strip_diacritics(text: str) -> str:
    """Vietnamese without its marks, case and punctuation kept: "Đường Tỉnh" -> "Duong Tinh"."""
    return text.translate(_STRIP_TABLE)


def fold(text: str) -> str:
    """The matching form of a text: no marks, lower case, words separated by single spaces.

    "Công đoàn Cơ sở  Trường THPT" -> "cong doan co so truong thpt".
    """
    folded = text.translate(_FOLD_TABLE)
    if not folded.isascii():
        folded = _NOT_WORD.sub(" ", folded.lower())
    return " ".join(folded.split())


# fold_many's code table: what each BMP character folds to when that is one ASCII character (a
# space for any whitespace), or one of these marks.
_DROPPED = 255  # folds to nothing (a combining mark, a zero-width character)
_BY_FOLD = 254  # anything else: the text goes through fold() itself
_BOUNDARY = 253  # between two texts
# Texts are folded about this many characters at a time, to keep the arrays small.
_FOLD_CHUNK_CHARS = 1 << 22


@lru_cache(maxsize=1)
def _fold_codes() -> np.ndarray:
    codes = np.full(0x10000, _BY_FOLD, dtype=np.uint8)
    codes[:0x80] = np.arange(0x80)
    for code, folded in _FOLD_TABLE.items():
        if not folded:
            codes[code] = _DROPPED
        elif len(folded) == 1 and folded.isascii():
            codes[code] = ord(" ") if folded.isspace() else ord(folded)
        else:
            codes[code] = _BY_FOLD
    return codes


def fold_many(texts: list[str]) -> list[str]:
    """fold() of each text, the same result, worked out on arrays of characters: at a hundred
    thousand descriptions, a Python step per word or per character would cost seconds. The
    chunks are folded in a thread per core: most of the work is numpy's."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths + 1)
    total = int(ends[-1]) if len(texts) else 0
    cuts = np.searchsorted(ends, np.arange(_FOLD_CHUNK_CHARS, total, _FOLD_CHUNK_CHARS))
    bounds = [0, *dict.fromkeys(cuts.tolist()), len(texts)]
    chunks = [
        (texts[start:end], lengths[start:end]) for start, end in pairwise(bounds) if end > start
    ]
    return list(chain.from_iterable(in_threads(chunks, _fold_chunk)))


def _fold_chunk(chunk: tuple[list[str], np.ndarray]) -> list[str]:
    texts, lengths = chunk
    joined = "\x00".join(texts)
    # In 16 bits when no character takes two (almost always): half the bytes to encode and to
    # look up, and about a third less time than in 32.
    units = joined.encode("utf-16-le", "surrogatepass")
    if len(units) == 2 * len(joined):
        mapped = _fold_codes()[np.frombuffer(units, dtype=np.uint16)]
    else:
        points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        mapped = _fold_codes()[np.minimum(points, 0xFFFF)]
        mapped[points > 0xFFFF] = _BY_FOLD  # beyond the table: emoji and other astral characters
    mapped[np.cumsum(lengths[:-1] + 1) - 1] = _BOUNDARY
    mapped = mapped[mapped != _DROPPED]
    # A run of spaces becomes one, and the space left at either end of a text goes: here, not
    # text by text in Python, which holds the other threads up (a fifth of the time of folding
    # a hundred thousand descriptions).
    space = mapped == ord(" ")
    repeated = np.zeros(len(mapped), dtype=bool)
    np.logical_and(space[1:], space[:-1], out=repeated[1:])
    mapped, space = mapped[~repeated], space[~repeated]
    bound = np.ones(len(mapped) + 2, dtype=bool)  # between texts, and before and after all
    np.equal(mapped, _BOUNDARY, out=bound[1:-1])
    np.logical_and(space, bound[:-2] | bound[2:], out=space)
    folded = mapped[~space].tobytes().decode("latin-1")
    pieces = folded.split(chr(_BOUNDARY))
    if chr(_BY_FOLD) not in folded:
        return pieces
    return [
        fold(text) if chr(_BY_FOLD) in piece else piece
        for text, piece in zip(texts, pieces, strict=True)
    ]


# --- Vietnamese collation ---------------------------------------------------------------------

# The Vietnamese alphabet; f j w z are not in it but appear in foreign names, so they take their
# Latin places.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
# Marks that make a different letter (ă â ê ô ơ ư) rather than a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
# Tones in dictionary order: none, huyền, sắc, hỏi, ngã, nặng.
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
_OTHER_MARK = 6  # any mark foreign to Vietnamese (ü, ç, ...) sorts after the tones

_SEPARATOR_WEIGHT = 1  # spaces and punctuation: a word break sorts before any letter
_DIGIT_WEIGHT = 10
_LETTER_WEIGHT = 100
_OTHER_WEIGHT = 1000

Weights = tuple[int, int, int]
SortKey = tuple[str, str, str]


@lru_cache(maxsize=4096)
def _weigh(ch: str) -> Weights:
    """(letter, tone, case) weights of one NFC character."""
    if ch.isdigit() and ch.isascii():
        return (_DIGIT_WEIGHT + int(ch), 0, 0)
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    case = 1 if base.isupper() else 0
    # Put the letter-making marks back on the base: "ấ" -> "â" (a letter), tone sắc.
    letter = base.lower() + "".join(m for m in marks if m in _LETTER_MARKS)
    letter = unicodedata.normalize("NFC", letter)
    tone = 0
    for mark in marks:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark not in _LETTER_MARKS:
            tone = _OTHER_MARK
    if len(letter) == 1 and letter in _ALPHABET:
        return (_LETTER_WEIGHT + _ALPHABET.index(letter), tone, case)
    if not ch.isalnum():
        return (_SEPARATOR_WEIGHT, 0, 0)
    return (min(_OTHER_WEIGHT + ord(ch), sys.maxunicode), 0, 0)


class _WeightTable(dict[int, str]):
    """A str.translate table that turns each character into one character whose code point is
    its weight at one level, filled on first sight. Comparing the translated strings compares
    the weights, and translating runs in C: sorting 100,000 titles went from seconds to a blink."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def __missing__(self, code: int) -> str:
        weight = chr(_weigh(chr(code))[self.level])
        self[code] = weight
        return weight


_LEVELS = (_WeightTable(0), _WeightTable(1), _WeightTable(2))


def vietnamese_sort_key(text: str) -> SortKey:
    """A key for sorted() in Vietnamese alphabetical order.

    Letters decide first (a < ă < â < b ... d < đ ..., whatever their tone or case), then tones
    (none < huyền < sắc < hỏi < ngã < nặng), then case (lower before upper).
    """
    text = unicodedata.normalize("NFC", text)
    letters, tones, cases = (text.translate(table) for table in _LEVELS)
    return (letters, tones, cases)


def vietnamese_ranks(texts: Iterable[str]) -> dict[str, int]:
    """Each distinct text's place in the order of `vietnamese_sort_key`; texts of equal keys
    share a place. The letters decide almost every place: the tones and cases are weighed only
    for texts whose letters tie (a third of the work of whole keys, once per distinct text)."""
    letters = {t: unicodedata.normalize("NFC", t).translate(_LEVELS[0]) for t in set(texts)}
    ranks: dict[str, int] = {}
    place = 0
    for _, tied in groupby(sorted(letters, key=letters.__getitem__), key=letters.__getitem__):
        run = list(tied)
        whole = vietnamese_sort_key if len(run) > 1 else None  # letters tie: whole keys decide
        for _, same in groupby(sorted(run, key=whole), key=whole):
            for text in same:
                ranks[text] = place
            place += 1
    return ranks


def person_sort_key(full_name: str) -> tuple[SortKey, SortKey]:
    """Sort people the Vietnamese way: by given name (the last word), then family and middle."""
    words = clean_text(full_name).split()
    given = words[-1] if words else ""
    return (vietnamese_sort_key(given), vietnamese_sort_key(" ".join(words[:-1])))


# --- legacy encodings -------------------------------------------------------------------------

# Provincial offices still type in the pre-Unicode TCVN3 (ABC, TCVN 5712:1993 VN3) and VNI
# fonts, and some tools decode UTF-8 as Windows-1252/1258; the cell then reads "C«ng ®oµn",
# "Coâng ñoaøn" or "CÃ´ng Ä‘oÃ n" for "Công đoàn". Each is turned back into Unicode here.

# Tones in the order the TCVN3 table lists them: huyền, hỏi, ngã, sắc, nặng.
_TCVN3_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
# TCVN 5712:1993 VN3: each vowel's five toned forms, in _TCVN3_TONES order; capitals of the
# toned letters have no code of their own (a capitals font draws the same codes).
_TCVN3_TONED = {
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TCVN3_PLAIN = dict(zip(range(0xA1, 0xAF), "ĂÂÊÔƠƯĐăâêôơưđ", strict=True))


def _build_tcvn3_table() -> dict[int, str]:
    table = dict(_TCVN3_PLAIN)
    for vowel, codes in _TCVN3_TONED.items():
        for byte, tone in zip(codes, _TCVN3_TONES, strict=True):
            table[byte] = unicodedata.normalize("NFC", vowel + tone)
    return table


# VNI Windows: a base letter followed by one byte for its hat or horn and tone. Per letter mark,
# the suffix without tone, then with sắc, huyền, hỏi, ngã, nặng (lower case; capitals use the
# upper-case byte). ơ and ư are single bytes (ô, ö) taking the plain tone suffixes; i's toned
# forms and ỵ are single bytes.
_VNI_TONE_SUFFIXES = ("", "ù", "ø", "û", "õ", "ï")
_VNI_HAT_SUFFIXES = ("â", "á", "à", "å", "ã", "ä")
_VNI_BREVE_SUFFIXES = ("ê", "é", "è", "ú", "ü", "ë")
_VNI_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò"}
_VNI_SINGLE_TONED_Y = {"ỵ": "î"}


def _vni_spellings() -> Iterator[tuple[str, str]]:
    """(Unicode letter, VNI spelling) for every lower-case Vietnamese letter that needs one."""
    for letter, spelling in (*_VNI_SINGLE.items(), *_VNI_SINGLE_TONED_Y.items()):
        yield letter, spelling
    for base, mark, suffixes in (
        *((v, "", _VNI_TONE_SUFFIXES) for v in "aeouy"),
        *((v, "\u0302", _VNI_HAT_SUFFIXES) for v in "aeo"),
        ("a", "\u0306", _VNI_BREVE_SUFFIXES),
        *((v, "\u031b", _VNI_TONE_SUFFIXES) for v in "ou"),
    ):
        for tone, suffix in zip(_VNI_TONES, suffixes, strict=True):
            letter = unicodedata.normalize("NFC", base + mark + tone)
            head = _VNI_SINGLE.get(unicodedata.normalize("NFC", base + mark), base)
            if len(letter) == 1 and suffix and letter not in _VNI_SINGLE_TONED_Y:
                yield letter, head + suffix


def _build_vni_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for letter, spelling in _vni_spellings():
        table[spelling] = letter
        table[spelling.upper()] = letter.upper()
    return table


_TCVN3_TABLE = _build_tcvn3_table()
_VNI_TABLE = _build_vni_table()
# Longest spelling first, so "oâ" (ô) wins over "o" followed by something else.
_VNI_SPELLING = re.compile("|".join(sorted(map(re.escape, _VNI_TABLE), key=len, reverse=True)))


# The inverse tables, for writing test data and for tools that must produce legacy text.
_TO_TCVN3 = {letter: chr(byte) for byte, letter in _TCVN3_TABLE.items()}
_TO_VNI = {letter: spelling for spelling, letter in _VNI_TABLE.items()}


def to_tcvn3(text: str) -> str:
    """Unicode Vietnamese as a TCVN3 font stores it (capital toned letters fall to lower case:
    the standard has no code for them)."""
    nfc = unicodedata.normalize("NFC", text)
    return "".join(_TO_TCVN3.get(ch, _TO_TCVN3.get(ch.lower(), ch)) for ch in nfc)


def to_vni(text: str) -> str:
    """Unicode Vietnamese as a VNI font stores it."""
    return "".join(_TO_VNI.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def _byte_characters(codepage: str) -> dict[int, str]:
    """Byte 0x80..0xFF -> the character `codepage` decodes it to; bytes the code page leaves
    undefined come through as the C1 control of the same number."""
    table: dict[int, str] = {}
    for byte in range(0x80, 0x100):
        try:
            table[byte] = bytes([byte]).decode(codepage)
        except UnicodeDecodeError:
            table[byte] = chr(byte)
    return table


_MISDECODINGS = {
    "UTF-8/Windows-1252": _byte_characters("cp1252"),
    "UTF-8/Windows-1258": _byte_characters("cp1258"),
}
# How to undo each: character -> the byte it came from (as a code point, for str.translate).
_UNDO = {name: {ord(c): b for b, c in chars.items()} for name, chars in _MISDECODINGS.items()}
# UTF-8 that went through a code page shows a lead byte's character followed by a continuation
# byte's one ("Ã²" for ò); only such text is worth trying to decode again.
_MISDECODED_PAIR = re.compile(
    "[{}][{}]".format(
        re.escape("".join({c[b] for c in _MISDECODINGS.values() for b in range(0xC2, 0xF5)})),
        re.escape("".join({c[b] for c in _MISDECODINGS.values() for b in range(0x80, 0xC0)})),
    )
)


def _undo_misdecoding(text: str) -> tuple[str, str] | None:
    """UTF-8 that was decoded as Windows-1252/1258 ("LÃ² VÄƒn"), decoded right ("Lò Văn")."""
    if not _MISDECODED_PAIR.search(text):
        return None
    for name, back in _UNDO.items():
        try:
            raw = text.translate(back).encode("latin-1")
            repaired = raw.decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if repaired != text:
            return repaired, name
    return None


# A Vietnamese syllable without its tone: onset, vowel group (with its glides), final consonant.
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
# Groups ending in a glide (ai, ao, iêu, ...) close the syllable; the others may take a final.
_CLOSED_GROUPS = (
    "iêu|yêu|oai|oao|oay|oeo|uây|uôi|uya|uyu|ươi|ươu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu|ya"
)
_OPEN_GROUPS = "uyê|iê|yê|oa|oă|oe|oo|uâ|uê|uô|uơ|uy|ươ|a|ă|â|e|ê|i|o|ô|ơ|u|ư|y"
_OPEN_SYLLABLE = re.compile(rf"(?:{_ONSETS})?(?:{_OPEN_GROUPS})(?:ch|nh|ng|c|m|n|p|t)?")
_CLOSED_SYLLABLE = re.compile(rf"(?:{_ONSETS})?(?:{_CLOSED_GROUPS})")
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_MARKS = "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323"  # tones and letter marks
_TOKEN_BREAK = re.compile(r"[\s\-/,.;:()\[\]\"'!?]+")


def _is_syllable(word: str) -> bool:
    """A Vietnamese word as typed: one tone at most, lower, upper or title case."""
    if not (word.islower() or word.isupper() or word.istitle()):
        return False
    parts = unicodedata.normalize("NFD", word.lower())
    if sum(ch in _TONE_MARKS for ch in parts) > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(ch for ch in parts if ch not in _TONE_MARKS))
    if _OPEN_SYLLABLE.fullmatch(toneless):
        return True
    # A glide closing the syllable never carries the tone: "cháu", not "chaú" (VNI's "Chaù").
    tone_on_glide = bool(_TONE_MARKS.intersection(parts[len(parts.rstrip(_MARKS)) :]))
    return _CLOSED_SYLLABLE.fullmatch(toneless) is not None and not tone_on_glide


@lru_cache(maxsize=65_536)  # names and units repeat from row to row
def _is_word(token: str) -> bool:
    """A Vietnamese syllable, or an abbreviation in capitals without tones ("CĐCS", "LĐLĐ")."""
    if _is_syllable(token):
        return True
    plain = unicodedata.normalize("NFD", token)
    return token.isalpha() and token.isupper() and not any(ch in _TONE_MARKS for ch in plain)


def _upper_where_typed_upper(word: str) -> str:
    """TCVN3 has no capital toned letters: "NGUYễN" typed in a capitals font is "NGUYỄN"."""
    cased = [ch for ch in word if ch.isalpha() and ch.isascii()]
    if len(cased) >= 2 and all(ch.isupper() for ch in cased):
        return word.upper()
    return word


# Codes of toned letters, which TCVN3 writes in lower case only.
_TCVN3_CASELESS = frozenset(chr(b) for codes in _TCVN3_TONED.values() for b in codes)


def _from_tcvn3(text: str) -> str:
    """TCVN3 to Unicode. A word starting with a toned letter is capitalised when it starts the
    cell or every other word is capitalised (a name): "Ên Nguyễn" -> "Ấn Nguyễn"."""
    words = text.split(" ")
    titled = all(w[0].isupper() for w in words if w[:1].isascii() and w[:1].isalpha())
    out = []
    for index, word in enumerate(words):
        converted = _upper_where_typed_upper(word.translate(_TCVN3_TABLE))
        if word[:1] in _TCVN3_CASELESS and (index == 0 or titled):
            converted = converted[:1].upper() + converted[1:]
        out.append(converted)
    return " ".join(out)


def _from_vni(text: str) -> str:
    return _VNI_SPELLING.sub(lambda match: _VNI_TABLE[match.group()], text)


def _changed_inside(old: str, new: str) -> bool:
    """The conversion changed a character after a word's first: "Hµ" -> "Hà", not "µm" -> "àm"
    (a lone changed first character is as likely a symbol such as the micro sign)."""
    return any(a != b for a, b in zip(old[1:], new[1:], strict=False))


def _plausible(original: str, converted: str) -> bool:
    """The conversion left no word that is not Vietnamese and is borne out by words of two
    characters or more that were not Vietnamese before: two different ones, or one changed after
    its first character. So "Hòa µm" and "5 µm × 3" stay: "Hòa" was a word already, "×" is one
    character and "µm" alone may be micrometres."""
    before, after = _TOKEN_BREAK.split(original), _TOKEN_BREAK.split(converted)
    if len(before) != len(after):
        return False
    evidence = [
        (old, new)
        for old, new in zip(before, after, strict=True)
        if old != new and len(old) >= 2 and not _is_word(old)
    ]
    return (
        len({old for old, _ in evidence}) >= 2 or any(_changed_inside(*pair) for pair in evidence)
    ) and all(_is_word(token) for token in after if not token.isascii())


# Letters only Unicode Vietnamese has: ă đ ơ ư (either case) and Latin Extended Additional.
_GENUINE = re.compile(r"[ăĂđĐơƠưƯ\u1ea0-\u1ef9]")
# Of those, the ones no code page produces either: most Vietnamese cells stop at the first.
_VIETNAMESE_ONLY = re.compile(r"[\u1ea0-\u1ef9]")
_LEGACY_RANGE = re.compile(r"[^\x00-\xff]")
# What TCVN3 or VNI text shows and Unicode Vietnamese typed in Latin-1 letters never does: a
# Latin-1 character that is not a Vietnamese letter (µ ª « ® ñ ø ...), a capital inside a word
# ("ViÖt", "LÒnh"), or a vowel followed by a VNI mark byte ("Leâ", "Thuyù").
_VIETNAMESE_LATIN1 = "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ"
_LEGACY_HINT = re.compile(
    "[{0}]|[a-z{1}][{2}]|[A-Z][{2}][a-z]|[aeiouyôöAEIOUYÔÖ][ùõâáàãêéèúÙÕÂÁÀÃÊÉÈÚ]".format(
        "".join(chr(c) for c in range(0x80, 0x100) if chr(c) not in _VIETNAMESE_LATIN1),
        _VIETNAMESE_LATIN1[:17],
        _VIETNAMESE_LATIN1[17:],
    )
)


def legacy_suspects(values: Sequence[object]) -> list[int]:
    """The indexes of the values that `repair_legacy` may change: text that is not ASCII and
    holds no letter only Unicode Vietnamese has. Most cells are passed over here, a column at a
    time, without a call each."""
    unicode_only = _VIETNAMESE_ONLY.search
    return [
        i
        for i, value in enumerate(values)
        if isinstance(value, str) and not value.isascii() and not unicode_only(value)
    ]


def repair_legacy(text: str) -> tuple[str, str | None]:
    """(the text in Unicode, the legacy encoding it was in or None when it was fine).

    Conservative: a cell is converted only when the conversion turns words that are not
    Vietnamese into words that are, so ordinary Vietnamese, English and emoji stay as typed.
    """
    if text.isascii() or _VIETNAMESE_ONLY.search(text):
        return text, None
    if found := _undo_misdecoding(text):
        return found
    if _GENUINE.search(text) or _LEGACY_RANGE.search(text) or not _LEGACY_HINT.search(text):
        return text, None
    if all(_is_word(token) for token in _TOKEN_BREAK.split(text) if not token.isascii()):
        return text, None  # every word already reads as Vietnamese: nothing to repair
    candidates = [(_from_vni(text), "VNI"), (_from_tcvn3(text), "TCVN3")]
    plausible = [(len(new), rank, new, name) for rank, (new, name) in enumerate(candidates)]
    plausible = [entry for entry in plausible if _plausible(text, entry[2])]
    if not plausible:
        return text, None
    _, _, repaired, name = min(plausible)
    return repaired, name


def shorten(text: str, limit: int) -> str:
    """The text cut at a word boundary to about `limit` characters, marked with "…" when cut."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
