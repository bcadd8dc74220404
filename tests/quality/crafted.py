"""A small crafted warehouse with the tables the digest reads, in the marts' shapes (marts.cost_spikes as the
shared schema of issue 15 gives it), so the digest is tested without building anything."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

TABLES = {
    "marts.waste": "category varchar, account_id varchar, account_name varchar, region varchar, "
                   "resource_type varchar, resource_id varchar, resource_name varchar, detail varchar, "
                   "est_monthly_usd decimal(12, 2), price_known boolean, unpriced_price_keys varchar[], "
                   "is_stale boolean",
    "marts.security_group_open_ingress": "account_id varchar, account_name varchar, region varchar, "
                                         "security_group_id varchar, group_name varchar, protocol varchar, "
                                         "port_range varchar, cidr varchar, rule_description varchar, "
                                         "network_interface_count bigint, instance_count bigint, is_stale boolean",
    "marts.k8s_unhealthy": "cluster varchar, account_id varchar, account_name varchar, region varchar, "
                           "namespace varchar, kind varchar, name varchar, problem varchar, detail varchar, "
                           "since timestamptz, node_name varchar, is_stale boolean",
    "marts.cost_spikes": "spike_kind varchar, account_id varchar, account_name varchar, region varchar, "
                         "resource_type varchar, resource_id varchar, spike_date date, day_usd double, "
                         "baseline_median_usd double, ratio double, floor_usd double, detail varchar, "
                         "cluster varchar, evicted_pods integer, crash_looping_pods integer, as_of_date date",
    "marts.source_freshness": "source_kind varchar, source varchar, account_id varchar, account_name varchar, "
                              "region varchar, resource_type varchar, cluster varchar, status varchar, "
                              "status_since timestamptz, last_success_at timestamptz, age_minutes double, "
                              "threshold_minutes bigint, last_attempt_at timestamptz, last_attempt_status varchar, "
                              "last_error varchar, checked_at timestamptz",
    "staging.stg_manifest__k8s_dumps": "cluster varchar, dump_key varchar, status varchar, finished_at timestamptz, "
                                       "error_message varchar, quarantine_uri varchar",
    "dq.runs": "run_id varchar, checked_at timestamptz, previous_checked_at timestamptz, checks integer, "
               "failed_checks integer, sources integer, sources_not_fresh integer, data_docs varchar",
    "dq.check_results": "run_id varchar, checked_at timestamptz, check_name varchar, table_name varchar, "
                        "status varchar, observed_value varchar, details varchar",
}
PROD, STAGING = "111111111111", "222222222222"


def waste(resource_id: str, usd: float | None = 24.0, *, category: str = "unattached_volume",
          name: str | None = None, account: str = PROD, region: str = "us-east-1", detail: str = "300 GiB gp3 volume "
          "attached to nothing") -> dict:
    return {"category": category, "account_id": account, "account_name": "prod", "region": region,
            "resource_type": "ebs_volume", "resource_id": resource_id, "resource_name": name, "detail": detail,
            "est_monthly_usd": usd, "price_known": usd is not None,
            "unpriced_price_keys": [] if usd is not None else ["ebs:io2:storage"], "is_stale": False}


def open_rule(group_id: str, port: str = "22", *, name: str = "prod-app", description: str = "") -> dict:
    return {"account_id": PROD, "account_name": "prod", "region": "us-east-1", "security_group_id": group_id,
            "group_name": name, "protocol": "tcp", "port_range": port, "cidr": "0.0.0.0/0",
            "rule_description": description, "network_interface_count": 2, "instance_count": 1, "is_stale": False}


def unhealthy(name: str, problem: str = "crash_looping_pod", *, detail: str = "CrashLoopBackOff: 3 restarts",
              namespace: str | None = "shop", kind: str = "Pod") -> dict:
    return {"cluster": "prod-eks", "account_id": PROD, "account_name": "prod", "region": "us-east-1",
            "namespace": namespace, "kind": kind, "name": name, "problem": problem, "detail": detail,
            "since": datetime(2026, 11, 20, 5, tzinfo=timezone.utc), "node_name": "ip-10-0-1-5.ec2.internal",
            "is_stale": False}


def spike(resource_id: str, day: date, usd: float = 800.0, *, kind: str = "log_ingestion",
          cluster: str | None = None) -> dict:
    return {"spike_kind": kind, "account_id": PROD, "account_name": "prod", "region": "us-east-1",
            "resource_type": "log_group" if kind == "log_ingestion" else "service", "resource_id": resource_id,
            "spike_date": day, "day_usd": usd, "baseline_median_usd": 25.0, "ratio": usd / 25.0, "floor_usd": 50.0,
            "detail": f"${usd:.2f} of ingestion on {day}, 7-day median $25.00", "cluster": cluster,
            "evicted_pods": 3 if cluster else None, "crash_looping_pods": 1 if cluster else None, "as_of_date": day}


def source(account: str, resource_type: str, status: str = "failing", *, since: datetime,
           error: str | None = "AssumeRole.AccessDenied: denied") -> dict:
    return {"source_kind": "aws", "source": f"{account}/us-east-1/{resource_type}", "account_id": account,
            "account_name": "staging" if account == STAGING else "prod", "region": "us-east-1",
            "resource_type": resource_type, "cluster": None, "status": status, "status_since": since,
            "last_success_at": datetime(2026, 11, 19, 6, tzinfo=timezone.utc), "age_minutes": 1500.0,
            "threshold_minutes": 2160, "last_attempt_at": since, "last_attempt_status": "failed",
            "last_error": error, "checked_at": since}


class Crafted:
    """The warehouse file at `path`; `put` replaces a table's rows, `without` drops a table (a mart not built)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with duckdb.connect(str(path)) as con:
            for schema in ("marts", "staging", "dq"):
                con.execute(f"create schema if not exists {schema}")
            for table, columns in TABLES.items():
                con.execute(f"create table if not exists {table} ({columns})")

    def put(self, table: str, rows: list[dict]) -> None:
        with duckdb.connect(str(self.path)) as con:
            con.execute(f"create or replace table {table} ({TABLES[table]})")
            for row in rows:
                names = list(row)
                con.execute(f"insert into {table} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
                            [row[n] for n in names])

    def without(self, table: str) -> None:
        with duckdb.connect(str(self.path)) as con:
            con.execute(f"drop table if exists {table}")

    def quality_run(self, run_id: str, at: datetime) -> None:
        """What inventory_quality's evaluate leaves for the digest: the run (no failed checks)."""
        with duckdb.connect(str(self.path)) as con:
            previous = con.execute("select max(checked_at) from dq.runs").fetchone()[0]
            con.execute("insert into dq.runs values (?, ?, ?, 0, 0, 0, 0, '')", [run_id, at, previous])

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()
