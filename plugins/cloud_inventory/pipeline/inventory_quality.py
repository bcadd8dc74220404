"""inventory_quality's work: expectations and freshness into the warehouse's dq tables, then the digest.

evaluate: Great Expectations on the current warehouse (read-only), then one selective build that
          recomputes marts.source_freshness as of now and writes this run's results (dq.check_results,
          dq.runs) in the same atomic replace, under the warehouse lock.
digest:   what is not fresh, what was quarantined since the previous run, what failed: one email, or
          nothing when all is well.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cloud_inventory.quality.digest import Digest
from cloud_inventory.settings import Settings

FRESHNESS = "marts.source_freshness"
FIRST_RUN_QUARANTINE_WINDOW = timedelta(hours=24)

_DDL = """
create table if not exists dq.check_results (run_id varchar, checked_at timestamptz, check_name varchar,
    table_name varchar, status varchar, observed_value varchar, details varchar);
create table if not exists dq.runs (run_id varchar, checked_at timestamptz, previous_checked_at timestamptz,
    checks integer, failed_checks integer, sources integer, sources_not_fresh integer, data_docs varchar);
"""


class NoWarehouse(RuntimeError):
    """Nothing to check yet: inventory_marts has not built a warehouse."""


def data_docs_dir(settings: Settings) -> Path:
    return settings.data_dir / "quality" / "data_docs"


def evaluate(settings: Settings, run_id: str, *, expectations=None, as_of: datetime | None = None,
             sql_dir: Path | None = None) -> dict:
    """Run the checks and record them; returns counts. Freshness is judged as of `as_of` (default now);
    `expectations` stands in for the GX run (tests of the freshness and digest logic)."""
    from cloud_inventory.warehouse.runner import build

    warehouse = Path(settings.warehouse_path)
    if not warehouse.exists():
        raise NoWarehouse(f"no warehouse at {warehouse} yet: inventory_marts has not built one")
    if expectations is None:
        from cloud_inventory.quality.expectations import run_expectations as expectations
    docs = data_docs_dir(settings)
    checks = [asdict(result) for result in expectations(warehouse, docs, run_id)]
    checked_at = as_of or datetime.now(timezone.utc)
    summary: dict = {}

    def record(con) -> None:
        con.execute(_DDL)
        previous = con.execute("select max(checked_at) from dq.runs").fetchone()[0]
        rows = [[run_id, checked_at, c["check"], c["table"], c["status"], c["observed_value"], c.get("details")]
                for c in checks]
        freshness = con.execute(f"select source, status, age_minutes, threshold_minutes, last_error from {FRESHNESS}"
                                ).fetchall()
        rows += [[run_id, checked_at, "source_freshness", FRESHNESS, "pass" if status == "fresh" else "fail",
                  f"{source}: {status}" + (f", {age} min old (threshold {threshold} min)" if age is not None else ""),
                  error] for source, status, age, threshold, error in freshness]
        con.executemany("insert into dq.check_results values (?, ?, ?, ?, ?, ?, ?)", rows)
        failed = sum(1 for c in checks if c["status"] in ("fail", "error"))
        not_fresh = sum(1 for _, status, *_ in freshness if status != "fresh")
        con.execute("insert into dq.runs values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, checked_at, previous, len(checks), failed, len(freshness), not_fresh, str(docs)])
        summary.update(run_id=run_id, checks=len(checks), failed_checks=failed, sources=len(freshness),
                       sources_not_fresh=not_fresh, data_docs=str(docs / "index.html"))

    build(settings, select={FRESHNESS}, extra=record, as_of=checked_at, **({'sql_dir': sql_dir} if sql_dir else {}))
    return summary


def collect_digest(settings: Settings, run_id: str) -> tuple[Digest, datetime]:
    """What this run found that people must hear about, read from the warehouse."""
    import duckdb

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        found = con.execute("select checked_at, previous_checked_at from dq.runs where run_id = ? "
                            "order by checked_at desc limit 1", [run_id]).fetchone()
        if found is None:
            raise RuntimeError(f"no quality results recorded for run {run_id}")
        checked_at, previous = found
        since = previous or checked_at - FIRST_RUN_QUARANTINE_WINDOW
        digest = Digest(
            sources=_dicts(con, f"select * from {FRESHNESS} where status <> 'fresh'"),
            quarantined=_dicts(con, "select * from staging.stg_manifest__k8s_dumps where status = 'quarantined' "
                                    "and finished_at > ? and finished_at <= ? order by cluster, dump_key",
                               [since, checked_at]),
            failed_checks=_dicts(con, "select * from dq.check_results where run_id = ? and checked_at = ? "
                                      "and check_name <> 'source_freshness' and status in ('fail', 'error') "
                                      "order by table_name, check_name", [run_id, checked_at]),
        )
    return digest, checked_at


def _dicts(con, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def send_digest(settings: Settings, run_id: str) -> dict:
    """Send the digest if there is anything to say and anyone to tell; say what happened."""
    from cloud_inventory.quality.digest import send

    digest, checked_at = collect_digest(settings, run_id)
    outcome = {"subject": None, "sent_to": [], "sources": len(digest.sources), "quarantined": len(digest.quarantined),
               "failed_checks": len(digest.failed_checks)}
    if digest.empty:
        return {**outcome, "note": "all sources fresh, nothing quarantined, every check passed: no email"}
    outcome["subject"] = digest.subject()
    if not settings.alert_emails:
        return {**outcome, "note": "INVENTORY_ALERT_EMAILS is empty: digest not sent"}
    send(digest, list(settings.alert_emails), settings.alert_from,
         digest.html(checked_at, data_docs=str(data_docs_dir(settings) / "index.html")))
    return {**outcome, "sent_to": list(settings.alert_emails)}
