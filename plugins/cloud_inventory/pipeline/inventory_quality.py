"""inventory_quality's work: expectations and freshness into the warehouse's dq tables, then the digest.

evaluate: Great Expectations on the current warehouse (read-only), then one selective build that
          recomputes marts.source_freshness as of now and writes this run's results (dq.check_results,
          dq.runs) in the same atomic replace, under the warehouse lock.
digest:   what is not fresh, what was quarantined since the previous run, what failed, and what is new since
          the previous digest (quality/whats_new.py): one email (or two, INVENTORY_WHATS_NEW_EMAIL=daily),
          or nothing when all is well and nothing is new.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cloud_inventory.quality import whats_new
from cloud_inventory.quality.digest import Digest
from cloud_inventory.quality.whats_new import WhatsNew
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


def collect_digest(settings: Settings, run_id: str) -> tuple[Digest, datetime, WhatsNew]:
    """What this run found that people must hear about, read from the warehouse, and what is new since the
    previous digest (not yet placed in an email: see send_digest)."""
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
        found_new = whats_new.collect(con, checked_at)
    return digest, checked_at, found_new


def _dicts(con, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


# the kinds of what is new each email lists: the quality email already lists every source not fresh
NEWS_IN_QUALITY_EMAIL = tuple(kind.name for kind in whats_new.KINDS if kind.name != "source")
NEWS_ALONE = tuple(kind.name for kind in whats_new.KINDS)


def send_digest(settings: Settings, run_id: str) -> dict:
    """Send the digest if there is anything to say and anyone to tell; say what happened.

    INVENTORY_WHATS_NEW_EMAIL=quality (the default): one email, the quality digest with what is new at its top,
    sent when a source is not fresh, a dump was quarantined, a check failed, or anything is new.
    INVENTORY_WHATS_NEW_EMAIL=daily: the quality digest as before, and what is new in an email of its own, sent
    by the first run of a UTC day that finds anything new (what appears later that day waits for the next).
    Nothing to say: no email. What was in a sent email is remembered (dq.digest_items) once it is sent."""
    from cloud_inventory.quality.digest import explorer_url, send
    from cloud_inventory.warehouse.runner import amend

    digest, checked_at, found = collect_digest(settings, run_id)
    explorer = explorer_url()
    docs = str(data_docs_dir(settings) / "index.html")
    daily = settings.whats_new_email == "daily"
    outcome = {"subject": None, "sent_to": [], "sources": len(digest.sources), "quarantined": len(digest.quarantined),
               "failed_checks": len(digest.failed_checks), "whats_new": settings.whats_new_email,
               "new_items": {kind: len(rows) for kind, rows in found.new.items() if rows},
               "baseline": found.baseline, "skipped": found.skipped}
    digest.explorer = explorer
    emails: list[Digest] = []
    news_sent = False
    if daily:
        if digest.has_quality:
            emails.append(digest)
        alone = Digest(whats_new=found, news_kinds=NEWS_ALONE, explorer=explorer)
        if alone.has_news and found.last_email_day == checked_at.date():
            outcome["waiting"] = f"what is new waits for tomorrow: its email of {found.last_email_day} went out"
        elif alone.has_news:
            emails.append(alone)
    else:
        digest.whats_new, digest.news_kinds = found, NEWS_IN_QUALITY_EMAIL
        if not digest.empty:
            emails.append(digest)
    notes = []
    if not emails:
        notes.append("all sources fresh, nothing quarantined, every check passed, nothing new: no email")
    elif not settings.alert_emails:
        notes.append("INVENTORY_ALERT_EMAILS is empty: digest not sent")
    else:
        for each in emails:
            send(each.message(list(settings.alert_emails), settings.alert_from, checked_at, docs))
            news_sent = news_sent or each.whats_new is not None
        outcome["sent_to"] = list(settings.alert_emails)
    subjects = [each.subject() for each in emails]
    outcome["subject"] = "; ".join(subjects) or None
    outcome["subjects"] = subjects
    if news_sent or found.baseline:
        amend(settings, whats_new.recorder(found, run_id, settings.whats_new_email, news_sent,
                                           "; ".join(subjects) or None))
        if found.baseline:
            notes.append(f"first digest: {found.current_items} current item(s) recorded as the baseline of what is new")
    return {**outcome, **({"note": "; ".join(notes)} if notes else {})}
