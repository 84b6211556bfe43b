"""Cell values: how input is interpreted and how stored values are rendered back.

Modelled closely enough to surface the bugs that matter for a sync job: USER_ENTERED turns
``=...`` into formulas (formula injection), numeric-looking text into numbers (lost leading
zeros in phone numbers) and dates into serial numbers, all depending on the spreadsheet locale.
Formulas are not evaluated; their value is the string ``#FORMULA``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

FORMULA_RESULT = "#FORMULA"
SERIAL_EPOCH = datetime(1899, 12, 30)
_DATE_TYPES = {"DATE", "TIME", "DATE_TIME"}


@dataclass(frozen=True)
class LocaleRules:
    decimal: str
    group: str
    day_first: bool
    date_pattern: str
    date_time_pattern: str
    time_pattern: str


_EN_US = LocaleRules(".", ",", False, "M/d/yyyy", "M/d/yyyy H:mm:ss", "h:mm:ss am/pm")
_LOCALES = {
    "en_US": _EN_US,
    "en_GB": LocaleRules(".", ",", True, "dd/MM/yyyy", "dd/MM/yyyy HH:mm:ss", "HH:mm:ss"),
    "vi_VN": LocaleRules(",", ".", True, "dd/MM/yyyy", "dd/MM/yyyy HH:mm:ss", "HH:mm:ss"),
    "de_DE": LocaleRules(",", ".", True, "dd.MM.yyyy", "dd.MM.yyyy HH:mm:ss", "HH:mm:ss"),
    "fr_FR": LocaleRules(",", "\u202f", True, "dd/MM/yyyy", "dd/MM/yyyy HH:mm:ss", "HH:mm:ss"),
}
# Languages whose locales write 1,5 rather than 1.5 (used for locales not listed above).
_COMMA_DECIMAL_LANGUAGES = {"vi", "de", "fr", "es", "it", "pt", "ru", "nl", "pl", "id", "tr"}


def locale_rules(locale: str) -> LocaleRules:
    if locale in _LOCALES:
        return _LOCALES[locale]
    if locale.split("_")[0] in _COMMA_DECIMAL_LANGUAGES:
        return LocaleRules(",", ".", True, "dd/MM/yyyy", "dd/MM/yyyy HH:mm:ss", "HH:mm:ss")
    return _EN_US


# ---------------------------------------------------------------------------------- input


class ValueInputError(ValueError):
    """A value in ``values`` is not a bool, number, string or null."""


def input_value(raw: Any, option: str, locale: str) -> tuple[dict | None, dict | None]:
    """Interpret one input value: ``(ExtendedValue or None for empty, numberFormat or None)``."""
    if isinstance(raw, bool):
        return {"boolValue": raw}, None
    if isinstance(raw, int | float):
        return {"numberValue": raw}, None
    if not isinstance(raw, str):
        raise ValueInputError(type(raw).__name__)
    if raw == "":
        return None, None
    if option != "USER_ENTERED":
        return {"stringValue": raw}, None
    return parse_user_entered(raw, locale_rules(locale))


def parse_user_entered(text: str, rules: LocaleRules) -> tuple[dict, dict | None]:
    """What the Sheets UI does with typed text."""
    if text.startswith("=") and len(text) > 1:
        return {"formulaValue": text}, None
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None  # A leading apostrophe forces text.
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"boolValue": stripped.upper() == "TRUE"}, None
    number = _parse_number(stripped, rules)
    if number is not None:
        return number
    moment = _parse_date_time(stripped, rules)
    if moment is not None:
        return moment
    return {"stringValue": text}, None


def _number_regex(rules: LocaleRules) -> re.Pattern[str]:
    group, decimal = re.escape(rules.group), re.escape(rules.decimal)
    return re.compile(
        rf"^(?P<sign>[+-])?(?P<int>\d{{1,3}}(?:{group}\d{{3}})+|\d*)"
        rf"(?:{decimal}(?P<frac>\d+))?(?P<exp>[eE][+-]?\d+)?(?P<pct>%)?$"
    )


def _parse_number(text: str, rules: LocaleRules) -> tuple[dict, dict | None] | None:
    match = _number_regex(rules).match(text)
    if not match or not (match["int"] or match["frac"]):
        return None
    digits = match["int"].replace(rules.group, "") or "0"
    literal = f"{match['sign'] or ''}{digits}.{match['frac'] or '0'}{match['exp'] or ''}"
    value = float(literal)
    if match["pct"]:
        pattern = "0.00%" if match["frac"] else "0%"
        return {"numberValue": _tidy(value / 100)}, {"type": "PERCENT", "pattern": pattern}
    return {"numberValue": _tidy(value)}, None


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_LOCAL_DATE = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _parse_date_time(text: str, rules: LocaleRules) -> tuple[dict, dict] | None:
    iso = _ISO_DATE.match(text)
    local = _LOCAL_DATE.match(text)
    time_only = _TIME.match(text)
    try:
        if iso:
            year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
            moment = datetime(year, month, day, *_time_parts(iso.groups()[3:]))
            has_time = iso[4] is not None
        elif local:
            first, second = int(local[1]), int(local[2])
            day, month = (first, second) if rules.day_first else (second, first)
            moment = datetime(int(local[3]), month, day, *_time_parts(local.groups()[3:]))
            has_time = local[4] is not None
        elif time_only:
            hours, minutes, seconds = _time_parts(time_only.groups())
            if hours > 23 or minutes > 59 or seconds > 59:
                return None
            fraction = (hours * 3600 + minutes * 60 + seconds) / 86400
            return {"numberValue": fraction}, {"type": "TIME", "pattern": rules.time_pattern}
        else:
            return None
    except ValueError:
        return None  # Not a real calendar date: Sheets keeps it as text.
    if has_time:
        number_format = {"type": "DATE_TIME", "pattern": rules.date_time_pattern}
    else:
        number_format = {"type": "DATE", "pattern": rules.date_pattern}
    return {"numberValue": _tidy(to_serial(moment))}, number_format


def _time_parts(groups: tuple[str | None, ...]) -> tuple[int, int, int]:
    hours, minutes, seconds = (int(g) if g else 0 for g in groups)
    return hours, minutes, seconds


def to_serial(moment: datetime) -> float:
    delta = moment.replace(tzinfo=None) - SERIAL_EPOCH
    return delta.days + delta.seconds / 86400


def from_serial(serial: float) -> datetime:
    # Round to whole seconds: serials are doubles and 0.5/86400 errors would show as :59.
    return SERIAL_EPOCH + timedelta(seconds=round(serial * 86400))


def _tidy(number: float) -> int | float:
    """Whole doubles as ints, so JSON shows ``2`` where Google shows ``2``."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


