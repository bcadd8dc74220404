"""Resources: every type with its counts by account, and one table per type with the columns people read for it.

A type's table is marts.inventory_current's common columns (account, region, id, name, state, staleness) joined to
the typed fields of the type's staging model, on the very snapshot the current row comes from (AWS: the row of its
source's latest ok snapshot; Kubernetes: its cluster's latest ok dump). The columns shown, and so the columns one
may sort by, are declared once below (TYPE_COLUMNS); a type not declared shows the common columns only.

User text travels only as `?` parameters; column names and sort keys come from the declarations.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from cloud_inventory.explorer.queries import records
from cloud_inventory.plain import plain


@dataclass(frozen=True)
class TypeTable:
    """Where a type's typed fields are (a staging model) and which to show: (column name, SQL over its row `t`)."""

    staging: str
    columns: tuple[tuple[str, str], ...]

    @property
    def is_kubernetes(self) -> bool:
        return self.staging.startswith("stg_k8s__")


def _table(staging: str, *columns: str | tuple[str, str]) -> TypeTable:
    """Columns given as "field" (shown under its own name) or ("name", "SQL over t")."""
    return TypeTable(staging, tuple((c, f"t.{c}") if isinstance(c, str) else c for c in columns))


TYPE_COLUMNS: dict[str, TypeTable] = {
    "ec2_instance": _table("stg_aws__ec2_instances", "instance_type", ("private_ip", "t.private_ip_address"),
                           ("public_ip", "t.public_ip_address"), "subnet_id", "vpc_id", "availability_zone",
                           ("platform", "t.platform_details"), "launched_at"),
    "ebs_volume": _table("stg_aws__ebs_volumes", "size_gib", "volume_type", "iops",
                         ("attached_to", "t.attached_instance_ids"), "availability_zone", ("encrypted", "t.is_encrypted")),
    "ebs_snapshot": _table("stg_aws__ebs_snapshots", "volume_id", ("size_gib", "t.volume_size_gib"), "started_at",
                           "storage_tier", "description"),
    "network_interface": _table("stg_aws__network_interfaces", "interface_type", ("private_ip", "t.private_ip_address"),
                                "public_ip", ("attached_to", "t.attached_instance_id"), "subnet_id", "vpc_id",
                                "description"),
    "elastic_ip": _table("stg_aws__elastic_ips", "public_ip", ("instance_id", "t.instance_id"), "network_interface_id",
                         ("private_ip", "t.private_ip_address"), "association_id"),
    "nat_gateway": _table("stg_aws__nat_gateways", "public_ips", "private_ips", "subnet_id", "vpc_id",
                          "connectivity_type"),
    "rds_instance": _table("stg_aws__rds_instances", "instance_class", "engine", "engine_version",
                           ("storage_gib", "t.allocated_storage_gib"), "storage_type", ("multi_az", "t.is_multi_az"),
                           "availability_zone", ("endpoint", "t.endpoint_address")),
    "rds_cluster": _table("stg_aws__rds_clusters", "engine", "engine_version", ("members", "len(t.members)"),
                          ("multi_az", "t.is_multi_az"), ("endpoint", "t.endpoint_address")),
    "rds_snapshot": _table("stg_aws__rds_snapshots", "db_instance_id", "snapshot_type", "engine",
                           ("storage_gib", "t.allocated_storage_gib"), "snapshot_created_at"),
    "elbv2_load_balancer": _table("stg_aws__elbv2_load_balancers", ("type", "t.load_balancer_type"), "scheme",
                                  "dns_name", "vpc_id", "availability_zones"),
    "classic_load_balancer": _table("stg_aws__classic_load_balancers", "scheme", "dns_name", "vpc_id",
                                    ("instances", "len(t.instance_ids)")),
    "elbv2_target_group": _table("stg_aws__elbv2_target_groups", "protocol", "port", "target_type",
                                 ("targets", "t.registered_target_count"), ("healthy", "t.healthy_target_count"),
                                 "vpc_id"),
    "lambda_function": _table("stg_aws__lambda_functions", "runtime", "memory_mb", "timeout_seconds",
                              "code_size_bytes", "last_modified_at"),
    "log_group": _table("stg_aws__log_groups", "retention_days", "stored_bytes", "log_group_class"),
    "security_group": _table("stg_aws__security_groups", "group_name", "vpc_id",
                             ("ingress_rules", "len(t.ingress_rules)"), ("egress_rules", "len(t.egress_rules)"),
                             "description"),
    "subnet": _table("stg_aws__subnets", "vpc_id", "cidr_block", ("available_ips", "t.available_ip_count"),
                     "availability_zone", ("public_ip_on_launch", "t.maps_public_ip_on_launch")),
    "vpc": _table("stg_aws__vpcs", "cidr_block", "is_default", ("tenancy", "t.instance_tenancy")),
    "route53_record": _table("stg_aws__route53_records", "record_name", "record_type", "ttl_seconds",
                             ("values", "t.record_values"), ("alias_target", "t.alias_dns_name")),
    "route53_zone": _table("stg_aws__route53_zones", "zone_name", ("private", "t.is_private_zone"),
                           ("records", "t.record_count")),
    "cloudfront_distribution": _table("stg_aws__cloudfront_distributions", "domain_name", "aliases",
                                      ("enabled", "t.is_enabled"), "price_class", ("origins", "t.origin_domain_names")),
    "eks_cluster": _table("stg_aws__eks_clusters", "kubernetes_version", "platform_version",
                          ("endpoint", "t.endpoint_url"), "vpc_id", ("public_endpoint", "t.has_public_endpoint")),
    "eks_nodegroup": _table("stg_aws__eks_nodegroups", "cluster_name", "instance_types", "capacity_type",
                            "desired_size", "min_size", "max_size", "kubernetes_version"),
    "ami": _table("stg_aws__amis", "image_name", "architecture", "platform_details", ("public", "t.is_public"),
                  ("size_gib", "t.total_volume_size_gib"), "last_launched_at"),
    "redshift_cluster": _table("stg_aws__redshift_clusters", "node_type", ("nodes", "t.node_count"),
                               ("endpoint", "t.endpoint_address"), "availability_zone"),
    "sagemaker_notebook": _table("stg_aws__sagemaker_notebooks", "instance_type", "last_modified_at"),
    "sagemaker_endpoint": _table("stg_aws__sagemaker_endpoints", "last_modified_at"),
    "ssm_managed_instance": _table("stg_aws__ssm_managed_instances", "computer_name", "ip_address", "platform_name",
                                   "agent_version", ("latest_agent", "t.is_latest_agent"), "last_ping_at"),
    "k8s_pod": _table("stg_k8s__pods", ("reason", "coalesce(t.waiting_reason, t.last_termination_reason, "
                                                  "t.status_reason)"),
                      ("node", "t.node_name"), "pod_ip", ("restarts", "t.restart_count"),
                      ("ready", "t.ready_containers || '/' || t.total_containers"), "qos_class"),
    "k8s_node": _table("stg_k8s__nodes", "instance_type", "availability_zone", "nodegroup", "internal_ip",
                       "ec2_instance_id", "kubelet_version", ("unschedulable", "t.is_unschedulable")),
    "k8s_deployment": _table("stg_k8s__deployments", ("desired", "t.desired_replicas"), ("ready", "t.ready_replicas"),
                             ("available", "t.available_replicas"), ("updated", "t.updated_replicas")),
    "k8s_statefulset": _table("stg_k8s__statefulsets", ("desired", "t.desired_replicas"),
                              ("ready", "t.ready_replicas"), ("available", "t.available_replicas")),
    "k8s_replicaset": _table("stg_k8s__replicasets", ("desired", "t.desired_replicas"), ("ready", "t.ready_replicas"),
                             ("available", "t.available_replicas"), ("owner", "t.owner_name")),
    "k8s_daemonset": _table("stg_k8s__daemonsets", ("desired", "t.desired_pods"), ("ready", "t.ready_pods"),
                            ("available", "t.available_pods"), ("misscheduled", "t.misscheduled_pods")),
    "k8s_job": _table("stg_k8s__jobs", ("succeeded", "t.succeeded_pods"), ("failed", "t.failed_pods"),
                      ("active", "t.active_pods"), "started_at", "completed_at", ("owner", "t.owner_name")),
    "k8s_cronjob": _table("stg_k8s__cronjobs", "schedule", ("suspended", "t.is_suspended"), "active_jobs",
                          "last_schedule_at", "last_success_at"),
    "k8s_service": _table("stg_k8s__services", "service_type", "cluster_ip",
                          ("load_balancer", "t.load_balancer_hostname"), "external_name"),
    "k8s_ingress": _table("stg_k8s__ingresses", "ingress_class", "hosts", ("load_balancer", "t.load_balancer_hostname")),
    "k8s_persistentvolumeclaim": _table("stg_k8s__persistentvolumeclaims", "storage_class", "requested_bytes",
                                        "capacity_bytes", ("volume", "t.volume_name")),
    "k8s_persistentvolume": _table("stg_k8s__persistentvolumes", "storage_class", "capacity_bytes", "ebs_volume_id",
                                   ("claim", "t.claim_namespace || '/' || t.claim_name"), "reclaim_policy"),
}

