"""A resource's related resources, both ways: what its configuration names (its security groups, subnet, VPC...)
and what names it (the instances in a subnet, the volumes attached to an instance, the target groups an instance
is a target of...), through one hop more where people expect it (an instance's load balancers, through its target
groups; its EKS node group, through the Kubernetes node that is this instance), and the DNS names and
Kubernetes objects that resolve to it (marts.resource_lookup).

Every reference is declared once, in REFERENCES, as SQL over the referring type's staging row (fixed text, never
user input): the referring page reads it forward from its own row; the referred page finds the referring
resources by scanning that staging model, only the current rows (joined to marts.inventory_current on the
snapshot date) and only the dates current rows have, which DuckDB prunes by zone maps. Each relation lists at
most RELATED_LIMIT resources, with the total.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from cloud_inventory.explorer.queries import normalised, records

RELATED_LIMIT = 100

STAGING = {
    "ec2_instance": "staging.stg_aws__ec2_instances", "ebs_volume": "staging.stg_aws__ebs_volumes",
    "ebs_snapshot": "staging.stg_aws__ebs_snapshots", "ami": "staging.stg_aws__amis",
    "elastic_ip": "staging.stg_aws__elastic_ips", "subnet": "staging.stg_aws__subnets",
    "security_group": "staging.stg_aws__security_groups", "network_interface": "staging.stg_aws__network_interfaces",
    "nat_gateway": "staging.stg_aws__nat_gateways", "elbv2_load_balancer": "staging.stg_aws__elbv2_load_balancers",
    "elbv2_target_group": "staging.stg_aws__elbv2_target_groups",
    "classic_load_balancer": "staging.stg_aws__classic_load_balancers",
    "rds_instance": "staging.stg_aws__rds_instances", "rds_cluster": "staging.stg_aws__rds_clusters",
    "rds_snapshot": "staging.stg_aws__rds_snapshots", "eks_cluster": "staging.stg_aws__eks_clusters",
    "eks_nodegroup": "staging.stg_aws__eks_nodegroups", "route53_record": "staging.stg_aws__route53_records",
    "redshift_cluster": "staging.stg_aws__redshift_clusters", "lambda_function": "staging.stg_aws__lambda_functions",
    "ssm_managed_instance": "staging.stg_aws__ssm_managed_instances",
    "k8s_node": "staging.stg_k8s__nodes", "k8s_pod": "staging.stg_k8s__pods",
    "k8s_replicaset": "staging.stg_k8s__replicasets", "k8s_job": "staging.stg_k8s__jobs",
    "k8s_persistentvolume": "staging.stg_k8s__persistentvolumes",
}


@dataclass(frozen=True)
class Reference:
    """`source` resources name `target` resources: `ids` is SQL over the source's staging row giving a list of
    target ids (`column`, when it is one column, lets the reverse scan compare it directly)."""

    source: str
    target: str
    ids: str
    uses: str  # what the targets are to the source (a heading on the source's page)
    used_by: str  # what the sources are to the target (a heading on the target's page)
    same_account: bool = True  # False: the ids are unique across accounts (sg-, subnet-, vpc-...: shared VPCs)
    column: str | None = None


def one(source: str, column: str, target: str, uses: str, used_by: str, same_account: bool = True) -> Reference:
    return Reference(source, target, f"[{column}]", uses, used_by, same_account, column)


def many(source: str, ids: str, target: str, uses: str, used_by: str, same_account: bool = True) -> Reference:
    return Reference(source, target, ids, uses, used_by, same_account)


def _in_cluster(*parts: str) -> str:
    """A Kubernetes object's id as inventory_current has it: "<cluster>/<namespace>/<name>"."""
    return "[case when " + " and ".join(f"{part} is not null" for part in parts) + " then " + \
        " || '/' || ".join(("cluster", *parts)) + " end]"


def _owned(kind: str) -> str:
    return f"[case when owner_kind = '{kind}' then cluster || '/' || namespace || '/' || owner_name end]"


_TARGET_IDS = "list_transform(targets, lambda t: t.target_id)"
_RULE_GROUPS = "flatten(list_transform(ingress_rules, lambda r: list_transform(r.source_groups, lambda g: g.group_id)))"
_NODEGROUP_TAG = "[tags['eks:cluster-name'] || '/' || tags['eks:nodegroup-name']]"

