"""A cell's digest: the stored format of every digest in the review state, so one taken by an
older sync still matches the same cell."""

from __future__ import annotations

import zlib
from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sync.review.values import canonical, fingerprint


def crc(text: str) -> str:
    return f"{zlib.crc32(text.encode('utf-8')):08x}"


def test_fingerprints_as_older_syncs_stored_them() -> None:
    assert fingerprint("abc") == "352441c2"
    assert fingerprint(None) == fingerprint("") == fingerprint("   ") == "00000000"
    assert fingerprint(12) == crc("12") and fingerprint(2.0) == crc("2")
    assert fingerprint(True) == crc("True") != fingerprint(1)
    assert fingerprint(date(2021, 3, 1)) == crc("2021-03-01T00:00:00")
    assert fingerprint(datetime(2021, 3, 1, 8, 0, 0, 600_000)) == crc("2021-03-01T08:00:01")
    long_text = "Sáng kiến " * 10
    assert fingerprint(long_text) == crc(long_text)


cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=80),
    st.dates(),
    st.datetimes(),
)


@given(st.lists(cells, max_size=6))
def test_fingerprint_is_the_digest_of_the_canonical_text(values: list) -> None:
    # Each value twice: the second one is answered from the cache of repeated values.
    for value in [*values, *values]:
        assert fingerprint(value) == crc(canonical(value))


def test_a_date_and_its_midnight_share_a_digest_but_not_the_next_day() -> None:
    day = date(2021, 4, 15)
    assert fingerprint(day) == fingerprint(datetime(2021, 4, 15))
    assert fingerprint(day) != fingerprint(day + timedelta(days=1))
