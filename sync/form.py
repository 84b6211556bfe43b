"""The intake Google Form: an Apps Script that creates it, and closing it through the Forms API.

The script is generated from the same form layout the sync reads (sheets_templates/form.yaml), so
the response sheet's headers are exactly the ones the sync maps. Lists come from the config and
the organisation tree; nothing campaign-specific is written here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import CampaignSettings, Settings
from .orgtree import OrgTree, load_tree
from .templates import FormLayout, Question, load_templates
from .writers.atomic import write_text_atomic

if TYPE_CHECKING:
    from .google.client import GoogleSession

FORMS_API_ROOT = "https://forms.googleapis.com/"
CLOSE_HANDLER = "closeForm"
FORM_ID_PROPERTY = "SANGKIEN_FORM_ID"
FORM_STATE_FILE = "form-state.json"  # in the output folder: the form found closed


# -- words shown to people ---------------------------------------------------------------------


def deadline_words(campaign: CampaignSettings) -> str:
    """The close moment as Vietnamese officers write it: midnight is "24 giờ" of the day before,
    the way the campaign letter says "sau 24h ngày 22/4/2021"."""
    moment = campaign.form_closes_at
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        day = moment - timedelta(days=1)
        return f"24 giờ ngày {day:%d/%m/%Y}"
    clock = f"{moment.hour} giờ" + (f" {moment.minute:02d}" if moment.minute else "")
    return f"{clock} ngày {moment:%d/%m/%Y}"


def form_title(campaign: CampaignSettings) -> str:
    return f"{campaign.name} — {campaign.province}"


# -- the Apps Script ---------------------------------------------------------------------------


def js_value(value: Any) -> str:
    """A JavaScript literal of a JSON value. JSON is valid JavaScript except for the two line
    separators, which older engines reject inside a string literal."""
    literal = json.dumps(value, ensure_ascii=False)
    return literal.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def js_string(text: str) -> str:
    return js_value(text)


def js_list(items: Iterable[str], indent: str = "  ") -> str:
    lines = [f"{indent}{js_string(item)}," for item in items]
    return "[\n" + "\n".join(lines) + "\n]"


def _unique(names: Iterable[str]) -> list[str]:
    """Forms shows a repeated choice twice; the sync tells same-named unions apart by their
    superior, so one entry is enough."""
    return list(dict.fromkeys(names))


def choice_lists(settings: Settings, tree: OrgTree, form: FormLayout) -> dict[str, list[str]]:
    """The script's constant lists, by JavaScript name."""
    return {
        "SUPERIOR_UNITS": _unique(u.name for u in tree.superiors()),
        "GRASSROOTS_UNITS": _unique(u.name for u in tree.grassroots()),
        "FIELDS": list(settings.fields),
        "SECTORS": list(settings.sectors),
        "GENDERS": list(form.genders),
    }


# Which constant list fills a question of a given kind (the unit kind depends on the key).
_LIST_OF = {
    "superior_unit": "SUPERIOR_UNITS",
    "grassroots_unit": "GRASSROOTS_UNITS",
    "field": "FIELDS",
    "sector": "SECTORS",
    "choice": "GENDERS",
}


def _item(question: Question, max_chars: int) -> str:
    """One Apps Script statement adding the question; `None`-free, one per question."""
    title = js_string(question.vi)
    required = "true" if question.required else "false"
    head = f"  form.add{{kind}}Item()\n      .setTitle({title})\n      .setRequired({required})"
    if question.kind == "unit":
        # Long lists: a dropdown keeps the page short on a phone.
        return head.format(kind="List") + f"\n      .setChoiceValues({_LIST_OF[question.key]});"
    if question.kind in ("field", "sector", "choice"):
        # Short lists: every option visible at once.
        name = _LIST_OF[question.kind]
        return head.format(kind="MultipleChoice") + f"\n      .setChoiceValues({name});"
    if question.kind == "long_text":
        help_text = js_string(f"Tối đa {max_chars} ký tự.")
        return (
            head.format(kind="ParagraphText")
            + f"\n      .setHelpText({help_text})"
            + "\n      .setValidation(FormApp.createParagraphTextValidation()"
            + f"\n          .requireTextLengthLessThanOrEqualTo({max_chars})"
            + f"\n          .setHelpText({help_text})"
            + "\n          .build());"
        )
    if question.kind == "date":
        return head.format(kind="Date") + ";"
    if question.kind == "email":
        return (
            head.format(kind="Text")
            + "\n      .setValidation(FormApp.createTextValidation().requireTextIsEmail().build());"
        )
    if question.kind == "year":
        return (
            head.format(kind="Text")
            + "\n      .setValidation(FormApp.createTextValidation().requireWholeNumber().build());"
        )
    # text, phone, money: free text; the sync reads "0912.820.510" or "1,5 tỷ" itself.
    return head.format(kind="Text") + ";"


def form_questions(form: FormLayout) -> list[Question]:
    """The questions the script creates: Forms adds the timestamp column by itself."""
    return [q for q in form.questions if q.kind != "timestamp"]


