"""Kubernetes: unhealthy objects by cluster."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from cloud_inventory.explorer import reports
from cloud_inventory.explorer.queries import normalised_rows
from cloud_inventory.explorer.common import Limit, OptionalText, render, routers, warehouse
from cloud_inventory.explorer.queries import kubernetes as queries

api, pages = routers("kubernetes")


def unhealthy_report(request: Request, cluster: str | None, namespace: str | None, problem: str | None,
                     limit: int) -> dict:
    filters = {"cluster": cluster or None, "namespace": namespace or None, "problem": problem or None}
    with warehouse().cursor() as cursor:
        known = normalised_rows(queries.clusters(cursor))
        counted = queries.counts(cursor, **filters)
        objects = normalised_rows(queries.unhealthy(cursor, **filters, limit=limit))
    by_cluster = {c["cluster"]: {**c, "total": 0, "problems": {}, "objects": []} for c in known
                  if filters["cluster"] in (None, c["cluster"])}
    totals: dict[str, int] = {}
    for row in counted:
        entry = by_cluster.setdefault(row["cluster"], {"cluster": row["cluster"], "total": 0, "problems": {},
                                                       "objects": []})
        entry["problems"][row["problem"]] = row["count"]
        entry["total"] += row["count"]
        totals[row["problem"]] = totals.get(row["problem"], 0) + row["count"]
    for row in objects:
        row["resource_url"] = reports.resource_url(request, row["resource_type"], row["account_id"], row["region"],
                                                   row["resource_id"])
        row["ec2_instance_url"] = (reports.resource_url(request, "ec2_instance", row["ec2_account_id"],
                                                        row["region"], row["ec2_instance_id"])
                                   if row["ec2_instance_id"] and row["ec2_account_id"] else None)
        by_cluster[row["cluster"]]["objects"].append(row)
    ordered_problems = [p for p in queries.PROBLEMS if p in totals] + sorted(set(totals) - set(queries.PROBLEMS))
    total = sum(totals.values())
    return {"filters": filters, "total": total, "limit": limit, "truncated": len(objects) < total,
            "problems": [{"problem": p, "label": queries.PROBLEMS.get(p, p), "count": totals[p]}
                         for p in ordered_problems],
            "clusters": sorted(by_cluster.values(), key=lambda c: (-c["total"], c["cluster"]))}


@api.get("/kubernetes", summary="Unhealthy Kubernetes objects of each cluster's latest dump, by cluster")
def kubernetes(request: Request, cluster: OptionalText = None, namespace: OptionalText = None,
               problem: OptionalText = None, limit: Limit = 1000) -> dict:
    """Crash-looping, image-pull-failing, evicted, failed and long-pending pods; pending and lost claims; nodes
    NotReady or under pressure; workloads short of ready replicas (marts.k8s_unhealthy). Every cluster with a
    dump is listed, healthy ones with no problems; counts are whole, `objects` stop at `limit` (`truncated`).
    A cluster whose latest dump is stale shows that dump's problems with `is_stale`."""
    return unhealthy_report(request, cluster, namespace, problem, limit)


@pages.get("/kubernetes", response_class=HTMLResponse)
def kubernetes_page(request: Request, cluster: OptionalText = None, namespace: OptionalText = None,
                    problem: OptionalText = None) -> HTMLResponse:
    answer = unhealthy_report(request, cluster, namespace, problem, 1000)
    with warehouse().cursor() as cursor:
        choices = queries.choices(cursor)
    choices["problem"] = [{"value": p, "label": label} for p, label in queries.PROBLEMS.items()]
    return render(request, "kubernetes.html", report=answer, choices=choices, labels=queries.PROBLEMS)
