"""The union organisation tree: loading it, walking it, and matching free-text unit names to it.

The tree is data (a CSV or XLSX file the config points to), one row a unit:
`id, parent_id, kind, name, aliases, members, officer_emails, quota`. Lists inside a cell are
separated by `;`. Kinds: province, district, sector, civil_service, grassroots; which kind may
sit under which is data (sync/data/unit_kinds.yaml). The tree is not uniformly deep: some
grassroots unions sit directly under the province.

Unit ids become parts of file names, so they are restricted (UNIT_ID_RULE): ASCII letters,
digits, `.`, `-` and `_`, 1 to 40 characters, not starting with a dot, and unique when case is
ignored (two files differing only in case are one file on Windows and macOS).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from python_calamine import CalamineError
from rapidfuzz import fuzz, process

from .errors import ConfigError
from .resources import data_text
from .text import fold

UnitKind = Literal["province", "district", "sector", "civil_service", "grassroots"]
KINDS: tuple[str, ...] = ("province", "district", "sector", "civil_service", "grassroots")
SUPERIOR_KINDS = frozenset({"district", "sector", "civil_service"})
UNITS_HEADER = ("id", "parent_id", "kind", "name", "aliases", "members", "officer_emails", "quota")
UNIT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,39}")
UNIT_ID_RULE = "1-40 ASCII letters, digits, '.', '-' or '_', not starting with '.'"

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
    data = yaml.safe_load(data_text("abbreviations.yaml"))
    return dict(data["expand"]), tuple(data["generic_prefixes"])


def _words_sorted(key: str) -> str:
    return " ".join(sorted(key.split()))


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


@dataclass(frozen=True, slots=True)
class _Pool:
    """The names a form's answer is matched against: the superiors, or the grassroots unions
    under one superior or anywhere."""

    id: str
    pairs: list[tuple[str, str]]  # (name key, unit id), every name and alias
    keys: list[str]  # the name keys alone, for rapidfuzz
    exact: dict[str, set[str]]  # name key -> the units it names
    # Each key with its words sorted: fuzz.ratio of two such keys is their
    # fuzz.token_sort_ratio, which would sort every key's words again for every text suggested
    # for (1,546 texts at a hundred thousand rows: 0.04 s instead of 0.2).
    words_sorted: list[str]


class OrgTree:
    def __init__(self, units: list[Unit]):
        self.units: dict[str, Unit] = {u.id: u for u in units}
        self.children: dict[str, list[str]] = {u.id: [] for u in units}
        for unit in units:
            if unit.parent_id is not None:
                self.children[unit.parent_id].append(unit.id)
        self.root = next(u for u in units if u.parent_id is None)
        self._pools: dict[str, _Pool] = {}
        self._matches: dict[tuple[str, str], tuple[str | None, tuple[str, ...]]] = {}
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

    def _pool(self, pool_id: str, units: Callable[[], list[Unit]]) -> _Pool:
        """The names of `units()`, listed the first time the pool is asked for."""
        if pool_id not in self._pools:
            pairs = [
                (name_key(name), unit.id) for unit in units() for name in (unit.name, *unit.aliases)
            ]
            exact: dict[str, set[str]] = {}
            for key, unit_id in pairs:
                exact.setdefault(key, set()).add(unit_id)
            keys = [k for k, _ in pairs]
            self._pools[pool_id] = _Pool(
                pool_id, pairs, keys, exact, list(map(_words_sorted, keys))
            )
        return self._pools[pool_id]

    def _match(self, text: str, pool: _Pool) -> tuple[str | None, tuple[str, ...]]:
        """Exact key match, else a fuzzy match that is both good and clearly the best; once per
        distinct text and pool (a union's name is typed the same way by many of its members).

        Returns (unit id or None, the units the text names exactly when it names several)."""
        cache_key = (pool.id, text)
        if cache_key not in self._matches:
            self._matches[cache_key] = self._match_once(text, pool)
        return self._matches[cache_key]

    def _match_once(self, text: str, pool: _Pool) -> tuple[str | None, tuple[str, ...]]:
        key = name_key(text)
        if not key:
            return None, ()
        exact = pool.exact.get(key, set())
        if len(exact) == 1:
            return next(iter(exact)), ()
        if len(exact) > 1:
            return None, tuple(sorted(exact))
        scored = process.extract(key, pool.keys, scorer=fuzz.WRatio, limit=12)
        best: dict[str, float] = {}
        for _, score, index in scored:
            uid = pool.pairs[index][1]
            best[uid] = max(best.get(uid, 0.0), score)
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if not ranked:
            return None, ()
        top_id, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if top >= FUZZY_MIN_SCORE and top - runner_up >= FUZZY_MARGIN:
            return top_id, ()
        return None, ()

    def _suggest(self, text: str, pool: _Pool, threshold: float) -> list[str]:
        """Units whose whole name is close to the text, best first. Scored on whole names in
        any word order, not on the best partial match: "Khách sạn Hoa Sữa" shares a word with a
        hospital's long name, and a suggestion that is wrong invites a wrong correction."""
        scored = process.extract(
            _words_sorted(name_key(text)),
            pool.words_sorted,
            scorer=fuzz.ratio,
            score_cutoff=threshold,
            limit=None,
        )
        found: list[str] = []
        for _, _, index in sorted(scored, key=lambda item: (-item[1], item[2])):
            if pool.pairs[index][1] not in found:
                found.append(pool.pairs[index][1])
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
        superior_id, _ = self._match(superior_text, self._pool("*superiors", self.superiors))
        local_pool = _Pool("", [], [], {}, [])
        if superior_id is not None:
            under = self.children[superior_id]
            local_pool = self._pool(
                superior_id,
                lambda: [self.units[c] for c in under if self.units[c].kind == "grassroots"],
            )
            unit_id, _ = self._match(grassroots_text, local_pool)
            if unit_id is not None:
                return Resolution(unit_id, superior_id)
        everywhere = self._pool("*grassroots", self.grassroots)
        unit_id, ambiguous = self._match(grassroots_text, everywhere)
        if unit_id is not None:
            return Resolution(unit_id, superior_id)
        closest = ambiguous or (
            self._suggest(grassroots_text, local_pool, threshold)
            or self._suggest(grassroots_text, everywhere, threshold)
        )
        return Resolution(None, superior_id, self._named(closest))

    def _named(self, unit_ids: Sequence[str]) -> tuple[str, ...]:
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


@cache
def allowed_parents() -> Mapping[str, frozenset[str]]:
    """Kind -> the kinds of unit it may sit under."""
    data = yaml.safe_load(data_text("unit_kinds.yaml"))
    return {kind: frozenset(parents or ()) for kind, parents in data["parents"].items()}


def _read_table(path: Path) -> list[list[str]]:
    """The file's first sheet as text cells, header first; blank rows kept (they count in the
    row numbers officers see) so the caller can skip them."""
    if not path.exists():
        raise FileNotFoundError(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; expected the organisation tree's CSV or XLSX file")
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [row for row in csv.reader(handle)]
    from python_calamine import CalamineWorkbook

    table = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return [["" if v is None else str(v) for v in values] for values in table]


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by header) of every non-blank row; every error is one ConfigError."""
    try:
        table = _read_table(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: organisation tree file not found") from None
    except (OSError, UnicodeError, ValueError, csv.Error, CalamineError) as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"{path}: cannot read the organisation tree ({reason})") from None
    if not table or not any(cell.strip() for cell in table[0]):
        raise ConfigError(f"{path}: the organisation tree is empty; expected a header row")
    header = [cell.strip() for cell in table[0]]
    missing = [c for c in UNITS_HEADER if c not in header]
    if missing:
        raise ConfigError(f"{path}: missing column(s) {missing}; expected {list(UNITS_HEADER)}")
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if any(cell.strip() for cell in values):
            cells = dict(zip(header, values, strict=False))
            rows.append((number, {c: cells.get(c) or "" for c in UNITS_HEADER}))
    return rows


def _checked_id(row: dict[str, str], where: str, seen: dict[str, str]) -> str:
    """The row's id, if allowed and new; `seen` maps each folded id to where it was first met."""
    unit_id = row["id"].strip()
    if not unit_id:
        raise ConfigError(f"{where}, column id: every unit needs an id")
    if not UNIT_ID_PATTERN.fullmatch(unit_id):
        raise ConfigError(f"{where}, column id: id {unit_id!r} is not allowed; use {UNIT_ID_RULE}")
    folded = unit_id.casefold()
    if folded in seen:
        raise ConfigError(
            f"{where}, column id: duplicate id {unit_id!r} (the same as {seen[folded]} when case "
            "is ignored)"
        )
    seen[folded] = f"{unit_id!r} on {where}"
    return unit_id


def _unit(row: dict[str, str], unit_id: str, where: str) -> Unit:
    kind = row["kind"].strip()
    if kind not in KINDS:
        raise ConfigError(f"{where}, column kind: expected one of {list(KINDS)}, got {kind!r}")
    if not row["name"].strip():
        raise ConfigError(f"{where}, column name: every unit needs a name")
    return Unit(
        id=unit_id,
        parent_id=row["parent_id"].strip() or None,
        kind=kind,  # type: ignore[arg-type]
        name=row["name"].strip(),
        aliases=_split(row["aliases"]),
        members=_optional_int(row["members"], where, "members"),
        officer_emails=_split(row["officer_emails"]),
        quota=_optional_int(row["quota"], where, "quota"),
    )


def load_tree(path: Path) -> OrgTree:
    """Read and check the organisation tree; every error is one line naming the file, the row
    and the column."""
    rows = _read_rows(path)
    if not rows:
        raise ConfigError(f"{path}: the organisation tree has no units")
    units: list[Unit] = []
    numbers: dict[str, int] = {}  # unit id -> its row in the file
    seen: dict[str, str] = {}
    for number, row in rows:
        where = f"{path.name} row {number}"
        unit_id = _checked_id(row, where, seen)
        units.append(_unit(row, unit_id, where))
        numbers[unit_id] = number
    _check_shape(units, path, numbers)
    return OrgTree(units)


def _check_shape(units: list[Unit], path: Path, numbers: Mapping[str, int]) -> None:
    by_id = {u.id: u for u in units}
    roots = [u for u in units if u.parent_id is None]
    if len(roots) != 1 or roots[0].kind != "province":
        found = [u.id for u in roots]
        raise ConfigError(
            f"{path.name}: expected exactly one unit without parent_id, of kind province; "
            f"found {found}"
        )
    for unit in units:
        where = f"{path.name} row {numbers[unit.id]}, column parent_id"
        if unit.parent_id is not None and unit.parent_id not in by_id:
            raise ConfigError(f"{where}: unit {unit.id!r} has unknown parent_id {unit.parent_id!r}")
        if unit.kind == "province" and unit.parent_id is not None:
            raise ConfigError(f"{where}: unit {unit.id!r} is a province but has a parent")
    for unit in units:  # every chain must reach the root: anything else is a cycle
        seen, current = set(), unit
        while current.parent_id is not None:
            if current.id in seen:
                raise ConfigError(
                    f"{path.name} row {numbers[unit.id]}, column parent_id: unit {unit.id!r} is "
                    "part of a parent cycle"
                )
            seen.add(current.id)
            current = by_id[current.parent_id]
    _check_parent_kinds(units, path, numbers)


def _check_parent_kinds(units: list[Unit], path: Path, numbers: Mapping[str, int]) -> None:
    """A grassroots union has no units under it, a district sits under the province, ...: the
    allowed parent kinds are data (sync/data/unit_kinds.yaml)."""
    allowed, by_id = allowed_parents(), {u.id: u for u in units}
    for unit in units:
        if unit.parent_id is None:
            continue
        parent = by_id[unit.parent_id]
        may = allowed.get(unit.kind, frozenset())
        if parent.kind not in may:
            expected = " or ".join(sorted(may)) or "nothing (it must be the root)"
            raise ConfigError(
                f"{path.name} row {numbers[unit.id]}, column parent_id: unit {unit.id!r} "
                f"({unit.kind}) sits under {parent.id!r} ({parent.kind}); a {unit.kind} unit "
                f"may only sit under {expected}"
            )
