"""The explorer's reads: one module per page, each function (cursor, parameters) -> plain data.

Every query is parameterised (user text only ever travels as a `?` parameter, never in SQL text; column and
sort names come from fixed lists). Values come back as JSON-ready Python: numbers as numbers, times as
timezone-aware datetimes (UTC), which the API writes as ISO 8601.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Sequence


def records(cursor: Any, sql: str, parameters: Sequence[Any] = ()) -> list[dict]:
    """The rows of a parameterised query as dicts."""
    result = cursor.execute(sql, list(parameters))
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def normalised(value: Any) -> Any:
    """A warehouse value for the templates and FastAPI's JSON encoder: decimals as numbers, times as datetimes in
    UTC (DuckDB hands them in its session's zone; the templates format them, the API writes them ISO 8601), maps
    and lists all the way down."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, dict):
        return {key: normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    return value


def normalised_rows(rows: Iterable[dict]) -> list[dict]:
    return [normalised(row) for row in rows]