REFERENCES: tuple[Reference, ...] = (
    # an instance and what it sits in or carries
    one("ec2_instance", "subnet_id", "subnet", "subnet", "instances", same_account=False),
    one("ec2_instance", "vpc_id", "vpc", "VPC", "instances", same_account=False),
    many("ec2_instance", "security_group_ids", "security_group", "security groups", "instances", same_account=False),
    one("ec2_instance", "image_id", "ami", "launched from AMI", "instances launched from it", same_account=False),
    many("ebs_volume", "attached_instance_ids", "ec2_instance", "attached to instances", "volumes",
         same_account=False),
    one("network_interface", "attached_instance_id", "ec2_instance", "attached to instance", "network interfaces",
        same_account=False),
    one("elastic_ip", "instance_id", "ec2_instance", "instance", "Elastic IPs", same_account=False),
    one("elastic_ip", "network_interface_id", "network_interface", "network interface", "Elastic IPs",
        same_account=False),
    many("elbv2_target_group", _TARGET_IDS, "ec2_instance", "targets", "target groups it is a target of",
         same_account=False),
    many("classic_load_balancer", "instance_ids", "ec2_instance", "instances", "classic load balancers",
         same_account=False),
    many("ec2_instance", _NODEGROUP_TAG, "eks_nodegroup", "EKS node group (tags)", "instances (tags)"),
    one("ssm_managed_instance", "instance_id", "ec2_instance", "EC2 instance", "SSM managed instance"),
    # networks
    one("subnet", "vpc_id", "vpc", "VPC", "subnets", same_account=False),
    one("security_group", "vpc_id", "vpc", "VPC", "security groups", same_account=False),
    many("security_group", _RULE_GROUPS, "security_group", "allows traffic from groups",
         "groups that allow traffic from it", same_account=False),
    one("network_interface", "subnet_id", "subnet", "subnet", "network interfaces", same_account=False),
    many("network_interface", "security_group_ids", "security_group", "security groups", "network interfaces",
         same_account=False),
    one("nat_gateway", "subnet_id", "subnet", "subnet", "NAT gateways", same_account=False),
    many("nat_gateway", "allocation_ids", "elastic_ip", "Elastic IPs", "NAT gateway", same_account=False),
    many("nat_gateway", "network_interface_ids", "network_interface", "network interfaces", "NAT gateway",
         same_account=False),
    # load balancers
    many("elbv2_target_group", "load_balancer_arns", "elbv2_load_balancer", "load balancers", "target groups",
         same_account=False),
    one("elbv2_target_group", "vpc_id", "vpc", "VPC", "target groups", same_account=False),
    many("elbv2_load_balancer", "subnet_ids", "subnet", "subnets", "load balancers", same_account=False),
    many("elbv2_load_balancer", "security_group_ids", "security_group", "security groups", "load balancers",
         same_account=False),
    one("elbv2_load_balancer", "vpc_id", "vpc", "VPC", "load balancers", same_account=False),
    many("classic_load_balancer", "subnet_ids", "subnet", "subnets", "classic load balancers", same_account=False),
    many("classic_load_balancer", "security_group_ids", "security_group", "security groups",
         "classic load balancers", same_account=False),
    # storage
    one("ebs_volume", "source_snapshot_id", "ebs_snapshot", "created from snapshot", "volumes created from it",
        same_account=False),
    one("ebs_snapshot", "volume_id", "ebs_volume", "snapshot of volume", "snapshots", same_account=False),
    many("ami", "snapshot_ids", "ebs_snapshot", "snapshots", "AMIs", same_account=False),
    one("ami", "source_instance_id", "ec2_instance", "made from instance", "AMIs made from it", same_account=False),
    # databases, serverless, warehouses
    many("rds_instance", "security_group_ids", "security_group", "security groups", "RDS instances",
         same_account=False),
    many("rds_instance", "subnet_ids", "subnet", "subnets", "RDS instances", same_account=False),
    one("rds_instance", "db_cluster_id", "rds_cluster", "cluster", "members"),
    one("rds_instance", "read_replica_source_id", "rds_instance", "replica of", "read replicas"),
    one("rds_snapshot", "db_instance_id", "rds_instance", "snapshot of", "snapshots"),
    many("rds_cluster", "security_group_ids", "security_group", "security groups", "RDS clusters",
         same_account=False),
    many("redshift_cluster", "security_group_ids", "security_group", "security groups", "Redshift clusters",
         same_account=False),
    many("lambda_function", "security_group_ids", "security_group", "security groups", "Lambda functions",
         same_account=False),
    many("lambda_function", "subnet_ids", "subnet", "subnets", "Lambda functions", same_account=False),
    # EKS and Kubernetes
    many("eks_cluster", "list_distinct(security_group_ids || [cluster_security_group_id])", "security_group",
         "security groups", "EKS clusters", same_account=False),
    many("eks_cluster", "subnet_ids", "subnet", "subnets", "EKS clusters", same_account=False),
    one("eks_nodegroup", "cluster_name", "eks_cluster", "EKS cluster", "node groups"),
    many("eks_nodegroup", "subnet_ids", "subnet", "subnets", "EKS node groups", same_account=False),
    one("k8s_node", "ec2_instance_id", "ec2_instance", "EC2 instance", "Kubernetes node"),
    many("k8s_node", "[cluster || '/' || nodegroup]", "eks_nodegroup", "EKS node group", "Kubernetes nodes"),
    many("k8s_pod", _in_cluster("node_name"), "k8s_node", "node", "pods"),
    many("k8s_pod", _owned("ReplicaSet"), "k8s_replicaset", "owner", "pods"),
    many("k8s_pod", _owned("StatefulSet"), "k8s_statefulset", "owner", "pods"),
    many("k8s_pod", _owned("DaemonSet"), "k8s_daemonset", "owner", "pods"),
    many("k8s_pod", _owned("Job"), "k8s_job", "owner", "pods"),
    many("k8s_replicaset", _owned("Deployment"), "k8s_deployment", "owner", "replica sets"),
    many("k8s_job", _owned("CronJob"), "k8s_cronjob", "owner", "jobs"),
    one("k8s_persistentvolume", "ebs_volume_id", "ebs_volume", "EBS volume", "Kubernetes persistent volume"),
    many("k8s_persistentvolume", _in_cluster("claim_namespace", "claim_name"), "k8s_persistentvolumeclaim",
         "claim", "persistent volume"),
    one("route53_record", "hosted_zone_id", "route53_zone", "hosted zone", "records"),
)

