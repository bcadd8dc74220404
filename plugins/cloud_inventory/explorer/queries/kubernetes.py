"""Kubernetes: the unhealthy objects of each cluster's latest dump (marts.k8s_unhealthy), by cluster."""
from __future__ import annotations

from typing import Any

from cloud_inventory.explorer.queries import records

# marts.k8s_unhealthy's problems (docs/data-dictionary/k8s_unhealthy.md), in the order pages show them
PROBLEMS = {
    "crash_looping_pod": "crash-looping pods",
    "image_pull_failing_pod": "image pull failing",
    "evicted_pod": "evicted pods",
    "failed_pod": "failed pods",
    "long_pending_pod": "pods pending too long",
    "pending_claim": "claims pending",
    "lost_claim": "claims lost",
    "node_not_ready": "nodes NotReady",
    "node_disk_pressure": "nodes under disk pressure",
    "node_memory_pressure": "nodes under memory pressure",
    "node_pid_pressure": "nodes under PID pressure",
    "workload_short": "workloads short of ready replicas",
}
PROBLEM_ORDER = "case problem " + " ".join(f"when '{name}' then {rank}" for rank, name in enumerate(PROBLEMS)) \
                + f" else {len(PROBLEMS)} end"


def _where(cluster: str | None, namespace: str | None, problem: str | None) -> tuple[str, list[Any]]:
    given = [(sql, value) for sql, value in (("cluster = ?", cluster), ("namespace = ?", namespace),
                                              ("problem = ?", problem)) if value is not None]
    return ("where " + " and ".join(sql for sql, _ in given) if given else ""), [value for _, value in given]


def clusters(cursor: Any) -> list[dict]:
    """Every cluster with a dump (configured now, or still holding unhealthy rows): its latest ok dump."""
    return records(cursor, """
        select dumps.cluster, dumps.account_id, accounts.account_name, dumps.region, dumps.dump_at, dumps.dump_key,
               dumps.last_attempt_status, dumps.last_attempt_at, dumps.is_stale
        from intermediate.int_k8s__latest_dumps dumps
        left join intermediate.int_inventory__accounts accounts on accounts.account_id = dumps.account_id
        where dumps.is_configured or dumps.cluster in (select cluster from marts.k8s_unhealthy)
        order by dumps.cluster""")


def counts(cursor: Any, cluster: str | None, namespace: str | None, problem: str | None) -> list[dict]:
    """(cluster, problem, count) of what the filters keep."""
    condition, parameters = _where(cluster, namespace, problem)
    return records(cursor, f"""
        select cluster, problem, count(*) as count from marts.k8s_unhealthy {condition}
        group by cluster, problem order by cluster, {PROBLEM_ORDER}, problem""", parameters)


def unhealthy(cursor: Any, cluster: str | None, namespace: str | None, problem: str | None, limit: int) -> list[dict]:
    """The objects the filters keep, by cluster and problem (up to `limit`)."""
    condition, parameters = _where(cluster, namespace, problem)
    return records(cursor, f"""
        select cluster, account_id, account_name, region, namespace, kind, name, problem, detail, since,
               pending_minutes, node_name, ec2_instance_id, ec2_instance_name, ec2_instance_type, ec2_instance_state,
               ec2_account_id, dump_key, dump_at, snapshot_date, is_stale,
               'k8s_' || lower(kind)                                                 as resource_type,
               cluster || '/' || coalesce(namespace || '/', '') || name              as resource_id
        from marts.k8s_unhealthy
        {condition}
        order by cluster, {PROBLEM_ORDER}, problem, namespace nulls first, name
        limit ?""", parameters + [limit])


def choices(cursor: Any) -> dict[str, list[dict]]:
    return {
        "cluster": records(cursor, """
            select cluster as value, cluster as label from intermediate.int_k8s__latest_dumps
            union select distinct cluster, cluster from marts.k8s_unhealthy order by value"""),
        "namespace": records(cursor, """
            select distinct namespace as value, namespace as label from marts.k8s_unhealthy
            where namespace is not null order by value"""),
    }
