"""The union organisation tree: loading it, walking it, and matching free-text unit names to it.

The tree is data (a CSV or XLSX file the config points to), one row a unit:
`id, parent_id, kind, name, aliases, members, officer_emails, quota`. Lists inside a cell are
separated by `;`. Kinds: province, district, sector, civil_service, grassroots. The tree is not
uniformly deep: some grassroots unions sit directly under the province.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from rapidfuzz import fuzz, process

from .errors import ConfigError
from .text import fold

UnitKind = Literal["province", "district", "sector", "civil_service", "grassroots"]
KINDS: tuple[str, ...] = ("province", "district", "sector", "civil_service", "grassroots")
SUPERIOR_KINDS = frozenset({"district", "sector", "civil_service"})
UNITS_HEADER = ("id", "parent_id", "kind", "name", "aliases", "members", "officer_emails", "quota")

# A fuzzy match must score at least this (0-100) and beat the runner-up by the margin, or the
# name is ambiguous and an officer has to fix it.
FUZZY_MIN_SCORE = 86
FUZZY_MARGIN = 4
# An unmatched name gets at most this many suggestions, scoring at least this (0-100) unless
# the config says otherwise (unit_match.suggest_threshold).
SUGGESTIONS = 3
SUGGEST_MIN_SCORE = 70


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    parent_id: str | None
    kind: UnitKind
    name: str
    aliases: tuple[str, ...] = ()
    members: int | None = None
    officer_emails: tuple[str, ...] = ()
    quota: int | None = None  # how many initiatives it may nominate to its superior

    @property
    def tier(self) -> Literal["province", "superior", "grassroots"]:
        if self.kind == "province":
            return "province"
        return "superior" if self.kind in SUPERIOR_KINDS else "grassroots"


@dataclass(frozen=True, slots=True)
class Resolution:
    unit_id: str | None  # the grassroots union, when it was matched
    superior_id: str | None  # the direct superior named on the form, when it was matched
    candidates: tuple[str, ...] = ()  # likely official names, for the officer, when unmatched


@cache
def _name_rules() -> tuple[dict[str, str], tuple[str, ...]]:
    data = yaml.safe_load(
        resources.files("sync").joinpath("data/abbreviations.yaml").read_text(encoding="utf-8")
    )
    return dict(data["expand"]), tuple(data["generic_prefixes"])


def name_key(name: str) -> str:
    """The comparable form of a unit name: folded, abbreviations expanded, generic words off."""
    expand, prefixes = _name_rules()
    key = " ".join(expand.get(word, word) for word in fold(name).split())
    stripped = True
    while stripped:
        stripped = False
        for prefix in prefixes:
            if key.startswith(prefix + " "):
                key, stripped = key[len(prefix) + 1 :], True
    return key


class OrgTree:
    def __init__(self, units: list[Unit]):
        self.units: dict[str, Unit] = {u.id: u for u in units}
        self.children: dict[str, list[str]] = {u.id: [] for u in units}
        for unit in units:
            if unit.parent_id is not None:
                self.children[unit.parent_id].append(unit.id)
        self.root = next(u for u in units if u.parent_id is None)
        self._keys: dict[str, list[tuple[str, str]]] = {}  # pool id -> [(name key, unit id)]
        self._cache: dict[tuple[str, str], Resolution] = {}

    def __getitem__(self, unit_id: str) -> Unit:
        return self.units[unit_id]

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units.values())

    def ancestors(self, unit_id: str) -> list[str]:
        """The unit's superiors, nearest first, up to the province."""
        chain = []
        parent = self.units[unit_id].parent_id
        while parent is not None:
            chain.append(parent)
            parent = self.units[parent].parent_id
        return chain

    def subtree(self, unit_id: str) -> list[str]:
        """The unit and everything below it, parents before children."""
        order, stack = [], [unit_id]
        while stack:
            current = stack.pop()
            order.append(current)
            stack.extend(reversed(self.children[current]))
        return order

    def depth(self, unit_id: str) -> int:
        return len(self.ancestors(unit_id))

    def superiors(self) -> list[Unit]:
        """Units a form may name as the direct superior: the middle tier and the province."""
        middle = [u for u in self if u.kind in SUPERIOR_KINDS]
        return [self.root, *middle]

    def grassroots(self) -> list[Unit]:
        return [u for u in self if u.kind == "grassroots"]

    # -- name resolution -------------------------------------------------------------------------

    def _pool(self, pool_id: str, units: list[Unit]) -> list[tuple[str, str]]:
        if pool_id not in self._keys:
            self._keys[pool_id] = [
                (name_key(name), unit.id) for unit in units for name in (unit.name, *unit.aliases)
            ]
        return self._keys[pool_id]

    def _match(self, text: str, pool: list[tuple[str, str]]) -> tuple[str | None, list[str]]:
        """Exact key match, else a fuzzy match that is both good and clearly the best.

        Returns (unit id or None, the units the text names exactly when it names several)."""
        key = name_key(text)
        if not key:
            return None, []
        exact = {uid for k, uid in pool if k == key}
        if len(exact) == 1:
            return exact.pop(), []
        if len(exact) > 1:
            return None, sorted(exact)
        scored = process.extract(key, [k for k, _ in pool], scorer=fuzz.WRatio, limit=12)
        best: dict[str, float] = {}
        for _, score, index in scored:
            uid = pool[index][1]
            best[uid] = max(best.get(uid, 0.0), score)
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if not ranked:
            return None, []
        top_id, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if top >= FUZZY_MIN_SCORE and top - runner_up >= FUZZY_MARGIN:
            return top_id, []
        return None, []

    def _suggest(self, text: str, pool: list[tuple[str, str]], threshold: float) -> list[str]:
        """Units whose whole name is close to the text, best first. Scored on whole names in
        any word order, not on the best partial match: "Khách sạn Hoa Sữa" shares a word with a
        hospital's long name, and a suggestion that is wrong invites a wrong correction."""
        key = name_key(text)
        scored = process.extract(
            key,
            [k for k, _ in pool],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=threshold,
            limit=None,
        )
        found: list[str] = []
        for _, _, index in sorted(scored, key=lambda item: (-item[1], item[2])):
            if pool[index][1] not in found:
                found.append(pool[index][1])
        return found[:SUGGESTIONS]

    def resolve(
        self,
        superior_text: str,
        grassroots_text: str,
        suggest_threshold: float = SUGGEST_MIN_SCORE,
    ) -> Resolution:
        """Match the form's two unit answers to the tree, the grassroots one within the chosen
        superior first, then anywhere (officers pick the wrong superior more often than they
        invent a union). Unmatched, the closest names scoring at least `suggest_threshold`
        are offered, those under the chosen superior first."""
        cache_key = (superior_text, grassroots_text, suggest_threshold)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._resolve(
                superior_text, grassroots_text, suggest_threshold
            )
        return self._cache[cache_key]

    def _resolve(self, superior_text: str, grassroots_text: str, threshold: float) -> Resolution:
        superior_id, _ = self._match(superior_text, self._pool("*superiors", self.superiors()))
        local_pool: list[tuple[str, str]] = []
        if superior_id is not None:
            under = [self.units[c] for c in self.children[superior_id]]
            local_pool = self._pool(superior_id, [u for u in under if u.kind == "grassroots"])
            unit_id, _ = self._match(grassroots_text, local_pool)
            if unit_id is not None:
                return Resolution(unit_id, superior_id)
        everywhere = self._pool("*grassroots", self.grassroots())
        unit_id, ambiguous = self._match(grassroots_text, everywhere)
        if unit_id is not None:
            return Resolution(unit_id, superior_id)
        closest = ambiguous or (
            self._suggest(grassroots_text, local_pool, threshold)
            or self._suggest(grassroots_text, everywhere, threshold)
        )
        return Resolution(None, superior_id, self._named(closest))

    def _named(self, unit_ids: list[str]) -> tuple[str, ...]:
        """Official names for an officer; a name two unions share says whose union it is."""
        names = [self.units[u].name for u in unit_ids]
        return tuple(
            f"{name} ({self.units[self.units[u].parent_id or u].name})"
            if names.count(name) > 1
            else name
            for u, name in zip(unit_ids, names, strict=True)
        )


