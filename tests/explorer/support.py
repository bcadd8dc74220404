"""Helpers of the report areas' tests (waste, network, kubernetes, freshness): the warehouse read directly to know
the exact answers, a copy of it with hostile or unusual rows, and checks every page must pass."""
from __future__ import annotations

import csv
import io
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb

# every text parameter gets these: SQL's quote, comment and separator, LIKE's wildcards, a classic injection,
# unicode, and the longest value allowed; all must answer "nothing matches", never an error or everything
HOSTILE_VALUES = ["'", "--", ";", "%", "_", "' or '1'='1", "x'; drop table marts.waste; --", "é 中文 🙂",
                  "a" * 512]
TOO_LONG = "a" * 513  # one past common.MAX_TEXT: refused with 422


def rows(warehouse: Path, sql: str, parameters: list | None = None) -> list[dict]:
    """A query on the warehouse (read-only), decimals as floats, as the API writes them."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = con.execute(sql, parameters or [])
        names = [column[0] for column in result.description]
        return [{name: float(value) if isinstance(value, Decimal) else value for name, value in zip(names, row)}
                for row in result.fetchall()]


def warehouse_copy(source: Path, target: Path, *statements: str) -> Path:
    """A copy of the warehouse at `target` with `statements` run on it (the demo warehouse itself is shared)."""
    shutil.copyfile(source, target)
    with duckdb.connect(str(target)) as con:
        for statement in statements:
            con.execute(statement)
    return target


def csv_records(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_page_is_csp_clean(html: str) -> None:
    """No inline style attribute, no inline script, no <style> block: the explorer's CSP would block them."""
    tags = re.findall(r"<[a-z][^>]*>", html, re.I)
    assert not [tag for tag in tags if re.search(r"\sstyle\s*=", tag, re.I)], "an inline style attribute"
    assert "<style" not in html.lower(), "an inline <style> block"
    for script in re.findall(r"<script\b[^>]*>", html, re.I):
        assert "src=" in script, f"an inline script: {script}"
    assert not [tag for tag in tags if re.search(r"\son[a-z]+\s*=", tag, re.I)], "an inline event handler"
