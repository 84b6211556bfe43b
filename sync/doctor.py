"""`sangkien doctor`: check a campaign folder before the first sync, one finding per check.

Each finding says what is fine or what is wrong and how to fix it. A blocking finding means a sync
would fail (or, for a leaked key, must not run); a non-blocking one is a warning or a fact worth
knowing (the clock, the calendar).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from .config import Settings, SourceSettings, read_settings
from .errors import ConfigError, GoogleError, SourceError
from .form import FORMS_API_ROOT, deadline_words
from .google.auth import exposure, token_path
from .google.client import (
    CREDENTIALS_ENV,
    DRIVE_FILES,
    THREE_WAYS,
    GoogleSession,
    connect,
    key_path,
    spreadsheet_key,
)
from .orgtree import OrgTree, load_tree
from .pipeline import needs_google
from .qr import is_example_address
from .sources import read_source
from .templates import load_templates
from .text import fold

SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets/"


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    ok: bool
    blocking: bool  # a sync would fail (or must not run) until this is fixed
    message: str


def _ok(name: str, message: str) -> Finding:
    return Finding(name, True, False, message)


def _warning(name: str, message: str) -> Finding:
    return Finding(name, False, False, message)


def _blocking(name: str, message: str) -> Finding:
    return Finding(name, False, True, message)


# -- config and organisation tree ----------------------------------------------------------------


def check_config(path: Path) -> tuple[Finding, Settings | None]:
    try:
        settings = read_settings(path)
    except ConfigError as exc:
        return _blocking("config", f"{exc} — fix config.yaml there, then run doctor again"), None
    return _ok("config", f"{path}: campaign «{settings.campaign.name}»"), settings


def check_tree(settings: Settings) -> tuple[Finding, OrgTree | None]:
    try:
        tree = load_tree(settings.units)
    except ConfigError as exc:
        hint = "fix the organisation tree (units file) at the row named; each unit on one row"
        return _blocking("units", f"{exc} — {hint}"), None
    counts = {tier: 0 for tier in ("province", "superior", "grassroots")}
    for unit in tree:
        counts[unit.tier] += 1
    return _ok(
        "units",
        f"{settings.units.name}: {len(tree.units)} unions — {counts['superior']} cấp trên trực "
        f"tiếp, {counts['grassroots']} CĐCS",
    ), tree


def check_quotas(tree: OrgTree) -> Finding:
    """Children together may nominate more than their superior forwards: selecting among them
    is the superior's job (D8, D10). A unit without a quota is the gap worth flagging."""
    missing = [u.id for u in tree if u.quota is None]
    if not missing:
        return _ok("quotas", "every union has a quota (chỉ tiêu)")
    shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
    return _warning(
        "quotas",
        f"{len(missing)} union(s) without a quota (chỉ tiêu): {shown} — fill the quota column "
        "of the units file, or their nominations are not counted against a limit",
    )


# -- sources ---------------------------------------------------------------------------------------


def check_source(source: SourceSettings, settings: Settings) -> Finding:
    name = f"source {source.name}"
    if source.kind == "google_sheet":
        return _ok(name, "Google sheet: opened by check_google_access, not offline")
    try:
        table = read_source(source, settings, load_templates().form)
    except SourceError as exc:
        return _blocking(name, f"{exc} — {_source_hint(str(exc))}")
    if not table.rows:
        return _warning(name, f"{table.location}: headers found but no responses yet")
    return _ok(name, f"{table.location}: {len(table.rows)} row(s), all required columns found")


def _source_hint(message: str) -> str:
    if "missing required column" in message:
        return (
            "rename the column back to the form's question, or list the sheet's header under "
            "column_aliases in config.yaml"
        )
    if "not found" in message:
        return "download the responses again (Google Forms > Responses > Download) or fix `path`"
    return "open the file in a spreadsheet program and save it again as .xlsx or CSV UTF-8"


# -- credentials -----------------------------------------------------------------------------------


def check_credentials(settings: Settings, environ: Mapping[str, str]) -> Finding:
    if settings.google.auth == "user":
        return check_saved_sign_in(settings)
    path = key_path(settings.google, environ)
    if path is None:
        if needs_google(settings):
            return _blocking(
                "credentials",
                "no Google credentials — set google.credentials in config.yaml to the "
                f"service-account key file, or the {CREDENTIALS_ENV} environment variable "
                "(or sign in as a person: google.auth: user, then `sangkien login`)",
            )
        return _ok("credentials", "not needed: the sources and outputs are local files")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _blocking("credentials", f"{path}: key file not found — check the path")
    except (OSError, UnicodeDecodeError) as exc:
        return _blocking("credentials", f"{path}: cannot read the key file ({exc})")
    return _key_finding(path, text)


