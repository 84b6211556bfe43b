"""Replay recorded Google traffic (vcrpy-style cassettes) against the emulator and compare.

Each recorded request is sent to a fresh emulator in order; ids Google handed out (files,
spreadsheets, sheets, protected and named ranges...) are mapped to the ones the emulator
handed out, by walking the recorded and the emulated answers side by side. An interaction
agrees when the status codes are equal and both answers have the same keys, apart from
cosmetic format and theme defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from .server import SheetsEmulator
from .transport import authorized_session

ID_KEYS = frozenset(
    {"id", "spreadsheetId", "sheetId", "protectedRangeId", "namedRangeId", "metadataId"}
)
# Format and theme defaults that change with Google's UI, not with the API contract.
COSMETIC_KEYS = frozenset(
    {"spreadsheetTheme", "defaultFormat", "effectiveFormat", "userEnteredFormat", "textFormat"}
)
REPLAY_ACCOUNT = "gspread-recorder@gmail.com"
STRANGER = "someone-else@gmail.com"


@dataclass
class Outcome:
    cassette: str
    index: int
    method: str
    uri: str
    recorded_status: int
    status: int
    missing: list[str] = field(default_factory=list)  # keys Google sent, the emulator not
    extra: list[str] = field(default_factory=list)  # keys the emulator sent, Google not

    @property
    def agrees(self) -> bool:
        return self.status == self.recorded_status and not self.missing and not self.extra

    @property
    def key(self) -> str:
        return f"{self.cassette}#{self.index}"


def load(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["interactions"]


def replay(path: Path) -> Iterator[Outcome]:
    """Replay one cassette against a fresh strict emulator, yielding one outcome per request."""
    with SheetsEmulator(account=REPLAY_ACCOUNT) as emu:
        session = authorized_session(emu)
        ids: dict[Any, Any] = {}
        for index, interaction in enumerate(load(path)):
            request, recorded = interaction["request"], interaction["response"]
            _seed_private(emu, request, recorded, ids)
            answer = _send(session, request, ids)
            mine, theirs = _json(answer.text), _json(recorded["body"])
            _learn_ids(theirs, mine, ids)
            missing, extra = _shape_difference(theirs, mine)
            yield Outcome(
                path.stem,
                index,
                request["method"],
                request["uri"],
                recorded["status"],
                answer.status_code,
                missing,
                extra,
            )
        if emu.internal_errors:
            raise AssertionError(f"{path.name}: emulator errors {emu.internal_errors}")


def replay_all(paths: Iterable[Path]) -> list[Outcome]:
    return [outcome for path in sorted(paths) for outcome in replay(path)]


def _send(session: requests.Session, request: dict[str, Any], ids: dict[Any, Any]) -> Any:
    uri = _mapped_text(request["uri"], ids)
    body = request.get("body")
    data = None
    if body:
        text = _mapped_text(body, ids)
        parsed = _json(text)
        data = (text if parsed is None else json.dumps(_mapped_json(parsed, ids))).encode()
    headers = {"Content-Type": "application/json"} if data else {}
    return session.request(request["method"], uri, data=data, headers=headers)


def _seed_private(
    emu: SheetsEmulator, request: dict[str, Any], recorded: dict[str, Any], ids: dict[Any, Any]
) -> None:
    """A recorded 403 on an id nobody created here was a spreadsheet shared with nobody."""
    if recorded["status"] != 403:
        return
    parts = urlsplit(request["uri"]).path.split("/")
    if "spreadsheets" not in parts:
        return
    key = parts[parts.index("spreadsheets") + 1].split(":")[0]
    if key in ids or key in emu.store.spreadsheets:
        return
    seeded = emu.create_spreadsheet("private", owner=STRANGER)
    with emu.store.lock:
        spreadsheet = emu.store.spreadsheets.pop(seeded)
        file = emu.store.files.pop(seeded)
        spreadsheet.spreadsheet_id = file.id = key
        emu.store.spreadsheets[key], emu.store.files[key] = spreadsheet, file


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None


def _learn_ids(theirs: Any, mine: Any, ids: dict[Any, Any]) -> None:
    """Walk both answers side by side; an id key with different values maps theirs -> mine."""
    if isinstance(theirs, dict) and isinstance(mine, dict):
        for key, value in theirs.items():
            if key not in mine:
                continue
            if key in ID_KEYS and not isinstance(value, dict | list) and value != mine[key]:
                ids.setdefault(value, mine[key])
            else:
                _learn_ids(value, mine[key], ids)
    elif isinstance(theirs, list) and isinstance(mine, list):
        for their_item, my_item in zip(theirs, mine, strict=False):
            _learn_ids(their_item, my_item, ids)


def _mapped_text(text: str, ids: dict[Any, Any]) -> str:
    for recorded, emulated in ids.items():
        if isinstance(recorded, str) and len(recorded) >= 6:
            text = text.replace(recorded, str(emulated))
    return text


def _mapped_json(value: Any, ids: dict[Any, Any]) -> Any:
    if isinstance(value, dict):
        return {
            key: ids.get(item, item)
            if key in ID_KEYS and isinstance(item, int) and not isinstance(item, bool)
            else _mapped_json(item, ids)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mapped_json(item, ids) for item in value]
    return value


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a JSON value; list items share one ``[]`` path."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in COSMETIC_KEYS:
                continue
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def _shape_difference(theirs: Any, mine: Any) -> tuple[list[str], list[str]]:
    recorded, emulated = key_paths(theirs), key_paths(mine)
    return sorted(recorded - emulated), sorted(emulated - recorded)
