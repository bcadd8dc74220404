"""What is new since the previous digest: waste (with dollars), world-open security-group rules, unhealthy
Kubernetes objects, spend and ingestion spikes, and sources newly not fresh.

Each kind is read whole from its mart and every row gets a key (the columns naming the thing, not its changing
facts: a crash-looping pod is the same item while its restart count grows). The keys current when a digest
went out are remembered in `dq.digest_items` (with `dq.digests`, one row per digest): the dq schema is carried
over by every rebuild of the warehouse (warehouse/runner.py), so a full refresh forgets nothing. An item is new
when its key was not current at the previous digest; one that went away and came back is new again.

The first digest of a warehouse without that state (a fresh install) is a baseline: everything current is
recorded and counted, nothing is listed as new, so the first email is not a list of the whole estate. So is
the first digest that reads a kind (a mart built for the first time, e.g. marts.cost_spikes after an upgrade):
its rows are recorded, not listed.
The state is written after the email is sent: a send that fails leaves it as it was, so the next digest
lists the same items again (at least once, never lost).
A mart not built (marts.cost_spikes before its models exist) is skipped and said so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

from cloud_inventory.explorer.queries import records

STATE_DDL = """
create schema if not exists dq;
create table if not exists dq.digest_items (kind varchar, item_key varchar, first_reported_at timestamptz,
    run_id varchar);
create table if not exists dq.digests (run_id varchar, digest_at timestamptz, mode varchar, baseline boolean,
    current_items integer, new_items integer, email_sent boolean, subject varchar, kinds varchar[]);
"""


@dataclass(frozen=True)
class Kind:
    """One kind of item: where its rows are, which columns name an item, how a row reads in the digest."""

    name: str
    title: str  # a section heading: "New waste"
    table: str
    key: tuple[str, ...]
    sql: str  # the rows, whole (the mart's columns the digest shows)
    page: str  # the explorer's page of this kind ("" for none)
    noun: tuple[str, str]  # singular, plural (the subject's counts)


KINDS = (
    Kind("waste", "New waste", "marts.waste", ("category", "account_id", "region", "resource_id"), """
        select category, account_id, account_name, region, resource_type, resource_id, resource_name, detail,
               est_monthly_usd, price_known, unpriced_price_keys, is_stale
        from marts.waste order by est_monthly_usd desc nulls last, category, account_id, region, resource_id""",
         "/waste", ("waste finding", "waste findings")),
    Kind("open_ingress", "New world-open security-group rules", "marts.security_group_open_ingress",
         ("account_id", "region", "security_group_id", "protocol", "port_range", "cidr"), """
        select account_id, account_name, region, security_group_id, group_name, protocol, port_range, cidr,
               rule_description, network_interface_count, instance_count, is_stale
        from marts.security_group_open_ingress order by account_id, region, group_name, security_group_id,
               protocol, port_range, cidr""", "/security-groups", ("open rule", "open rules")),
    Kind("k8s_unhealthy", "New unhealthy Kubernetes objects", "marts.k8s_unhealthy",
         ("cluster", "kind", "namespace", "name", "problem"), """
        select cluster, account_id, account_name, region, namespace, kind, name, problem, detail, since,
               node_name, is_stale,
               'k8s_' || lower(kind)                                     as resource_type,
               cluster || '/' || coalesce(namespace || '/', '') || name  as resource_id
        from marts.k8s_unhealthy order by cluster, problem, namespace nulls first, name""",
         "/kubernetes", ("unhealthy Kubernetes object", "unhealthy Kubernetes objects")),
    Kind("cost_spike", "New spend and ingestion spikes", "marts.cost_spikes",
         ("spike_kind", "account_id", "region", "resource_id", "spike_date"), """
        select spike_kind, account_id, account_name, region, resource_type, resource_id, spike_date, day_usd,
               baseline_median_usd, ratio, floor_usd, detail, cluster, evicted_pods, crash_looping_pods
        from marts.cost_spikes order by spike_date, day_usd desc, spike_kind, account_id, region, resource_id""",
         "", ("spike", "spikes")),
    Kind("source", "Sources newly not fresh", "marts.source_freshness", ("source", "status"), """
        select * from marts.source_freshness where status <> 'fresh' order by source""",
         "/freshness", ("source newly not fresh", "sources newly not fresh")),
)
BY_NAME = {kind.name: kind for kind in KINDS}


def item_key(kind: Kind, row: dict) -> str:
    return json.dumps([_plain(row[column]) for column in kind.key])


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@dataclass
class WhatsNew:
    """The items current now, and which of them are new since the previous digest."""

    checked_at: datetime
    current: dict[str, list[dict]] = field(default_factory=dict)  # kind -> rows, each with "item_key"
    new: dict[str, list[dict]] = field(default_factory=dict)  # kind -> the new rows
    skipped: dict[str, str] = field(default_factory=dict)  # kind -> why it was not read
    baseline: bool = False  # no digest before: everything current is recorded, nothing listed as new
    baselined: list[str] = field(default_factory=list)  # kinds read for the first time (recorded, not listed)
    previous_at: datetime | None = None  # when the previous digest went out
    first_reported: dict[tuple[str, str], datetime] = field(default_factory=dict)  # kept items' first report
    last_email_day: Any = None  # the UTC day of the last email that carried what is new

    def count(self, kind: str) -> int:
        return len(self.new.get(kind, []))

    @property
    def new_items(self) -> int:
        return sum(len(rows) for rows in self.new.values())

    @property
    def current_items(self) -> int:
        return sum(len(rows) for rows in self.current.values())

    def has_news(self, kinds: tuple[str, ...]) -> bool:
        return any(self.new.get(kind) for kind in kinds)

    def waste_totals(self) -> tuple[Decimal, int]:
        """The new waste's dollars per month (priced findings) and how many new findings have no price."""
        rows = self.new.get("waste", [])
        priced = sum((Decimal(str(r["est_monthly_usd"])) for r in rows if r["est_monthly_usd"] is not None),
                     Decimal("0"))
        return priced, sum(1 for r in rows if r["est_monthly_usd"] is None)

    def summary(self, kinds: tuple[str, ...]) -> str:
        """'1 waste finding ($24.00/month), 1 open rule, ...' of the new items of `kinds`."""
        parts = []
        for name in kinds:
            count = self.count(name)
            if not count:
                continue
            singular, plural = BY_NAME[name].noun
            text = f"{count} {singular if count == 1 else plural}"
            if name == "waste":
                usd, unpriced = self.waste_totals()
                text += f" (${usd:,.2f}/month" + (f", {unpriced} unpriced" if unpriced else "") + ")"
            parts.append(text)
        return ", ".join(parts)


