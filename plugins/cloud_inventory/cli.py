"""The analyst's command line: `python -m cloud_inventory find <identifier>`, `... changes <identifier>`,
`... rightsizing` and `... sql "<query>"`.

All open the warehouse (INVENTORY_WAREHOUSE_PATH) read-only, so they never block or alter a build,
and keep reading the file they opened while a new build replaces it; and sandboxed (warehouse/readonly.py): a
query cannot read or write files, attach databases, load extensions or change settings.
Each prints a table, JSON or CSV (`--format`); `find` answers exactly what the explorer's search API answers
(the same query, the same fields), `rightsizing` the rows GET /inventory/api/rightsizing answers (without their
page links), and JSON has numbers as numbers and times in ISO 8601, UTC.
A reader that stops reading (`| head`) ends the command quietly, with exit status 0.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence, TextIO
from urllib.parse import urlparse

from cloud_inventory import settings as inventory_settings
from cloud_inventory.explorer.queries import normalised_rows, records
from cloud_inventory.explorer.queries import rightsizing as rightsizing_queries
from cloud_inventory.plain import csv_cell, plain
from cloud_inventory.warehouse.readonly import open_readonly, refusal

FORMATS = ("table", "json", "csv")
# The explorer's search answer (GET /inventory/api/search, a contract in the README): each match has these fields,
# `via` a list of steps (JSON text in CSV); the API may add others, which JSON carries and CSV leaves out.
SEARCH_FIELDS = ("account_id", "account_name", "environment", "team", "region", "resource_type", "resource_id",
                 "name", "state", "matched_on", "via")
MAX_IDENTIFIER = 512  # as the explorer's search bounds its `q`
MAX_LIMIT = 1000  # as the explorer's search bounds its `limit`
CHANGE_COLUMNS = ("snapshot_date", "previous_snapshot_date", "field", "change_kind", "old_value", "new_value")
# a change as JSON or CSV: marts.resource_changes' own columns, after the identifier asked and, for a resource a
# DNS name resolves to, the resource it was reached from
CHANGE_FIELDS = ("query", "resolved_from", "account_id", "account_name", "region", "resource_type", "resource_id",
                 "name", "changed_at", "snapshot_date", "previous_snapshot_date", "field", "change_kind",
                 "old_value", "new_value")
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
    """The identifier's rows of marts.resource_lookup, every column (what `changes` follows to the resources)."""
    cursor = con.execute("select * from marts.resource_lookup where identifier = ?", [normalise(identifier)])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def search(con, identifier: str, limit: int) -> dict:
    """The explorer's search answer for `identifier`: {"query", "matches": [...], ...}, from the same query, with
    the same links (`page`: paths on the api-server where a plain `airflow api-server` mounts the explorer)."""
    # imported here: the explorer's queries import normalise from this module
    from cloud_inventory.explorer.mount import PREFIX
    from cloud_inventory.explorer.queries.search import search as explorer_search

    return explorer_search(con, identifier, limit, PREFIX)


def format_matches(answer: dict) -> str:
    """A search answer for people: each match's fields on one line, then its other fields and its `via` steps."""
    lines = [f"{answer['query']}: {len(answer['matches'])} match(es)"]
    for match in answer["matches"]:
        lines.append("  " + ", ".join(f"{key}={match[key]}" for key in SEARCH_FIELDS
                                      if key != "via" and match.get(key) is not None))
        lines += [f"      {key}: {value}" for key, value in match.items()
                  if key not in SEARCH_FIELDS and value not in (None, False, "", [])]
        lines += ["      via: " + ", ".join(f"{key}={value}" for key, value in step.items() if value is not None)
                  for step in match.get("via") or ()]
    return "\n".join(lines)


def match_rows(answer: dict) -> list[dict]:
    """A search answer as CSV rows: the identifier asked, then SEARCH_FIELDS."""
    return [{"query": answer["query"], **{key: match.get(key) for key in SEARCH_FIELDS}} for match in answer["matches"]]


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