# One hop further: on a page of type T, what the resources that name it by the first reference (found in
# reverse) name by the second one (read forward from their rows).
THROUGH: dict[str, tuple[tuple[Reference, Reference, str], ...]] = {}


def _reference(source: str, target: str, uses: str | None = None) -> Reference:
    return next(ref for ref in REFERENCES if ref.source == source and ref.target == target
                and (uses is None or ref.uses == uses))


THROUGH.update({
    "ec2_instance": (
        (_reference("elbv2_target_group", "ec2_instance"), _reference("elbv2_target_group", "elbv2_load_balancer"),
         "load balancers (through its target groups)"),
        (_reference("k8s_node", "ec2_instance"), _reference("k8s_node", "eks_nodegroup"),
         "EKS node group (through its Kubernetes node)"),
    ),
    "elbv2_load_balancer": (
        (_reference("elbv2_target_group", "elbv2_load_balancer"), _reference("elbv2_target_group", "ec2_instance"),
         "targets (through its target groups)"),
    ),
    "eks_nodegroup": (
        (_reference("k8s_node", "eks_nodegroup"), _reference("k8s_node", "ec2_instance"),
         "instances (through its Kubernetes nodes)"),
    ),
})

# what points at a resource in marts.resource_lookup: DNS records, and Kubernetes objects behind a load balancer
_POINTING = {"route53_record": "Route 53 names that resolve to it",
             "ingress_lb_hostname": "Kubernetes ingresses behind it",
             "service_lb_hostname": "Kubernetes services behind it"}
_RESOLVING = ("route53_record", "k8s_ingress", "k8s_service")  # types whose lookup rows say what they resolve to

_ITEM_COLUMNS = "c.resource_type, c.account_id, c.account_name, c.region, c.resource_id, c.name, c.state, c.is_stale"


