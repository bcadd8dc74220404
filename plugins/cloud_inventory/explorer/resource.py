"""A resource's page: key fields, configuration, tags, history, changes, metrics, related resources, waste, freshness.

    GET /inventory/api/resources/{resource_type}/{account_id}/{region}/{resource_id}   the JSON answer
    GET /inventory/resources/{resource_type}/{account_id}/{region}/{resource_id}       the page

The id is the rest of the path, slashes and all (Kubernetes "<cluster>/<namespace>/<name>", ELB ARNs, log groups);
links percent-encode it (`href`). The type must be one the inventory knows, else 404, as is a resource the
warehouse never saw. A deleted AWS resource still has a page: its latest version, its history, and its
configuration as last seen.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import HTTPException, Path, Request
from fastapi.responses import HTMLResponse

from cloud_inventory import settings as inventory_settings
from cloud_inventory.explorer.common import render, routers, warehouse
from cloud_inventory.explorer.links import resource_url
from cloud_inventory.explorer.queries import configuration, related as related_queries
from cloud_inventory.explorer.queries import resource as queries
from cloud_inventory.lake import Lake

api, pages = routers("resource")

MAX_NAME = 64  # resource types, account ids, regions
MAX_ID = 2048  # the longest ARN AWS allows
ResourceType = Annotated[str, Path(min_length=1, max_length=MAX_NAME, description="e.g. ec2_instance, k8s_pod")]
AccountId = Annotated[str, Path(min_length=1, max_length=MAX_NAME)]
Region = Annotated[str, Path(min_length=1, max_length=MAX_NAME, description="a region, or global")]
ResourceId = Annotated[str, Path(max_length=MAX_ID,
                                 description="the id as the inventory has it, slashes and all")]
PATH = "/resources/{resource_type}/{account_id}/{region}/{resource_id:path}"


@lru_cache(maxsize=4)
def _lake(uri: str) -> Lake:  # (an S3 filesystem is worth keeping between requests)
    return Lake(uri)


def answer(base: str, resource_type: str, account_id: str, region: str, resource_id: str) -> dict:
    if not resource_id:
        raise HTTPException(404, "the path names no resource: /resources/<type>/<account id>/<region>/<resource id>")
    if not queries.is_known_type(resource_type):
        raise HTTPException(404, f"no resource type {resource_type!r}: the inventory's types are listed at "
                                 f"{base}/resources")
    with warehouse().cursor() as cursor:
        resource = queries.find(cursor, resource_type, account_id, region, resource_id)
        if resource is None:
            raise HTTPException(404, f"the inventory has no {resource_type} {resource_id!r} in account "
                                     f"{account_id!r}, region {region!r}")
        dump_at = queries.latest_dump(cursor, resource["cluster"]) if resource["provider"] == "kubernetes" else None
        resource.update(
            versions=queries.versions(cursor, resource),
            changes=queries.changes(cursor, resource),
            metrics=queries.metrics(cursor, resource),
            related=related_queries.related(cursor, resource),
            waste=queries.waste(cursor, resource),
            freshness=queries.freshness(cursor, resource),
        )
    try:  # (after the warehouse's cursor is given back: the lake may be S3)
        resource["config"] = configuration.read(_lake(inventory_settings.load().lake_uri), resource, dump_at)
        resource["config_error"] = None
    except configuration.ConfigurationMissing as missing:
        resource["config"], resource["config_error"] = None, str(missing)
    resource["tags"] = resource["tags"] or {}
    resource["href"] = resource_url(base, resource["resource_type"], resource["account_id"], resource["region"],
                                     resource["resource_id"])
    for group in resource["related"]:
        for item in group["resources"]:
            item["href"] = resource_url(base, item["resource_type"], item["account_id"], item["region"],
                                         item["resource_id"]) if item["in_inventory"] else None
    for finding in resource["waste"]:
        finding["href"] = resource_url(base, finding["resource_type"], finding["account_id"], finding["region"],
                                        finding["resource_id"])
    return resource


def _base(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


@api.get(PATH, summary="A resource: key fields, configuration, tags, versions, changes, metrics, related "
                       "resources, waste findings and its source's freshness")
def resource_api(request: Request, resource_type: ResourceType, account_id: AccountId, region: Region,
                 resource_id: ResourceId) -> dict:
    return answer(_base(request), resource_type, account_id, region, resource_id)


@pages.get(PATH, response_class=HTMLResponse)
def resource_page(request: Request, resource_type: ResourceType, account_id: AccountId, region: Region,
                  resource_id: ResourceId) -> HTMLResponse:
    resource = answer(_base(request), resource_type, account_id, region, resource_id)
    tree, cut = json_tree(resource["config"]) if resource["config"] is not None else ([], False)
    api_href = f"{_base(request)}/api{resource['href'][len(_base(request)):]}"
    return render(request, "resource.html", resource=resource, tree=tree, tree_cut=cut, api_href=api_href,
                  charts=charts(resource["metrics"]))


# --- the configuration as collapsible JSON --------------------------------------------------------------

MAX_TREE_NODES = 20_000  # past this many members the page shows the rest as JSON text in the API only
OPEN_DEPTH = 2  # objects and lists nested less deep than this start open


def json_tree(value: Any) -> tuple[list[dict], bool]:
    """The JSON value as a flat list of nodes for the template, without recursion (a Kubernetes object can nest
    100 deep): {"event": "open", key, kind ("object"|"array"), size, depth}, {"event": "leaf", key, text, type},
    {"event": "close"}. Keys and texts are data: the template escapes them. Also whether it was cut short."""
    import json

    nodes: list[dict] = []
    stack: list[tuple[str, Any, int]] = [("open", (None, value), 0)]
    while stack:
        action, payload, depth = stack.pop()
        if action == "close":
            nodes.append({"event": "close"})
            continue
        if len(nodes) >= MAX_TREE_NODES:
            return _closed(nodes), True
        key, item = payload
        if isinstance(item, (dict, list)) and item:
            members = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
            nodes.append({"event": "open", "key": key, "kind": "object" if isinstance(item, dict) else "array",
                          "size": len(members), "depth": depth, "open": depth < OPEN_DEPTH})
            stack.append(("close", None, depth))
            stack.extend(("open", member, depth + 1) for member in reversed(members))
        else:
            kind = ("null" if item is None else "bool" if isinstance(item, bool) else
                    "number" if isinstance(item, (int, float)) else "string" if isinstance(item, str) else "empty")
            empty = "{}" if isinstance(item, dict) else "[]"
            text = empty if kind == "empty" else json.dumps(item, ensure_ascii=False)
            nodes.append({"event": "leaf", "key": key, "text": text, "type": kind})
    return nodes, False


def _closed(nodes: list[dict]) -> list[dict]:
    depth = sum(1 if node["event"] == "open" else -1 if node["event"] == "close" else 0 for node in nodes)
    return nodes + [{"event": "close"}] * depth


# --- metrics as small line charts ------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 560, 170
PLOT = {"left": 44, "right": 12, "top": 12, "bottom": 28}


def charts(metrics: dict | None) -> list[dict]:
    """One chart per metric (CPU, memory, connections): the daily Average and Maximum as polylines (broken on
    days without data), points, axis ticks and date labels, in SVG user units."""
    if not metrics or not metrics["series"]:
        return []
    by_metric: dict[str, list[dict]] = {}
    for series in metrics["series"]:
        by_metric.setdefault(series["metric"], []).append(series)
    answer = []
    for metric, series_list in by_metric.items():
        values = [p["value"] for s in series_list for p in s["points"] if p["value"] is not None]
        percent = series_list[0]["unit"] == "percent"
        top = 100.0 if percent else _nice_ceiling(max(values, default=1.0))
        days = [p["date"] for p in series_list[0]["points"]]
        width = CHART_WIDTH - PLOT["left"] - PLOT["right"]
        height = CHART_HEIGHT - PLOT["top"] - PLOT["bottom"]
        step = width / max(len(days) - 1, 1)

        def x(index: int) -> float:
            return round(PLOT["left"] + index * step, 1)

        def y(value: float) -> float:
            return round(PLOT["top"] + height * (1 - min(value, top) / top), 1)

        lines = []
        for series in sorted(series_list, key=lambda s: s["statistic"] != "Average"):
            segments, current, points = [], [], []
            for index, point in enumerate(series["points"]):
                if point["value"] is None:
                    if current:
                        segments.append(" ".join(current))
                    current = []
                    continue
                current.append(f"{x(index)},{y(point['value'])}")
                points.append({"x": x(index), "y": y(point["value"]), "date": point["date"],
                               "value": point["value"]})
            if current:
                segments.append(" ".join(current))
            lines.append({"statistic": series["statistic"], "segments": segments, "points": points})
        ticks = [{"y": y(top * fraction), "label": _number(top * fraction)} for fraction in (0, 0.25, 0.5, 0.75, 1)]
        labels = [{"x": x(index), "label": day.strftime("%m-%d")} for index, day in enumerate(days)
                  if (len(days) - 1 - index) % 3 == 0]  # every third day, counted back from the last
        table = [{"date": day, **{s["statistic"]: s["points"][index]["value"] for s in series_list}}
                 for index, day in enumerate(days)]
        answer.append({"metric": metric, "title": _TITLES.get(metric, metric), "unit": series_list[0]["unit"],
                       "statistics": [line["statistic"] for line in lines], "lines": lines, "ticks": ticks,
                       "labels": labels, "table": table, "width": CHART_WIDTH, "height": CHART_HEIGHT,
                       "plot_left": PLOT["left"], "plot_right": CHART_WIDTH - PLOT["right"],
                       "plot_bottom": CHART_HEIGHT - PLOT["bottom"], "days_with_data": series_list[0]["days_with_data"],
                       "from_date": days[0], "to_date": days[-1]})
    return answer


_TITLES = {"CPUUtilization": "CPU (%)", "mem_used_percent": "Memory used (%)",
           "DatabaseConnections": "Database connections"}


def _nice_ceiling(value: float) -> float:
    for ceiling in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        if value <= ceiling:
            return float(ceiling)
    return float(value)


def _number(value: float) -> str:
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}"