# (An S3 bucket has the common columns only: its region is the bucket's location.)

# the common columns, from inventory_current `c`: (name, SQL); Kubernetes types add cluster and namespace
_LEADING = (("resource_id", "c.resource_id"), ("name", "c.name"))
_KUBERNETES = (("cluster", "c.cluster"), ("namespace", "c.namespace"))
_ACCOUNT = (("account_id", "c.account_id"), ("account_name", "c.account_name"), ("environment", "c.environment"),
            ("team", "c.team"), ("region", "c.region"), ("state", "c.state"))
_TRAILING = (("created_at", "c.created_at"), ("first_seen_date", "c.first_seen_date"), ("is_stale", "c.is_stale"))
LINK_COLUMNS = ("resource_type", "account_id", "region", "resource_id")  # what a row's page link needs

FILTERS = ("account_id", "environment", "team", "region", "state", "tag", "q")


def columns(resource_type: str) -> list[tuple[str, str]]:
    """The columns of a type's table, in order: (name, SQL)."""
    table = TYPE_COLUMNS.get(resource_type)
    kubernetes = resource_type.startswith("k8s_")
    return [*_LEADING, *(_KUBERNETES if kubernetes else ()), *_ACCOUNT, *(table.columns if table else ()), *_TRAILING]


def sortable(resource_type: str) -> list[str]:
    return [name for name, _ in columns(resource_type)]