def related(cursor: Any, resource: dict) -> list[dict]:
    """The related resources of `resource` (queries.resource.find's row), in groups:
    {relation, direction (uses | used_by | through | resolves_to | resolved_from), resource_type, total,
    resources: [{resource_type, resource_id, account_id, account_name, region, name, state, is_stale,
    in_inventory, via}]} (`via`: the resource in between, for `through` and for names resolving to a load
    balancer in front of it)."""
    forward = [ref for ref in REFERENCES if ref.source == resource["resource_type"]]
    asks = []  # what the resource's own row names, and (below) what the resources one hop away name
    if forward:
        for row in _own_rows(cursor, resource["resource_type"], forward, [resource]):
            asks += _named(row, forward, resource, via=None, label=None)
    reverse = _reverse(cursor, resource)
    through = THROUGH.get(resource["resource_type"], ())
    for first, second, label in through:
        hops = {(hop["account_id"], hop["region"], hop["resource_id"]): hop for hop in reverse.get(first, ([], 0))[0]}
        if hops:
            for row in _own_rows(cursor, second.source, [second], list(hops.values())):
                hop = hops[(row["account_id"], row["region"], row["item_id"])]
                asks += _named(row, [second], hop, via=_via(hop), label=label)
    resolved = _resolve(cursor, asks)
    groups = [_group(ref.uses, "uses", ref.target, resolved.get((ref, None), [])) for ref in forward]
    groups += [_group(ref.used_by, "used_by", ref.source, items, total) for ref, (items, total) in reverse.items()]
    groups += [_group(label, "through", second.target, resolved.get((second, label), []))
               for _first, second, label in through]
    # the load balancers an instance is behind: classic ones directly, the others through its target groups
    in_front = [item for ref, (items, _) in reverse.items() if ref.source == "classic_load_balancer"
                for item in items]
    in_front += [item for _first, second, label in through if second.target == "elbv2_load_balancer"
                 for item in resolved.get((second, label), []) if item["in_inventory"]]
    if resource["resource_type"] in _RESOLVING:
        groups.append(_group("resolves to", "resolves_to", "", _resolves_to(cursor, resource)))
    groups.extend(_pointing(cursor, resource, in_front))
    for group in groups:  # (the snapshot dates were for the hops)
        group["resources"] = [{key: value for key, value in item.items() if key != "config_snapshot_date"}
                              for item in group["resources"]]
        if not group["resource_type"] and group["resources"]:
            group["resource_type"] = group["resources"][0]["resource_type"]
    return [group for group in groups if group["resources"]]


def _group(relation: str, direction: str, resource_type: str, items: list[dict], total: int | None = None) -> dict:
    unique = list({(i["resource_type"], i["account_id"], i["region"], i["resource_id"],
                    (i.get("via") or {}).get("resource_id")): i for i in items}.values())
    return {"relation": relation, "direction": direction, "resource_type": resource_type,
            "total": total if total is not None else len(unique), "resources": unique}


def _via(item: dict) -> dict:
    return {key: item[key] for key in ("resource_type", "resource_id", "name", "account_id", "region")}


# --- forward: what the resource's own row names ------------------------------------------------------------

def _own_rows(cursor: Any, resource_type: str, refs: list[Reference], items: list[dict]) -> list[dict]:
    """The staging rows of `items` (all of `resource_type`, each at its config_snapshot_date, Kubernetes objects
    in their cluster's latest ok dump) with each reference's target ids as column r<n>."""
    expressions = ", ".join(f"{ref.ids} as r{index}" for index, ref in enumerate(refs))
    dates = [item["config_snapshot_date"] for item in items]
    ids = [item["resource_id"] for item in items]
    if resource_type.startswith("k8s_"):
        rows = records(cursor, f"""
            select s.* exclude (dump_at)
            from (
                select account_id, region, cluster || '/' || resource_id as item_id, snapshot_date, cluster,
                       dump_at, {expressions}
                from {STAGING[resource_type]}
                where snapshot_date between ? and ? and list_contains(?, cluster || '/' || resource_id)
            ) s
            join intermediate.int_k8s__latest_dumps d on d.cluster = s.cluster and d.dump_at = s.dump_at""",
                       [min(dates), max(dates), ids])
    else:
        rows = records(cursor, f"""
            select account_id, region, resource_id as item_id, snapshot_date, {expressions}
            from {STAGING[resource_type]}
            where snapshot_date between ? and ? and list_contains(?, resource_id)""", [min(dates), max(dates), ids])
    wanted = {(item["account_id"], item["region"], item["resource_id"], item["config_snapshot_date"])
              for item in items}
    return [row for row in rows if (row["account_id"], row["region"], row["item_id"], row["snapshot_date"]) in wanted]


def _named(row: dict, refs: list[Reference], owner: dict, via: dict | None, label: str | None) -> list[tuple]:
    """What each reference of a staging row names: (reference, label, target type, target id, the owner's
    account when the ids are unique only within one, the row's region, via)."""
    asks = []
    for index, ref in enumerate(refs):
        for target_id in dict.fromkeys(row[f"r{index}"] or []):
            if target_id:
                asks.append((ref, label, ref.target, target_id, owner["account_id"] if ref.same_account else None,
                             row["region"], via))
    return asks