def render_script(settings: Settings, tree: OrgTree, form: FormLayout) -> str:
    campaign = settings.campaign
    closes = campaign.closes_at.isoformat(timespec="seconds")
    title = form_title(campaign)
    description = f"Hạn cuối: {deadline_words(campaign)}."
    constants = "\n\n".join(
        f"var {name} = {js_list(items)};"
        for name, items in choice_lists(settings, tree, form).items()
    )
    items = "\n\n".join(_item(q, campaign.description_max_chars) for q in form_questions(form))
    return _SCRIPT.format(
        title=js_string(title),
        description=js_string(description),
        sheet_title=js_string(f"{title} (câu trả lời)"),
        closes=js_string(closes),
        constants=constants,
        items=items,
        handler=CLOSE_HANDLER,
        handler_name=js_string(CLOSE_HANDLER),
        property=js_string(FORM_ID_PROPERTY),
    )


_SCRIPT = """\
/**
 * Creates the intake Google Form of {title}.
 * Generated by `sangkien form` from config.yaml and sheets_templates/form.yaml: edit those and
 * generate again rather than editing the questions here, so the response sheet keeps the
 * headers the sync reads.
 *
 * Use: script.google.com > New project > paste this file > run createForm once, allow access.
 * The log shows the form's address (put it in config.yaml as campaign.form_url) and its id
 * (campaign.form_id). The form is published and accepts responses at once.
 * For the sync to close the form when it is due, the account the sync signs in with must be an
 * editor of the form (form > ⋮ > Add collaborators); this script's own trigger closes it too.
 */

var FORM_TITLE = {title};
var FORM_DESCRIPTION = {description};
var RESPONSES_TITLE = {sheet_title};
// The moment the form stops accepting responses, in the campaign's time zone.
var CLOSES_AT = new Date({closes});

{constants}

function createForm() {{
  var form = FormApp.create(FORM_TITLE);
  form.setDescription(FORM_DESCRIPTION);

{items}

  var responses = SpreadsheetApp.create(RESPONSES_TITLE);
  form.setDestination(FormApp.DestinationType.SPREADSHEET, responses.getId());
  // New forms may start unpublished; setPublished exists only for forms that are not legacy.
  if (typeof form.setPublished === "function") {{
    form.setPublished(true);
  }}
  form.setAcceptingResponses(true);
  PropertiesService.getScriptProperties().setProperty({property}, form.getId());
  scheduleClosing();

  Logger.log("Form address (campaign.form_url): " + form.getPublishedUrl());
  Logger.log("Form id (campaign.form_id): " + form.getId());
  Logger.log("Responses spreadsheet: " + responses.getUrl());
}}

// Running createForm twice must not leave two closing triggers behind.
function scheduleClosing() {{
  ScriptApp.getProjectTriggers().forEach(function (trigger) {{
    if (trigger.getHandlerFunction() === {handler_name}) {{
      ScriptApp.deleteTrigger(trigger);
    }}
  }});
  if (CLOSES_AT.getTime() <= Date.now()) {{
    {handler}();
    return;
  }}
  ScriptApp.newTrigger({handler_name}).timeBased().at(new Date({closes})).create();
}}

function {handler}() {{
  var id = PropertiesService.getScriptProperties().getProperty({property});
  FormApp.openById(id).setAcceptingResponses(false);
}}
"""


def build_form_script(settings: Settings) -> str:
    """The Apps Script for the configured campaign, its tree and the bundled form layout."""
    return render_script(settings, load_tree(settings.units), load_templates().form)


# -- closing through the Forms API -------------------------------------------------------------


def close_request(form_id: str, api_root: str = FORMS_API_ROOT) -> tuple[str, dict[str, Any]]:
    """The `forms.setPublishSettings` call that stops responses but keeps the form visible (a
    closed form shows its "no longer accepting responses" page instead of disappearing)."""
    url = f"{api_root.rstrip('/')}/v1/forms/{form_id}:setPublishSettings"
    body = {
        "publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": False}},
        # Updating publishState needs both of its fields, so the mask names the whole message.
        "updateMask": "publishState",
    }
    return url, body


def close_form_if_due(
    settings: Settings,
    google: GoogleSession,
    now: datetime,
    out_dir: Path,
    *,
    api_root: str = FORMS_API_ROOT,
) -> str | None:
    """Stop the configured form accepting responses once its close moment has passed, once: a
    form found closed (by this sync, its script's trigger or an officer) is remembered in the
    output folder and never asked about again. Returns what happened, for the summary.

    `now` must be aware. A form not named in the config (campaign.form_id) is left alone: the
    script's own trigger closes it. Calls go through the sync's rate-limited client; the sync's
    account must be an editor of the form."""
    campaign = settings.campaign
    if campaign.form_id is None or now < campaign.closes_at:
        return None
    marker = out_dir / FORM_STATE_FILE
    if _remembered(marker) == campaign.form_id:
        return None
    url = f"{api_root.rstrip('/')}/v1/forms/{campaign.form_id}"
    what = f"form {campaign.form_id}"
    current = google.call("GET", url, params={"fields": "formId,publishSettings"})
    if "publishSettings" not in current:
        note = (
            f"{what}: a legacy Google Form, which the Forms API cannot close — turn off "
            "«Accepting responses» in its Responses tab (the form's own script trigger does it)"
        )
    elif not current["publishSettings"].get("publishState", {}).get("isAcceptingResponses"):
        note = f"{what}: already closed to new responses"  # Google omits false values
    else:
        close_url, body = close_request(campaign.form_id, api_root)
        google.call("POST", close_url, json=body)
        note = f"{what}: closed to new responses"
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(marker, json.dumps({"closed_form_id": campaign.form_id}))
    return note


def _remembered(marker: Path) -> str | None:
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("closed_form_id")
    except (FileNotFoundError, ValueError, AttributeError):
        return None
