"""Field masks: the ``fields`` query parameter and the ``fields`` of update requests.

Both use the same grammar: ``a,b.c,d(e,f/g)``, where ``.`` and ``/`` separate path parts and
parentheses group sub-selections.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# A parsed mask: key -> sub-mask, where an empty dict means "the whole value".
MaskTree = dict[str, "MaskTree"]


class FieldMaskError(ValueError):
    """The mask does not follow the grammar."""


def parse(mask: str) -> MaskTree:
    tree: MaskTree = {}
    tokens = _tokenize(mask)
    position = _parse_list(tokens, 0, tree)
    if position != len(tokens):
        raise FieldMaskError(f"Invalid field mask: '{mask}'")
    return tree


@lru_cache(maxsize=512)
def leaf_paths(mask: str) -> tuple[tuple[str, ...], ...]:
    """``"a.b,c(d,e)"`` -> ``(("a", "b"), ("c", "d"), ("c", "e"))``; cached per mask."""
    paths: list[tuple[str, ...]] = []

    def walk(tree: MaskTree, prefix: tuple[str, ...]) -> None:
        for key, child in tree.items():
            if child:
                walk(child, (*prefix, key))
            else:
                paths.append((*prefix, key))

    walk(parse(mask), ())
    return tuple(paths)


def selects(mask: str, path: tuple[str, ...]) -> bool:
    """Whether the mask selects anything at or below ``path`` (e.g. ``("sheets", "data")``)."""
    tree = parse(mask)
    for part in path:
        if "*" in tree and not tree["*"]:
            return True
        if part not in tree:
            return False
        tree = tree[part]
        if not tree:
            return True
    return True


def filter_response(value: Any, mask: str) -> Any:
    """Keep only the selected fields of a response, like Google's partial responses."""
    return _filter(value, parse(mask))


def _filter(value: Any, tree: MaskTree) -> Any:
    if not tree or ("*" in tree and not tree["*"]):
        return value
    if isinstance(value, list):
        return [_filter(item, tree) for item in value]
    if not isinstance(value, Mapping):
        return value
    kept: dict[str, Any] = {}
    for key, sub in tree.items():
        if key == "*":
            for other, item in value.items():
                kept.setdefault(other, _filter(item, sub))
        elif key in value:
            kept[key] = _filter(value[key], sub)
    return kept


def apply_update(target: Mapping[str, Any], source: Mapping[str, Any], mask: str) -> dict:
    """Copy the masked fields from ``source`` onto a copy of ``target``.

    A masked field absent from ``source`` is cleared, which is how Google's update requests
    reset values; ``*`` replaces the whole object.
    """
    result = copy.deepcopy(dict(target))
    for path in leaf_paths(mask):
        if path == ("*",):
            return copy.deepcopy(dict(source))
        _set_path(result, source, path)
    return result


def _set_path(result: dict, source: Mapping[str, Any], path: tuple[str, ...]) -> None:
    value: Any = source
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    holder_chain = [result]
    for part in path[:-1]:
        nxt = holder_chain[-1].get(part)
        if not isinstance(nxt, dict):
            if value is None:
                return  # Nothing to clear below a missing parent.
            nxt = {}
            holder_chain[-1][part] = nxt
        holder_chain.append(nxt)
    if value is None:
        holder_chain[-1].pop(path[-1], None)
        _prune_empty(holder_chain, path)
    else:
        holder_chain[-1][path[-1]] = copy.deepcopy(value)


def _prune_empty(chain: list[dict], path: tuple[str, ...]) -> None:
    for depth in range(len(chain) - 1, 0, -1):
        if chain[depth]:
            return
        chain[depth - 1].pop(path[depth - 1], None)


def _tokenize(mask: str) -> list[str]:
    tokens: list[str] = []
    name = ""
    for char in mask:
        if char in ",()":
            if name.strip():
                tokens.append(name.strip())
            name = ""
            tokens.append(char)
        elif char in "./":
            if not name.strip():
                raise FieldMaskError(f"Invalid field mask: '{mask}'")
            tokens.append(name.strip())
            tokens.append(".")
            name = ""
        else:
            name += char
    if name.strip():
        tokens.append(name.strip())
    return tokens


def _parse_list(tokens: list[str], position: int, tree: MaskTree) -> int:
    position = _parse_item(tokens, position, tree)
    while position < len(tokens) and tokens[position] == ",":
        position = _parse_item(tokens, position + 1, tree)
    return position


def _parse_item(tokens: list[str], position: int, tree: MaskTree) -> int:
    if position >= len(tokens) or tokens[position] in ",().":
        raise FieldMaskError("Invalid field mask")
    node = tree
    while True:
        name = tokens[position]
        position += 1
        is_last = position >= len(tokens) or tokens[position] != "."
        existing = node.get(name)
        if existing is None:
            existing = {}
            node[name] = existing
        if is_last:
            break
        node = existing
        position += 1  # skip "."
    if position < len(tokens) and tokens[position] == "(":
        position = _parse_list(tokens, position + 1, node[name])
        if position >= len(tokens) or tokens[position] != ")":
            raise FieldMaskError("Unbalanced parentheses in field mask")
        position += 1
    return position
