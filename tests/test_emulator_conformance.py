"""Conformance: gspread's recorded sessions with real Google, replayed against the emulator.

The gspread project (github.com/burnash/gspread, MIT) publishes the traffic its test suite
recorded against Google; the subset touching the endpoints the sync uses is stored under
``tests/cassettes/gspread/``. Every recorded request is sent to a fresh strict emulator (ids
mapped), and the emulator must answer with Google's status code and the same keys, apart
from cosmetic format and theme defaults.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.replay import Outcome, key_paths, load, replay

CASSETTES = sorted((Path(__file__).parent / "cassettes" / "gspread").glob("*.json"))
# Interactions where the emulator is known to answer differently, "cassette#index" -> why.
KNOWN_DIFFERENCES: dict[str, str] = {}


def describe(outcome: Outcome) -> str:
    return (
        f"{outcome.key} {outcome.method} {outcome.uri}: Google {outcome.recorded_status}, "
        f"emulator {outcome.status}; missing {outcome.missing}, extra {outcome.extra}"
    )


def test_the_stored_subset_is_the_one_documented() -> None:
    assert len(CASSETTES) == 96
    assert sum(len(load(path)) for path in CASSETTES) == 1422


@pytest.mark.parametrize("path", CASSETTES, ids=[path.stem for path in CASSETTES])
def test_recorded_session_replays_with_googles_statuses_and_shapes(path: Path) -> None:
    differing = [o for o in replay(path) if not o.agrees and o.key not in KNOWN_DIFFERENCES]
    assert differing == [], "\n".join(describe(o) for o in differing)


def test_shapes_ignore_only_cosmetic_defaults() -> None:
    answer = {"a": [{"b": 1}, {"c": 2}], "defaultFormat": {"x": 1}, "d": {"e": None}}
    assert key_paths(answer) == {"a", "a[].b", "a[].c", "d", "d.e"}