# -------------------------------------------------------------------------------- render


def effective_value(entered: dict | None) -> dict | None:
    if not entered:
        return None
    if "formulaValue" in entered:
        return {"stringValue": FORMULA_RESULT}
    return entered


def formatted_value(entered: dict | None, number_format: dict | None, locale: str) -> str | None:
    value = effective_value(entered)
    if value is None:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return "TRUE" if value["boolValue"] else "FALSE"
    if "errorValue" in value:
        return "#ERROR!"
    return format_number(float(value["numberValue"]), number_format, locale_rules(locale))


def render_value(cell: dict | None, value_option: str, date_option: str, locale: str) -> Any | None:
    """One cell as ``values.get`` returns it; None for an empty cell."""
    if not cell:
        return None
    entered = cell.get("userEnteredValue")
    if not entered:
        return None
    number_format = (cell.get("userEnteredFormat") or {}).get("numberFormat")
    if value_option == "FORMULA" and "formulaValue" in entered:
        return entered["formulaValue"]
    if value_option == "FORMATTED_VALUE":
        return formatted_value(entered, number_format, locale)
    value = effective_value(entered) or {}
    if "numberValue" in value:
        is_date = (number_format or {}).get("type") in _DATE_TYPES
        if is_date and date_option == "FORMATTED_STRING":
            return formatted_value(entered, number_format, locale)
        return _tidy(float(value["numberValue"]))
    if "boolValue" in value:
        return value["boolValue"]
    if "errorValue" in value:
        return "#ERROR!"
    return value.get("stringValue")


