"""What an API handler receives, independent of HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .discovery import Discovery
from .store import Store


@dataclass(frozen=True)
class Call:
    method_id: str
    path: dict[str, str]
    query: dict[str, Any]
    body: Any
    account: str
    store: Store
    discovery: Discovery
    write: bool = False  # the method changes something, so it takes an editor


class NoContent:
    """Returned by handlers whose Google counterpart answers 204 with an empty body."""


NO_CONTENT = NoContent()

Handler = Callable[[Call], Any]