def check_saved_sign_in(settings: Settings) -> Finding:
    path = token_path(settings.google)
    if not path.exists():
        if not needs_google(settings):
            return _ok("credentials", "not needed: the sources and outputs are local files")
        return _blocking("credentials", f"not signed in yet ({path}) — run `sangkien login`")
    leaked = exposure(path)
    if leaked:
        return _blocking("credentials", f"the saved sign-in {leaked}")
    return _ok("credentials", f"{path}: saved sign-in (google.auth: user)")


def _key_finding(path: Path, text: str) -> Finding:
    renew = "download a new JSON key (Google Cloud console > Service accounts > Keys)"
    try:
        key = json.loads(text)
    except ValueError:
        return _blocking("credentials", f"{path}: not JSON, so not a service-account key — {renew}")
    account = key.get("client_email") if isinstance(key, dict) else None
    if not account or not key.get("private_key"):
        return _blocking(
            "credentials", f"{path}: JSON without client_email/private_key, not a key — {renew}"
        )
    leaked = exposure(path)
    if leaked:
        return _blocking("credentials", f"the key of {account}: {leaked}")
    return _ok("credentials", f"{path}: service account {account}")


# -- clock and calendar ----------------------------------------------------------------------------


def check_clock(settings: Settings, now: datetime) -> Finding:
    campaign = settings.campaign
    local = now.astimezone(campaign.zone)
    offset = local.strftime("%z")
    return _ok(
        "clock",
        f"now {local:%d/%m/%Y %H:%M} {campaign.timezone} (UTC{offset[:3]}:{offset[3:]}); "
        "form timestamps are read in this zone",
    )


def _when(day: date, today: date) -> str:
    days = (day - today).days
    if days > 0:
        return f"in {days} day(s)"
    return "today" if days == 0 else f"{-days} day(s) ago"


def check_calendar(settings: Settings, now: datetime) -> Finding:
    """What is open and what is due next, so the officer knows where the campaign stands."""
    campaign = settings.campaign
    local = now.astimezone(campaign.zone)
    today = local.date()
    window = campaign.implementation_window
    closes = campaign.closes_at
    last_day = (closes - timedelta(microseconds=1)).date()  # 24:00 closes at the next midnight
    form = (
        f"form open, closes {deadline_words(campaign)} ({_when(last_day, today)})"
        if local < closes
        else f"form closed since {deadline_words(campaign)}"
    )
    dossier = f"hồ sơ due {campaign.dossier_due:%d/%m/%Y} ({_when(campaign.dossier_due, today)})"
    state = (
        "open"
        if window.start <= today <= window.end
        else ("not started" if today < window.start else "over")
    )
    implementation = (
        f"implementation window {window.start:%d/%m/%Y}–{window.end:%d/%m/%Y} ({state})"
    )
    return _ok("calendar", f"{form}; {dossier}; {implementation}")


# -- an unfinished campaign folder -----------------------------------------------------------------

# A campaign runs for a few months: its dates lie within half a year of its form closing, and
# one further away is left over from another campaign (`init` keeps the example's dates).
CAMPAIGN_SPAN = timedelta(days=183)


def check_form_address(settings: Settings) -> Finding:
    url = settings.campaign.form_url
    if url and is_example_address(url):
        return _warning(
            "form address",
            f"campaign.form_url is the example address {url} — put your form's address there "
            "before printing posters (sangkien qr refuses the example)",
        )
    return _ok("form address", url or "campaign.form_url not set yet (needed by sangkien qr)")


def check_dossier_date(settings: Settings) -> Finding:
    campaign = settings.campaign
    due, closes = campaign.dossier_due, campaign.closes_at.date()
    words = f"campaign.dossier_due {due:%d/%m/%Y}, form closes {deadline_words(campaign)}"
    if due < closes - CAMPAIGN_SPAN or due > closes + CAMPAIGN_SPAN:
        return _blocking(
            "dossier date",
            f"{words}: more than half a year apart, a date of another campaign — every nomination "
            "would be DOSSIER_LATE or never; set campaign.dossier_due",
        )
    if due < closes:
        return _warning(
            "dossier date",
            f"{words}: nominations first seen from {due:%d/%m/%Y} are DOSSIER_LATE although the "
            "form is still open — check campaign.dossier_due if that is not the plan",
        )
    return _ok("dossier date", f"{words}")