def resource_changes(con, resource: dict, since: date) -> list[dict]:
    """The resource's rows of marts.resource_changes seen on or after `since`, newest first (a change happened
    between previous_snapshot_date and snapshot_date)."""
    cursor = con.execute(f"""
        select {", ".join(CHANGE_FIELDS[2:])} from marts.resource_changes
        where resource_type = ? and resource_id = ? and account_id = ? and region = ? and snapshot_date >= ?
        order by changed_at desc, field, old_value, new_value""",
        [*(resource[key] for key in RESOURCE_KEYS), since])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


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
            rows = [tuple(change[key] for key in CHANGE_COLUMNS) for change in found]
            table = format_table(list(CHANGE_COLUMNS), rows).splitlines()[:-1]  # without its row count
            lines += [f"      {line}" for line in table]
    return "\n".join(lines)


def change_rows(con, identifier: str, matches: list[dict], since: date) -> list[dict]:
    """The changes `format_changes` prints, one record each (CHANGE_FIELDS); Kubernetes objects have none."""
    return [{"query": identifier, "resolved_from": resource["resolved_from"], **change}
            for resource in changed_resources(matches) if resource["source"] == "aws"
            for change in resource_changes(con, resource, since)]


def write_json_lines(records: list[dict], out: TextIO) -> None:
    for record in records:
        out.write(json.dumps(plain(record), allow_nan=False) + "\n")


def write_csv(columns: Sequence[str], records: list[dict], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([csv_cell(record.get(column)) for column in columns] for record in records)


def run_sql(con, query: str, output_format: str, out=None) -> int:
    out = out or sys.stdout
    cursor = con.execute(query)
    if cursor.description is None:
        return 0
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if output_format == "csv":
        write_csv(columns, [dict(zip(columns, row)) for row in rows], out)
    elif output_format == "json":
        write_json_lines([dict(zip(columns, row)) for row in rows], out)
    else:
        out.write(format_table(columns, rows) + "\n")
    return len(rows)


def format_table(columns: list[str], rows: list[tuple]) -> str:
    cells = [[("" if value is None else str(value)) for value in row] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(columns)]
    line = lambda values: "  ".join(value.ljust(width) for value, width in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([line(columns), line(["-" * width for width in widths])] + [line(row) for row in cells]
                     + [f"({len(rows)} row{'s' if len(rows) != 1 else ''})"])


# the columns `rightsizing` prints as a table (JSON and CSV have every field of the API's rows)
RIGHTSIZING_TABLE = ("account_name", "region", "resource_type", "resource_name", "recommendation", "current_type",
                     "proposed_type", "max_cpu_percent", "max_memory_percent", "current_monthly_usd",
                     "monthly_saving_usd", "unpriced_reason")


def rightsizing(con, filters: dict, output_format: str, out: TextIO) -> int:
    """marts.rightsizing's rows the filters keep, as the explorer's API reads them (the same query and order)."""
    found = records(con, *rightsizing_queries.rows_query(filters))
    if output_format == "json":
        write_json_lines(normalised_rows(found), out)
    elif output_format == "csv":
        write_csv(rightsizing_queries.FIELDS, found, out)
    else:
        out.write(format_table(list(RIGHTSIZING_TABLE), [tuple(row[c] for c in RIGHTSIZING_TABLE) for row in found])
                  + "\n")
    return len(found)


def _days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (0 or more)")
    return int(text)


def _limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of matches from 1 to {MAX_LIMIT}")
    return int(text)


def _text(text: str) -> str:
    if len(text) > MAX_IDENTIFIER:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}... is {len(text)} characters long; at most {MAX_IDENTIFIER}")
    return text


def _identifier(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty identifier matches nothing")
    if len(text) > MAX_IDENTIFIER:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}... is {len(text)} characters long; identifiers are at "
                                         f"most {MAX_IDENTIFIER}")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cloud_inventory", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="warehouse file (default INVENTORY_WAREHOUSE_PATH)")
    commands = parser.add_subparsers(dest="command", required=True)
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--format", choices=FORMATS, default="table",
                        help="table (default), json (one JSON document a line) or csv")
    find_parser = commands.add_parser(
        "find", parents=[output], help="where does this id, ARN, IP, DNS name or Name tag live? (the explorer's "
                                       "search: JSON is its API's answer, one a line per identifier)")
    find_parser.add_argument("identifier", nargs="+", type=_identifier)
    find_parser.add_argument("--limit", type=_limit, default=50,
                             help=f"at most this many matches per identifier (1-{MAX_LIMIT}); default 50")
    changes_parser = commands.add_parser("changes", parents=[output],
                                         help="what changed on the resource(s) this identifier names "
                                              "(and what a DNS name resolves to), newest first?")
    changes_parser.add_argument("identifier", nargs="+", type=_identifier)
    changes_parser.add_argument("--days", type=_days, default=30,
                                help="how many days back, before today (UTC); default 30")
    sizing_parser = commands.add_parser("rightsizing", parents=[output],
                                        help="what runs bigger than its CPU and memory need: the next smaller size "
                                             "and the monthly saving (marts.rightsizing; the explorer's API rows)")
    for name in ("account_id", "team", "environment", "region", "resource_type"):
        sizing_parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=_text,
                                   help=f"only rows whose {name} is exactly this")
    sizing_parser.add_argument("--recommendation", choices=rightsizing_queries.RECOMMENDATIONS,
                               help="only downsizes, rows needing memory data, or those already smallest")
    sql_parser = commands.add_parser("sql", parents=[output], help="run one read-only query on the warehouse")
    sql_parser.add_argument("query")
    return parser


