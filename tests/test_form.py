"""`sangkien form`: the generated Apps Script parses, asks exactly the sync's questions with the
configured lists and limit, and closes the form at the configured moment; the Forms API call that
closes a named form matches Google's discovery document."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sync.cli import app
from sync.config import Settings, read_settings
from sync.form import (
    build_form_script,
    close_form_if_due,
    close_request,
    deadline_words,
)
from sync.orgtree import load_tree
from sync.sources.table import map_headers
from sync.templates import load_templates

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


@pytest.fixture
def settings(repo: Path) -> Settings:
    return read_settings(repo / "config.yaml")


@pytest.fixture
def script(settings: Settings) -> str:
    return build_form_script(settings)


# -- reading the script back -------------------------------------------------------------------


def _constants(script: str) -> dict[str, list[str]]:
    decoder = json.JSONDecoder()
    found = {}
    for match in re.finditer(r"^var (\w+) = \[", script, re.MULTILINE):
        # The lists are JSON with a trailing comma per item, which JSON refuses: drop those.
        end = script.index("\n];", match.end()) + 2
        body = re.sub(r",\n\]$", "\n]", script[match.end() - 1 : end])
        found[match.group(1)] = decoder.decode(body)
    return found


def _items(script: str) -> list[dict[str, Any]]:
    """Every `form.addXItem()...;` statement: its kind, title, required flag, list and limit."""
    items = []
    for match in re.finditer(r"form\.add(\w+)Item\(\)(.*?);\n", script, re.DOTALL):
        body = match.group(2)
        title = re.search(r'\.setTitle\(("(?:[^"\\]|\\.)*")\)', body)
        required = re.search(r"\.setRequired\((true|false)\)", body)
        choices = re.search(r"\.setChoiceValues\((\w+)\)", body)
        limit = re.search(r"requireTextLengthLessThanOrEqualTo\((\d+)\)", body)
        assert title and required, body
        items.append(
            {
                "kind": match.group(1),
                "title": json.loads(title.group(1)),
                "required": required.group(1) == "true",
                "choices": choices.group(1) if choices else None,
                "limit": int(limit.group(1)) if limit else None,
            }
        )
    return items


def _trigger_moment(script: str) -> datetime:
    match = re.search(r'\.timeBased\(\)\.at\(new Date\(("[^"]+")\)\)\.create\(\)', script)
    assert match, "no time-based trigger"
    return datetime.fromisoformat(json.loads(match.group(1)))


# -- the script ----------------------------------------------------------------------------------


@needs_node
def test_script_passes_node_check(script: str, tmp_path: Path) -> None:
    path = tmp_path / "form.js"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_questions_are_the_sync_columns_in_order(script: str, settings: Settings) -> None:
    form = load_templates().form
    items = _items(script)
    expected = [q for q in form.questions if q.kind != "timestamp"]
    assert [i["title"] for i in items] == [q.vi for q in expected]
    assert [i["required"] for i in items] == [q.required for q in expected]
    # The response sheet is Forms' timestamp column followed by the question titles.
    headers = [form.question("timestamp").vi, *(i["title"] for i in items)]
    mapping = map_headers(headers, form, settings.column_aliases, settings.id_column, "t")
    assert not mapping.extras
    assert list(mapping.fields.values()) == [q.key for q in form.questions]


def test_lists_come_from_the_config_and_the_tree(script: str, settings: Settings) -> None:
    tree = load_tree(settings.units)
    constants = _constants(script)
    assert constants["SUPERIOR_UNITS"][0] == tree.root.name
    assert set(constants["SUPERIOR_UNITS"]) == {u.name for u in tree.superiors()}
    assert set(constants["GRASSROOTS_UNITS"]) == {u.name for u in tree.grassroots()}
    assert constants["FIELDS"] == list(settings.fields)
    assert constants["SECTORS"] == list(settings.sectors)
    assert constants["GENDERS"] == list(load_templates().form.genders)
    by_title = {i["title"]: i for i in _items(script)}
    assert by_title["Công đoàn cấp trên trực tiếp"]["choices"] == "SUPERIOR_UNITS"
    assert by_title["Công đoàn cơ sở"]["choices"] == "GRASSROOTS_UNITS"
    assert by_title["Lĩnh vực"]["choices"] == "FIELDS"
    assert by_title["Khối"]["choices"] == "SECTORS"
    assert by_title["Giới tính"]["choices"] == "GENDERS"
    assert by_title["Mô tả sáng kiến"]["kind"] == "ParagraphText"
    assert by_title["Mô tả sáng kiến"]["limit"] == settings.campaign.description_max_chars
    assert by_title["Thời gian bắt đầu áp dụng"]["kind"] == "Date"


def test_trigger_fires_at_the_close_moment(script: str, settings: Settings) -> None:
    moment = _trigger_moment(script)
    assert moment == settings.campaign.closes_at
    assert moment.isoformat() == "2021-04-23T00:00:00+07:00"
    assert "FormApp.DestinationType.SPREADSHEET" in script
    assert "setAcceptingResponses(false)" in script


def test_another_campaign_changes_the_script(base_config: dict, write_config) -> None:
    base_config["campaign"].update(
        form_closes_at="2022-05-10 17:30", description_max_chars=1500, name='Sáng kiến "2022"'
    )
    base_config["fields"] = ["Chuyển đổi số", "Tiết kiệm năng lượng"]
    settings = read_settings(write_config(base_config))
    script = build_form_script(settings)
    assert _constants(script)["FIELDS"] == ["Chuyển đổi số", "Tiết kiệm năng lượng"]
    assert _trigger_moment(script).isoformat() == "2022-05-10T17:30:00+07:00"
    assert {i["limit"] for i in _items(script)} == {None, 1500}
    assert 'var FORM_TITLE = "Sáng kiến \\"2022\\" — Điện Biên";' in script


def test_line_separators_are_escaped(base_config: dict, write_config) -> None:
    base_config["fields"] = ["A\u2028B"]
    script = build_form_script(read_settings(write_config(base_config)))
    assert "\u2028" not in script
    assert _constants(script)["FIELDS"] == ["A\u2028B"]


# A stand-in for the Apps Script services that records what the script asks of them.
_HARNESS = r"""
const fs = require("fs");
const vm = require("vm");
const [scriptPath, nowIso] = process.argv.slice(2);
const calls = [];
const chain = (record) => new Proxy({}, {
  get: (_, name) => (...args) => {
    record.push([name, ...args.map((a) => (a instanceof Date ? a.toISOString() : a))]);
    if (name === "getId") return "FORM-1";
    return chain(record);
  },
});
const items = [];
const triggers = [];
const props = {};
const form = {
  setDescription: (text) => calls.push(["setDescription", text]),
  setDestination: (kind, id) => calls.push(["setDestination", kind, id]),
  getId: () => "FORM-1",
  getPublishedUrl: () => "https://example.invalid/form",
  setAcceptingResponses: (value) => calls.push(["setAcceptingResponses", value]),
  setPublished: (value) => calls.push(["setPublished", value]),
};
for (const kind of ["Text", "ParagraphText", "List", "MultipleChoice", "Date"]) {
  form[`add${kind}Item`] = () => {
    const record = [kind];
    items.push(record);
    return chain(record);
  };
}
const context = {
  Date: class extends Date {
    constructor(...args) { super(...(args.length ? args : [nowIso])); }
    static now() { return new Date(nowIso).getTime(); }
  },
  FormApp: {
    create: (title) => { calls.push(["create", title]); return form; },
    openById: (id) => { calls.push(["openById", id]); return form; },
    DestinationType: { SPREADSHEET: "SPREADSHEET" },
    createParagraphTextValidation: () => chain(calls),
    createTextValidation: () => chain(calls),
  },
  SpreadsheetApp: { create: () => ({ getId: () => "SHEET-1", getUrl: () => "sheet-url" }) },
  PropertiesService: { getScriptProperties: () => ({
    setProperty: (k, v) => { props[k] = v; },
    getProperty: (k) => props[k],
  }) },
  ScriptApp: {
    getProjectTriggers: () => [],
    deleteTrigger: () => {},
    newTrigger: (handler) => ({ timeBased: () => ({ at: (date) => ({ create: () =>
      triggers.push({ handler, at: date.toISOString() }) }) }) }),
  },
  Logger: { log: () => {} },
};
vm.createContext(context);
vm.runInContext(fs.readFileSync(scriptPath, "utf8"), context);
context.createForm();
for (const t of triggers) context[t.handler]();
console.log(JSON.stringify({ calls, items, triggers }));
"""


def _run_in_node(script: str, now: str, tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "form.js").write_text(script, encoding="utf-8")
    (tmp_path / "harness.js").write_text(_HARNESS, encoding="utf-8")
    result = subprocess.run(
        [NODE, str(tmp_path / "harness.js"), str(tmp_path / "form.js"), now],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@needs_node
def test_script_builds_the_form_when_run(script: str, settings: Settings, tmp_path: Path) -> None:
    run = _run_in_node(script, "2021-03-01T08:00:00+07:00", tmp_path)
    titles = [next(c[1] for c in item[1:] if c[0] == "setTitle") for item in run["items"]]
    form = load_templates().form
    assert titles == [q.vi for q in form.questions if q.kind != "timestamp"]
    assert ["setDestination", "SPREADSHEET", "SHEET-1"] in run["calls"]
    opened = run["calls"].index(["setPublished", True])
    assert run["calls"][opened + 1] == ["setAcceptingResponses", True]
    assert run["triggers"] == [{"handler": "closeForm", "at": "2021-04-22T17:00:00.000Z"}]
    # The trigger's handler (run by the harness) stops responses on the created form.
    assert run["calls"][-2:] == [["openById", "FORM-1"], ["setAcceptingResponses", False]]
    limit = settings.campaign.description_max_chars
    assert ["requireTextLengthLessThanOrEqualTo", limit] in run["calls"]


@needs_node
def test_script_run_after_the_deadline_closes_at_once(script: str, tmp_path: Path) -> None:
    run = _run_in_node(script, "2021-04-23T00:00:01+07:00", tmp_path)
    assert run["triggers"] == []
    assert ["setAcceptingResponses", False] in run["calls"]


def test_cli_prints_the_script(repo: Path) -> None:
    result = CliRunner().invoke(app, ["form", "--config", str(repo / "config.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("/**")
    assert "function createForm()" in result.output


def test_cli_reports_a_broken_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["form", "--config", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "config file not found" in result.output


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        ("2021-04-22 24:00", "24 giờ ngày 22/04/2021"),
        ("2021-04-22 17:30", "17 giờ 30 ngày 22/04/2021"),
        ("2021-04-22 08:00", "8 giờ ngày 22/04/2021"),
    ],
)
def test_deadline_in_words(base_config: dict, write_config, moment: str, words: str) -> None:
    base_config["campaign"]["form_closes_at"] = moment
    assert deadline_words(read_settings(write_config(base_config)).campaign) == words


# -- closing through the Forms API -------------------------------------------------------------


def _forms_discovery() -> dict[str, Any]:
    import googleapiclient

    folder = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
    return json.loads((folder / "forms.v1.json").read_text(encoding="utf-8"))


def _schema_problems(value: Any, schema: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    """Unknown fields and wrong types, against a discovery schema."""
    schema = schemas[schema["$ref"]] if "$ref" in schema else schema
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"expected an object, got {value!r}"]
        problems = []
        for key, item in value.items():
            if key not in schema.get("properties", {}):
                problems.append(f"unknown field {key!r}")
            else:
                problems += _schema_problems(item, schema["properties"][key], schemas)
        return problems
    expected = {"boolean": bool, "string": str}.get(kind)
    if expected and not isinstance(value, expected):
        return [f"expected {kind}, got {value!r}"]
    return []


@pytest.fixture
def named_form(base_config: dict, write_config) -> Settings:
    base_config["campaign"]["form_id"] = "1FAIpQL-example"
    return read_settings(write_config(base_config))


def test_close_request_matches_the_discovery_document() -> None:
    doc = _forms_discovery()
    method = doc["resources"]["forms"]["methods"]["setPublishSettings"]
    url, body = close_request("abc")
    assert method["httpMethod"] == "POST"
    assert url == doc["rootUrl"] + doc["servicePath"] + method["path"].replace("{formId}", "abc")
    assert _schema_problems(body, method["request"], doc["schemas"]) == []
    state = body["publishSettings"]["publishState"]
    # Updating publishState needs both of its fields set.
    assert set(state) == set(doc["schemas"]["PublishState"]["properties"])
    assert state == {"isPublished": True, "isAcceptingResponses": False}
    mask_root = doc["schemas"]["PublishSettings"]["properties"]
    assert all(path in mask_root for path in body["updateMask"].split(","))


@pytest.fixture
def emu():
    from emulator import SheetsEmulator

    with SheetsEmulator() as server:
        yield server
        assert not server.internal_errors


def _google(emu: Any, settings: Settings) -> Any:
    from emulator import authorized_session
    from sync.google.client import Policy, RateLimiter, connect

    no_wait = Policy(
        reads=RateLimiter(100_000), writes=RateLimiter(100_000), max_retries=0, timeout=5
    )
    credentials = emu.credentials()
    session = authorized_session(emu, credentials)
    return connect(settings.google, credentials=credentials, session=session, policy=no_wait)


def _named(settings: Settings, form_id: str) -> Settings:
    campaign = settings.campaign.model_copy(update={"form_id": form_id})
    return settings.model_copy(update={"campaign": campaign})


def test_close_form_waits_for_the_close_moment(emu, settings: Settings, tmp_path: Path) -> None:
    named = _named(settings, emu.create_form("75 nghìn sáng kiến"))
    early = named.campaign.closes_at - timedelta(seconds=1)
    assert close_form_if_due(named, _google(emu, named), early, tmp_path) is None
    assert emu.counts.writes() == 0


def test_close_form_once_after_the_close_moment(emu, settings: Settings, tmp_path: Path) -> None:
    form_id = emu.create_form("75 nghìn sáng kiến")
    named = _named(settings, form_id)
    google = _google(emu, named)
    note = close_form_if_due(named, google, named.campaign.closes_at, tmp_path)
    assert note is not None and "closed to new responses" in note
    state = emu.form(form_id)["publishSettings"]["publishState"]
    assert state == {"isPublished": True, "isAcceptingResponses": False}
    assert emu.counts["forms.forms.setPublishSettings"] == 1
    later = named.campaign.closes_at + timedelta(days=1)
    assert close_form_if_due(named, google, later, tmp_path) is None  # remembered: no call
    assert emu.counts["forms.forms.setPublishSettings"] == 1
    assert emu.counts["forms.forms.get"] == 1


def test_already_closed_form_is_done_not_an_error(emu, settings: Settings, tmp_path) -> None:
    named = _named(settings, emu.create_form("75 nghìn sáng kiến", accepting=False))
    note = close_form_if_due(named, _google(emu, named), named.campaign.closes_at, tmp_path)
    assert note is not None and "already closed" in note
    assert emu.counts["forms.forms.setPublishSettings"] == 0


def test_unnamed_form_is_left_alone(emu, settings: Settings, tmp_path: Path) -> None:
    late = settings.campaign.closes_at + timedelta(days=1)
    assert close_form_if_due(settings, _google(emu, settings), late, tmp_path) is None
    assert emu.counts.writes() == 0


def test_close_form_reports_an_unknown_form(emu, settings: Settings, tmp_path: Path) -> None:
    from sync.google.client import GoogleError

    named = _named(settings, "no-such-form")
    late = named.campaign.closes_at + timedelta(days=1)
    with pytest.raises(GoogleError, match="not found"):
        close_form_if_due(named, _google(emu, named), late, tmp_path)


def test_legacy_form_gets_a_plain_note_once(emu, settings: Settings, tmp_path: Path) -> None:
    named = _named(settings, emu.create_form("75 nghìn sáng kiến", legacy=True))
    google = _google(emu, named)
    note = close_form_if_due(named, google, named.campaign.closes_at, tmp_path)
    assert note is not None and "legacy" in note
    assert emu.counts["forms.forms.setPublishSettings"] == 0
    later = named.campaign.closes_at + timedelta(days=1)
    assert close_form_if_due(named, google, later, tmp_path) is None
    assert emu.counts["forms.forms.get"] == 1
