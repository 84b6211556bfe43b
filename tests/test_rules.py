"""Intake rules: one (row edit, expected codes) pair per case, asserting codes and fields."""

import unicodedata
from pathlib import Path

import pytest

import sync.rules.checks
from sync.config import read_settings
from sync.models import RawRow
from sync.responses import Choices, build_response
from sync.rules.checks import RuleContext, validate
from sync.rules.codes import REGISTRY, Category, Severity
from sync.templates import load_templates

from .conftest import VALID_ROW


@pytest.fixture(scope="module")
def context(request) -> RuleContext:
    repo = Path(request.config.rootpath)
    return RuleContext(read_settings(repo / "config.yaml"), load_templates().form)


def check(context: RuleContext, locale: str = "vi", **changes) -> list[tuple[str, str | None]]:
    settings = context.settings
    raw = RawRow(source="test", row=2, cells={**VALID_ROW, **changes})
    choices = Choices.from_lists(settings.fields, settings.sectors)
    response = build_response(raw, locale, settings.campaign.zone, choices)
    validate([response], context)
    return [(v.code, v.field) for v in response.violations]


NFD_1000 = unicodedata.normalize("NFD", "ế" * 1000)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"full_name": ""}, [("MISSING_REQUIRED", "full_name")]),
        ({"title": "   "}, [("MISSING_REQUIRED", "title")]),
        ({"description": None}, [("MISSING_REQUIRED", "description")]),
        ({"grassroots_unit": ""}, [("MISSING_REQUIRED", "grassroots_unit")]),
        ({"timestamp": ""}, [("MISSING_REQUIRED", "timestamp")]),
        ({"description": "a" * 1000}, []),
        ({"description": "a" * 1001}, [("TOO_LONG", "description")]),
        ({"description": NFD_1000}, []),  # 2,000 code points decomposed, 1,000 letters composed
        ({"description": NFD_1000 + "e"}, [("TOO_LONG", "description")]),
        ({"timestamp": "22/04/2021 23:59:59"}, []),
        ({"timestamp": "23/04/2021 00:00:00"}, [("LATE", "timestamp")]),
        ({"timestamp": "25/04/2021 09:00:00"}, [("LATE", "timestamp")]),
        ({"timestamp": "hôm qua"}, [("BAD_DATE", "timestamp")]),
        ({"field": "Thể thao"}, [("INVALID_CHOICE", "field")]),
        ({"sector": "Khối lực lượng vũ trang"}, [("INVALID_CHOICE", "sector")]),
        ({"sector": "khoi doanh nghiep"}, []),  # typed without diacritics: still the list entry
        ({"start_date": "sắp tới"}, [("BAD_DATE", "start_date")]),
        ({"start_date": "32/13/2021"}, [("BAD_DATE", "start_date")]),
        ({"start_date": ""}, [("MISSING_REQUIRED", "start_date")]),
        ({"start_date": "15/01/2021"}, [("OUT_OF_WINDOW", "start_date")]),
        ({"start_date": "01/06/2021"}, [("OUT_OF_WINDOW", "start_date")]),
        ({"start_date": "01/02/2021"}, []),
        ({"start_date": "31/05/2021"}, []),
        ({"start_date": "tháng 5/2021"}, []),
        ({"phone": "12345"}, [("BAD_PHONE", "phone")]),
        ({"phone": 912820510}, []),  # the sheet dropped the leading zero
        ({"phone": "+84 912 820 510"}, []),
        ({"phone": ""}, []),
        ({"email": "abc@"}, [("BAD_EMAIL", "email")]),
        ({"email": "nguyen van a@gmail.com"}, [("BAD_EMAIL", "email")]),
        ({"description": '=IMPORTXML("http://x", "//a")'}, []),
        (
            {"full_name": "", "timestamp": "23/04/2021 00:00:00", "phone": "1"},
            [("MISSING_REQUIRED", "full_name"), ("LATE", "timestamp"), ("BAD_PHONE", "phone")],
        ),
    ],
)
def test_intake_codes(context: RuleContext, changes: dict, expected: list) -> None:
    assert check(context, **changes) == expected


