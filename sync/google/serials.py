"""Spreadsheet serial numbers: days since 1899-12-30, the fraction being the time of day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

EPOCH = datetime(1899, 12, 30)


def to_serial(value: date | datetime) -> float:
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return (moment.replace(tzinfo=None) - EPOCH).total_seconds() / 86400


def from_serial(serial: float) -> datetime:
    """A naive wall-clock time, rounded to the second: 23:59:59 stored as a float must not read
    back as 23:59:58."""
    return EPOCH + timedelta(seconds=round(serial * 86400))
