"""Output paths built from ids and names typed by people, proven to stay inside their folder.

A unit id or name becomes part of a file name: whatever it holds (`../../x`, an absolute path, a
300-character name, `CON`, `a:b`), the file lands inside the output folder, under a name that
Windows, macOS and Linux all accept.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import OutputError

# Far below every file system's 255-byte limit, leaving room for the temporaries writers make
# beside a file (name + suffix) and for the folder on Windows' 260-character paths.
MAX_NAME_BYTES = 120
# An extension is kept whole when a name is cut, unless it is unusually long.
_MAX_SUFFIX_BYTES = 16

# Path separators, characters Windows refuses, control characters and lone surrogates (which
# cannot be written as UTF-8).
_REFUSED = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f\ud800-\udfff]')
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{n}" for n in range(10)} | {f"lpt{n}" for n in range(10)}
)


def _cut(text: str, limit: int) -> str:
    """The longest start of `text` whose UTF-8 form fits in `limit` bytes."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_name(name: str) -> str:
    """One file or folder name: refused characters become `_`, no trailing dot or space (Windows
    drops them), no device name, at most MAX_NAME_BYTES bytes of UTF-8 with the extension kept."""
    text = _REFUSED.sub("_", name).strip().rstrip(". ")
    if not text.strip("."):
        text = "_" + text
    if text.split(".", 1)[0].strip().casefold() in _WINDOWS_DEVICES:
        text = "_" + text
    if len(text.encode("utf-8")) <= MAX_NAME_BYTES:
        return text
    stem, dot, suffix = text.rpartition(".")
    if not dot or not stem or len(suffix.encode("utf-8")) > _MAX_SUFFIX_BYTES:
        return _cut(text, MAX_NAME_BYTES).rstrip(". ")
    kept = _cut(stem, MAX_NAME_BYTES - len(suffix.encode("utf-8")) - 1).rstrip(". ")
    return f"{kept or '_'}.{suffix}"


def output_path(folder: Path, *names: str) -> Path:
    """`folder / name / ... / name`, each name made safe (safe_name), proven to resolve inside
    `folder` (a symbolic link below it could still point elsewhere: that is an OutputError)."""
    path = folder.joinpath(*(safe_name(name) for name in names))
    base = folder.resolve()
    resolved = path.resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise OutputError(f"{path}: would be written outside the output folder {folder}")
    return path
