"""The model shared by the random officer sessions, on local workbooks and on Google spreadsheets:
a tiny tree, the responses they receive, what officers type, and which review values every unit
must still show beside each initiative after a sync."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from tests.officer import ID

UNITS = ("P", "P.TG", "P.TG.THPT", "P.DL")
PLACES = (
    {"superior_unit": "LĐLĐ huyện Tuần Giáo", "grassroots_unit": "THPT Tuần Giáo"},
    {"superior_unit": "LĐLĐ tỉnh", "grassroots_unit": "Điện lực Điện Biên"},
)
REVIEW = {
    "Kết quả thẩm định": st.sampled_from([None, "Chờ thẩm định", "Đạt", "Không đạt"]),
    "Điểm (0–100)": st.one_of(st.none(), st.integers(0, 100)),
    "Có khiếu nại": st.sampled_from([None, "x"]),
    # A cell of spaces is how officers clear one: the sync reads it as blank.
    "Ghi chú thẩm định": st.one_of(
        st.none(), st.text("aăâđêôơư xyz", max_size=8).map(lambda t: t.strip() or None)
    ),
    "Đề xuất lên cấp trên": st.sampled_from([None, "x"]),
}
NOMINATION = {"Đề xuất lên cấp trên": "x", "Kết quả thẩm định": "Đạt"}
START = datetime(2021, 3, 20, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

Rows = Mapping[str, Mapping[str, Any]]  # initiative id -> header -> value, as an officer sees


def submitted(n: int) -> datetime:
    """When response number `n` was sent: one minute apart, so each has its own id."""
    return START + timedelta(minutes=n)


def response(n: int, place: Mapping[str, str]) -> dict[str, str]:
    """Response number `n` (over VALID_ROW), without its timestamp, which each source types in
    its own way; titles and descriptions differ enough that no two are near duplicates."""
    return {
        **place,
        "full_name": f"Tác Giả {n}",
        "phone": f"0913{n:06d}",
        "email": f"tacgia{n}@example.vn",
        "title": f"Đề tài {n} " + "ab" * n,
        "description": f"Mô tả {n} " + "xy" * n,
    }


class Ledger:
    """The review values officers typed, per (unit, initiative), and as of the last sync."""

    def __init__(self) -> None:
        self.expected: dict[tuple[str, str], dict[str, Any]] = {}
        self.synced: dict[tuple[str, str], dict[str, Any]] = {}

    def typed(self, unit: str, initiative: str, values: Mapping[str, Any]) -> None:
        key = (unit, initiative)
        self.expected[key] = {**self.expected.get(key, {}), **values}

    def row_deleted(self, unit: str, initiative: str) -> None:
        """An accidental deletion: the review as of the last sync comes back."""
        key = (unit, initiative)
        self.expected.pop(key, None)
        if key in self.synced:
            self.expected[key] = dict(self.synced[key])

    def sync_done(self) -> None:
        self.synced = {k: dict(v) for k, v in self.expected.items()}

    def check(self, unit: str, listed: Rows, archived: Rows) -> None:
        """Every review value typed in `unit` is beside its initiative, listed or archived."""
        assert not set(listed) & set(archived), unit
        for (owner, initiative), review in self.expected.items():
            if owner != unit or all(v is None for v in review.values()):
                continue
            row = listed.get(initiative) or archived.get(initiative)
            assert row is not None, (unit, initiative, review)
            assert row[ID] == initiative
            assert {h: row.get(h) for h in review} == review, (unit, initiative)