def format_number(value: float, number_format: dict | None, rules: LocaleRules) -> str:
    kind = (number_format or {}).get("type", "")
    pattern = (number_format or {}).get("pattern", "")
    if kind in _DATE_TYPES:
        default = {
            "DATE": rules.date_pattern,
            "TIME": rules.time_pattern,
            "DATE_TIME": rules.date_time_pattern,
        }[kind]
        return format_date(from_serial(value), pattern or default)
    if kind == "SCIENTIFIC":
        return _localise(f"{value:.2E}", rules)
    if kind in ("NUMBER", "PERCENT", "CURRENCY") or pattern:
        fallback = {"PERCENT": "0.00%", "CURRENCY": "#,##0.00"}.get(kind, "#,##0.00")
        return _format_pattern(value, pattern or fallback, rules)
    return _format_general(value, rules)


def _format_general(value: float, rules: LocaleRules) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _localise(f"{value:.10g}", rules)


def _localise(text: str, rules: LocaleRules) -> str:
    return text.replace(".", "\0").replace(",", rules.group).replace("\0", rules.decimal)


_DIGITS = re.compile(r"[#0][#0,]*(?:\.[#0]+)?|\.[#0]+")


def _format_pattern(value: float, pattern: str, rules: LocaleRules) -> str:
    section = pattern.split(";")[0]
    match = _DIGITS.search(section)
    if not match:
        return section.replace('"', "")
    prefix, suffix = section[: match.start()], section[match.end() :]
    if "%" in section:
        value *= 100
    integer_part, _, fraction = match.group().partition(".")
    minimum, maximum = fraction.count("0"), len(fraction)
    text = f"{abs(value):,.{maximum}f}" if "," in integer_part else f"{abs(value):.{maximum}f}"
    if maximum > minimum and "." in text:
        whole, _, decimals = text.partition(".")
        decimals = decimals.rstrip("0").ljust(minimum, "0")
        text = f"{whole}.{decimals}" if decimals else whole
    # A negative number that rounds to zero is shown without its minus sign.
    sign = "-" if value < 0 and float(text.replace(",", "") or 0) != 0 else ""
    return sign + _strip_quotes(prefix) + _localise(text, rules) + _strip_quotes(suffix)


def _strip_quotes(text: str) -> str:
    return text.replace('"', "").replace("\\", "")


_DATE_TOKENS = re.compile(
    r"yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|am/pm|AM/PM|\"[^\"]*\"|.",
    re.IGNORECASE,
)


def format_date(moment: datetime, pattern: str) -> str:
    """Render a date with a Sheets date pattern (common tokens only)."""
    tokens = _DATE_TOKENS.findall(pattern)
    has_ampm = any(t.lower() == "am/pm" for t in tokens)
    out: list[str] = []
    for position, token in enumerate(tokens):
        out.append(_date_token(moment, token, tokens, position, has_ampm))
    return "".join(out)


def _date_token(
    moment: datetime, token: str, tokens: list[str], position: int, has_ampm: bool
) -> str:
    lower = token.lower()
    if lower in ("m", "mm") and not token.isupper():
        # Lowercase "m" is minutes next to hours or seconds, month otherwise (Sheets' rule).
        before = next((t.lower() for t in reversed(tokens[:position]) if t.strip()), "")
        after = next((t.lower() for t in tokens[position + 1 :] if t.isalpha()), "")
        if before.startswith("h") or before == ":" or after.startswith("s"):
            return f"{moment.minute:02d}" if lower == "mm" else str(moment.minute)
    hour12 = moment.hour % 12 or 12
    table = {
        "yyyy": f"{moment.year:04d}",
        "yy": f"{moment.year % 100:02d}",
        "mmmm": moment.strftime("%B"),
        "mmm": moment.strftime("%b"),
        "mm": f"{moment.month:02d}",
        "m": str(moment.month),
        "dddd": moment.strftime("%A"),
        "ddd": moment.strftime("%a"),
        "dd": f"{moment.day:02d}",
        "d": str(moment.day),
        "hh": f"{(hour12 if has_ampm else moment.hour):02d}",
        "h": str(hour12 if has_ampm else moment.hour),
        "ss": f"{moment.second:02d}",
        "s": str(moment.second),
        "am/pm": "AM" if moment.hour < 12 else "PM",
    }
    if lower in table:
        return table[lower]
    return token.strip('"')
