"""Reader refusals as one plain line: the file (and sheet, row or column), what is wrong, what to
do, never longer than an officer can read at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import SourceError

MAX_MESSAGE = 300
MAX_NAMES = 10
_MAX_LOCATION = 80


def name_list(names: Sequence[object], limit: int = MAX_NAMES, budget: int = 110) -> str:
    """«a», «b», … at most the first `limit` names, fewer when they would take more than
    `budget` characters, then "and 1,990 more"."""
    shown: list[str] = []
    for name in names[:limit]:
        text = str(name).strip()
        quoted = f"«{text[:30]}…»" if len(text) > 30 else f"«{text}»"
        if shown and sum(len(s) + 2 for s in shown) + len(quoted) > budget:
            break
        shown.append(quoted)
    hidden = len(names) - len(shown)
    listed = ", ".join(shown) or "none"
    return f"{listed} and {hidden:,} more" if hidden > 0 else listed


def where(path: Path | str, sheet: str | None = None) -> str:
    """The file as the officer named it, shortened to its tail when very long."""
    text = str(path)
    if len(text) > _MAX_LOCATION:
        text = "…" + text[-(_MAX_LOCATION - 1) :]
    return f"{text}, sheet «{sheet[:60]}»" if sheet else text


def refuse(location: str, problem: str) -> SourceError:
    """One line, at most MAX_MESSAGE characters, with control characters shown as spaces."""
    message = " ".join(f"{location}: {problem}".split())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return SourceError(message)
