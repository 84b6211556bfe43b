"""Sample form responses: the bundled Điện Biên example and data for tests and benchmarks.

`generate_responses` builds rows shaped like a Google Form's response sheet (the headers of
`sheets_templates/form.yaml`, in the vi or en locale) for the grassroots unions of an
organisation tree. Everything is drawn from one `random.Random(seed)`, so a seed always gives
the same rows. Most rows are valid; a known share carries exactly one planted problem, and the
answer key (`GeneratedSet.expected`) lists every planted row with the codes the rules must give
it, plus the same-author resubmissions and the near-identical rows of different authors.

The campaign's specifics (fields, sectors, implementation window, description limit, closing
moment) come from a `Settings`; the Vietnamese names and sentences below are sample content.

`python -m examplegen` rewrites the bundled example named in config.yaml: the two response
files of its sources, split by the kind of direct superior, and `expected.json` beside them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import yaml

from sync.config import Settings, read_settings
from sync.models import FIELDS
from sync.normalize import SECONDS_PER_DAY, to_serial
from sync.orgtree import Unit, load_tree
from sync.templates import DEFAULT_TEMPLATES, load_templates
from sync.text import strip_diacritics

__all__ = [
    "SHEET_NAME",
    "GeneratedSet",
    "generate_responses",
    "main",
    "write_example",
    "write_responses_csv",
    "write_responses_xlsx",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config.yaml"
SHEET_NAME = "Câu trả lời biểu mẫu 1"  # the first tab of a Vietnamese Google Form's sheet
EXAMPLE_ROWS = 3000
EXAMPLE_SEED = 2021

# Shares of rows (of n) for each planted problem and for the duplicate pairs.
PLANTED_SHARE = 0.015
DUPLICATE_SHARE = 0.02  # same-author resubmissions: pairs per row
CROSS_AUTHOR_SHARE = 0.005  # near-identical rows of different authors: pairs per row
MULTI_AUTHOR_SHARE = 0.04  # authors who send two or three different initiatives
MIN_ROWS_FOR_PROBLEMS = 100  # smaller sets are all valid rows

CODES = (
    "MISSING_REQUIRED",
    "TOO_LONG",
    "LATE",
    "UNKNOWN_UNIT",
    "INVALID_CHOICE",
    "BAD_DATE",
    "OUT_OF_WINDOW",
    "BAD_PHONE",
    "BAD_EMAIL",
)

# Submissions per hour of the day, from 06:00 to 23:00: office hours and evenings.
HOUR_WEIGHTS = "1 4 8 9 9 6 2 3 7 8 7 4 2 3 5 5 3 1"


# --- sample vocabulary ------------------------------------------------------------------------


# The word lists are data, in examplegen/data/: people.yaml, workplaces.yaml, texts.yaml and
# mistakes.yaml. The codes below name the kinds of workplace and the themes those files use.

DATA_DIR = Path(__file__).resolve().parent / "data"

EDU, HEALTH, BIZ, OFFICE, AGRI = "edu", "health", "biz", "office", "agri"
PRODUCTION, PRODUCT, SAFETY, ADMIN, COMMUNITY = (
    "production",
    "product",
    "safety",
    "admin",
    "community",
)
THEMES = (PRODUCTION, PRODUCT, SAFETY, ADMIN, COMMUNITY)

# How often each kind of workplace writes in each theme.
THEME_WEIGHTS: dict[str, dict[str, int]] = {
    EDU: {COMMUNITY: 5, ADMIN: 3, PRODUCT: 2, SAFETY: 1},
    HEALTH: {COMMUNITY: 5, SAFETY: 3, ADMIN: 2, PRODUCT: 1},
    BIZ: {PRODUCTION: 5, SAFETY: 3, PRODUCT: 2, ADMIN: 1},
    OFFICE: {ADMIN: 7, COMMUNITY: 1, SAFETY: 1, PRODUCT: 1},
    AGRI: {SAFETY: 4, PRODUCTION: 3, ADMIN: 2, PRODUCT: 1, COMMUNITY: 1},
}

# Folded keywords that tell which theme a configured field (lĩnh vực) is about.
THEME_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (PRODUCT, ("san pham",)),
    (PRODUCTION, ("san xuat", "lam loi")),
    (SAFETY, ("an toan", "moi truong")),
    (ADMIN, ("hanh chinh", "quan ly", "dieu hanh")),
    (COMMUNITY, ("cong dong", "y te", "giao duc")),
)


def _weighted(items: Iterable[str]) -> tuple[str, ...]:
    """Expand "Nguyễn *30" into thirty "Nguyễn"; an item without a weight counts once."""
    out: list[str] = []
    for item in items:
        name, _, weight = item.partition(" *")
        out.extend([name] * (int(weight) if weight else 1))
    return tuple(out)


def _frozen(value: Any) -> Any:
    """YAML lists as tuples at every depth, so no draw can change the vocabulary."""
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def _vocabulary(name: str) -> dict[str, Any]:
    return _frozen(yaml.safe_load((DATA_DIR / f"{name}.yaml").read_text(encoding="utf-8")))


_PEOPLE = _vocabulary("people")
FAMILY_KINH = _weighted(_PEOPLE["family_kinh"])
FAMILY_THAI = _weighted(_PEOPLE["family_thai"])
FAMILY_HMONG = _weighted(_PEOPLE["family_hmong"])
MIDDLE_KINH_MALE = _weighted(_PEOPLE["middle_kinh_male"])
MIDDLE_KINH_FEMALE = _weighted(_PEOPLE["middle_kinh_female"])
GIVEN_KINH_MALE = _weighted(_PEOPLE["given_kinh_male"])
GIVEN_KINH_FEMALE = _weighted(_PEOPLE["given_kinh_female"])
GIVEN_THAI_MALE = _weighted(_PEOPLE["given_thai_male"])
GIVEN_THAI_FEMALE = _weighted(_PEOPLE["given_thai_female"])
GIVEN_HMONG_MALE = _weighted(_PEOPLE["given_hmong_male"])
GIVEN_HMONG_FEMALE = _weighted(_PEOPLE["given_hmong_female"])
MOBILE_PREFIXES = _weighted(_PEOPLE["mobile_prefixes"])
EMAIL_DOMAINS = _weighted(_PEOPLE["email_domains"])
POSITIONS = {domain: _weighted(items) for domain, items in _PEOPLE["positions"].items()}
BANK_POSITIONS = _weighted(_PEOPLE["bank_positions"])

_WORKPLACES = _vocabulary("workplaces")
SUBS = _WORKPLACES["subs"]
TASKS = _WORKPLACES["tasks"]
PROBLEMS = _WORKPLACES["problems"]
PEOPLE = _WORKPLACES["people"]
PEERS = _WORKPLACES["peers"]
RATES = _WORKPLACES["rates"]
COSTS = _WORKPLACES["costs"]
TOOLS = _WORKPLACES["tools"]
MATERIALS = _WORKPLACES["materials"]
PARTNERS = _WORKPLACES["partners"]
NICHE_KEYWORDS = _WORKPLACES["niche_keywords"]
NICHE_PHRASES = _WORKPLACES["niche_phrases"]
MORE_TASKS = _WORKPLACES["more_tasks"]
MORE_PROBLEMS = _WORKPLACES["more_problems"]

_TEXTS = _vocabulary("texts")
TITLE_VERBS = _TEXTS["title_verbs"]
OBJECTS = _TEXTS["objects"]
INTROS = _TEXTS["intros"]
SOLUTIONS = _TEXTS["solutions"]
RESULTS = _TEXTS["results"]
CLOSINGS = _TEXTS["closings"]
EXTRAS = _TEXTS["extras"]
ADDED_SENTENCES = _TEXTS["added_sentences"]
# Each ending follows its title's object after a space.
TITLE_ENDINGS = {
    theme: tuple(" " + ending for ending in endings)
    for theme, endings in _TEXTS["title_endings"].items()
}
# Phrases added to a kind's list for the trades some of its workplaces are in: theme -> kind.
MORE_OBJECTS = {
    (theme, domain): phrases
    for theme, by_domain in _TEXTS["more_objects"].items()
    for domain, phrases in by_domain.items()
}

_MISTAKES = _vocabulary("mistakes")
# Rows whose grassroots union exists nowhere in the tree: (name, is a business).
UNKNOWN_UNITS = tuple(_MISTAKES["unknown_units"].items())
BAD_FIELDS = _MISTAKES["bad_fields"]
BAD_SECTORS = _MISTAKES["bad_sectors"]
BAD_DATES = _MISTAKES["bad_dates"]
BAD_PHONES = _MISTAKES["bad_phones"]
BAD_EMAILS = _MISTAKES["bad_emails"]
MISSING_FIELDS = (
    "full_name", "title", "description", "start_date", "field", "sector", "grassroots_unit",
)  # fmt: skip


# --- small helpers ----------------------------------------------------------------------------


def _ascii_words(text: str) -> list[str]:
    return [w for w in strip_diacritics(text).lower().replace("-", " ").split() if w.isalnum()]


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _decimal_vi(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _domain_of(name: str) -> str:
    if name.startswith("Ngân hàng"):
        return OFFICE  # a bank branch writes about paperwork and counters
    if name.startswith(("Công ty", "Hợp tác xã", "Bưu điện", "Viễn thông", "Nhà máy")):
        return BIZ
    if name.startswith(("Bệnh viện", "Trung tâm Y tế", "Trung tâm Kiểm soát bệnh tật", "Sở Y tế")):
        return HEALTH
    if name.startswith(("Trường", "Phòng Giáo dục", "Sở Giáo dục", "Trung tâm Giáo dục")):
        return EDU
    agri = ("Kiểm lâm", "rừng", "Khu bảo tồn", "Chăn nuôi", "Khuyến nông", "Thủy lợi", "Nước sạch",
            "Trồng trọt", "Sở Nông nghiệp", "thủy nông")  # fmt: skip
    if any(word in name for word in agri):
        return AGRI
    return OFFICE


_PHRASE_NICHE = {phrase: niche for niche, phrases in NICHE_PHRASES.items() for phrase in phrases}


def _niche_of(name: str) -> str:
    for niche, words in NICHE_KEYWORDS.items():
        if any(word in name for word in words):
            return niche if _is_business(name) else "public"
    return "business" if _is_business(name) else "public"


def _suited(phrases: tuple[str, ...], niche: str) -> tuple[str, ...]:
    """The phrases a workplace of this trade may use: its own and the untagged ones."""
    kept = tuple(p for p in phrases if _PHRASE_NICHE.get(p, niche) == niche)
    return kept or tuple(p for p in phrases if p not in _PHRASE_NICHE) or phrases


def _is_business(name: str) -> bool:
    return name.startswith(
        ("Công ty", "Hợp tác xã", "Ngân hàng", "Bưu điện", "Viễn thông", "Nhà máy", "Xí nghiệp",
         "Khách sạn")
    )  # fmt: skip


# --- the organisation tree, as far as the sample needs it ------------------------------------


@dataclass(frozen=True, slots=True)
class _Place:
    """A grassroots union people write from, with the ways they name it and its superior."""

    unit_id: str
    superior_id: str
    superior_kind: str
    name: str  # without the "Công đoàn cơ sở" prefix: how the unit calls itself
    domain: str
    business: bool
    superior_answers: tuple[str, ...]
    grassroots_answers: tuple[str, ...]
    positions: tuple[str, ...]
    # sub, task, problem, people, peers, rate: the phrases this workplace's texts use
    vocab: tuple[tuple[str, ...], ...]
    objects: dict[str, tuple[str, ...]]  # theme -> what its initiatives are about


_GRASSROOTS_PREFIX = "Công đoàn cơ sở "


def _variants(name: str, aliases: Sequence[str], lower: bool) -> tuple[str, ...]:
    """Weighted spellings of a unit: official name and aliases mostly, then the same without
    diacritics, in lower case, or decomposed (NFD) as some keyboards send it."""
    names = [name, *aliases]
    out = [name] * 4 + [a for a in aliases for _ in range(2)]
    out += [strip_diacritics(n) for n in names[:3]]
    if lower:
        out += [n.lower() for n in names[:2]]
    out.append(unicodedata.normalize("NFD", names[-1]))
    out.append(name + " ")
    return tuple(out)


def _place(unit: Unit, superior: Unit) -> _Place:
    short = unit.name.removeprefix(_GRASSROOTS_PREFIX)
    domain = _domain_of(short)
    niche = _niche_of(short)
    return _Place(
        unit_id=unit.id,
        superior_id=superior.id,
        superior_kind=superior.kind,
        name=short,
        domain=domain,
        business=_is_business(short),
        superior_answers=_variants(superior.name, superior.aliases, lower=False),
        grassroots_answers=_variants(unit.name, unit.aliases, lower=True),
        positions=BANK_POSITIONS if short.startswith("Ngân hàng") else POSITIONS[domain],
        vocab=(
            SUBS[domain],
            _suited(TASKS[domain] + MORE_TASKS.get(domain, ()), niche),
            _suited(PROBLEMS[domain] + MORE_PROBLEMS.get(domain, ()), niche),
            PEOPLE[domain],
            PEERS[domain],
            RATES[domain],
        ),
        objects={
            theme: _suited(OBJECTS[theme][domain] + MORE_OBJECTS.get((theme, domain), ()), niche)
            for theme in THEMES
        },
    )


def _load_places(units_path: Path) -> list[_Place]:
    """The grassroots unions of the organisation tree, read by the product's own loader."""
    tree = load_tree(units_path)
    places = [
        _place(unit, tree[unit.parent_id])
        for unit in tree
        if unit.kind == "grassroots" and unit.parent_id is not None
    ]
    if not places:
        raise ValueError(f"{units_path}: the organisation tree has no grassroots unions")
    return places


