"""`sangkien spreadsheets-script`: the Apps Script that creates the units' spreadsheets as the
provincial officer (google.owner: apps_script), for a federation whose service account may not
own files and that has no Workspace shared drive.

The script lays the spreadsheets out as the sync would (drive.py): a folder per superior union
inside its superior's, each unit's spreadsheet in its superior's folder, readers granted once per
folder, each unit's officers editors of their own spreadsheet, the sync's account an editor of
the campaign folder (so of everything in it) and of the provincial spreadsheet. Each spreadsheet
is listed in the provincial spreadsheet's registry tab as soon as it is shared, which is where
the sync finds it. Run again, the script skips what the registry lists, finds by name what it
created but did not list, and goes on: Apps Script stops a run after 6 minutes, and a gmail.com
account may create only about 250 files a day.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import GoogleError
from ..form import js_string, js_value
from ..orgtree import OrgTree, load_tree
from ..templates import Templates, load_templates
from .auth import key_path, token_path
from .client import spreadsheet_key
from .drive import lookup_record, unit_title

ENTRY_POINT = "createSpreadsheets"


def sync_account(settings: Settings, override: str | None = None) -> str:
    """The account the sync signs in with: given, else read from the key or the saved sign-in."""
    if override:
        return override
    google = settings.google
    path = key_path(google) if google.auth == "service_account" else token_path(google)
    field = "client_email" if google.auth == "service_account" else "account"
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8")).get(field) if path else None
    except (OSError, ValueError, AttributeError):
        found = None
    if not found:
        raise GoogleError(
            "cannot tell which account the sync signs in with: pass --account with its e-mail"
        )
    return str(found)


def _folders_and_units(
    settings: Settings, tree: OrgTree, templates: Templates
) -> tuple[list[Any], list[Any]]:
    """The folders to make (top-down, each after its parent) and the spreadsheets to make: the
    units', and the public lookup's in the campaign folder."""
    tiers = settings.output.tiers
    units = [u for u in tree if u.tier in tiers and u.id != tree.root.id]
    needed: dict[str, None] = {}
    for unit in units:
        assert unit.parent_id is not None
        chain = [unit.parent_id, *tree.ancestors(unit.parent_id)]
        for unit_id in reversed(chain):
            if unit_id != tree.root.id:
                needed[unit_id] = None
    folders = [
        {
            "id": unit_id,
            "title": unit_title(tree[unit_id]),
            "parent": tree[unit_id].parent_id,
            "readers": list(tree[unit_id].officer_emails),
        }
        for unit_id in needed
    ]
    sheets = [
        {
            "id": u.id,
            "name": u.name,
            "title": unit_title(u),
            "parent": u.parent_id,
            "editors": list(u.officer_emails),
        }
        for u in units
    ]
    record, name, title = lookup_record(templates)
    root = tree.root
    lookup = {"id": record, "name": name, "title": title, "parent": root.id,
              "editors": list(root.officer_emails)}  # fmt: skip
    return folders, [*sheets, lookup]


def render_spreadsheets_script(settings: Settings, tree: OrgTree, account: str) -> str:
    google = settings.google
    if not google.drive_folder or not google.dashboard_spreadsheet:
        raise GoogleError(
            "the script needs google.drive_folder (the campaign's folder) and "
            "google.dashboard_spreadsheet (the provincial spreadsheet) in config.yaml"
        )
    templates = load_templates()
    folders, sheets = _folders_and_units(settings, tree, templates)
    registry = templates.sheets["registry"]
    return _SCRIPT.format(
        entry=ENTRY_POINT,
        entry_name=js_string(ENTRY_POINT),
        root_folder=js_string(spreadsheet_key(google.drive_folder)),
        province=js_string(spreadsheet_key(google.dashboard_spreadsheet)),
        account=js_string(account),
        root_id=js_string(tree.root.id),
        province_officers=js_value(list(tree.root.officer_emails)),
        registry_tab=js_string(registry.name),
        registry_headers=js_value([c.header for c in registry.columns]),
        folders=js_value(folders),
        units=js_value(sheets),
    )


def build_spreadsheets_script(settings: Settings, account: str | None = None) -> str:
    return render_spreadsheets_script(
        settings, load_tree(settings.units), sync_account(settings, account)
    )


_SCRIPT = """\
/**
 * Creates the units' spreadsheets of the campaign in Drive, as the person who runs it.
 * Generated by `sangkien spreadsheets-script` from config.yaml and the organisation tree.
 *
 * Use: script.google.com > New project > paste this file > run {entry}, allow access.
 * Run it again until the log says "all done": it resumes where it stopped (Apps Script stops a
 * run after 6 minutes; a gmail.com account may create only about 250 files a day).
 */