def run(args: argparse.Namespace, con, out: TextIO) -> int:
    """The command on an open warehouse; 1 when an identifier matched nothing."""
    if args.command == "sql":
        run_sql(con, args.query, args.format, out)
        return 0
    if args.command == "rightsizing":
        rightsizing(con, {name: getattr(args, name) for name in rightsizing_queries.FILTERS}, args.format, out)
        return 0
    missing = 0
    if args.format == "csv":
        csv.writer(out).writerow(("query", *SEARCH_FIELDS) if args.command == "find" else CHANGE_FIELDS)
    since = datetime.now(timezone.utc).date() - timedelta(days=args.days) if args.command == "changes" else None
    for identifier in args.identifier:
        if args.command == "find":
            answer = search(con, identifier, args.limit)
            missing += not answer["matches"]
            if args.format == "table":
                out.write(format_matches(answer) + "\n")
            elif args.format == "json":
                write_json_lines([answer], out)
            else:
                csv.writer(out).writerows([csv_cell(row[key]) for key in ("query", *SEARCH_FIELDS)]
                                          for row in match_rows(answer))
            continue
        matches = find(con, identifier)
        missing += not matches
        if args.format == "table":
            out.write(format_changes(con, identifier, matches, since) + "\n")
        elif args.format == "json":
            write_json_lines(change_rows(con, identifier, matches, since), out)
        else:
            csv.writer(out).writerows([csv_cell(change[key]) for key in CHANGE_FIELDS]
                                      for change in change_rows(con, identifier, matches, since))
    return 1 if missing else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    import duckdb

    try:
        with connect(args.warehouse or inventory_settings.load().warehouse_path) as con:
            code = run(args, con, sys.stdout)
        sys.stdout.flush()  # here, not at exit: a reader gone by then is a BrokenPipeError caught below
        return code
    except BrokenPipeError:
        # the reader stopped reading (`| head`): it has what it wanted. Python would flush what is left at exit
        # and complain, so stdout goes to /dev/null from here on.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:
        print(f"error: {refusal(error) or f'{type(error).__name__}: {error}'}", file=sys.stderr)
        return 2