def test_too_long_quotes_the_start_of_the_text_and_its_length(context: RuleContext) -> None:
    settings = context.settings
    description = "Giải pháp tiết kiệm điện cho bếp ăn tập thể của trường " + "x" * 1000
    raw = RawRow(source="test", row=2, cells={**VALID_ROW, "description": description})
    choices = Choices.from_lists(settings.fields, settings.sectors)
    response = build_response(raw, "vi", settings.campaign.zone, choices)
    validate([response], context)
    [violation] = response.violations
    assert violation.code == "TOO_LONG"
    assert violation.raw_value.startswith("Giải pháp tiết kiệm điện cho bếp ăn tập thể")
    assert str(len(description)) in violation.raw_value and "…" in violation.raw_value


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [("4/22/2021 23:59:59", []), ("4/23/2021 0:00:00", [("LATE", "timestamp")])],
)
def test_english_locale_timestamps(context: RuleContext, stamp: str, expected: list) -> None:
    # An English sheet writes every date month first, the start date too (1 March 2021).
    assert check(context, locale="en", timestamp=stamp, start_date="3/1/2021") == expected


def test_serial_timestamps_use_the_campaign_zone(context: RuleContext) -> None:
    # 44308 is 22/04/2021; 0.99998843 of a day is 23:59:59
    assert check(context, timestamp=44308.99998843) == []
    assert check(context, timestamp=44309.0) == [("LATE", "timestamp")]


def test_every_code_has_a_vietnamese_template_and_a_kind() -> None:
    for code in REGISTRY.values():
        assert code.template and code.summary
        assert code.severity in Severity and code.category in Category


def test_message_quotes_the_value(context: RuleContext) -> None:
    settings = context.settings
    raw = RawRow(source="test", row=7, cells={**VALID_ROW, "field": "Thể thao"})
    response = build_response(
        raw, "vi", settings.campaign.zone, Choices.from_lists(settings.fields, settings.sectors)
    )
    validate([response], context)
    [violation] = response.violations
    assert "Thể thao" in violation.message and "Lĩnh vực" in violation.message
    assert violation.raw_value == "Thể thao"


@pytest.mark.parametrize("rows_per_share", [10_000, 2])
def test_rows_checked_together_get_what_each_gets_alone(
    context: RuleContext, rows_per_share: int, workers_take_the_tasks
) -> None:
    # The checks of every cell go down whole columns: each violation must still land on its own
    # row, in the order of the checks, and a repeated legacy-encoded cell count on every row;
    # so too when the rows are checked a share at a time, on every core.
    from sync.sources.files import UNCALCULATED

    settings = context.settings
    choices = Choices.from_lists(settings.fields, settings.sectors)
    edits = [
        {},
        {"full_name": "", "timestamp": "23/04/2021 00:00:00", "position": "C«ng nh©n"},
        {"title": UNCALCULATED, "phone": "1"},
        {"position": "C«ng nh©n", "grassroots_unit": "  "},
        {"description": None, "email": "abc@", "superior_unit": "Coâng ñoaøn"},
    ]

    def built() -> list:
        return [
            build_response(
                RawRow(source="test", row=2 + n, cells={**VALID_ROW, **edit}),
                "vi",
                settings.campaign.zone,
                choices,
            )
            for n, edit in enumerate(edits)
        ]

    alone = []
    for response in built():
        validate([response], context)
        alone.append([(v.code, v.field) for v in response.violations])
    together = built()
    workers_take_the_tasks(sync.rules.checks)
    validate(together, context, rows_per_share)
    assert [[(v.code, v.field) for v in r.violations] for r in together] == alone
    assert alone[1] == [
        ("MISSING_REQUIRED", "full_name"),
        ("LATE", "timestamp"),
        ("LEGACY_ENCODING", "position"),
    ]
    assert alone[2] == [("FORMULA_NOT_CALCULATED", "title"), ("BAD_PHONE", "phone")]
    assert ("LEGACY_ENCODING", "position") in alone[3]