def _resolve(cursor: Any, asks: list[tuple]) -> dict[tuple[Reference, str | None], list[dict]]:
    """The resources `asks` (_named's) name, as inventory_current has them (or listed as not in the inventory:
    an AMI of another owner, a deleted volume), by (reference, label); one query for all."""
    answer: dict[tuple[Reference, str | None], list[dict]] = defaultdict(list)
    if not asks:
        return answer
    columns = list(zip(*[ask[2:6] for ask in asks]))
    matches = records(cursor, f"""
        with wanted as (
            select unnest(?::varchar[]) as resource_type, unnest(?::varchar[]) as resource_id,
                   unnest(?::varchar[]) as account_id, unnest(?::varchar[]) as region,
                   unnest(range(?)) as position
        )
        select wanted.position, {_ITEM_COLUMNS}
        from wanted
        join marts.inventory_current c
          on c.resource_type = wanted.resource_type and c.resource_id = wanted.resource_id
         and (wanted.account_id is null or c.account_id = wanted.account_id)
         and (c.region = wanted.region or c.source_region = 'global')
        order by wanted.position, c.account_id""", [*map(list, columns), len(asks)])
    by_position = defaultdict(list)
    for match in matches:
        by_position[match.pop("position")].append(normalised(match))
    for position, (ref, label, target_type, target_id, _account, _region, via) in enumerate(asks):
        items = by_position.get(position) or [
            {"resource_type": target_type, "account_id": None, "account_name": None, "region": None,
             "resource_id": target_id, "name": None, "state": None, "is_stale": None}]
        answer[(ref, label)].extend({**item, "in_inventory": item["account_id"] is not None, "via": via}
                                    for item in items)
    return answer


# --- reverse: what names the resource ------------------------------------------------------------------

def _reverse(cursor: Any, resource: dict) -> dict[Reference, tuple[list[dict], int]]:
    refs = [ref for ref in REFERENCES if ref.target == resource["resource_type"]]
    if not refs:
        return {}
    bounds = {row["resource_type"]: (row["first_date"], row["last_date"]) for row in records(cursor, """
        select resource_type, min(snapshot_date) as first_date, max(snapshot_date) as last_date
        from marts.inventory_current
        where region = ? and list_contains(?, resource_type)
        group by resource_type""", [resource["region"], sorted({ref.source for ref in refs})])}
    parts, parameters, used = [], [], []
    for ref in refs:
        if ref.source not in bounds:
            continue
        sql, values = _scan(ref, len(used), resource, bounds[ref.source])
        parts.append(sql)
        parameters.extend(values)
        used.append(ref)
    if not parts:
        return {}
    # one join of every scan's hits with inventory_current: their names, and only their current versions
    rows = records(cursor, f"""
        with hits as ({" union all ".join(parts)}),
        found as (
            select hits.ref, {_ITEM_COLUMNS}, c.snapshot_date as config_snapshot_date
            from hits
            join marts.inventory_current c
              on c.resource_type = hits.resource_type and c.account_id = hits.account_id
             and c.region = hits.region and c.resource_id = hits.resource_id and c.snapshot_date = hits.snapshot_date
        )
        select *, count(*) over (partition by ref) as total
        from found
        qualify row_number() over (partition by ref order by name nulls last, resource_id) <= ?
        order by ref, name nulls last, resource_id""", [*parameters, RELATED_LIMIT])
    answer: dict[Reference, tuple[list[dict], int]] = {}
    for row in rows:
        ref = used[row.pop("ref")]
        total = row.pop("total")
        items, _ = answer.get(ref, ([], 0))
        items.append({**normalised(row), "in_inventory": True, "via": None})
        answer[ref] = (items, total)
    return answer


