"""Where a review round is read from and kept: the `ReviewStore` protocol. Its two
implementations are `writers/folder.py` (a folder of workbooks) and `google/target.py` (Google
spreadsheets); both keep the state and the audit log in the output folder.

A store reads the officers' review cells back from each reviewing unit's sheets (a folder of
workbooks, or spreadsheets on Google Drive), gives the state the last sync remembered, writes
the rendered sheets, and saves the new state and audit entries once everything was written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..orgtree import OrgTree, Unit
    from ..writers.atomic import Text
    from ..writers.books import Books, ListDigests
    from .audit import AuditEntry
    from .settle import ReadBack
    from .state import ReviewState


@dataclass(frozen=True)
class Written:
    """What a store wrote, and the officers' addresses Google refused to share with (email,
    unit, file, reason): each skipped, every other grant and write done."""

    paths: list[str]
    refused_addresses: list[dict[str, str]] = field(default_factory=list)
    # Per unit, what the state keeps of its review list (`Books.digests`), where the store worked
    # it out as it wrote.
    digests: Mapping[str, ListDigests] = field(default_factory=dict)


class ReviewStore(Protocol):
    def read(self, tree: OrgTree, units: Sequence[Unit]) -> dict[str, ReadBack | None]:
        """Each unit's review cells as the officers left them (None: no sheet yet, or one that
        cannot be read, which is then left as it is)."""
        ...

    def previous(self) -> ReviewState:
        """What the last sync remembered (empty when it is lost: the sheets hold what matters)."""
        ...

    def write(self, books: Books, audit: Callable[[], list[AuditEntry]]) -> Written:
        """Write every unit's sheets; return what was written. `audit()` gives the round's
        audit entries, for a store that writes them with the sheets."""
        ...

    def save(
        self, state: ReviewState, entries: list[AuditEntry], documents: Mapping[Path, Text]
    ) -> None:
        """Keep the state, append the audit entries and write `documents` (the JSON report)
        after every write went through, committed together with the written files."""
        ...

    def settled(self, steady: str, units: Sequence[Unit]) -> bool:
        """Whether the last sync wrote the round `steady` names and every output (the `units`'
        and the public lookup) is still exactly as it left it: then this sync has nothing to
        write. Asked before the outputs are read too."""
        ...

    def held(self) -> dict[str, str]:
        """Outputs left as they were (open elsewhere, read-only, unreadable), each with why."""
        ...