# --- the campaign rules the sample obeys ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Campaign:
    fields: tuple[str, ...]
    sectors: tuple[str, ...]
    business_sector: str
    public_sector: str
    window_start: date
    window_end: date
    limit: int
    closes_at: datetime  # naive, local
    field_themes: dict[str, tuple[str, ...]]  # theme -> configured fields about it

    @classmethod
    def from_settings(cls, settings: Settings) -> _Campaign:
        sectors = settings.sectors
        business = next((s for s in sectors if "doanh nghiep" in " ".join(_ascii_words(s))), None)
        business = business or sectors[0]
        public = next((s for s in sectors if s != business), business)
        themes: dict[str, list[str]] = {t: [] for t in THEMES}
        for name in settings.fields:
            words = " ".join(_ascii_words(name))
            theme = next((t for t, keys in THEME_KEYWORDS if any(k in words for k in keys)), ADMIN)
            themes[theme].append(name)
        for theme in THEMES:  # a theme no field is about writes under any field
            themes[theme] = themes[theme] or list(settings.fields)
        window = settings.campaign.implementation_window
        return cls(
            fields=settings.fields,
            sectors=sectors,
            business_sector=business,
            public_sector=public,
            window_start=window.start,
            window_end=window.end,
            limit=settings.campaign.description_max_chars,
            closes_at=settings.campaign.form_closes_at,
            field_themes={t: tuple(v) for t, v in themes.items()},
        )


