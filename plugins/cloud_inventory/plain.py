"""Warehouse values as JSON and CSV carry them: numbers as numbers, times as ISO 8601 in UTC.

DuckDB hands Python a Decimal for DECIMAL columns (dollars), timezone-aware datetimes in the connection's
TimeZone for TIMESTAMPTZ, dicts for MAPs and STRUCTs, lists for LISTs. `plain` turns any of them, nested, into
what `json.dumps` writes as the API promises (the analyst CLI's `--format json` and the explorer share it).
"""
from __future__ import annotations

import base64
import math
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID


def plain(value: Any) -> Any:
    """`value` as JSON-ready Python: Decimal -> int or float, datetime -> ISO 8601 in UTC (a naive one is
    taken as UTC: the warehouse is built in UTC), date and time -> ISO 8601, interval -> seconds, UUID -> text,
    bytes -> base64, NaN and infinities -> None; dicts, lists and tuples converted all the way down."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):  # (before date: a datetime is a date)
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


# A spreadsheet runs a cell that starts with one of these as a formula: text cells starting so are written behind
# an apostrophe (OWASP's "CSV injection"), since names, tags and descriptions come from outside.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """One CSV cell, as the JSON carries the value (`plain`): empty for null, `true`/`false`, numbers as Python
    writes them, lists of plain values joined with `;`, lists of objects and objects as JSON text; text that a
    spreadsheet would run as a formula behind an apostrophe."""
    import json

    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and not any(isinstance(item, (dict, list)) for item in value):
        return ";".join(csv_cell(item) for item in value)
    if isinstance(value, (dict, list)):
        return guard_formula(json.dumps(value, sort_keys=True))
    if isinstance(value, str):
        return guard_formula(value)
    return str(value)
