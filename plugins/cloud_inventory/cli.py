"""The analyst's command line: `python -m cloud_inventory find <identifier>`, `... changes <identifier>` and
`... sql "<query>"`.

All open the warehouse (INVENTORY_WAREHOUSE_PATH) read-only, so they never block or alter a build,
and keep reading the file they opened while a new build replaces it; and sandboxed (warehouse/readonly.py): a
query cannot read or write files, attach databases, load extensions or change settings.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence
from urllib.parse import urlparse

from cloud_inventory import settings as inventory_settings
from cloud_inventory.plain import plain
from cloud_inventory.warehouse.readonly import open_readonly, refusal

FIND_COLUMNS = ("identifier_kind", "resource_type", "resource_id", "account_name", "account_id", "region", "cluster")
CHANGE_COLUMNS = ("snapshot_date", "previous_snapshot_date", "field", "change_kind", "old_value", "new_value")
RESOURCE_KEYS = ("resource_type", "resource_id", "account_id", "region")


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def connect(warehouse: Path):
    try:
        return open_readonly(warehouse)
    except FileNotFoundError as error:
        raise CliError(f"{error}: build it with the inventory_marts DAG (or `make demo`), "
                       "or set INVENTORY_WAREHOUSE_PATH") from None


def normalise(identifier: str) -> str:
    """What people paste, as the lookup stores it: lowercase, no URL scheme or path, no trailing dot."""
    text = identifier.strip()
    if "://" in text and not text.startswith("arn:"):
        text = urlparse(text).hostname or text
    text = text.lower().rstrip(".")
    return re.sub(r"^dualstack\.", "", text)


def find(con, identifier: str) -> list[dict]:
    cursor = con.execute("select * from marts.resource_lookup where identifier = ?", [normalise(identifier)])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def format_matches(identifier: str, matches: list[dict]) -> str:
    lines = [f"{identifier}: {len(matches)} match(es)"]
    for match in matches:
        head = ", ".join(f"{key}={match[key]}" for key in FIND_COLUMNS if match.get(key) is not None)
        lines.append(f"  {head}")
        extra = {key: value for key, value in match.items()
                 if key not in FIND_COLUMNS and key != "identifier" and value not in (None, False, "", [])}
        lines += [f"      {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines)


def changed_resources(matches: list[dict]) -> list[dict]:
    """The resources an identifier's matches name, each followed by what it resolves to (a Route 53 record's
    load balancer, an ingress host's), once each, in order."""
    resources: dict[tuple, dict] = {}
    for match in matches:
        resources.setdefault(tuple(match[key] for key in RESOURCE_KEYS), {
            **{key: match[key] for key in RESOURCE_KEYS}, "account_name": match.get("account_name"),
            "source": match.get("source", "aws"), "resolved_from": None})
        if match.get("resolves_to_resource_id"):
            resolved = {key: match.get(f"resolves_to_{key}") for key in RESOURCE_KEYS}
            resources.setdefault(tuple(resolved.values()), {
                **resolved, "account_name": match.get("resolves_to_account_name"), "source": "aws",
                "resolved_from": match["resource_id"]})
    return list(resources.values())


def resource_changes(con, resource: dict, since: date) -> list[tuple]:
    """The resource's rows of marts.resource_changes seen on or after `since`, newest first (a change happened
    between previous_snapshot_date and snapshot_date)."""
    return con.execute(f"""
        select {", ".join(CHANGE_COLUMNS)} from marts.resource_changes
        where resource_type = ? and resource_id = ? and account_id = ? and region = ? and snapshot_date >= ?
        order by changed_at desc, field, old_value, new_value""",
        [*(resource[key] for key in RESOURCE_KEYS), since]).fetchall()


def format_changes(con, identifier: str, matches: list[dict], since: date) -> str:
    lines = [f"{identifier}: {len(matches)} match(es)"]
    for resource in changed_resources(matches):
        where = f"{resource['account_name'] or resource['account_id']} {resource['account_id']}, {resource['region']}"
        head = f"{resource['resource_type']} {resource['resource_id']} ({where})"
        if resource["resolved_from"]:
            head = f"which {resource['resolved_from']} resolves to: {head}"
        if resource["source"] != "aws":
            lines.append(f"  {head}: Kubernetes objects have no change history (their state now: "
                         "marts.inventory_current, marts.k8s_unhealthy)")
            continue
        found = resource_changes(con, resource, since)
        lines.append(f"  {head}: {len(found)} change(s) since {since.isoformat()}" + (":" if found else ""))
        if found:
            table = format_table(list(CHANGE_COLUMNS), found).splitlines()[:-1]  # without its row count
            lines += [f"      {line}" for line in table]
    return "\n".join(lines)


def run_sql(con, query: str, output_format: str, out=None) -> int:
    out = out or sys.stdout
    cursor = con.execute(query)
    if cursor.description is None:
        return 0
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if output_format == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
    elif output_format == "json":
        for row in rows:  # numbers as numbers, times as ISO 8601 in UTC (as the explorer's API writes them)
            out.write(json.dumps(plain(dict(zip(columns, row)))) + "\n")
    else:
        out.write(format_table(columns, rows) + "\n")
    return len(rows)


def format_table(columns: list[str], rows: list[tuple]) -> str:
    cells = [[("" if value is None else str(value)) for value in row] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(columns)]
    line = lambda values: "  ".join(value.ljust(width) for value, width in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([line(columns), line(["-" * width for width in widths])] + [line(row) for row in cells]
                     + [f"({len(rows)} row{'s' if len(rows) != 1 else ''})"])


def _days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (0 or more)")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloud_inventory", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="warehouse file (default INVENTORY_WAREHOUSE_PATH)")
    commands = parser.add_subparsers(dest="command", required=True)
    find_parser = commands.add_parser("find", help="where does this id, ARN, IP, DNS name or Name tag live?")
    find_parser.add_argument("identifier", nargs="+")
    changes_parser = commands.add_parser("changes", help="what changed on the resource(s) this identifier names "
                                                         "(and what a DNS name resolves to), newest first?")
    changes_parser.add_argument("identifier", nargs="+")
    changes_parser.add_argument("--days", type=_days, default=30,
                                help="how many days back, before today (UTC); default 30")
    sql_parser = commands.add_parser("sql", help="run one read-only query on the warehouse")
    sql_parser.add_argument("query")
    sql_parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    args = parser.parse_args(argv)

    import duckdb

    try:
        with connect(args.warehouse or inventory_settings.load().warehouse_path) as con:
            if args.command in ("find", "changes"):
                missing = 0
                for identifier in args.identifier:
                    matches = find(con, identifier)
                    print(format_matches(identifier, matches) if args.command == "find" else format_changes(
                        con, identifier, matches, datetime.now(timezone.utc).date() - timedelta(days=args.days)))
                    missing += not matches
                return 1 if missing else 0
            run_sql(con, args.query, args.format)
            return 0
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:
        print(f"error: {refusal(error) or f'{type(error).__name__}: {error}'}", file=sys.stderr)
        return 2