# --- the result -------------------------------------------------------------------------------


@dataclass(slots=True)
class GeneratedSet:
    """Rows as a form sheet holds them, with the answer key.

    rows: header -> cell value (str, int or None), in sheet order (by timestamp).
    expected: {"planted": [{"row_index", "codes", "field", "note"?}], "duplicates": [[older,
    newer]], "cross_author": [[i, j]]}; indexes are 0-based in `rows`, the sheet row is index + 2.
    unit_ids / superior_ids: the grassroots union and direct superior each row was written for
    (unit id None for a made-up union).
    """

    headers: list[str]
    rows: list[dict[str, object]]
    expected: dict[str, Any]
    unit_ids: list[str | None] = field(default_factory=list)
    superior_ids: list[str] = field(default_factory=list)


# --- the generator ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Author:
    name: str
    gender: str
    birth_year: int | None
    phone_digits: str  # "0912820510"
    phone: object  # as typed: text in some format, an int without its 0, or None
    email: str
    position: str
    place: _Place
    superior: str
    grassroots: str


@dataclass(slots=True)
class _Record:
    """One row before sorting: its cells (by header), submission second and role in the key."""

    values: dict[str, object]
    second: int  # seconds since the sample's first day
    place: _Place
    unit_known: bool = True
    planted: dict[str, Any] | None = None
    pair: tuple[str, int] | None = None  # ("dup" | "cross", pair number)


@dataclass(frozen=True, slots=True)
class _StartDay:
    """A possible implementation start, with the ways people write it."""

    full: str  # 15/03/2021
    short: str  # 15/3/2021
    month: str | None  # 03/2021, when the whole month lies in the window
    spelled: str | None  # tháng 3/2021, likewise
    serial: int  # the spreadsheet day number
    year: int
    month_text: str  # 3/2021


_MONEY_KEYS = ("{money}", "{money_small}")


