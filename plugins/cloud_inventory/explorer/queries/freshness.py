"""Freshness: every source marts.source_freshness expects, with the last attempt that was not ok (from the run
manifests and the Kubernetes ledger, which record the Airflow run that made it), and the latest quality run."""
from __future__ import annotations

from typing import Any

from cloud_inventory.explorer.queries import records

STATUS_ORDER = ("failing", "never", "stale", "fresh")  # the worst first
FILTERS = ("status", "source_kind", "account_id", "region", "resource_type", "cluster")  # parameter = column
SEVERITY = "case f.status " + " ".join(f"when '{s}' then {rank}" for rank, s in enumerate(STATUS_ORDER)) + " else 9 end"


def where(filters: dict) -> tuple[str, list[Any]]:
    given = [(name, filters[name]) for name in FILTERS if filters.get(name) is not None]
    return ("where " + " and ".join(f"{name} = ?" for name, _ in given) if given else ""), [v for _, v in given]


def sources(cursor: Any, filters: dict, limit: int, offset: int) -> tuple[dict[str, int], list[dict]]:
    """(count per status of what the filters keep, a page of sources, the worst first), each source with its last
    attempt that was not ok, if any: when, which status, the error, the Airflow run id, and the dump (clusters)."""
    condition, parameters = where(filters)
    counts = {row["status"]: row["n"] for row in records(
        cursor, f"select status, count(*) as n from marts.source_freshness {condition} group by status", parameters)}
    rows = records(cursor, f"""
        with freshness as (
            select * from marts.source_freshness {condition}
        ),
        aws_problems as (
            select account_id, region, resource_type,
                   max(finished_at)                                                          as at,
                   arg_max(status, finished_at)                                              as status,
                   arg_max(run_id, finished_at)                                              as run_id,
                   arg_max(account_name, finished_at)                                        as account_name,
                   arg_max(error_class || ': ' || coalesce(error_message, ''), finished_at)  as error
            from staging.stg_manifest__aws_runs
            where status <> 'ok'
            group by all
        ),
        k8s_problems as (
            select cluster,
                   max(finished_at)                                                          as at,
                   arg_max(status, finished_at)                                              as status,
                   arg_max(run_id, finished_at)                                              as run_id,
                   arg_max(dump_key, finished_at)                                            as dump_key,
                   arg_max(error_class || ': ' || coalesce(error_message, ''), finished_at)  as error
            from staging.stg_manifest__k8s_dumps
            where status <> 'ok'
            group by all
        )
        select f.source_kind, f.source, f.account_id, f.account_name, f.region, f.resource_type, f.cluster,
               f.status, f.status_since, f.last_success_at, f.age_minutes, f.threshold_minutes, f.last_attempt_at,
               f.last_attempt_status, f.last_error, f.checked_at,
               coalesce(a.at, k.at)                 as problem_at,
               coalesce(a.status, k.status)         as problem_status,
               coalesce(a.run_id, k.run_id)         as problem_run_id,
               coalesce(a.error, k.error)           as problem_error,
               a.account_name                       as problem_account_name,
               k.dump_key                           as problem_dump_key
        from freshness f
        left join aws_problems a
          on f.source_kind = 'aws' and a.account_id = f.account_id and a.region = f.region
         and a.resource_type = f.resource_type
        left join k8s_problems k
          on f.source_kind = 'k8s' and k.cluster = f.cluster
        order by {SEVERITY}, f.source
        limit ? offset ?""", parameters + [limit, offset])
    return counts, rows


def latest_quality_run(cursor: Any) -> dict | None:
    """The latest inventory_quality run recorded in the warehouse (dq.runs), with its failed checks per table;
    None before the first one."""
    exists = records(cursor, """
        select count(*) as n from information_schema.tables
        where table_catalog = current_database() and table_schema = 'dq' and table_name in ('runs', 'check_results')""")
    if exists[0]["n"] < 2:
        return None
    found = records(cursor, """
        select run_id, checked_at, checks, failed_checks, sources, sources_not_fresh
        from dq.runs order by checked_at desc limit 1""")
    if not found:
        return None
    run = found[0]
    run["tables"] = records(cursor, """
        select table_name, count(*) as checks,
               count(*) filter (where status in ('fail', 'error')) as failed_checks
        from dq.check_results
        where run_id = ? and checked_at = ? and check_name <> 'source_freshness'
        group by table_name order by table_name""", [run["run_id"], run["checked_at"]])
    return run


def choices(cursor: Any) -> dict[str, list[dict]]:
    found = {"account_id": records(cursor, """
        select account_id as value, coalesce(max(account_name), account_id) as label
        from marts.source_freshness where account_id is not null group by account_id order by label, value""")}
    for name in ("region", "resource_type", "cluster"):
        found[name] = records(cursor, f"""
            select distinct {name} as value, {name} as label from marts.source_freshness
            where {name} is not null order by value""")
    return found
