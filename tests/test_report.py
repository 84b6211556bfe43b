"""The JSON report names the field of a bad phone or e-mail, never the value typed; the unit's
own sheet keeps the value (it is the unit's data)."""

from __future__ import annotations

import json

import pytest

from sync.config import read_settings
from sync.pipeline import run_sync
from sync.report import report_file_text
from sync.rules.codes import REGISTRY, public_message
from tests.officer import rows_by_id, workbook

PHONE, EMAIL = "0912-ABC-999", "thang(at)example"


def test_report_messages_do_not_repeat_typed_contacts(small_campaign, tmp_path) -> None:
    config = small_campaign([{"phone": PHONE, "email": EMAIL}])
    report = run_sync(read_settings(config)).report
    text = (tmp_path / "out" / "sync-report.json").read_text(encoding="utf-8")
    assert PHONE not in text and EMAIL not in text
    [response] = report.responses
    codes = {v.code: v for v in response.violations}
    assert {"BAD_PHONE", "BAD_EMAIL"} <= set(codes)
    assert "phone" in public_message(codes["BAD_PHONE"])
    assert "email" in public_message(codes["BAD_EMAIL"])
    [row] = rows_by_id(workbook(tmp_path / "out", "P.TG.THPT")).values()
    assert PHONE in row["Lỗi và cảnh báo"] and EMAIL in row["Lỗi và cảnh báo"]


def test_every_code_without_a_public_template_quotes_no_contact() -> None:
    quoting = {c.id for c in REGISTRY.values() if "{value}" in c.template and c.field in
               {"phone", "email"}}  # fmt: skip
    assert all(REGISTRY[c].public_template for c in quoting)


def test_the_report_file_holds_one_initiative_a_line(small_campaign, tmp_path) -> None:
    """Officers and IT staff grep `sync-report.json`: each initiative, and each unit's tally, is
    one line that parses on its own."""
    config = small_campaign([{"phone": PHONE}, {"title": "Sáng kiến «thứ hai»\nhai dòng"}])
    report = run_sync(read_settings(config)).report
    text = (tmp_path / "out" / "sync-report.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert [r["id"] for r in data["responses"]] == [r.id for r in report.responses]
    lines = [line.strip().rstrip(",") for line in text.splitlines()]
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    for response in data["responses"]:
        assert json.dumps(response, **compact) in lines
    for unit, figures in data["tallies"].items():
        assert f"{json.dumps(unit)}: {json.dumps(figures, **compact)}" in lines


@pytest.mark.parametrize("responses", [[], [{"id": "a"}], [{"id": "a"}, {"id": "b", "t": "«x»"}]])
def test_the_report_file_is_the_same_from_a_list_or_an_iterator(responses) -> None:
    """The initiatives are written as they are made, one line each, the same file either way."""
    data = {"campaign": "C", "responses": responses, "tallies": {}, "sources": []}
    whole = b"".join(report_file_text(data)).decode()
    streamed = b"".join(report_file_text({**data, "responses": iter(responses)})).decode()
    assert streamed == whole
    assert json.loads(whole) == data
    assert len(whole.splitlines()) == 6 + (len(responses) + 1 if responses else 0)
