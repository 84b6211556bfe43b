"""Tallies: every unit's figures equal counting its subtree's rows one by one."""

from collections import Counter

from sync.config import read_settings
from sync.models import Status
from sync.pipeline import build_report
from sync.tally import author_key, home_unit, tally
from tests.conftest import REPO


def counted_row_by_row(report, unit_id: str) -> dict:
    """A unit's figures, from its subtree's rows in the order they were read; each count's
    values listed in the order its rows first give them."""
    tree = report.tree
    subtree = set(tree.subtree(unit_id))
    rows = [r for r in report.responses if home_unit(r, tree) in subtree]
    counts: dict = {"by_day": Counter(), "by_code": Counter(), "by_field": Counter(),
                    "by_sector": Counter()}  # fmt: skip
    for response in rows:
        if response.submitted_at is not None:
            counts["by_day"][response.submitted_at.date().isoformat()] += 1
        counts["by_code"].update(v.code for v in response.violations)
        if response.status is Status.VALID:
            counts["by_field"][response.field] += 1
            counts["by_sector"][response.sector] += 1
    statuses = Counter(r.status for r in rows)
    valid = [r for r in rows if r.status is Status.VALID]
    return {
        "received": len(rows),
        "valid": statuses[Status.VALID],
        "invalid": statuses[Status.INVALID],
        "duplicate": statuses[Status.DUPLICATE],
        "benefit_vnd": sum(r.benefit_vnd or 0 for r in valid),
        "author_keys": {author_key(r) for r in rows if r.status is not Status.DUPLICATE},
        **{name: list(counted.items()) for name, counted in counts.items()},
    }


def test_every_units_tally_is_its_subtree_counted_row_by_row() -> None:
    """The bundled example (several sources, every status, warnings and errors): each figure at
    every unit of the tree; at a unit without children, also the order in which a count lists
    its values (above, they come as the children are rolled up)."""
    report = build_report(read_settings(REPO / "config.yaml"))
    tallies = tally(report.responses, report.tree)
    assert {t.duplicate > 0 for t in tallies.values()} == {True, False}
    for unit in report.tree:
        found = tallies[unit.id]
        figures = {name: getattr(found, name) for name in counted_row_by_row(report, unit.id)}
        expected = counted_row_by_row(report, unit.id)
        for name in ("by_day", "by_code", "by_field", "by_sector"):
            figures[name] = list(figures[name].items())
            if report.tree.children[unit.id]:
                figures[name], expected[name] = dict(figures[name]), dict(expected[name])
        assert figures == expected, unit.id