def _scan(ref: Reference, index: int, resource: dict, bounds: tuple) -> tuple[str, list]:
    """SQL for the keys (ref, resource_type, account_id, region, resource_id, snapshot_date) of the `ref.source`
    rows of the current snapshot dates whose reference names `resource`, and its parameters. The reference's SQL
    runs in a scan of the staging model alone (its columns are never shadowed by a join); Kubernetes objects only
    from their cluster's latest ok dump."""
    match = f"{ref.column} = ?" if ref.column else f"list_contains({ref.ids}, ?)"
    account = " and account_id = ?" if ref.same_account else ""
    values = [bounds[0], bounds[1], resource["region"], *([resource["account_id"]] if ref.same_account else []),
              resource["resource_id"]]
    if ref.source.startswith("k8s_"):
        return f"""
            select {index} as ref, '{ref.source}' as resource_type, s.account_id, s.region,
                   s.cluster || '/' || s.resource_id as resource_id, s.snapshot_date
            from (
                select account_id, region, cluster, resource_id, snapshot_date, dump_at from {STAGING[ref.source]}
                where snapshot_date between ? and ? and region = ?{account} and {match}
            ) s
            join intermediate.int_k8s__latest_dumps d on d.cluster = s.cluster and d.dump_at = s.dump_at""", values
    return f"""
            select {index} as ref, '{ref.source}' as resource_type, account_id, region, resource_id, snapshot_date
            from {STAGING[ref.source]}
            where snapshot_date between ? and ? and region = ?{account} and {match}""", values


# --- names and Kubernetes objects that resolve to it (marts.resource_lookup) ------------------------------

def _pointing(cursor: Any, resource: dict, in_front: list[dict]) -> list[dict]:
    """Route 53 names, ingresses and services that resolve to the resource, or to a load balancer in front of it
    (then `via` names the load balancer). The lookup's rows are of current resources and carry their names."""
    targets = [(resource["resource_type"], resource["resource_id"], resource["account_id"], None)]
    targets += [(item["resource_type"], item["resource_id"], item["account_id"], _via(item)) for item in in_front]
    rows = records(cursor, """
        with wanted as (
            select unnest(?::varchar[]) as resource_type, unnest(?::varchar[]) as resource_id,
                   unnest(?::varchar[]) as account_id, unnest(range(?)) as position
        )
        select distinct wanted.position, l.identifier_kind, l.resource_type, l.account_id, l.account_name, l.region,
               case when l.cluster is not null then l.cluster || '/' || l.resource_id else l.resource_id end
                   as resource_id,
               l.resource_name as name, l.resource_state as state, l.is_stale, true as in_inventory
        from marts.resource_lookup l
        join wanted
          on l.resolves_to_resource_type = wanted.resource_type and l.resolves_to_resource_id = wanted.resource_id
         and l.resolves_to_account_id = wanted.account_id
        where list_contains(?, l.identifier_kind)
        order by wanted.position, resource_id""",
                   [[t[0] for t in targets], [t[1] for t in targets], [t[2] for t in targets], len(targets),
                    sorted(_POINTING)])
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        item = normalised(row)
        item["via"] = targets[item.pop("position")][3]
        by_kind[item.pop("identifier_kind")].append(item)
    return [_group(label, "resolved_from", by_kind[kind][0]["resource_type"], by_kind[kind])
            for kind, label in _POINTING.items() if by_kind.get(kind)]


def _found_or_named(item: dict, type_key: str, id_key: str, account_key: str, region_key: str) -> dict:
    """A lookup row's resource: as inventory_current has it, or (not in it) as the lookup names it."""
    item["in_inventory"] = item["resource_id"] is not None
    if not item["in_inventory"]:
        item.update(resource_type=item[type_key], resource_id=item[id_key], account_id=item[account_key],
                    region=item[region_key])
    for key in (type_key, id_key, account_key, region_key):
        item.pop(key)
    return item


def _resolves_to(cursor: Any, resource: dict) -> list[dict]:
    """What a DNS record, ingress or service resolves to (marts.resource_lookup's resolution)."""
    if resource["resource_type"] == "route53_record":
        where, values = "l.resource_type = ? and l.account_id = ? and l.resource_id = ?", [
            "route53_record", resource["account_id"], resource["resource_id"]]
    else:
        cluster = resource["cluster"]
        where, values = "l.resource_type = ? and l.cluster = ? and l.resource_id = ?", [
            resource["resource_type"], cluster, resource["resource_id"].removeprefix(f"{cluster}/")]
    rows = records(cursor, f"""
        select distinct l.resolves_to_resource_type, l.resolves_to_resource_id, l.resolves_to_account_id,
               l.resolves_to_region, {_ITEM_COLUMNS}
        from marts.resource_lookup l
        left join marts.inventory_current c
          on c.resource_type = l.resolves_to_resource_type and c.resource_id = l.resolves_to_resource_id
         and c.account_id = l.resolves_to_account_id and c.region = l.resolves_to_region
        where {where} and l.resolves_to_resource_id is not null""", values)
    return [{**_found_or_named(normalised(row), "resolves_to_resource_type", "resolves_to_resource_id",
                               "resolves_to_account_id", "resolves_to_region"), "via": None} for row in rows]