def _exists(con, table: str) -> bool:
    schema, name = table.split(".")
    return bool(con.execute("select count(*) from duckdb_tables() where database_name = current_database() "
                            "and schema_name = ? and table_name = ?", [schema, name]).fetchone()[0])


def collect(con, checked_at: datetime) -> WhatsNew:
    """Read every kind's current rows and the state of the previous digest from an open warehouse connection."""
    found = WhatsNew(checked_at)
    has_state = _exists(con, "dq.digests") and _exists(con, "dq.digest_items")
    previous: dict[str, set[str]] = {}
    previous_kinds: set[str] = set()
    if has_state:
        last, kinds = con.execute("select digest_at, kinds from dq.digests order by digest_at desc limit 1"
                                  ).fetchone() or (None, None)
        found.previous_at, previous_kinds = last, set(kinds or ())
        found.last_email_day = con.execute(
            "select max(cast(timezone('UTC', digest_at) as date)) from dq.digests where email_sent and not baseline"
        ).fetchone()[0]
        for kind, key, first in con.execute("select kind, item_key, first_reported_at from dq.digest_items"
                                            ).fetchall():
            previous.setdefault(kind, set()).add(key)
            found.first_reported[(kind, key)] = first
        found.baseline = last is None
    else:
        found.baseline = True
    for kind in KINDS:
        if not _exists(con, kind.table):
            found.skipped[kind.name] = f"{kind.table} is not built"
            continue
        rows = records(con, kind.sql)
        for row in rows:
            row["item_key"] = item_key(kind, row)
        found.current[kind.name] = rows
        if found.baseline or kind.name not in previous_kinds:
            found.baselined.append(kind.name)
            found.new[kind.name] = []
            continue
        known = previous.get(kind.name, set())
        found.new[kind.name] = [row for row in rows if row["item_key"] not in known]
    return found


def recorder(found: WhatsNew, run_id: str, mode: str, email_sent: bool, subject: str | None) -> Callable[[Any], None]:
    """The write that makes `found` the previous digest: the current items replace dq.digest_items (each keeping
    when it was first reported), and dq.digests gains this digest."""
    import pyarrow as pa

    items = [{"kind": kind, "item_key": row["item_key"],
              "first_reported_at": found.first_reported.get((kind, row["item_key"]), found.checked_at),
              "run_id": run_id}
             for kind, rows in found.current.items() for row in rows]
    table = pa.Table.from_pylist(items, schema=pa.schema([("kind", pa.string()), ("item_key", pa.string()),
                                                          ("first_reported_at", pa.timestamp("us", tz="UTC")),
                                                          ("run_id", pa.string())]))

    def write(con) -> None:
        con.execute(STATE_DDL)
        # a kind not read this time (its mart not built) keeps what was remembered of it
        read = list(found.current)
        con.execute("delete from dq.digest_items where list_contains(?, kind)", [read])
        con.register("_digest_items", table)
        con.execute("insert into dq.digest_items by name select * from _digest_items")
        con.unregister("_digest_items")
        # kinds remembered: read now, or read before and not this time
        kinds = sorted(set(read) | set(con.execute("select arg_max(kinds, digest_at) from dq.digests"
                                                   ).fetchone()[0] or []))
        con.execute("insert into dq.digests values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, found.checked_at, mode, found.baseline, found.current_items, found.new_items,
                     email_sent, subject, kinds])

    return write