var ROOT_FOLDER_ID = {root_folder};
var PROVINCE_SPREADSHEET_ID = {province};
var SYNC_ACCOUNT = {account};
var ROOT_UNIT = {root_id};
var PROVINCE_OFFICERS = {province_officers};
var REGISTRY_TAB = {registry_tab};
var REGISTRY_HEADERS = {registry_headers};
var FOLDERS = {folders};
var UNITS = {units};
// Stop a little before Apps Script's 6-minute limit, after a spreadsheet is fully done.
var TIME_BUDGET_MS = 5 * 60 * 1000;

function {entry}() {{
  var started = Date.now();
  var province = SpreadsheetApp.openById(PROVINCE_SPREADSHEET_ID);
  province.addEditor(SYNC_ACCOUNT);
  var registry = registryTab(province);
  var listed = listedUnits(registry);
  var properties = PropertiesService.getScriptProperties();
  var folders = {{}};
  folders[ROOT_UNIT] = DriveApp.getFolderById(ROOT_FOLDER_ID);
  shareOnce(properties, folders[ROOT_UNIT], [SYNC_ACCOUNT], PROVINCE_OFFICERS);
  FOLDERS.forEach(function (spec) {{
    var parent = folders[spec.parent];
    folders[spec.id] = findOrMakeFolder(parent, spec.title);
    shareOnce(properties, folders[spec.id], [], spec.readers);
  }});
  var made = 0;
  for (var i = 0; i < UNITS.length; i++) {{
    var unit = UNITS[i];
    if (listed[unit.id]) continue;
    if (Date.now() - started > TIME_BUDGET_MS) {{
      Logger.log("Time is nearly up: run " + {entry_name} + " again; it goes on from here.");
      return;
    }}
    var file;
    try {{
      file = findOrMakeSpreadsheet(folders[unit.parent], unit.title);
    }} catch (error) {{
      Logger.log("Google stopped creating files (" + error.message + "). A gmail.com account " +
        "may create only about 250 files a day: run " + {entry_name} + " again tomorrow.");
      return;
    }}
    share(file, unit.editors, []);
    registry.appendRow([unit.id, unit.name, "https://docs.google.com/spreadsheets/d/" +
      file.getId(), ""]);
    listed[unit.id] = true;
    made++;
  }}
  Logger.log("All done: " + made + " spreadsheet(s) made in this run, " + UNITS.length +
    " listed in the registry tab.");
}}

function registryTab(province) {{
  var tab = province.getSheetByName(REGISTRY_TAB);
  if (!tab) {{
    tab = province.insertSheet(REGISTRY_TAB);
    tab.appendRow(REGISTRY_HEADERS);
  }}
  return tab;
}}

function listedUnits(registry) {{
  var listed = {{}};
  registry.getDataRange().getValues().slice(1).forEach(function (row) {{
    if (row[0] && row[2]) listed[String(row[0])] = true;
  }});
  return listed;
}}

function findOrMakeFolder(parent, title) {{
  var found = parent.getFoldersByName(title);
  return found.hasNext() ? found.next() : parent.createFolder(title);
}}

// A spreadsheet made by a run that stopped before listing it is found again, not made twice.
function findOrMakeSpreadsheet(folder, title) {{
  var found = folder.getFilesByName(title);
  if (found.hasNext()) return found.next();
  var made = SpreadsheetApp.create(title);
  var file = DriveApp.getFileById(made.getId());
  file.moveTo(folder);
  return file;
}}

function shareOnce(properties, item, editors, readers) {{
  var key = "shared:" + item.getId();
  if (properties.getProperty(key)) return;
  share(item, editors, readers);
  properties.setProperty(key, "1");
}}

// An address Google refuses is logged and skipped; every other one is still shared.
function share(item, editors, readers) {{
  editors.forEach(function (email) {{
    try {{
      item.addEditor(email);
    }} catch (error) {{
      Logger.log("Not shared with " + email + ": " + error.message);
    }}
  }});
  readers.forEach(function (email) {{
    try {{
      item.addViewer(email);
    }} catch (error) {{
      Logger.log("Not shared with " + email + ": " + error.message);
    }}
  }});
}}
"""
