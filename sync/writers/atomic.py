"""Replace files atomically: write next to the target, then rename over it. A file-system error
becomes an OutputError naming the path."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ..errors import writing

# Outputs are documents officers share, so the process umask decides who may read them, as for
# any file a user saves; private files (the review state, the audit log) hold personal data.
SHARED_MODE = 0o666
PRIVATE_MODE = 0o600


def _create_temporary(path: Path, mode: int) -> Path:
    """A new, empty file beside `path`, created with `mode` minus the umask."""
    while True:
        temporary = path.with_name(f".{path.stem}.{secrets.token_hex(4)}{path.suffix}")
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
        except FileExistsError:
            continue
        return temporary


@contextmanager
def atomic_file(path: Path, *, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces `path` in one
    rename, on any error it is removed and `path` is left exactly as it was."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = _create_temporary(path, PRIVATE_MODE if private else SHARED_MODE)
        try:
            yield temporary
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def write_text_atomic(path: Path, text: str, *, private: bool = False) -> None:
    with atomic_file(path, private=private) as temporary:
        temporary.write_text(text, encoding="utf-8")


@contextmanager
def private_append(path: Path) -> Iterator[TextIO]:
    """Open `path` for appending text, creating it (and its folder) readable by the owner only."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_MODE)
        with open(descriptor, "a", encoding="utf-8") as handle:
            yield handle
