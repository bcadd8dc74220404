"""One resource: what it is now (or was last, when deleted), its versions, changes, daily metrics, waste
findings and its source's freshness. Every read filters on the resource's own keys (type, account, region, id);
the statistics staging model, which repeats every snapshot, also on the one snapshot date the manifest names, so
DuckDB reads only that date's row groups (their zone maps), however long the history.

Related resources: queries/related.py; the configuration (the lake's `raw`): queries/configuration.py.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from cloud_inventory.explorer.queries import normalised, normalised_rows, records

METRIC_DAYS = 14  # the statistics window of a snapshot: the 14 whole UTC days before it
# the statistics staging model and the manifest's source name of each measured type
METRIC_SOURCES = {"ec2_instance": ("staging.stg_aws__ec2_instance_metrics", "ec2_instance_metric"),
                  "rds_instance": ("staging.stg_aws__rds_instance_metrics", "rds_instance_metric")}
PERCENT_METRICS = ("CPUUtilization", "mem_used_percent")

_CURRENT_COLUMNS = """provider, resource_type, resource_id, account_id, account_name, environment, team, region,
    source_region, cluster, namespace, name, arn, state, tags, created_at, first_seen_at, last_seen_at,
    snapshot_date, is_stale, stale_since, last_ok_snapshot_date, last_attempt_status, last_error_class,
    last_error_message"""


def known_types() -> frozenset[str]:
    """The resource types a page may name: the AWS registry's resources (not its statistics entries) and the
    Kubernetes kinds of k8s/kinds.py as the warehouse names them (k8s_<kind>; events are not resources)."""
    from cloud_inventory.aws.registry import REGISTRY
    from cloud_inventory.k8s.kinds import KINDS

    aws = {entry.name for entry in REGISTRY if entry.fetch is None}  # (the fetchers are the statistics)
    k8s = {f"k8s_{entry.kind.lower()}" for entry in KINDS if entry.kind and entry.kind != "Event"}
    return frozenset(aws | k8s)


KNOWN_TYPES = known_types()
# Kinds without an entry of their own (the lake's table `other`: CRDs, ...) are named k8s_<kind in lower case>
OTHER_K8S_TYPE = re.compile(r"k8s_[a-z][a-z0-9]{0,62}")


def is_known_type(resource_type: str) -> bool:
    return resource_type in KNOWN_TYPES or (OTHER_K8S_TYPE.fullmatch(resource_type) is not None
                                            and resource_type != "k8s_event")


# --- the resource itself -------------------------------------------------------------------------------

def find(cursor: Any, resource_type: str, account_id: str, region: str, resource_id: str) -> dict | None:
    """The resource as inventory_current has it; an AWS resource no longer there (deleted, terminated) as its
    latest version in inventory_history; None when the warehouse never saw it."""
    rows = records(cursor, f"""
        select {_CURRENT_COLUMNS}
        from marts.inventory_current
        where resource_type = ? and account_id = ? and region = ? and resource_id = ?""",
                   [resource_type, account_id, region, resource_id])
    if rows:
        row = normalised(rows[0])
        row.update(is_current=True, is_deleted=False, deleted_at=None)
        row["config_snapshot_date"] = row["snapshot_date"]
        return row
    if resource_type.startswith("k8s_"):
        return None
    history = records(cursor, """
        select resource_type, account_id, region, resource_id, account_name, environment, team, source_region,
               name, arn, state, tags, created_at, is_deleted,
               valid_from, min(valid_from) over () as first_seen_at, max(last_seen_at) over () as last_seen_at,
               max(last_seen_date) over () as config_snapshot_date
        from marts.inventory_history
        where resource_type = ? and account_id = ? and region = ? and resource_id = ?
        order by version_number desc
        limit 1""", [resource_type, account_id, region, resource_id])
    if not history:
        return None
    latest = normalised(history[0])
    valid_from, is_deleted = latest.pop("valid_from"), bool(latest.pop("is_deleted"))
    return {  # (every value from the warehouse's row: the lake's path is made of them)
        "provider": "aws", "cluster": None, "namespace": None, **latest,
        "snapshot_date": latest["config_snapshot_date"], "is_stale": None, "stale_since": None,
        "last_ok_snapshot_date": None, "last_attempt_status": None, "last_error_class": None,
        "last_error_message": None, "is_current": False, "is_deleted": is_deleted,
        "deleted_at": valid_from if is_deleted else None,
    }


def versions(cursor: Any, resource: dict) -> list[dict]:
    """Every version of an AWS resource (marts.inventory_history), oldest first. Kubernetes objects have none:
    the warehouse keeps their dumps, not versions."""
    if resource["provider"] != "aws":
        return []
    return normalised_rows(records(cursor, """
        select version_number, change_kind, is_deleted, is_latest, valid_from, valid_to, valid_from_date,
               valid_to_date, last_seen_at, last_seen_date, state, name, config_hash
        from marts.inventory_history
        where resource_type = ? and account_id = ? and region = ? and resource_id = ?
        order by version_number""", _keys(resource)))


def changes(cursor: Any, resource: dict) -> list[dict]:
    """Field-level changes of an AWS resource (marts.resource_changes), newest first."""
    if resource["provider"] != "aws":
        return []
    return normalised_rows(records(cursor, """
        select snapshot_date, previous_snapshot_date, changed_at, field, change_kind, old_value, new_value,
               version_number
        from marts.resource_changes
        where resource_type = ? and account_id = ? and region = ? and resource_id = ?
        order by snapshot_date desc, version_number desc, field""", _keys(resource)))


def _keys(resource: dict) -> list[str]:
    return [resource["resource_type"], resource["account_id"], resource["region"], resource["resource_id"]]


# --- metrics ---------------------------------------------------------------------------------------------

def metrics(cursor: Any, resource: dict) -> dict | None:
    """The daily statistics of an EC2 or RDS instance over the window of its statistics source's latest ok
    snapshot (the 14 whole UTC days before it): one series per metric and statistic, a point per day of the
    window (value null on a day CloudWatch had nothing). None for other types."""
    source = METRIC_SOURCES.get(resource["resource_type"])
    if source is None:
        return None
    table, manifest_type = source
    latest = cursor.execute("""
        select max(snapshot_date) from staging.stg_manifest__aws_runs
        where account_id = ? and region = ? and resource_type = ? and status = 'ok'""",
                            [resource["account_id"], resource["source_region"], manifest_type]).fetchone()[0]
    answer: dict = {"snapshot_date": latest, "from_date": None, "to_date": None, "series": []}
    if latest is None:
        return answer
    days = [latest - timedelta(days=METRIC_DAYS - offset) for offset in range(METRIC_DAYS)]
    answer.update(from_date=days[0], to_date=days[-1])
    rows = records(cursor, f"""
        select metric_namespace, metric_name, statistic, metric_date, metric_value
        from {table}
        where snapshot_date = ? and account_id = ? and region = ? and resource_id = ?
        order by metric_name, statistic, metric_date""",
                   [latest, resource["account_id"], resource["source_region"], resource["resource_id"]])
    series: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["metric_name"], row["statistic"])
        if key not in series:
            series[key] = {"namespace": row["metric_namespace"], "metric": row["metric_name"],
                           "statistic": row["statistic"],
                           "unit": "percent" if row["metric_name"] in PERCENT_METRICS else "count",
                           "values": {}}
        series[key]["values"][row["metric_date"]] = row["metric_value"]
    for entry in series.values():
        values = entry.pop("values")
        entry["points"] = [{"date": day, "value": values.get(day)} for day in days]
        measured = [values[day] for day in days if values.get(day) is not None]
        entry.update(days_with_data=len(measured), min=min(measured, default=None), max=max(measured, default=None),
                     average=round(sum(measured) / len(measured), 4) if measured else None)
    answer["series"] = list(series.values())
    return answer


# --- waste and freshness ---------------------------------------------------------------------------------

def waste(cursor: Any, resource: dict) -> list[dict]:
    """The waste findings about this resource (marts.waste), and those of another resource that include it
    (a stopped instance's finding counts its volumes): `about_this_resource` says which."""
    if resource["provider"] != "aws":
        return []
    return normalised_rows(records(cursor, """
        select category, resource_type, resource_id, resource_name, account_id, region, est_monthly_usd,
               est_monthly_usd * 12 as est_annual_usd, price_known, unpriced_price_keys, unpriced_reason, cost_breakdown,
               detail,
               wasteful_since, days_wasteful, also_matches, includes_resource_ids, is_stale, observed_on,
               as_of_date, resource_type = ? and resource_id = ? as about_this_resource
        from marts.waste
        where account_id = ? and region = ?
          and ((resource_type = ? and resource_id = ?) or list_contains(includes_resource_ids, ?))
        order by about_this_resource desc, est_monthly_usd desc nulls last, category""",
                               [resource["resource_type"], resource["resource_id"], resource["account_id"],
                                resource["region"], resource["resource_type"], resource["resource_id"],
                                resource["resource_id"]]))


def freshness(cursor: Any, resource: dict) -> dict:
    """Whether the resource's source (AWS: account, region, type; Kubernetes: the cluster's dumps) is fresh,
    from marts.source_freshness, with inventory_current's stale columns beside it."""
    if resource["provider"] == "kubernetes":
        rows = records(cursor, """
            select source, status, status_since, last_success_at, age_minutes, threshold_minutes, last_attempt_at,
                   last_attempt_status, last_error, checked_at
            from marts.source_freshness where source_kind = 'k8s' and cluster = ?""", [resource["cluster"]])
    else:
        rows = records(cursor, """
            select source, status, status_since, last_success_at, age_minutes, threshold_minutes, last_attempt_at,
                   last_attempt_status, last_error, checked_at
            from marts.source_freshness
            where source_kind = 'aws' and account_id = ? and region = ? and resource_type = ?""",
                       [resource["account_id"], resource["source_region"], resource["resource_type"]])
    found = normalised(rows[0]) if rows else {
        "source": None, "status": "unknown", "status_since": None, "last_success_at": None, "age_minutes": None,
        "threshold_minutes": None, "last_attempt_at": None, "last_attempt_status": None, "last_error": None,
        "checked_at": None}
    found.update(is_stale=resource["is_stale"], stale_since=resource["stale_since"],
                 last_ok_snapshot_date=resource["last_ok_snapshot_date"])
    found["is_fresh"] = found["status"] == "fresh" and not resource["is_stale"]
    return found


def latest_dump(cursor: Any, cluster: str) -> datetime | None:
    """When the cluster's latest ok dump was taken: the dump inventory_current shows its objects from."""
    row = cursor.execute("select dump_at from intermediate.int_k8s__latest_dumps where cluster = ?",
                         [cluster]).fetchone()
    return normalised(row[0]) if row else None