def check_window(settings: Settings) -> Finding:
    campaign = settings.campaign
    window, closes = campaign.implementation_window, campaign.closes_at.date()
    span = f"{window.start:%d/%m/%Y}–{window.end:%d/%m/%Y}"
    if window.end < closes - CAMPAIGN_SPAN or window.start > closes:
        return _blocking(
            "implementation window",
            f"campaign.implementation_window {span} does not overlap the campaign (the half "
            f"year before the form closes {deadline_words(campaign)}) — every initiative would be "
            "OUT_OF_WINDOW; set its start and end",
        )
    return _ok("implementation window", f"{span} overlaps the campaign")


def check_province(settings: Settings, tree: OrgTree) -> Finding:
    province, root = settings.campaign.province, tree.root
    if any(fold(province) in fold(name) for name in (root.name, *root.aliases)):
        return _ok("province", f"the tree's root «{root.name}» is {province}'s")
    return _blocking(
        "province",
        f"{settings.units.name}: the tree's root is «{root.name}», not {province} "
        "(campaign.province) — put your province's organisation tree in the units file",
    )


def check_unfinished(settings: Settings, tree: OrgTree | None) -> list[Finding]:
    """What a folder made from the example still holds of it: the example form address, dates
    of another campaign, another province's tree."""
    findings = [check_form_address(settings), check_dossier_date(settings), check_window(settings)]
    if tree is not None:
        findings.insert(0, check_province(settings, tree))
    return findings


# -- all of it -------------------------------------------------------------------------------------


def run_doctor(
    config_path: Path,
    *,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    google: GoogleSession | None = None,
) -> list[Finding]:
    """Every offline check, in the order an officer fixes things. Later checks that depend on an
    earlier one (a config that loads) are skipped when it fails."""
    config, settings = check_config(config_path)
    if settings is None:
        return [config]
    findings = [config]
    tree_finding, tree = check_tree(settings)
    findings.append(tree_finding)
    if tree is not None:
        findings.append(check_quotas(tree))
    findings += check_unfinished(settings, tree)
    findings += [check_source(source, settings) for source in settings.sources]
    credentials = check_credentials(settings, os.environ if environ is None else environ)
    findings.append(credentials)
    if credentials.ok and needs_google(settings):
        findings += _google_findings(settings, google)
    moment = now or datetime.now(settings.campaign.zone)
    findings += [check_clock(settings, moment), check_calendar(settings, moment)]
    return findings


def _google_findings(settings: Settings, google: GoogleSession | None) -> list[Finding]:
    """Sign in (tests pass a session to the local Sheets API server), open every spreadsheet
    and folder the config names, then prove the chosen way works."""
    try:
        google = google or connect(settings.google)
    except GoogleError as exc:
        return [_blocking("sign-in", str(exc))]
    findings = [_ok("sign-in", f"signed in as {google.account} ({settings.google.auth})")]
    findings += check_google_access(settings, google.http.session)
    return findings + check_google_way(settings, google)


def blocks_sync(findings: list[Finding]) -> bool:
    return any(f.blocking for f in findings)


# -- Google access (needs a network session; wired by whoever runs against Google) ---------------


class Session(Protocol):
    def get(self, url: str, *, params: Any = ..., timeout: float = ...) -> Any: ...


def _access(name: str, response: Any, what: str) -> Finding:
    code = response.status_code
    if code < 400:
        return _ok(name, f"{what}: reachable")
    if code in (401, 403):
        return _blocking(
            name,
            f"{what}: access denied (HTTP {code}) — share it with the account on the sign-in "
            "line (as an editor), then run doctor again",
        )
    if code == 404:
        return _blocking(name, f"{what}: not found (HTTP 404) — check the key or address")
    return _blocking(name, f"{what}: Google answered HTTP {code}")


def check_google_access(settings: Settings, session: Session) -> list[Finding]:
    """Open every Google spreadsheet and folder the config names, with an authorized
    requests-like session. Nothing is written."""
    if not needs_google(settings):
        return []
    timeout = settings.google.timeout_seconds
    title_only = {"fields": "spreadsheetId,properties.title"}
    findings = []
    targets: list[tuple[str, str]] = [
        (f"source {s.name}", s.spreadsheet) for s in settings.sources if s.spreadsheet
    ]
    if settings.output.kind == "google_sheets":
        google = settings.google
        if google.dashboard_spreadsheet:
            targets.append(("dashboard", google.dashboard_spreadsheet))
        targets += [(f"unit {uid}", ref) for uid, ref in google.unit_spreadsheets.items()]
        if google.drive_folder:
            key = spreadsheet_key(google.drive_folder)
            response = session.get(
                f"{DRIVE_FILES}/{key}",
                params={"fields": "id,name,mimeType", "supportsAllDrives": "true"},
                timeout=timeout,
            )
            findings.append(_access("drive folder", response, f"Drive folder {key}"))
    for name, ref in targets:
        key = spreadsheet_key(ref)
        response = session.get(SHEETS_API + key, params=title_only, timeout=timeout)
        findings.append(_access(name, response, f"spreadsheet {key}"))
    return findings


