"""Forms v1 methods: forms.get/create/setPublishSettings and responses.list/get."""

from __future__ import annotations

import copy
from typing import Any

from . import fieldmask
from .access import SERVICE_ACCOUNT_QUOTA_MESSAGE, WRITER, at_least, is_service_account, role_of
from .context import Call, Handler
from .errors import invalid_argument, not_found, permission_denied
from .store import FORM_MIME, Form, Store

# The reference of forms.setPublishSettings: legacy forms are not supported.
LEGACY_FORM_MESSAGE = (
    "Legacy forms aren't supported because they don't have the publishSettings field."
)


def new_form(
    store: Store,
    title: str,
    *,
    accepting: bool = True,
    published: bool = True,
    legacy: bool = False,
    linked_sheet_id: str | None = None,
    items: list[dict[str, Any]] | None = None,
) -> Form:
    """A form; a ``legacy`` one (made before publishing existed) has no ``publishSettings``."""
    form_id = store.new_id()
    document: dict[str, Any] = {
        "formId": form_id,
        "info": {"title": title, "documentTitle": title},
        "settings": {"emailCollectionType": "DO_NOT_COLLECT"},
        "items": copy.deepcopy(items or []),
        "revisionId": "00000001",
        "responderUri": f"https://docs.google.com/forms/d/e/{form_id}/viewform",
        "publishSettings": {
            "publishState": {"isPublished": published, "isAcceptingResponses": accepting}
        },
    }
    if legacy:
        del document["publishSettings"]
    if linked_sheet_id:
        document["linkedSheetId"] = linked_sheet_id
    form = Form(form_id, document)
    store.forms[form_id] = form
    return form


def _open_form(call: Call) -> Form:
    """The form, if the caller is one of its editors (the Forms API serves editors only)."""
    form_id = call.path["formId"]
    file = call.store.files.get(form_id)
    role = "owner" if file is None else role_of(call.store, file, call.account)
    if call.store.is_denied(form_id, call.account) or not at_least(role, WRITER):
        raise permission_denied()
    form = call.store.forms.get(form_id)
    if form is None:
        raise not_found()
    return form


def forms_get(call: Call) -> dict[str, Any]:
    return copy.deepcopy(_open_form(call).document)


def forms_create(call: Call) -> dict[str, Any]:
    if call.store.strict and is_service_account(call.account):
        raise permission_denied(SERVICE_ACCOUNT_QUOTA_MESSAGE)
    body = call.body or {}
    if set(body) - {"info"} or set(body.get("info") or {}) - {"title", "documentTitle"}:
        raise invalid_argument("Only info.title and info.documentTitle can be set on create.")
    info = body.get("info") or {}
    title = info.get("title") or ""
    published = not call.query.get("unpublished")
    form = new_form(call.store, title, accepting=published, published=published)
    form.document["info"]["documentTitle"] = info.get("documentTitle") or title or "Untitled form"
    call.store.add_file(
        form.form_id,
        form.document["info"]["documentTitle"],
        FORM_MIME,
        owner=call.account,
    )
    return copy.deepcopy(form.document)


def forms_set_publish_settings(call: Call) -> dict[str, Any]:
    form = _open_form(call)
    body = call.body or {}
    if "publishSettings" not in form.document:
        raise invalid_argument(LEGACY_FORM_MESSAGE)
    current = form.document["publishSettings"]
    wanted = body.get("publishSettings") or {}
    mask = body.get("updateMask") or "*"
    try:
        updated = fieldmask.apply_update(current, wanted, mask)
    except fieldmask.FieldMaskError:
        raise invalid_argument(f"Invalid update mask: {mask}") from None
    state = updated.get("publishState") or {}
    if state.get("isAcceptingResponses") and not state.get("isPublished"):
        raise invalid_argument("A form that is not published cannot accept responses.")
    form.document["publishSettings"] = updated
    return {"formId": form.form_id, "publishSettings": copy.deepcopy(updated)}


def responses_list(call: Call) -> dict[str, Any]:
    form = _open_form(call)
    responses = form.responses
    expression = (call.query.get("filter") or "").strip()
    if expression:
        responses = _filtered(responses, expression)
    size = call.query.get("pageSize") or 5000
    offset = int(call.query.get("pageToken") or 0)
    page = responses[offset : offset + size]
    result: dict[str, Any] = {}
    if page:
        result["responses"] = copy.deepcopy(page)
    if offset + size < len(responses):
        result["nextPageToken"] = str(offset + size)
    return result


def _filtered(responses: list[dict[str, Any]], expression: str) -> list[dict[str, Any]]:
    """Support the documented ``timestamp > T`` / ``timestamp >= T`` filters."""
    field, _, rest = expression.partition(" ")
    operator, _, value = rest.strip().partition(" ")
    if field != "timestamp" or operator not in (">", ">=") or not value:
        raise invalid_argument(f"Invalid filter: {expression}")
    value = value.strip()
    if operator == ">":
        return [r for r in responses if r.get("lastSubmittedTime", "") > value]
    return [r for r in responses if r.get("lastSubmittedTime", "") >= value]


def responses_get(call: Call) -> dict[str, Any]:
    form = _open_form(call)
    for response in form.responses:
        if response.get("responseId") == call.path["responseId"]:
            return copy.deepcopy(response)
    raise not_found()


HANDLERS: dict[str, Handler] = {
    "forms.forms.get": forms_get,
    "forms.forms.create": forms_create,
    "forms.forms.setPublishSettings": forms_set_publish_settings,
    "forms.forms.responses.list": responses_list,
    "forms.forms.responses.get": responses_get,
}
