"""Roll-up of counts and sums per unit, every row counted at its unit and at each superior."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .models import Response, Status, Violation
from .orgtree import OrgTree
from .text import fold


@dataclass(slots=True)
class Tally:
    received: int = 0
    valid: int = 0
    invalid: int = 0
    duplicate: int = 0
    benefit_vnd: int = 0  # over valid rows
    by_field: Counter[str] = field(default_factory=Counter)  # valid rows
    by_sector: Counter[str] = field(default_factory=Counter)  # valid rows
    by_code: Counter[str] = field(default_factory=Counter)  # every violation, warnings too
    by_day: Counter[str] = field(default_factory=Counter)  # received, ISO date, local time
    author_keys: set[str] = field(default_factory=set)  # non-duplicate rows
    members: int | None = None

    @property
    def authors(self) -> int:
        return len(self.author_keys)

    @property
    def participation(self) -> float | None:
        """Share of members who submitted at least one initiative, where members are known."""
        if not self.members:
            return None
        return self.authors / self.members

    def figures(self) -> dict[str, int | float | None]:
        """The single-number figures, by the names the report and the sheets use."""
        return {
            "received": self.received,
            "valid": self.valid,
            "invalid": self.invalid,
            "duplicate": self.duplicate,
            "authors": self.authors,
            "members": self.members,
            "participation": self.participation,
            "benefit_vnd": self.benefit_vnd,
        }


def _fold_each_once() -> Callable[[str], str]:
    """`fold`, remembering its answers: names and units repeat from row to row."""
    return lru_cache(maxsize=None)(fold)


def author_key(response: Response, folded: Callable[[str], str] = fold) -> str:
    """One person: folded name plus the best contact we have. Used only for counting people."""
    contact = response.phone or response.email or folded(response.grassroots_unit)
    return f"{folded(response.full_name)}|{contact}"


def author_keys(responses: Iterable[Response]) -> dict[str, str]:
    """Each row's `author_key`, by response id, every name and unit folded once."""
    folded = _fold_each_once()
    return {response.id: author_key(response, folded) for response in responses}


def home_unit(response: Response, tree: OrgTree) -> str:
    """Where a row is counted: its union, else the superior it named, else the province, so an
    unmatched row still shows up in somebody's numbers."""
    return response.unit_id or response.superior_id or tree.root.id


def _add(tally: Tally, response: Response, person: str) -> None:
    tally.received += 1
    if response.submitted_at is not None:
        tally.by_day[response.submitted_at.date().isoformat()] += 1
    for violation in response.violations:
        tally.by_code[violation.code] += 1
    if response.status is Status.DUPLICATE:
        tally.duplicate += 1
        return
    tally.author_keys.add(person)
    if response.status is Status.INVALID:
        tally.invalid += 1
        return
    tally.valid += 1
    tally.by_field[response.field] += 1
    tally.by_sector[response.sector] += 1
    tally.benefit_vnd += response.benefit_vnd or 0


def tally(responses: list[Response], tree: OrgTree) -> dict[str, Tally]:
    """A Tally for every unit of the tree (zeros included), each covering its whole subtree:
    every row is added once, at its home unit, and the units' totals are then rolled up."""
    tallies = {unit.id: Tally() for unit in tree}
    people = author_keys(responses)
    for response in responses:
        _add(tallies[home_unit(response, tree)], response, people[response.id])
    for unit_id in tree.subtree(tree.root.id)[::-1]:  # children before their parent
        parent = tree[unit_id].parent_id
        if parent is not None:
            _merge(tallies[parent], tallies[unit_id])
    for unit_id, totals in tallies.items():
        totals.members = _members(tree, unit_id)
    return tallies


def add_codes(
    tallies: dict[str, Tally], tree: OrgTree, found: Iterable[tuple[Response, list[Violation]]]
) -> None:
    """Codes rows were given after `tally` counted them (the review round's), counted where it
    counts a row's codes: at the row's home unit and at every unit above."""
    for response, violations in found:
        home = home_unit(response, tree)
        for unit_id in (home, *tree.ancestors(home)):
            tallies[unit_id].by_code.update(violation.code for violation in violations)


def _merge(into: Tally, part: Tally) -> None:
    into.received += part.received
    into.valid += part.valid
    into.invalid += part.invalid
    into.duplicate += part.duplicate
    into.benefit_vnd += part.benefit_vnd
    for mine, theirs in (
        (into.by_field, part.by_field),
        (into.by_sector, part.by_sector),
        (into.by_code, part.by_code),
        (into.by_day, part.by_day),
    ):
        mine.update(theirs)
    into.author_keys |= part.author_keys


def _members(tree: OrgTree, unit_id: str) -> int | None:
    """A unit's own member count, else the sum of its children's when all of them are known."""
    own = tree[unit_id].members
    if own is not None or not tree.children[unit_id]:
        return own
    parts = [_members(tree, child) for child in tree.children[unit_id]]
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
