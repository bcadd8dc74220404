"""The explorer's reads: one module per page, each function (cursor, parameters) -> plain data.

Every query is parameterised (user text only ever travels as a `?` parameter, never in SQL text; column and
sort names come from fixed lists). Values come back as JSON-ready Python: numbers as numbers, times as
timezone-aware datetimes (UTC), which the API writes as ISO 8601.
"""
from __future__ import annotations

from typing import Any, Sequence


def records(cursor: Any, sql: str, parameters: Sequence[Any] = ()) -> list[dict]:
    """The rows of a parameterised query as dicts."""
    result = cursor.execute(sql, list(parameters))
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]