class _Writer:
    """Draws every value of every row from one Random, with tables built once."""

    def __init__(
        self,
        rng: Random,
        places: list[_Place],
        campaign: _Campaign,
        genders: Sequence[str],
        headers: dict[str, str],
    ):
        self.rng = rng
        self.r = rng.random
        self.places = places
        self.campaign = campaign
        self.h = headers  # field key -> header
        self.male, self.female = (genders[0], genders[1]) if len(genders) >= 2 else ("Nam", "Nữ")
        self.family_kinh = FAMILY_KINH
        self.family_thai = FAMILY_THAI
        self.family_hmong = FAMILY_HMONG
        self.place_themes: dict[str, tuple[str, ...]] = {
            domain: _weighted(f"{theme} *{weight}" for theme, weight in weights.items())
            for domain, weights in THEME_WEIGHTS.items()
        }
        self.by_superior: dict[str, list[_Place]] = {}
        for place in places:
            self.by_superior.setdefault(place.superior_id, []).append(place)
        self.hours = tuple(
            int(h)
            for h in _weighted(
                f"{hour} *{weight}"
                for hour, weight in zip(range(6, 24), HOUR_WEIGHTS.split(), strict=True)
            )
        )
        # The first day shown is 49 days before the form closes; the peak starts five days later.
        self.base = datetime.combine(
            campaign.closes_at.date() - timedelta(days=49), datetime.min.time()
        )
        self.close_second = int((campaign.closes_at - self.base).total_seconds())
        self.days: dict[tuple[int, str], str] = {}
        self._start_days(campaign)
        self.email_words: dict[str, list[str]] = {}
        # Extra sentences are visited with a step coprime to their number, so none repeats.
        self.extra_steps = tuple(s for s in range(1, len(EXTRAS)) if math.gcd(s, len(EXTRAS)) == 1)
        every = (*INTROS, *RESULTS, *CLOSINGS, *EXTRAS, *(s for v in SOLUTIONS.values() for s in v))
        self.with_money = frozenset(s for s in every if any(k in s for k in _MONEY_KEYS))
        self.numbers = self._numbers(4096)

    def _start_days(self, c: _Campaign) -> None:
        days = []
        for offset in range((c.window_end - c.window_start).days + 1):
            day = c.window_start + timedelta(days=offset)
            first = day.replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            whole = first >= c.window_start and last <= c.window_end
            days.append(
                _StartDay(
                    full=f"{day:%d/%m/%Y}",
                    short=f"{day.day}/{day.month}/{day.year}",
                    month=f"{day:%m/%Y}" if whole else None,
                    spelled=f"tháng {day.month}/{day.year}" if whole else None,
                    serial=int(to_serial(day)),
                    year=day.year,
                    month_text=f"{day.month}/{day.year}",
                )
            )
        self.start_days = tuple(days)
        # For each submission day: how many window days lie on or before it (at least one).
        self.started_by = tuple(
            min(
                len(days),
                max(1, ((self.base.date() + timedelta(days=d)) - c.window_start).days + 1),
            )
            for d in range(self.close_second // SECONDS_PER_DAY + 1)
        )

    # -- picking -----------------------------------------------------------------------------

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.r() * len(seq))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.r() * (high - low + 1))

    # -- people ------------------------------------------------------------------------------

    def person(self) -> tuple[str, str]:
        pick, r = self.pick, self.r
        female = r() < 0.55
        roll = r()
        if roll < 0.55:
            family = pick(self.family_kinh)
            if female:
                name = f"{family} {pick(MIDDLE_KINH_FEMALE)} {pick(GIVEN_KINH_FEMALE)}"
            else:
                name = f"{family} {pick(MIDDLE_KINH_MALE)} {pick(GIVEN_KINH_MALE)}"
        elif roll < 0.83:
            family = pick(self.family_thai)
            if female:
                name = f"{family} Thị {pick(GIVEN_THAI_FEMALE)}"
            else:
                name = f"{family} Văn {pick(GIVEN_THAI_MALE)}"
        else:
            family = pick(self.family_hmong)
            if female:
                name = f"{family} Thị {pick(GIVEN_HMONG_FEMALE)}"
            else:
                name = f"{family} {'A' if r() < 0.7 else 'Văn'} {pick(GIVEN_HMONG_MALE)}"
        return name, self.female if female else self.male

    def phone_number(self) -> str:
        prefix = self.pick(MOBILE_PREFIXES)
        width = 10 - len(prefix)
        return prefix + f"{int(self.r() * 10**width):0{width}d}"

    def phone_as_typed(self, digits: str) -> object:
        roll = self.r()
        if roll < 0.30:
            return digits
        if roll < 0.50:
            return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
        if roll < 0.65:
            return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
        if roll < 0.75:
            return f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}"
        if roll < 0.80:
            return "+84" + digits[1:]
        if roll < 0.90:
            return int(digits)  # a number cell: the leading 0 is gone
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"

    def email(self, name: str, birth_year: int | None) -> str:
        words = self.email_words.get(name)
        if words is None:
            words = self.email_words[name] = _ascii_words(name)
        given, rest = words[-1], words[:-1]
        initials = "".join(w[0] for w in rest)
        roll = self.r()
        if roll < 0.3:
            local = "".join(words) + (f"{birth_year % 100:02d}" if birth_year else "")
        elif roll < 0.55:
            local = given + initials
        elif roll < 0.8:
            local = f"{given}.{initials}{self.between(1, 99)}"
        else:
            local = ".".join(words)
        return f"{local}@{self.pick(EMAIL_DOMAINS)}"

    def author(self, place: _Place, *, simple_contacts: bool = False) -> _Author:
        name, gender = self.person()
        r = self.r
        birth_year = None if r() < 0.02 else self.between(1965, 2000)
        digits = self.phone_number()
        phone: object = self.phone_as_typed(digits)
        if not simple_contacts and r() < 0.02:
            phone = None
        email = "" if r() < 0.15 else self.email(name, birth_year)
        position = "" if r() < 0.05 else self.pick(place.positions)
        return _Author(
            name=name,
            gender=gender,
            birth_year=birth_year,
            phone_digits=digits,
            phone=phone,
            email=email,
            position=position,
            place=place,
            superior=self.pick(place.superior_answers),
            grassroots=self.pick(place.grassroots_answers),
        )

    def coauthors(self) -> str:
        if self.r() >= 0.18:
            return ""
        names = [self.person()[0] for _ in range(self.between(1, 3))]
        return self.pick((", ", ", ", "; ", "\n")).join(names)

    # -- time --------------------------------------------------------------------------------

    def second(self) -> int:
        """A submission moment before the close, busier in the peak period and near the end."""
        r = self.r
        if r() < 0.08:
            day = int(r() * 5)
        else:
            span = self.close_second // SECONDS_PER_DAY - 5
            day = 5 + min(span - 1, int((r() ** 0.8) * span))
        hour = self.hours[int(r() * len(self.hours))]
        return min(day * SECONDS_PER_DAY + hour * 3600 + int(r() * 3600), self.close_second - 2)

    def stamp(self, second: int, locale: str) -> str:
        day, rest = divmod(second, SECONDS_PER_DAY)
        text = self.days.get((day, locale))
        if text is None:
            moment = self.base + timedelta(days=day)
            if locale == "en":
                text = f"{moment.month}/{moment.day}/{moment.year}"
            else:
                text = f"{moment:%d/%m/%Y}"
            self.days[(day, locale)] = text
        hour, rest = divmod(rest, 3600)
        minute, sec = divmod(rest, 60)
        if locale == "en":
            return f"{text} {hour}:{minute:02d}:{sec:02d}"
        return f"{text} {hour:02d}:{minute:02d}:{sec:02d}"

    # -- answers -----------------------------------------------------------------------------

    def start_date(self, submitted_second: int) -> tuple[_StartDay, object]:
        r, days = self.r, self.start_days
        if r() < 0.85:  # mostly already under way when submitted
            known = self.started_by[
                min(submitted_second // SECONDS_PER_DAY, len(self.started_by) - 1)
            ]
            day = days[int(r() * known)]
        else:
            day = days[int(r() * len(days))]
        roll = r()
        if roll < 0.48:
            return day, day.full
        if roll < 0.58:
            return day, day.short
        if roll < 0.75:
            return day, day.month or day.full
        if roll < 0.88:
            return day, day.spelled or day.full
        return day, day.serial  # a date cell read as its serial number

    def benefit(self, business: bool) -> object:
        r = self.r
        if r() >= (0.75 if business else 0.25):
            return None
        # About 5 million to 2 billion đồng in business, 1 to 50 million elsewhere.
        value = int(10 ** (6.7 + r() * 2.6)) if business else int(10 ** (6.0 + r() * 1.7))
        value = (
            round(value, -8)
            if value >= 1_000_000_000
            else round(value, -6)
            if value >= 100_000_000
            else round(value, -5)
        )
        value = max(value, 100_000)
        roll = r()
        if value >= 1_000_000_000 and roll < 0.5:
            return f"{_decimal_vi(value / 1e9)} tỷ"
        if roll < 0.25:
            return f"{_thousands(value)} đ"
        if roll < 0.4:
            return f"{_thousands(value)} đồng"
        if roll < 0.55:
            return _thousands(value)
        if roll < 0.75 and value % 100_000 == 0 and value < 1_000_000_000:
            return f"{_decimal_vi(value / 1e6)} triệu"
        if roll < 0.82:
            return f"khoảng {_decimal_vi(value / 1e6)} triệu đồng/năm"
        return value

    def money_text(self, low: float, high: float) -> str:
        value = round(int(10 ** (low + self.r() * (high - low))), -5)
        value = max(value, 100_000)
        if value >= 1_000_000_000:
            return f"{_decimal_vi(value / 1e9)} tỷ đồng"
        if value >= 10_000_000 and self.r() < 0.6:
            return f"{_decimal_vi(value / 1e6)} triệu đồng"
        return f"{_thousands(value)} đồng"

    def _numbers(self, count: int) -> tuple[dict[str, object], ...]:
        """Bundles of the figures a description quotes, drawn once and reused by many rows."""
        bundles = []
        for _ in range(count):
            a, p1, k3 = self.between(15, 120), self.between(35, 80), self.between(6, 30)
            bundles.append(
                {
                    "m": self.between(2, 10),
                    "a": a,
                    "b": self.between(a * 3 // 10, a * 8 // 10),
                    "p1": p1,
                    "p2": self.between(p1 + 5, 99),
                    "p3": self.between(8, 45),
                    "k": self.between(3, 12),
                    "k2": self.between(13, 20),
                    "k3": k3,
                    "k4": self.between(0, k3 // 2),
                }
            )
        return tuple(bundles)

    def _context(self, place: _Place, start: _StartDay, sentences: list[str]) -> dict[str, object]:
        """Values for the placeholders of a row's sentences, shared by all of them."""
        r = self.r
        sub, task, problem, people, peers, rate = place.vocab
        numbers = self.numbers
        ctx = numbers[int(r() * len(numbers))].copy()
        ctx["unit"] = place.name
        ctx["sub"] = sub[int(r() * len(sub))]
        ctx["task"] = task[int(r() * len(task))]
        ctx["problem"] = problem[int(r() * len(problem))]
        ctx["people"] = people[int(r() * len(people))]
        ctx["peers"] = peers[int(r() * len(peers))]
        ctx["rate"] = rate[int(r() * len(rate))]
        ctx["tool"] = TOOLS[int(r() * len(TOOLS))]
        ctx["material"] = MATERIALS[int(r() * len(MATERIALS))]
        ctx["partner"] = PARTNERS[int(r() * len(PARTNERS))]
        ctx["cost"] = COSTS[int(r() * len(COSTS))]
        ctx["year"] = start.year
        ctx["start_month"] = start.month_text
        ctx["n1"] = 12 + int(r() * 589)
        ctx["n2"] = 40 + int(r() * 4961)
        ctx["n3"] = 8 + int(r() * 143)
        if any(s in self.with_money for s in sentences):  # formatting money is the slow part
            ctx["money"] = self.money_text(6.8, 9.0)
            ctx["money_small"] = self.money_text(5.3, 6.9)
        return ctx

    def content(
        self, place: _Place, theme: str, start: _StartDay, target: int, max_length: int = 900
    ) -> tuple[str, str]:
        """A title and a description of about `target` characters (at least the four core
        sentences), never longer than `max_length`."""
        r = self.r
        solutions = SOLUTIONS[theme]
        first = int(r() * len(solutions))
        second = (first + 1 + int(r() * (len(solutions) - 1))) % len(solutions)
        result = int(r() * len(RESULTS))
        sentences = [INTROS[int(r() * len(INTROS))], solutions[first], RESULTS[result]]
        closing = CLOSINGS[int(r() * len(CLOSINGS))]
        middle = [solutions[second], RESULTS[(result + 1 + int(r() * 5)) % len(RESULTS)]]
        extra = int(r() * len(EXTRAS))
        step = self.extra_steps[int(r() * len(self.extra_steps))]
        length = sum(len(s) for s in sentences) + len(closing) + 40
        added = 0
        while length < target and added < len(EXTRAS):
            if middle:
                sentence = middle.pop()
                sentences.insert(2, sentence)
            else:
                sentence = EXTRAS[(extra + added * step) % len(EXTRAS)]
                added += 1
                sentences.append(sentence)
            length += len(sentence) + 20
        sentences.append(closing)
        ctx = self._context(place, start, sentences)
        objects = place.objects[theme]
        obj = ctx["obj"] = objects[int(r() * len(objects))]
        verbs = TITLE_VERBS[theme]
        verb = verbs[int(r() * len(verbs))]
        if "{" in verb:
            verb = verb.format_map(ctx)
        endings = TITLE_ENDINGS[theme]
        ending = endings[int(r() * len(endings))] if r() < 0.45 else ""
        roll = r()
        where = f" tại {place.name}" if roll < 0.45 else f" tại {ctx['sub']}" if roll < 0.6 else ""
        title = f"{verb} {obj}{ending}{where}"
        text = [s.format_map(ctx) for s in sentences]
        while sum(len(t) + 1 for t in text) > max_length and len(text) > 4:
            del text[-2]  # the last sentence before the closing one
        if r() < 0.2:
            return title, ("\n" if r() < 0.7 else "\r\n").join(text)
        return title, " ".join(text)

    def theme_for(self, place: _Place) -> str:
        themes = self.place_themes[place.domain]
        return themes[int(self.r() * len(themes))]

    def row(
        self, author: _Author, second: int, *, target: int | None = None, theme: str | None = None
    ) -> _Record:
        place, r, c, h = author.place, self.r, self.campaign, self.h
        theme = theme or self.theme_for(place)
        start, start_cell = self.start_date(second)
        if target is None:
            target = 200 + int(r() * 701)
        title, description = self.content(place, theme, start, target)
        if r() < 0.02:
            description = unicodedata.normalize("NFD", description)
        fields = c.field_themes[theme]
        values: dict[str, object] = {
            h["timestamp"]: None,
            h["full_name"]: author.name,
            h["birth_year"]: author.birth_year,
            h["gender"]: author.gender,
            h["phone"]: author.phone,
            h["email"]: author.email,
            h["position"]: author.position,
            h["superior_unit"]: author.superior,
            h["grassroots_unit"]: author.grassroots,
            h["sector"]: c.business_sector if place.business else c.public_sector,
            h["field"]: fields[int(r() * len(fields))],
            h["title"]: title,
            h["description"]: description,
            h["start_date"]: start_cell,
            h["benefit"]: self.benefit(place.business),
            h["coauthors"]: self.coauthors(),
        }
        return _Record(values=values, second=second, place=place)

    # -- edits ---------------------------------------------------------------------------------

    def typo(self, text: str) -> str:
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if not candidates:
            return text + "."
        i = self.pick(candidates)
        word = words[i]
        j = self.between(1, len(word) - 2)
        roll = self.r()
        if roll < 0.4:
            word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif roll < 0.7:
            word = word[:j] + word[j + 1 :]
        else:
            word = word[:j] + word[j] + word[j:]
        words[i] = word
        return " ".join(words)

    def light_edit(self, values: dict[str, object], kind: str) -> None:
        """Edit a copy the way people change a resubmitted answer: a typo, no diacritics,
        other punctuation, or one more sentence."""
        title_key, description_key = self.h["title"], self.h["description"]
        title, description = str(values[title_key]), str(values[description_key])
        if kind == "typo":
            description = self.typo(description)
        elif kind == "no_marks":
            title, description = strip_diacritics(title), strip_diacritics(description)
        elif kind == "punctuation":
            description = description.replace(", ", " ").replace("; ", ", ")
            description = description[:-1] + "..." if description.endswith(".") else description
            title = title + "."
        elif kind == "sentence":
            description = f"{description} {self.pick(ADDED_SENTENCES)}"
        values[title_key], values[description_key] = title, description


# --- building a set -----------------------------------------------------------------------------


def _count(n: int, share: float) -> int:
    return max(1, round(n * share)) if n >= MIN_ROWS_FOR_PROBLEMS else 0


def _exact_length(writer: _Writer, place: _Place, length: int) -> str:
    """A description of exactly `length` NFC characters, single-spaced, ending in a letter or a
    full stop, so that cleaning cannot shorten it."""
    start = writer.start_days[len(writer.start_days) // 4]
    parts: list[str] = []
    total = 0
    while total <= length + 1:
        _, text = writer.content(place, writer.theme_for(place), start, 900, max_length=length)
        text = " ".join(text.split())
        parts.append(text)
        total += len(text) + 1
    text = " ".join(parts)[:length]
    while text[-1] == " " or (not text[-1].isalnum() and text[-1] != "."):
        text = text[:-1] + "."
    return text


def generate_responses(
    units_csv: Path,
    n: int,
    seed: int = 2021,
    locale: str = "vi",
    *,
    settings: Settings | None = None,
    templates_dir: Path = DEFAULT_TEMPLATES,
) -> GeneratedSet:
    """Generate `n` form responses for the grassroots unions of `units_csv`.

    `settings` supplies the allowed fields and sectors, the implementation window, the
    description limit and the closing moment; by default the repository's config.yaml.
    """
    if locale not in ("vi", "en"):
        raise ValueError(f"locale must be 'vi' or 'en', got {locale!r}")
    if n < 0:
        raise ValueError(f"n must be ≥ 0, got {n}")
    settings = settings or read_settings(DEFAULT_CONFIG)
    campaign = _Campaign.from_settings(settings)
    form = load_templates(templates_dir).form
    headers = {q.key: getattr(q, locale) for q in form.questions}
    missing = [key for key in FIELDS if key not in headers]
    if missing:
        raise ValueError(f"the form has no question for {missing}")
    writer = _Writer(Random(seed), _load_places(units_csv), campaign, form.genders, headers)
    records = _plan(writer, campaign, n)
    return _finish(writer, records, list(headers.values()), locale)


def _plan(w: _Writer, c: _Campaign, n: int) -> list[_Record]:
    """Every row of the set, in the order its random draws are made (the order is the seed's
    contract: changing it changes every row after)."""
    planted = {code: _count(n, PLANTED_SHARE) for code in CODES}
    boundary = _count(n, 0.002)
    deadline = _count(n, 0.0004)
    formulas = max(2, _count(n, 0.003)) if n >= MIN_ROWS_FOR_PROBLEMS else 0
    duplicates = _count(n, DUPLICATE_SHARE)
    cross = _count(n, CROSS_AUTHOR_SHARE)
    special = sum(planted.values()) + boundary + deadline + formulas + 2 * (duplicates + cross)
    records = _ordinary_rows(w, n - special)
    records += _resubmissions(w, duplicates)
    records += _cross_author_pairs(w, cross)
    planter = _Planter(w, c, records)
    _plant_text_problems(planter, planted, boundary)
    _plant_timing(planter, planted, deadline)
    _plant_answer_problems(planter, planted)
    _plant_formulas(planter, formulas)
    return records


def _ordinary_rows(w: _Writer, normal: int) -> list[_Record]:
    """Valid rows; some authors send two or three different initiatives."""
    records: list[_Record] = []
    while normal > 0:
        author = w.author(w.pick(w.places))
        count = 1
        if w.r() < MULTI_AUTHOR_SHARE:
            count = min(normal, w.between(2, 3))
        themes = list(THEME_WEIGHTS[author.place.domain])
        first_theme = w.theme_for(author.place)
        for k in range(count):
            theme = first_theme if k == 0 else themes[(themes.index(first_theme) + k) % len(themes)]
            records.append(w.row(author, w.second(), theme=theme))
        normal -= count
    return records


def _resubmissions(w: _Writer, duplicates: int) -> list[_Record]:
    """Same-author resubmissions: the later row is lightly edited."""
    records: list[_Record] = []
    kinds = ("same", "typo", "no_marks", "punctuation", "sentence")
    for pair in range(duplicates):
        author = w.author(w.pick(w.places), simple_contacts=True)
        kind = kinds[pair % len(kinds)]
        older_second = w.second()
        # One more sentence must stay a small change: start from a long description.
        target = w.between(450, 880) if kind == "sentence" else None
        older = w.row(author, older_second, target=target)
        newer_second = min(older_second + w.between(600, 6 * SECONDS_PER_DAY), w.close_second - 2)
        if newer_second - older_second < 600:
            older.second = newer_second - w.between(600, 3600)
        values = dict(older.values)
        w.light_edit(values, kind)
        if w.r() < 0.3:  # typed the phone differently this time
            values[w.h["phone"]] = w.phone_as_typed(author.phone_digits)
        newer = _Record(values=values, second=newer_second, place=older.place)
        older.pair = newer.pair = ("dup", pair)
        records += [older, newer]
    return records


def _cross_author_pairs(w: _Writer, cross: int) -> list[_Record]:
    """Different authors, same or lightly edited content."""
    records: list[_Record] = []
    h = w.h
    for pair in range(cross):
        author = w.author(w.pick(w.places), simple_contacts=True)
        first = w.row(author, w.second())
        siblings = w.by_superior[author.place.superior_id]
        place = author.place if w.r() < 0.5 or len(siblings) == 1 else w.pick(siblings)
        other = w.author(place, simple_contacts=True)
        while other.name == author.name:
            other = w.author(place, simple_contacts=True)
        second = w.row(
            other, min(first.second + w.between(3600, 8 * SECONDS_PER_DAY), w.close_second - 2)
        )
        for key in ("title", "description", "field"):
            second.values[h[key]] = first.values[h[key]]
        w.light_edit(second.values, w.pick(("same", "same", "typo", "punctuation")))
        first.pair = second.pair = ("cross", pair)
        records += [first, second]
    return records


@dataclass
class _Planter:
    """Adds rows that each carry one planted problem, or a boundary case that must pass."""

    w: _Writer
    c: _Campaign
    records: list[_Record]

    def fresh(self, target: int | None = None) -> _Record:
        w = self.w
        return w.row(w.author(w.pick(w.places), simple_contacts=True), w.second(), target=target)

    def plant(self, record: _Record, codes: list[str], key: str, note: str | None = None) -> None:
        record.planted = {"codes": codes, "field": key}
        if note:
            record.planted["note"] = note
        self.records.append(record)


def _plant_text_problems(p: _Planter, planted: dict[str, int], boundary: int) -> None:
    h = p.w.h
    for i in range(planted["MISSING_REQUIRED"]):
        record = p.fresh()
        key = MISSING_FIELDS[i % len(MISSING_FIELDS)]
        record.values[h[key]] = "   " if key == "full_name" and i % 2 else ""
        record.unit_known = key != "grassroots_unit"
        p.plant(record, ["MISSING_REQUIRED"], key)
    for i in range(planted["TOO_LONG"]):
        record = p.fresh()
        extra = (1, 37, 412)[i % 3]
        record.values[h["description"]] = _exact_length(p.w, record.place, p.c.limit + extra)
        p.plant(record, ["TOO_LONG"], "description")
    for i in range(boundary):
        record = p.fresh()
        text = _exact_length(p.w, record.place, p.c.limit)
        if i % 2 == 0:  # decomposed: longer in code points, as long as the limit once composed
            record.values[h["description"]] = unicodedata.normalize("NFD", text)
            p.plant(record, [], "description", "nfd_at_limit")
        else:
            record.values[h["description"]] = text
            p.plant(record, [], "description", "at_limit")


# Seconds after the form closed at which late rows arrive (then a minute later each round).
_LATE_OFFSETS = (
    0,
    37,
    8 * 3600 + 13 * 60,
    SECONDS_PER_DAY + 9 * 3600 + 5,
    3 * SECONDS_PER_DAY + 14 * 3600,
)


def _plant_timing(p: _Planter, planted: dict[str, int], deadline: int) -> None:
    close_second = p.w.close_second
    for i in range(planted["LATE"]):
        record = p.fresh()
        record.second = close_second + _LATE_OFFSETS[i % len(_LATE_OFFSETS)] + 61 * (i // 5)
        p.plant(record, ["LATE"], "timestamp")
    for _ in range(deadline):
        record = p.fresh()
        record.second = close_second - 1
        p.plant(record, [], "timestamp", "last_second")


def _plant_answer_problems(p: _Planter, planted: dict[str, int]) -> None:
    """Answers the rules refuse: an unknown union, a choice not offered, a bad date, a date
    outside the window, a bad phone or e-mail; each list is used in turn."""
    h, c = p.w.h, p.c
    for i in range(planted["UNKNOWN_UNIT"]):
        record = p.fresh()
        name, business = UNKNOWN_UNITS[i % len(UNKNOWN_UNITS)]
        record.values[h["grassroots_unit"]] = name
        record.values[h["sector"]] = c.business_sector if business else c.public_sector
        record.unit_known = False
        p.plant(record, ["UNKNOWN_UNIT"], "grassroots_unit")
    for i in range(planted["INVALID_CHOICE"]):
        record = p.fresh()
        key = ("field", "sector")[i % 2]
        bad = (BAD_FIELDS, BAD_SECTORS)[i % 2]
        record.values[h[key]] = bad[(i // 2) % len(bad)]
        p.plant(record, ["INVALID_CHOICE"], key)
    bad_dates = [text.format(year=c.window_start.year) for text in BAD_DATES]
    single_field = (
        ("BAD_DATE", "start_date", bad_dates),
        ("OUT_OF_WINDOW", "start_date", _outside_window(c)),
        ("BAD_PHONE", "phone", BAD_PHONES),
        ("BAD_EMAIL", "email", BAD_EMAILS),
    )
    for code, key, answers in single_field:
        for i in range(planted[code]):
            record = p.fresh()
            record.values[h[key]] = answers[i % len(answers)]
            p.plant(record, [code], key)


def _plant_formulas(p: _Planter, formulas: int) -> None:
    """Descriptions that begin like a formula: they must stay text in every output."""
    w = p.w
    for i in range(formulas):
        record = p.fresh(target=w.between(250, 800))
        if i % 2 == 0:
            prefix = '=IMPORTXML("https://example.vn/sang-kien";"//p") '
        else:
            digits = w.phone_number()
            prefix = f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]} là số máy của tổ hỗ trợ. "
        record.values[w.h["description"]] = prefix + str(record.values[w.h["description"]])
        p.plant(record, [], "description", "formula")


def _outside_window(c: _Campaign) -> tuple[str, ...]:
    """Implementation starts just outside the window: days, and whole months, either side."""
    before = c.window_start - timedelta(days=17)
    after = c.window_end + timedelta(days=10)
    month_before = (c.window_start.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_after = (c.window_end + timedelta(days=1)).replace(day=1)
    return (
        f"{before:%d/%m/%Y}",
        f"{after:%d/%m/%Y}",
        f"{month_before:%m/%Y}" if c.window_start.day == 1 else f"{before:%d/%m/%Y}",
        f"tháng {month_after.month}/{month_after.year}"
        if month_after > c.window_end
        else f"{after:%d/%m/%Y}",
    )


def _finish(w: _Writer, records: list[_Record], headers: list[str], locale: str) -> GeneratedSet:
    records.sort(key=lambda record: record.second)  # stable: ties keep their planned order
    timestamp = w.h["timestamp"]
    rows: list[dict[str, object]] = []
    unit_ids: list[str | None] = []
    superior_ids: list[str] = []
    planted: list[dict[str, Any]] = []
    pairs: dict[tuple[str, int], list[int]] = {}
    stamp = w.stamp
    for index, record in enumerate(records):
        values = record.values
        values[timestamp] = stamp(record.second, locale)
        rows.append(values)
        place = record.place
        unit_ids.append(place.unit_id if record.unit_known else None)
        superior_ids.append(place.superior_id)
        if record.planted is not None:
            planted.append({"row_index": index, **record.planted})
        if record.pair is not None:
            pairs.setdefault(record.pair, []).append(index)
    duplicates = sorted(v for (kind, _), v in pairs.items() if kind == "dup")
    cross = sorted(v for (kind, _), v in pairs.items() if kind == "cross")
    expected = {"planted": planted, "duplicates": duplicates, "cross_author": cross}
    return GeneratedSet(headers, rows, expected, unit_ids, superior_ids)


# --- writing sheets -----------------------------------------------------------------------------


def _headers_of(rows: Sequence[dict[str, object]], headers: Sequence[str] | None) -> list[str]:
    if headers is not None:
        return list(headers)
    return list(rows[0]) if rows else []


def write_responses_xlsx(
    rows: Sequence[dict[str, object]],
    path: Path,
    headers: Sequence[str] | None = None,
    sheet_name: str = SHEET_NAME,
) -> Path:
    """Write rows as a Google-Forms-like workbook: one sheet, the header in row 1, text kept as
    text (a description starting with "=" stays a string), numbers as numbers."""
    import xlsxwriter

    columns = _headers_of(rows, headers)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"created": datetime(2021, 4, 23)})  # same bytes on every run
    sheet = workbook.add_worksheet(sheet_name)
    for col, header in enumerate(columns):
        sample = [len(str(row.get(header) or "")) for row in rows[:50]]
        wide = bool(sample) and sum(sample) / len(sample) > 60
        sheet.set_column(col, col, 60 if wide else 20)
        sheet.write_string(0, col, header)
    for row_number, row in enumerate(rows, start=1):
        for col, header in enumerate(columns):
            value = row.get(header)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(row_number, col, value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(row_number, col, value)
            else:
                sheet.write_string(row_number, col, str(value))
    workbook.close()
    return path


def write_responses_csv(
    rows: Sequence[dict[str, object]], path: Path, headers: Sequence[str] | None = None
) -> Path:
    """Write rows the way Excel saves "CSV UTF-8": a BOM, commas, CRLF line ends."""
    columns = _headers_of(rows, headers)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(columns)
        for row in rows:
            out.writerow(["" if (v := row.get(h)) is None else v for h in columns])
    return path


# --- the bundled example -----------------------------------------------------------------------


def _split_sources(generated: GeneratedSet, settings: Settings) -> dict[str, list[int]]:
    """Row indexes per source: district federations answer the xlsx form, everyone else the csv."""
    kinds = {s.kind: s.name for s in settings.sources}
    if "xlsx" not in kinds or "csv" not in kinds:
        raise ValueError("the example needs one xlsx source and one csv source in the config")
    superior_kind = {unit.id: unit.kind for unit in load_tree(settings.units)}
    split: dict[str, list[int]] = {kinds["xlsx"]: [], kinds["csv"]: []}
    for index, superior in enumerate(generated.superior_ids):
        target = kinds["xlsx"] if superior_kind.get(superior) == "district" else kinds["csv"]
        split[target].append(index)
    return split


def _answer_key(
    generated: GeneratedSet, split: dict[str, list[int]], files: dict[str, str], seed: int
) -> dict[str, Any]:
    where: dict[int, tuple[str, int]] = {}
    for source, indexes in split.items():
        for number, index in enumerate(indexes, start=2):
            where[index] = (source, number)
    planted_at = {p["row_index"]: p for p in generated.expected["planted"]}
    sources: dict[str, Any] = {}
    for source, indexes in split.items():
        codes: dict[str, list[str]] = {}
        units: dict[str, str | None] = {}
        for index in indexes:
            row = str(where[index][1])
            codes[row] = list(planted_at[index]["codes"]) if index in planted_at else []
            units[row] = generated.unit_ids[index]
        sources[source] = {
            "file": files[source],
            "rows": len(indexes),
            "codes": codes,
            "unit_ids": units,
        }

    def place(index: int) -> dict[str, object]:
        source, row = where[index]
        return {"source": source, "row": row}

    planted = []
    for p in generated.expected["planted"]:
        entry = {**place(p["row_index"]), "codes": p["codes"], "field": p["field"]}
        if "note" in p:
            entry["note"] = p["note"]
        planted.append(entry)
    counts = {code: 0 for code in CODES}
    for p in generated.expected["planted"]:
        for code in p["codes"]:
            counts[code] += 1
    notes: dict[str, int] = {}
    for p in generated.expected["planted"]:
        if "note" in p:
            notes[p["note"]] = notes.get(p["note"], 0) + 1
    return {
        "seed": seed,
        "rows": len(generated.rows),
        "sources": sources,
        "planted": planted,
        "duplicates": [
            {"older": place(a), "newer": place(b)} for a, b in generated.expected["duplicates"]
        ],
        "cross_author": [[place(a), place(b)] for a, b in generated.expected["cross_author"]],
        "counts": {"codes": counts, "notes": notes},
    }


def _json(value: object, indent: int = 0) -> str:
    """JSON that keeps each value on one line when it fits in 100 columns."""
    compact = json.dumps(value, ensure_ascii=False)
    if len(compact) + indent <= 100 or not isinstance(value, dict | list) or not value:
        return compact
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = [
            f"{pad}{json.dumps(key, ensure_ascii=False)}: {_json(item, indent + 1)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _json(item, indent + 1) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def write_example(
    settings_path: Path = DEFAULT_CONFIG,
    *,
    out_dir: Path | None = None,
    rows: int = EXAMPLE_ROWS,
    seed: int = EXAMPLE_SEED,
) -> dict[str, Path]:
    """(Re)write the example's response files named in the config, and expected.json beside
    them; with `out_dir`, write the same file names there instead. Returns the paths."""
    settings = read_settings(settings_path)
    generated = generate_responses(settings.units, rows, seed, "vi", settings=settings)
    split = _split_sources(generated, settings)
    written: dict[str, Path] = {}
    files: dict[str, str] = {}
    for source in settings.sources:
        if source.name not in split or source.path is None:
            continue
        target = (out_dir / source.path.name) if out_dir else source.path
        subset = [generated.rows[i] for i in split[source.name]]
        if source.kind == "xlsx":
            write_responses_xlsx(subset, target, generated.headers, source.sheet or SHEET_NAME)
        else:
            write_responses_csv(subset, target, generated.headers)
        written[source.name] = target
        files[source.name] = source.path.name
    first = next(iter(written.values()))
    key_path = first.parent / "expected.json"
    answer = _answer_key(generated, split, files, seed)
    key_path.write_text(_json(answer) + "\n", encoding="utf-8")
    written["expected"] = key_path
    return written


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m examplegen",
        description="Rewrite the bundled example responses and their answer key.",
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config.yaml to follow")
    parser.add_argument("--rows", type=int, default=EXAMPLE_ROWS, help="rows in all sources")
    parser.add_argument("--seed", type=int, default=EXAMPLE_SEED)
    parser.add_argument("--out", type=Path, default=None, help="write here instead")
    args = parser.parse_args(None if argv is None else list(argv))
    for name, path in write_example(
        args.config, out_dir=args.out, rows=args.rows, seed=args.seed
    ).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