def parse_tag(tag: str) -> tuple[str, str | None]:
    """`key=value` -> (key, value); `key=` -> (key, None): any value. Raises ValueError otherwise."""
    key, equals, value = tag.partition("=")
    if not equals or not key.strip():
        raise ValueError("tag must be key=value (that value) or key= (any value)")
    return key.strip().lower(), (value.strip().lower() or None)


def _where(filters: dict[str, str | None], resource_type: str | None) -> tuple[str, list[Any]]:
    """The filters as SQL over inventory_current `c` and their parameters (every value a parameter)."""
    clauses, parameters = [], []
    if resource_type is not None:
        clauses.append("c.resource_type = ?")
        parameters.append(resource_type)
    for name in ("account_id", "environment", "team", "region"):
        if filters.get(name):
            clauses.append(f"c.{name} = ?")
            parameters.append(filters[name])
    if filters.get("state"):
        clauses.append("lower(c.state) = lower(?)")
        parameters.append(filters["state"])
    if filters.get("tag"):
        key, value = parse_tag(filters["tag"])
        if value is None:
            clauses.append("len(list_filter(map_keys(c.tags), lambda k: lower(k) = ?)) > 0")
            parameters.append(key)
        else:
            clauses.append("len(list_filter(map_entries(c.tags), lambda e: lower(e.key) = ? and lower(e.value) = ?)) > 0")
            parameters += [key, value]
    if filters.get("q"):
        clauses.append("(contains(lower(c.resource_id), lower(?)) or contains(lower(coalesce(c.name, '')), lower(?)))")
        parameters += [filters["q"], filters["q"]]
    return (" and ".join(clauses) or "true"), parameters