# -- loading ---------------------------------------------------------------------------------------


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def _optional_int(cell: str, where: str, column: str) -> int | None:
    cell = cell.strip()
    if not cell:
        return None
    try:
        value = int(float(cell))
    except ValueError:
        raise ConfigError(
            f"{where}, column {column}: expected a whole number, got {cell!r}"
        ) from None
    if value < 0:
        raise ConfigError(f"{where}, column {column}: expected a number ≥ 0, got {cell!r}")
    return value


def _read_rows(path: Path) -> list[dict[str, str]]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [{k: (v or "") for k, v in row.items()} for row in csv.DictReader(handle)]
    from python_calamine import CalamineWorkbook

    table = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = [str(h).strip() for h in table[0]]
    rows = []
    for values in table[1:]:
        cells = ["" if v is None else str(v) for v in values]
        rows.append(dict(zip(header, cells, strict=False)))
    return rows


def load_tree(path: Path) -> OrgTree:
    """Read and check the organisation tree; every error names the file, row and column."""
    try:
        rows = _read_rows(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: organisation tree file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the organisation tree ({exc})") from None
    if not rows:
        raise ConfigError(f"{path}: the organisation tree has no units")
    missing = [c for c in UNITS_HEADER if c not in rows[0]]
    if missing:
        raise ConfigError(f"{path}: missing column(s) {missing}; expected {list(UNITS_HEADER)}")
    units: list[Unit] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        where = f"{path.name} row {number}"
        unit_id, kind = row["id"].strip(), row["kind"].strip()
        if not unit_id:
            raise ConfigError(f"{where}, column id: every unit needs an id")
        if unit_id in seen:
            raise ConfigError(f"{where}, column id: duplicate id {unit_id!r}")
        if kind not in KINDS:
            raise ConfigError(f"{where}, column kind: expected one of {list(KINDS)}, got {kind!r}")
        if not row["name"].strip():
            raise ConfigError(f"{where}, column name: every unit needs a name")
        seen.add(unit_id)
        units.append(
            Unit(
                id=unit_id,
                parent_id=row["parent_id"].strip() or None,
                kind=kind,  # type: ignore[arg-type]
                name=row["name"].strip(),
                aliases=_split(row["aliases"]),
                members=_optional_int(row["members"], where, "members"),
                officer_emails=_split(row["officer_emails"]),
                quota=_optional_int(row["quota"], where, "quota"),
            )
        )
    _check_shape(units, path)
    return OrgTree(units)


def _check_shape(units: list[Unit], path: Path) -> None:
    by_id = {u.id: u for u in units}
    roots = [u for u in units if u.parent_id is None]
    if len(roots) != 1 or roots[0].kind != "province":
        found = [u.id for u in roots]
        raise ConfigError(
            f"{path.name}: expected exactly one unit without parent_id, of kind province; "
            f"found {found}"
        )
    for unit in units:
        if unit.parent_id is not None and unit.parent_id not in by_id:
            raise ConfigError(
                f"{path.name}: unit {unit.id!r} has unknown parent_id {unit.parent_id!r}"
            )
        if unit.kind == "province" and unit.parent_id is not None:
            raise ConfigError(f"{path.name}: unit {unit.id!r} is a province but has a parent")
    for unit in units:  # every chain must reach the root: anything else is a cycle
        seen, current = set(), unit
        while current.parent_id is not None:
            if current.id in seen:
                raise ConfigError(f"{path.name}: unit {unit.id!r} is part of a parent cycle")
            seen.add(current.id)
            current = by_id[current.parent_id]
