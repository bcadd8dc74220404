"""Security groups open to the world, and subnets by free addresses."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from cloud_inventory.explorer import reports
from cloud_inventory.explorer.queries import normalised_rows
from cloud_inventory.explorer.common import Limit, OptionalText, render, routers, warehouse
from cloud_inventory.explorer.queries import network as queries

api, pages = routers("network")

Port = Annotated[int | None, Query(ge=0, le=65535)]
FormPort = Annotated[str | None, Query(pattern=r"^[0-9]{0,5}$")]  # the page's form sends "" for any port
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Level = Literal["subnet", "vpc"]
SubnetSort = Literal["free", "-free", "used_percent", "-used_percent", "name"]
PAGE_SIZE = 200
GROUPS_PAGE_SIZE = 100  # security groups, each with its rules and users
BAR_WIDTH = 100  # a subnet's bar: all its usable addresses, in the SVG's own units


# --- security groups open to the world ----------------------------------------------------------------------------

def open_security_groups(request: Request, account_id: str | None, region: str | None, port: int | None,
                         limit: int, offset: int) -> dict:
    with warehouse().cursor() as cursor:
        rules = normalised_rows(queries.open_rules(cursor, account_id or None, region or None, port))
        groups: dict[tuple[str, str], dict] = {}
        for rule in rules:
            key = (rule["region"], rule["security_group_id"])
            if key not in groups:
                groups[key] = {name: rule[name] for name in (
                    "account_id", "account_name", "region", "security_group_id", "group_name", "group_description",
                    "vpc_id", "network_interface_count", "instance_count", "running_instance_count", "snapshot_date",
                    "is_stale")}
                groups[key]["resource_url"] = reports.resource_url(request, "security_group", rule["account_id"],
                                                                   rule["region"], rule["security_group_id"])
                groups[key]["rules"] = []
            groups[key]["rules"].append({name: rule[name] for name in (
                "rule_number", "protocol", "port_range", "from_port", "to_port", "all_ports", "all_protocols", "cidr",
                "ip_version", "rule_description")})
        for group in groups.values():
            group["open_to_all_ports"] = any(rule["all_ports"] for rule in group["rules"])
        # the most exposed first: groups running instances carry, open on every port, then by place
        ordered = sorted(groups.values(), key=lambda g: (-g["running_instance_count"], not g["open_to_all_ports"],
                                                         -g["network_interface_count"], g["account_id"], g["region"],
                                                         g["security_group_id"]))
        shown = ordered[offset:offset + limit]
        users = queries.group_users(cursor, [(group["region"], group["security_group_id"]) for group in shown])
    for group in shown:
        group["used_by"] = users[(group["region"], group["security_group_id"])]
        for interface in group["used_by"]["network_interfaces"]:
            interface["resource_url"] = reports.resource_url(request, "network_interface", interface["account_id"],
                                                             group["region"], interface["network_interface_id"])
        for instance in group["used_by"]["instances"]:
            instance["resource_url"] = reports.resource_url(request, "ec2_instance", instance["account_id"],
                                                            group["region"], instance["instance_id"])
    return {"filters": {"account_id": account_id or None, "region": region or None, "port": port},
            "total_groups": len(ordered), "total_rules": len(rules), "limit": limit, "offset": offset,
            "users_listed_per_group": queries.USERS_PER_GROUP, "groups": shown}


@api.get("/security-groups", summary="Security groups with inbound rules open to the whole internet, and their users")
def security_groups(request: Request, account_id: OptionalText = None, region: OptionalText = None,
                    port: Port = None, limit: Limit = GROUPS_PAGE_SIZE, offset: Offset = 0) -> dict:
    """One entry per group (most exposed first) with its world-open rules (0.0.0.0/0 or ::/0; a rule open on both
    is two) and the current network interfaces and instances that carry it (counts whole, lists up to
    `users_listed_per_group`). `port` keeps groups with a rule admitting that port (or all ports). `total_groups`
    and `total_rules` count every group and rule the filters keep; `groups` is the page from `offset`."""
    return open_security_groups(request, account_id, region, port, limit, offset)


@pages.get("/security-groups", response_class=HTMLResponse)
def security_groups_page(request: Request, account_id: OptionalText = None, region: OptionalText = None,
                         port: FormPort = None, offset: Offset = 0) -> HTMLResponse:
    number = int(port) if port else None
    if number is not None and number > 65535:
        raise HTTPException(422, "port: a port number is at most 65535")
    answer = open_security_groups(request, account_id, region, number, GROUPS_PAGE_SIZE, offset)
    with warehouse().cursor() as cursor:
        choices = queries.security_group_choices(cursor)
    query = {name: value for name, value in answer["filters"].items() if value is not None and value != ""}
    return render(request, "security_groups.html", report=answer, choices=choices, query=query,
                  page_size=GROUPS_PAGE_SIZE)


# --- subnets ------------------------------------------------------------------------------------------------------

def subnet_report(request: Request, level: str, account_id: str | None, region: str | None, vpc_id: str | None,
                  sort: str, limit: int, offset: int) -> dict:
    filters = {"level": level, "account_id": account_id or None, "region": region or None, "vpc_id": vpc_id or None}
    with warehouse().cursor() as cursor:
        total, rows = queries.subnets(cursor, **filters, sort=sort, limit=limit, offset=offset)
    rows = normalised_rows(rows)
    for row in rows:
        row["resource_url"] = reports.resource_url(request, level, row["account_id"], row["region"],
                                                   row["subnet_id"] if level == "subnet" else row["vpc_id"])
    return {"filters": filters, "sort": sort, "total": total, "limit": limit, "offset": offset, "rows": rows}


@api.get("/subnets", summary="IPv4 addresses per subnet (or VPC): usable, used, free; the fullest first")
def subnets(request: Request, level: Level = "subnet", account_id: OptionalText = None, region: OptionalText = None,
            vpc_id: OptionalText = None, sort: SubnetSort = "free", limit: Limit = PAGE_SIZE,
            offset: Offset = 0) -> dict:
    """Rows of marts.subnet_utilization. `available_addresses` is what is free (usable minus used; AWS reserves
    five per subnet); sort `free` (the default) puts the subnets closest to full first."""
    return subnet_report(request, level, account_id, region, vpc_id, sort, limit, offset)


@pages.get("/subnets", response_class=HTMLResponse)
def subnets_page(request: Request, level: Level = "subnet", account_id: OptionalText = None,
                 region: OptionalText = None, vpc_id: OptionalText = None, sort: SubnetSort = "free",
                 offset: Offset = 0) -> HTMLResponse:
    answer = subnet_report(request, level, account_id, region, vpc_id, sort, PAGE_SIZE, offset)
    for row in answer["rows"]:
        usable = row["usable_addresses"] or 0
        row["bar_used"] = round(min(row["used_addresses"] or 0, usable) / usable * BAR_WIDTH, 2) if usable else 0
    with warehouse().cursor() as cursor:
        choices = queries.subnet_choices(cursor)
    query = {name: value for name, value in {**answer["filters"], "sort": sort}.items() if value}
    return render(request, "subnets.html", report=answer, choices=choices, query=query, page_size=PAGE_SIZE,
                  bar_width=BAR_WIDTH, sorts=[("free", "free addresses, fewest first"),
                                              ("-free", "free addresses, most first"),
                                              ("-used_percent", "% used, highest first"),
                                              ("used_percent", "% used, lowest first"), ("name", "name")])