def summary(cursor: Any, filters: dict[str, str | None]) -> dict:
    """Every resource type with its resources and stale resources per account (the filters applied)."""
    where, parameters = _where(filters, None)
    rows = records(cursor, f"""
        select c.resource_type, c.account_id, any_value(c.account_name) as account_name,
               any_value(c.environment) as environment, any_value(c.team) as team,
               count(*) as resources, count(*) filter (where c.is_stale) as stale
        from marts.inventory_current as c
        where {where}
        group by c.resource_type, c.account_id
        order by c.resource_type, c.account_id""", parameters)
    return {"total": len(rows), "rows": plain(rows)}


def _select(resource_type: str, filters: dict[str, str | None], sort: str | None,
            extra: str = "") -> tuple[str, list[Any]]:
    """The type table's query (without limit; `extra`: more columns), its parameters. `sort` is a column name,
    `-name` descending."""
    shown = columns(resource_type)
    order = ""
    if sort:
        descending = sort.startswith("-")
        name = sort.removeprefix("-")
        if name not in dict(shown):
            raise ValueError(f"sort must be one of this type's columns ({', '.join(dict(shown))}), "
                             "with - before it for descending")
        order = f'"{name}" {"desc" if descending else "asc"} nulls last, '
    table = TYPE_COLUMNS.get(resource_type)
    where, parameters = _where(filters, resource_type)
    if table is None:
        joins = ""
    elif table.is_kubernetes:  # the object as in its cluster's latest ok dump (inventory_current's)
        joins = f"""
        left join intermediate.int_k8s__latest_dumps as d on d.cluster = c.cluster
        left join staging.{table.staging} as t
            on t.cluster = c.cluster and t.dump_at = d.dump_at and c.resource_id = t.cluster || '/' || t.resource_id"""
    else:  # the row of the snapshot the current row is from
        joins = f"""
        left join staging.{table.staging} as t
            on t.account_id = c.account_id and t.region = c.region and t.resource_id = c.resource_id
           and t.snapshot_date = c.snapshot_date"""
    select = ", ".join(f'{sql} as "{name}"' for name, sql in shown) + extra
    return f"""
        select {select}
        from marts.inventory_current as c {joins}
        where {where}
        order by {order}c.account_id, c.region, c.resource_id""", parameters


def table(cursor: Any, resource_type: str, filters: dict[str, str | None], sort: str | None, limit: int,
          offset: int) -> dict:
    """One page of a type's table: {"total": filtered rows, "columns": names, "rows": [...]}."""
    sql, parameters = _select(resource_type, filters, sort, extra=", count(*) over () as _total")
    rows = records(cursor, f"{sql} limit ? offset ?", [*parameters, limit, offset])
    total = rows[0]["_total"] if rows else _count(cursor, resource_type, filters)
    for row in rows:
        del row["_total"]
    return {"total": total, "columns": sortable(resource_type), "rows": plain(rows)}


def _count(cursor: Any, resource_type: str, filters: dict[str, str | None]) -> int:
    where, parameters = _where(filters, resource_type)
    return cursor.execute(f"select count(*) from marts.inventory_current as c where {where}", parameters).fetchone()[0]


def all_rows(cursor: Any, resource_type: str, filters: dict[str, str | None], sort: str | None,
             chunk: int = 1000) -> tuple[list[str], Iterator[list[tuple]]]:
    """Every filtered row of a type's table, for the CSV: its column names and the rows, `chunk` at a time (the
    query runs now, so an error is raised here, before anything is sent)."""
    sql, parameters = _select(resource_type, filters, sort)
    result = cursor.execute(sql, parameters)
    names = [column[0] for column in result.description]

    def chunks() -> Iterator[list[tuple]]:
        while batch := result.fetchmany(chunk):
            yield batch

    return names, chunks()
