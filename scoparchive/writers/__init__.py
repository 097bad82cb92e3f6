"""Writers of the datasets: each takes rows keyed by table name and the schema, nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso_datetime(value: datetime | None) -> str | None:
    """UTC, microseconds kept, with a Z: the one text form of a time in every output."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
