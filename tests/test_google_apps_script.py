"""`sangkien spreadsheets-script`: the Apps Script parses, and run in node against small stand-ins
of SpreadsheetApp and DriveApp it lays the spreadsheets out in folders, shares them, lists them
in the registry tab, survives a refused address and resumes after Google's daily limit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sync.cli import app
from sync.config import Settings, read_settings
from sync.google.apps_script import build_spreadsheets_script
from sync.google.client import GoogleError

from .conftest import TREE, write_units

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
ACCOUNT = "sangkien-sync@dien-bien.iam.gserviceaccount.com"
OFFICERS = {
    "P": "tinh@example.vn",
    "P.TG": "tuangiao@example.vn",
    "P.MA": "muongang@example.vn",
    "P.TG.THPT": "a@example.vn;no-account@example.vn",
    "P.DL": "dienluc@example.vn",
}


@pytest.fixture
def settings(tmp_path: Path, base_config: dict, write_config) -> Settings:
    rows = [(*row[:6], OFFICERS.get(row[0], ""), row[7]) for row in TREE]
    config = dict(base_config)
    config["units"] = str(write_units(tmp_path, rows))
    config["google"] = {
        "owner": "apps_script",
        "drive_folder": "https://drive.google.com/drive/folders/ROOT",
        "dashboard_spreadsheet": "PROVINCE",
    }
    return read_settings(write_config(config))


@pytest.fixture
def script(settings: Settings) -> str:
    return build_spreadsheets_script(settings, ACCOUNT)


LOOKUP = "tra-cuu-ket-qua"  # the public lookup's own spreadsheet


@needs_node
def test_script_passes_node_check(script: str, tmp_path: Path) -> None:
    path = tmp_path / "spreadsheets.js"
    path.write_text(script, encoding="utf-8")
    subprocess.run([NODE, "--check", str(path)], check=True)


# Stand-ins for the Apps Script services, keeping Drive, the registry tab and the script's
# properties between runs. argv: script path, then how many files Google lets each run create.
_HARNESS = r"""
const fs = require("fs");
const vm = require("vm");
const [scriptPath, limitsJson] = process.argv.slice(2);
const limits = JSON.parse(limitsJson);
const items = {};        // id -> {id, name, kind, parent, editors, viewers}
const registry = [];     // rows of the registry tab
const props = {};
const logs = [];
let nextId = 1;
let allowance = 0;
const add = (name, kind, parent) => {
  const id = kind + (nextId++);
  items[id] = { id, name, kind, parent, editors: [], viewers: [] };
  return wrap(items[id]);
};
const matching = (parent, name, kind) => {
  const found = Object.values(items).filter(
    (i) => i.parent === parent && i.name === name && i.kind === kind);
  return { hasNext: () => found.length > 0, next: () => wrap(found.shift()) };
};
const grant = (list) => (email) => {
  if (email.startsWith("no-account")) throw new Error("Invalid argument: " + email);
  list.push(email);
};
const wrap = (item) => ({
  getId: () => item.id,
  addEditor: grant(item.editors),
  addViewer: grant(item.viewers),
  moveTo: (folder) => { item.parent = folder.getId(); },
  getFoldersByName: (name) => matching(item.id, name, "folder"),
  getFilesByName: (name) => matching(item.id, name, "sheet"),
  createFolder: (name) => add(name, "folder", item.id),
});
items.ROOT = { id: "ROOT", name: "Sáng kiến", kind: "folder", editors: [], viewers: [] };
const province = {
  addEditor: (email) => registry.editors = [email],
  getSheetByName: () => (registry.made ? tab : null),
  insertSheet: () => { registry.made = true; return tab; },
};
const tab = {
  appendRow: (row) => registry.push(row),
  getDataRange: () => ({ getValues: () => registry.slice() }),
};
const context = {
  Date,
  SpreadsheetApp: {
    openById: () => province,
    create: (name) => {
      if (allowance-- <= 0) throw new Error("Service invoked too many times: driveFile create");
      return add(name, "sheet", "MYDRIVE");
    },
  },
  DriveApp: {
    getFolderById: (id) => wrap(items[id]),
    getFileById: (id) => wrap(items[id]),
  },
  PropertiesService: { getScriptProperties: () => ({
    setProperty: (k, v) => { props[k] = v; },
    getProperty: (k) => props[k] || null,
  }) },
  Logger: { log: (text) => logs.push(text) },
};
vm.createContext(context);
vm.runInContext(fs.readFileSync(scriptPath, "utf8"), context);
for (const limit of limits) {
  allowance = limit;
  context.createSpreadsheets();
}
console.log(JSON.stringify({ items, registry, editors: registry.editors, logs }));
"""


def _run(script: str, limits: list[int], tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "spreadsheets.js").write_text(script, encoding="utf-8")
    (tmp_path / "harness.js").write_text(_HARNESS, encoding="utf-8")
    result = subprocess.run(
        [NODE, str(tmp_path / "harness.js"), str(tmp_path / "spreadsheets.js"), json.dumps(limits)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def _made(run: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Unit id -> the spreadsheet or folder the script made for it."""
    return {
        item["name"].split(" – ")[0]: item
        for item in run["items"].values()
        if item["kind"] == kind and "parent" in item
    }


