"""Network: security groups open to the world (marts.security_group_open_ingress) with what uses them, and
subnets by free addresses (marts.subnet_utilization)."""
from __future__ import annotations

from typing import Any

from cloud_inventory.explorer.queries import records

USERS_PER_GROUP = 100  # interfaces and instances listed per group (the counts are always whole)

# sort -> ORDER BY (fixed text; ties broken by identity so pages never overlap)
SUBNET_SORTS = {
    "free": "available_addresses asc",
    "-free": "available_addresses desc",
    "used_percent": "percent_used asc",
    "-used_percent": "percent_used desc",
    "name": "coalesce(subnet_name, vpc_name) asc",
}
SUBNET_IDENTITY = "account_id, region, vpc_id, subnet_id nulls first"


def _where(conditions: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`column = ?`-style conditions whose value was given, as a WHERE clause and its parameters."""
    given = [(sql, value) for sql, value in conditions if value is not None]
    return ("where " + " and ".join(sql for sql, _ in given) if given else ""), [value for _, value in given]


def open_rules(cursor: Any, account_id: str | None, region: str | None, port: int | None) -> list[dict]:
    """Every world-open inbound rule the filters keep; `port` keeps rules admitting that TCP/UDP port."""
    condition, parameters = _where([
        ("account_id = ?", account_id), ("region = ?", region),
        ("(all_ports or (protocol not in ('icmp', 'icmpv6') and ? between from_port and to_port))", port)])
    return records(cursor, f"""
        select account_id, account_name, region, security_group_id, group_name, group_description, vpc_id,
               rule_number, protocol, from_port, to_port, port_range, all_ports, all_protocols, cidr, ip_version,
               rule_description, network_interface_count, instance_count, running_instance_count, snapshot_date,
               is_stale
        from marts.security_group_open_ingress
        {condition}
        order by account_id, region, security_group_id, rule_number, ip_version""", parameters)


def group_users(cursor: Any, groups: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, list[dict]]]:
    """The current network interfaces and (not terminated) instances that carry each (region, group id), as the
    mart counts them (intermediate.int_network__security_group_usage), up to USERS_PER_GROUP of each."""
    users: dict[tuple[str, str], dict[str, list[dict]]] = {group: {"network_interfaces": [], "instances": []}
                                                           for group in groups}
    if not groups:
        return users
    regions = [region for region, _ in groups]
    group_ids = [group_id for _, group_id in groups]
    # each current interface's and instance's groups, unnested and joined to the wanted ones (a list lookup per row
    # against hundreds of groups is quadratic)
    interfaces = records(cursor, """
        with wanted as (select unnest(?::varchar[]) as region, unnest(?::varchar[]) as security_group_id),
        current_interfaces as (
            select interfaces.*
            from staging.stg_aws__network_interfaces interfaces
            join intermediate.int_aws__source_snapshots sources
              on sources.resource_type = 'network_interface' and sources.account_id = interfaces.account_id
             and sources.source_region = interfaces.region
             and interfaces.snapshot_date = sources.last_ok_snapshot_date
        ),
        carried as (
            select region, unnest(security_group_ids) as security_group_id, network_interface_id, account_id,
                   interface_type, description, attached_instance_id, private_ip_address, public_ip
            from current_interfaces
        )
        select region, security_group_id, network_interface_id, account_id, interface_type, description,
               attached_instance_id, private_ip_address, public_ip
        from carried join wanted using (region, security_group_id)
        qualify row_number() over (partition by region, security_group_id
                                   order by account_id, network_interface_id) <= ?
        order by region, security_group_id, account_id, network_interface_id""", [regions, group_ids, USERS_PER_GROUP])
    instances = records(cursor, """
        with wanted as (select unnest(?::varchar[]) as region, unnest(?::varchar[]) as security_group_id),
        current_instances as (
            select instances.*
            from staging.stg_aws__ec2_instances instances
            join intermediate.int_aws__source_snapshots sources
              on sources.resource_type = 'ec2_instance' and sources.account_id = instances.account_id
             and sources.source_region = instances.region
             and instances.snapshot_date = sources.last_ok_snapshot_date
            where instances.state <> 'terminated'
        ),
        carried as (
            select region, unnest(security_group_ids) as security_group_id, instance_id, account_id, name, state,
                   instance_type, private_ip_address, public_ip_address
            from current_instances
        )
        select region, security_group_id, instance_id, account_id, name, state, instance_type, private_ip_address,
               public_ip_address
        from carried join wanted using (region, security_group_id)
        qualify row_number() over (partition by region, security_group_id order by account_id, instance_id) <= ?
        order by region, security_group_id, account_id, instance_id""", [regions, group_ids, USERS_PER_GROUP])
    for kind, rows in (("network_interfaces", interfaces), ("instances", instances)):
        for row in rows:
            users[(row.pop("region"), row.pop("security_group_id"))][kind].append(row)
    return users


def subnets(cursor: Any, *, level: str, account_id: str | None, region: str | None, vpc_id: str | None,
            sort: str, limit: int, offset: int) -> tuple[int, list[dict]]:
    """(how many rows the filters keep, a page of them in `sort` order: SUBNET_SORTS)."""
    condition, parameters = _where([("level = ?", level), ("account_id = ?", account_id), ("region = ?", region),
                                    ("vpc_id = ?", vpc_id)])
    total = records(cursor, f"select count(*) as n from marts.subnet_utilization {condition}", parameters)[0]["n"]
    rows = records(cursor, f"""
        select level, account_id, account_name, region, vpc_id, vpc_name, subnet_id, subnet_name, availability_zone,
               cidr_block, cidr_blocks, prefix_length, subnet_count, total_addresses, reserved_addresses,
               usable_addresses, available_addresses, used_addresses, percent_used, cidr_addresses,
               unallocated_addresses, snapshot_date, is_stale
        from marts.subnet_utilization
        {condition}
        order by {SUBNET_SORTS[sort]}, {SUBNET_IDENTITY}
        limit ? offset ?""", parameters + [limit, offset])
    return total, rows


def subnet_choices(cursor: Any) -> dict[str, list[dict]]:
    """Accounts (ids with names), regions and VPCs (ids with names) for the subnet page's menus."""
    return {
        "account_id": records(cursor, """
            select account_id as value, coalesce(max(account_name), account_id) as label
            from marts.subnet_utilization group by account_id order by label, value"""),
        "region": records(cursor, """
            select distinct region as value, region as label from marts.subnet_utilization order by value"""),
        "vpc_id": records(cursor, """
            select vpc_id as value, coalesce(max(vpc_name), vpc_id) || ' (' || vpc_id || ')' as label
            from marts.subnet_utilization group by vpc_id order by label, value"""),
    }


def security_group_choices(cursor: Any) -> dict[str, list[dict]]:
    return {
        "account_id": records(cursor, """
            select account_id as value, coalesce(max(account_name), account_id) as label
            from marts.security_group_open_ingress group by account_id order by label, value"""),
        "region": records(cursor, """
            select distinct region as value, region as label from marts.security_group_open_ingress order by value"""),
    }