# -- the chosen way works (needs a signed-in session) -----------------------------------------


def _probe(name: str, check: Callable[[], str]) -> Finding:
    """One check that asks Google; its refusal, explained by the client, blocks."""
    try:
        return _ok(name, check())
    except GoogleError as exc:
        return _blocking(name, str(exc))


def check_google_way(settings: Settings, google: GoogleSession) -> list[Finding]:
    """The account can create (or find) the units' spreadsheets where the config says, write
    the dashboard and close the form. Capabilities are read, nothing is created: no litter."""
    findings: list[Finding] = []
    if settings.output.kind == "google_sheets":
        findings.append(_probe("unit spreadsheets", lambda: _can_place(settings, google)))
        if settings.google.dashboard_spreadsheet:
            dashboard = spreadsheet_key(settings.google.dashboard_spreadsheet)
            findings.append(_probe("dashboard write", lambda: _can_edit(google, dashboard)))
    if settings.campaign.form_id:
        findings.append(_probe("form", lambda: _can_close(settings, google)))
    return findings


def _capabilities(google: GoogleSession, file_id: str) -> dict[str, Any]:
    fields = "name,driveId,capabilities(canEdit,canAddChildren,canShare)"
    return google.call(
        "GET",
        f"{DRIVE_FILES}/{file_id}",
        params={"fields": fields, "supportsAllDrives": "true"},
    )


def _can_edit(google: GoogleSession, file_id: str) -> str:
    found = _capabilities(google, file_id)
    if not found.get("capabilities", {}).get("canEdit"):
        raise GoogleError(
            f"«{found.get('name', file_id)}»: {google.account} may only read it "
            "— share it with that account as an editor"
        )
    return f"«{found.get('name', file_id)}»: {google.account} can edit it"


def _can_place(settings: Settings, google: GoogleSession) -> str:
    owner = settings.google.spreadsheet_owner
    if owner == "apps_script":
        return _registry_complete(settings, google)
    if owner == "user" and not settings.google.drive_folder:
        return f"the sync creates the folder «{settings.campaign.name}» in {google.account}'s Drive"
    folder = spreadsheet_key(settings.google.drive_folder or settings.google.shared_drive or "")
    found = _capabilities(google, folder)
    if owner == "shared_drive" and not (found.get("driveId") or settings.google.shared_drive):
        raise GoogleError(f"«{found.get('name', folder)}» is not in a shared drive: {THREE_WAYS}")
    abilities = found.get("capabilities", {})
    can_add = abilities.get("canAddChildren", abilities.get("canEdit"))  # absent on old items
    if not (can_add and abilities.get("canShare")):
        raise GoogleError(
            f"«{found.get('name', folder)}»: {google.account} cannot add and share "
            "files there — make it a Content manager (shared drive) or an editor"
        )
    return (
        f"«{found.get('name', folder)}»: {google.account} can create and share spreadsheets there"
    )


def _registry_complete(settings: Settings, google: GoogleSession) -> str:
    """apps_script: every reviewing unit is listed in the registry tab, so the sync finds all."""
    from .google.target import GoogleWriter, Spreadsheet

    tree = load_tree(settings.units)
    dashboard = spreadsheet_key(settings.google.dashboard_spreadsheet or "")
    writer = GoogleWriter(google, settings, load_templates())
    listed = writer.read_registry(Spreadsheet(tree.root, dashboard))
    wanted = [u.id for u in tree if u.tier in settings.output.tiers and u.id != tree.root.id]
    missing = [unit_id for unit_id in wanted if unit_id not in listed]
    if missing:
        raise GoogleError(
            f"{len(missing)} unit(s) have no spreadsheet in the registry tab yet "
            f"(first: {missing[0]}) — run the script of `sangkien "
            "spreadsheets-script` again; it resumes"
        )
    if wanted:
        _can_edit(google, listed[wanted[0]][0])  # what the script shared, the sync may write
    return f"all {len(wanted)} unit spreadsheets are listed in the registry tab"


def _can_close(settings: Settings, google: GoogleSession) -> str:
    form_id = settings.campaign.form_id or ""
    current = google.call(
        "GET", f"{FORMS_API_ROOT}v1/forms/{form_id}", params={"fields": "formId,publishSettings"}
    )
    if "publishSettings" not in current:
        raise GoogleError(
            f"form {form_id} is a legacy Google Form, which the Forms API cannot "
            "close — turn off «Accepting responses» in it by hand when it is due"
        )
    _can_edit(google, form_id)
    return f"form {form_id}: {google.account} can close it"