@needs_node
def test_script_lays_out_shares_and_lists_every_spreadsheet(script: str, tmp_path: Path) -> None:
    run = _run(script, [100], tmp_path)
    sheets, folders = _made(run, "sheet"), _made(run, "folder")
    assert set(sheets) == {row[0] for row in TREE} - {"P"} | {LOOKUP}
    assert sheets[LOOKUP]["parent"] == "ROOT"  # the public lookup, edited by the province
    assert sheets[LOOKUP]["editors"] == ["tinh@example.vn"]
    assert set(folders) == {"P.TG", "P.MA"}  # the superiors with units below them
    assert sheets["P.TG.THPT"]["parent"] == folders["P.TG"]["id"]
    assert sheets["P.TG"]["parent"] == "ROOT" and sheets["P.DL"]["parent"] == "ROOT"
    root = run["items"]["ROOT"]
    assert root["editors"] == [ACCOUNT] and root["viewers"] == ["tinh@example.vn"]
    assert folders["P.TG"]["viewers"] == ["tuangiao@example.vn"]
    assert sheets["P.TG.THPT"]["editors"] == ["a@example.vn"]  # the refused one is skipped
    assert any("no-account@example.vn" in line for line in run["logs"])
    registry = run["registry"]
    assert registry[0][:3] == ["Mã đơn vị", "Đơn vị", "Bảng tính"]
    assert {row[0] for row in registry[1:]} == set(sheets)
    assert run["editors"] == [ACCOUNT]


@needs_node
def test_script_resumes_after_googles_daily_limit(script: str, tmp_path: Path) -> None:
    run = _run(script, [3, 0, 100, 100], tmp_path)
    sheets = [item for item in run["items"].values() if item.get("kind") == "sheet"]
    assert len(sheets) == len(TREE)  # the units' and the lookup's, none made twice
    assert len(run["registry"]) == len(TREE) + 1  # header + one row per spreadsheet
    assert any("250 files a day" in line for line in run["logs"])
    assert run["logs"][-1].startswith("All done: 0 spreadsheet(s)")
    assert _made(run, "folder")["P.TG"]["viewers"] == [
        "tuangiao@example.vn"
    ]  # shared once, not once per run


def test_cli_prints_the_script(settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    result = CliRunner().invoke(
        app, ["spreadsheets-script", "--config", str(config), "--account", ACCOUNT]
    )
    assert result.exit_code == 0, result.output
    assert "function createSpreadsheets()" in result.output
    assert ACCOUNT in result.output


def test_script_needs_the_folder_and_the_provincial_spreadsheet(
    settings: Settings,
) -> None:
    google = settings.google.model_copy(update={"drive_folder": None})
    with pytest.raises(GoogleError, match="drive_folder"):
        build_spreadsheets_script(settings.model_copy(update={"google": google}), ACCOUNT)


def test_account_is_read_from_the_service_account_key(settings: Settings, tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"client_email": ACCOUNT}), encoding="utf-8")
    google = settings.google.model_copy(update={"credentials": key})
    script = build_spreadsheets_script(settings.model_copy(update={"google": google}))
    assert f'var SYNC_ACCOUNT = "{ACCOUNT}";' in script
