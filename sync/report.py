"""The one result object of a sync. The JSON report, the sheets and the terminal summary are all
rendered from it, so they cannot disagree."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .json_bytes import json_bytes
from .models import Response, SourceInfo, Status
from .orgtree import OrgTree
from .rules.codes import public_message
from .tally import Tally, home_unit

if TYPE_CHECKING:
    from .review.settle import Outcome
    from .review.stage import Summary

REPORT_FILE = "sync-report.json"


class Subtrees:
    """Responses in one order, each home unit's kept as their places in it: the places of a
    subtree, merged as plain numbers, give its responses in that order, with no key function
    called for each."""

    def __init__(self, ordered: list[Response], tree: OrgTree):
        self.ordered, self.tree = ordered, tree
        self.places: dict[str, list[int]] = defaultdict(list)
        for place, response in enumerate(ordered):
            self.places[home_unit(response, tree)].append(place)

    def under(self, unit_id: str) -> list[Response]:
        """Every response counted in the unit's subtree, in this order."""
        places = [p for uid in self.tree.subtree(unit_id) for p in self.places.get(uid, ())]
        places.sort()  # each unit's places are a run in order already: merged
        return list(map(self.ordered.__getitem__, places))


@dataclass(frozen=True)
class Report:
    """Final when built: the review round is settled before the tally, not applied after."""

    generated_at: datetime  # aware, in the campaign's time zone
    campaign: str
    sources: list[SourceInfo]
    responses: list[Response]
    tallies: dict[str, Tally]
    tree: OrgTree
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    review: Outcome | None = None  # the officers' review round, when the sheets were read back
    review_summary: Summary = field(default_factory=dict)
    # Officers' addresses Google would not share a spreadsheet or folder with (email, unit, file,
    # reason); every other grant and write went through. Known once the outputs are written.
    refused_addresses: list[dict[str, str]] = field(default_factory=list)
    # A digest of the inputs the responses were checked from (checked.py); None when they have
    # none: `sangkien check`, or a Google source whose Drive version is not given.
    inputs_key: str | None = None
    checks_reused: bool = False  # the responses as the last sync checked them, inputs unchanged
    # The summary the last sync's report gave, for the same round found again before any
    # response was read (`writers.unchanged_round`): `responses` and `tallies` are then empty.
    last_summary: dict[str, Any] | None = None

    @cached_property
    def by_id(self) -> dict[str, Response]:
        return {r.id: r for r in self.responses}

    @cached_property
    def _in_source_order(self) -> Subtrees:
        return Subtrees(sorted(self.responses, key=lambda r: (r.source, r.row)), self.tree)

    def responses_under(self, unit_id: str) -> list[Response]:
        """Every response counted in the unit's subtree, in source order."""
        if unit_id == self.tree.root.id:
            return self.responses
        return self._in_source_order.under(unit_id)

    def summary(self) -> dict[str, Any]:
        if self.last_summary is not None:
            return self.last_summary
        statuses = Counter(r.status for r in self.responses)
        codes = Counter(v.code for r in self.responses for v in r.violations)
        return {
            "rows": len(self.responses),
            "valid": statuses[Status.VALID],
            "invalid": statuses[Status.INVALID],
            "duplicate": statuses[Status.DUPLICATE],
            "by_code": dict(sorted(codes.items())),
        }


def tally_json(totals: Tally) -> dict[str, Any]:
    figures = totals.figures()
    if figures["participation"] is not None:
        figures["participation"] = round(figures["participation"], 4)
    return {
        **figures,
        "by_field": dict(sorted(totals.by_field.items())),
        "by_sector": dict(sorted(totals.by_sector.items())),
        "by_code": dict(sorted(totals.by_code.items())),
    }


def response_json(response: Response, report: Report | None = None) -> dict[str, Any]:
    review = {} if report is None or report.review is None else report.review_summary
    tiers = {} if report is None or report.review is None else report.review.flow.tier_reached
    return {
        "source": response.source,
        "row": response.row,
        "id": response.id,
        "unit_id": response.unit_id,
        "status": str(response.status),
        "violations": [
            {"code": v.code, "field": v.field, "message": public_message(v)}
            for v in response.violations
        ],
        "duplicate_of": response.duplicate_of,
        "similar_to": list(response.similar_to),
        "review": review.get(response.id, {}),
        "tier_reached": tiers.get(response.id, "grassroots"),
    }


def report_file_text(data: dict[str, Any]) -> Iterator[bytes]:
    """`sync-report.json` as UTF-8, a line at a time: one top-level key a line, and each
    initiative (or unit) of a top-level list, iterator or mapping on a line of its own, so the
    file reads and greps line by line. Each line is encoded by `json_bytes`; an indented dump
    takes json's pure-Python path, seconds at national scale."""

    def block(value: Any) -> Iterator[bytes]:
        if isinstance(value, dict):
            brackets = b"{}"
            lines = (json_bytes(str(k)) + b": " + json_bytes(v) for k, v in value.items())
        elif isinstance(value, list | Iterator):
            brackets = b"[]"
            lines = (json_bytes(v) for v in value)
        else:
            yield json_bytes(value)
            return
        first = next(lines, None)
        if first is None:
            yield brackets
            return
        yield brackets[:1] + b"\n  " + first
        for line in lines:
            yield b",\n  " + line
        yield b"\n " + brackets[1:]

    for number, (key, value) in enumerate(data.items()):
        yield (b"," if number else b"{") + b"\n " + json_bytes(key) + b": "
        yield from block(value)
    yield b"\n}\n"


def report_json(report: Report) -> dict[str, Any]:
    """The documented `sync-report.json` contract; only additive changes are allowed. The
    initiatives come as an iterator, each made as `report_file_text` writes it rather than a
    million held at once."""
    return {
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "campaign": report.campaign,
        "sources": [
            {
                "name": s.name,
                "kind": s.kind,
                "rows": s.rows,
                **({"sheet": s.sheet} if s.sheet else {}),
            }
            for s in report.sources
        ],
        "summary": report.summary(),
        "responses": (response_json(r, report) for r in report.responses),
        "tallies": {unit_id: tally_json(t) for unit_id, t in report.tallies.items()},
        "refused_addresses": report.refused_addresses,
    }
