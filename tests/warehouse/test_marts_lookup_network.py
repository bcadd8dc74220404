"""The lookup, network and Kubernetes health marts on the demo world (tests/conftest.py's `demo_world`):
marts.resource_lookup, marts.subnet_utilization, marts.security_group_open_ingress, marts.k8s_unhealthy and
their intermediate models (test_data_dictionary.py runs their pages' SQL examples).

Expected values come from outside the models: the demo estate's facts (what estate.seed built and
returned, demo/k8s.py's table of planted problems) and the lake's raw API objects, read directly.
"""
from __future__ import annotations

import ipaddress
import json
import re
import shutil
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cloud_inventory.aws.registry import BY_NAME
from cloud_inventory.aws.transform import AWS_SCHEMA, to_row
from cloud_inventory.demo import estate
from cloud_inventory.lake import Lake

from .conftest import build_world, rows

PROD, STAGING, DEV = estate.PROD, estate.STAGING, estate.DEV
US, EU = estate.US, estate.EU
MODELS = (
    "intermediate/int_aws__source_snapshots.sql",
    "intermediate/int_inventory__aws_events.sql",  # the current rows come from the (named) versions
    "intermediate/int_inventory__aws_named_versions.sql",
    "intermediate/int_inventory__aws_resources.sql",
    "intermediate/int_inventory__aws_source_dates.sql",
    "intermediate/int_inventory__aws_versions.sql",
    "intermediate/int_k8s__latest_dumps.sql",
    "intermediate/int_k8s__unhealthy.sql",
    "intermediate/int_lookup__aws_identifiers.sql",
    "intermediate/int_lookup__k8s_identifiers.sql",
    "intermediate/int_lookup__resolutions.sql",
    "intermediate/int_network__subnets.sql",
    "intermediate/int_network__security_group_rules.sql",
    "intermediate/int_network__security_group_usage.sql",
    "marts/resource_lookup.sql",
    "marts/subnet_utilization.sql",
    "marts/security_group_open_ingress.sql",
    "marts/k8s_unhealthy.sql",
)


def lake_root(world: dict) -> Path:
    return Path(world["env"]["INVENTORY_DATA_DIR"]) / "lake"


def raw_aws(world: dict, resource_type: str, day, account_id: str, region: str) -> list[dict]:
    """The API objects the extractor wrote to the lake for one partition (not through any model)."""
    folder = (lake_root(world) / "raw" / "aws" / resource_type / f"dt={day}" / f"account_id={account_id}"
              / f"region={region}")
    return [json.loads(raw) for (raw,) in duckdb.execute(
        f"select raw from read_parquet('{folder}/*.parquet', hive_partitioning = false)").fetchall()]


def tagged(items: list[dict], name: str) -> dict:
    (found,) = [i for i in items if {"Key": "Name", "Value": name} in (i.get("Tags") or i.get("TagSet") or [])]
    return found


def raw_k8s(world: dict, table: str, cluster: str, dump_at: datetime) -> list[dict]:
    folder = lake_root(world) / "raw" / "k8s" / table / f"dt={dump_at.date()}" / f"cluster={cluster}"
    return [json.loads(raw) for (raw,) in duckdb.execute(
        f"select raw from read_parquet('{folder}/*.parquet', hive_partitioning = false) where dump_at = ?",
        [dump_at]).fetchall()]


def utc(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def built(demo_world, tmp_path_factory):
    """The demo world built with the staging models and this file's models only."""
    root = tmp_path_factory.mktemp("lookup-network")
    result = build_world(demo_world, root, *MODELS)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield {"con": con, "result": result, "world": demo_world}
    con.close()


@pytest.fixture(scope="module")
def con(built):
    return built["con"]


def test_builds_every_model_and_records_its_time(built):
    stats = {row["model"]: row for row in rows(built["con"], "select * from meta.model_stats where layer <> 'staging'")}
    expected = {f"{path.split('/')[0]}.{Path(path).stem}" for path in MODELS}
    assert set(stats) == expected
    for model in ("marts.resource_lookup", "marts.subnet_utilization", "marts.security_group_open_ingress",
                  "marts.k8s_unhealthy"):
        assert stats[model]["materialized"] == "table" and stats[model]["rows"] > 0
        assert stats[model]["seconds"] < 10
    assert stats["intermediate.int_k8s__latest_dumps"]["materialized"] == "table"


# --- resource_lookup --------------------------------------------------------------------------------

def lookup(con, identifier: str, **where) -> list[dict]:
    sql = "select * from marts.resource_lookup where identifier = lower(?)"
    params = [identifier]
    for column, value in where.items():
        sql += f" and {column} = ?"
        params.append(value)
    return rows(con, sql + " order by all", params)


def test_route53_aliases_of_a_load_balancer_resolve_to_it_and_its_account(built, con):
    world = built["world"]
    last = world["days"][-1]
    alb = [lb for lb in raw_aws(world, "elbv2_load_balancer", last, PROD, US) if lb["LoadBalancerName"] == "prod-web-alb"][0]
    for name in ("www.shop.example.com", "shop.example.com", "WWW.Shop.Example.COM"):
        (record,) = lookup(con, name, identifier_kind="route53_record")
        assert record["resource_type"] == "route53_record"
        assert record["account_id"] == PROD and record["account_name"] == "prod"  # the zone's owner
        assert (record["resolves_via"], record["resolves_to_resource_type"], record["resolves_to_resource_id"],
                record["resolves_to_resource_name"], record["resolves_to_account_id"],
                record["resolves_to_account_name"], record["resolves_to_region"]) == (
            "alias", "elbv2_load_balancer", alb["LoadBalancerArn"], "prod-web-alb", PROD, "prod", US)
        assert record["resolves_to_target"] == alb["DNSName"].lower()
        assert (record["runs_in_account_id"], record["runs_in_account_name"]) == (PROD, "prod")
        assert record["is_stale"] is False and record["snapshot_date"] == last
    # staging's own zone aliases staging's ALB
    (record,) = lookup(con, "www.staging.shop.example.com", identifier_kind="route53_record")
    assert (record["resolves_to_resource_name"], record["runs_in_account_name"]) == ("stg-web-alb", "staging")


def test_route53_records_resolve_through_cname_and_a_values(built, con):
    world = built["world"]
    last = world["days"][-1]
    instances = world["changes"][0]["instances"]
    nat_id = world["changes"][0]["nat_gateways"][0]
    answers = {row["identifier"]: (row["resolves_via"], row["resolves_to_resource_type"],
                                   row["resolves_to_resource_id"], row["resolves_to_account_id"])
               for row in rows(con, "select * from marts.resource_lookup where identifier_kind = 'route53_record'")}
    nlb = [lb for lb in raw_aws(world, "elbv2_load_balancer", last, PROD, US) if lb["LoadBalancerName"] == "prod-api-nlb"][0]
    assert answers["api.shop.example.com"] == ("cname", "elbv2_load_balancer", nlb["LoadBalancerArn"], PROD)
    # an A record on the bastion's Elastic IP reaches the instance holding it, not the allocation
    assert answers["bastion.shop.example.com"] == ("a", "ec2_instance", instances[f"{PROD}/{US}/prod-bastion"], PROD)
    assert answers["egress.shop.example.com"] == ("a", "nat_gateway", nat_id, PROD)
    assert answers["static.shop.example.com"] == ("alias", "cloudfront_distribution",
                                                  world["changes"][0]["distributions"][0], PROD)
    # the private zone's CNAME names an endpoint no database has (moto's endpoints carry a random part)
    assert answers["orders-db.internal.prod.example.com"] == ("cname", None, None, None)
    # NS and SOA records are not lookups
    assert set(answers) == {"www.shop.example.com", "shop.example.com", "static.shop.example.com",
                            "bastion.shop.example.com", "egress.shop.example.com", "api.shop.example.com",
                            "orders-db.internal.prod.example.com", "www.staging.shop.example.com"}


def test_an_elastic_ip_resolves_to_the_allocation_its_interface_and_its_instance(built, con):
    world = built["world"]
    last = world["days"][-1]
    eip = tagged(raw_aws(world, "elastic_ip", last, PROD, US), "prod-bastion-eip")
    bastion = world["changes"][0]["instances"][f"{PROD}/{US}/prod-bastion"]
    assert eip["InstanceId"] == bastion
    found = lookup(con, eip["PublicIp"])
    assert [(r["identifier_kind"], r["resource_type"], r["resource_id"], r["account_id"], r["account_name"],
             r["region"], r["is_stale"]) for r in found] == [
        ("public_ip", "ec2_instance", bastion, PROD, "prod", US, False),
        ("public_ip", "elastic_ip", eip["AllocationId"], PROD, "prod", US, False),
        ("public_ip", "network_interface", eip["NetworkInterfaceId"], PROD, "prod", US, False),
    ]
    # an unassociated Elastic IP is just the allocation
    spare = tagged(raw_aws(world, "elastic_ip", last, PROD, US), "prod-old-vpn-eip")
    assert [(r["resource_type"], r["resource_id"], r["resource_name"]) for r in lookup(con, spare["PublicIp"])] == [
        ("elastic_ip", spare["AllocationId"], "prod-old-vpn-eip")]


def test_an_instance_private_ip_resolves_to_the_instance_its_interface_and_its_node(built, con):
    world = built["world"]
    last = world["days"][-1]
    app1_id = world["changes"][0]["instances"][f"{PROD}/{US}/prod-app-1"]
    reservations = raw_aws(world, "ec2_instance", last, PROD, US)
    (app1,) = [i for i in reservations if i["InstanceId"] == app1_id]
    found = lookup(con, app1["PrivateIpAddress"])
    assert [(r["identifier_kind"], r["resource_type"], r["resource_id"], r["resource_name"], r["account_id"],
             r["region"], r["cluster"]) for r in found] == [
        ("node_ip", "k8s_node", app1["PrivateDnsName"], app1["PrivateDnsName"], PROD, US, "prod-eks"),
        ("private_ip", "ec2_instance", app1_id, "prod-app-1", PROD, US, "prod-eks"),  # a node of prod-eks
        ("private_ip", "network_interface", app1["NetworkInterfaces"][0]["NetworkInterfaceId"], None, PROD, US, None),
    ]
    # the node row says which instance the node is
    assert (found[0]["resolves_via"], found[0]["resolves_to_resource_id"],
            found[0]["resolves_to_resource_name"]) == ("ec2_instance", app1_id, "prod-app-1")
    # the id, the Name tag, the ARN and the private DNS name find the same instance
    for identifier, kind in ((app1_id, "id"), ("prod-app-1", "name_tag"), (app1["PrivateDnsName"], "dns_name"),
                             (f"arn:aws:ec2:{US}:{PROD}:instance/{app1_id}", "arn")):
        assert [(r["identifier_kind"], r["resource_id"]) for r in lookup(con, identifier, resource_type="ec2_instance")] \
            == [(kind, app1_id)], identifier


def test_dev_resources_are_kept_as_last_seen_and_marked_stale(built, con):
    world = built["world"]
    sandbox = world["changes"][0]["instances"][f"{DEV}/{US}/dev-sandbox-1"]
    (row,) = lookup(con, sandbox)
    assert (row["account_name"], row["is_stale"], row["snapshot_date"]) == ("dev", True, world["days"][1])


def test_pod_ips_ingress_hosts_and_service_hostnames_resolve_to_their_cluster(built, con):
    world = built["world"]
    last = world["days"][-1]
    (prod_dump,) = rows(con, "select dump_at from intermediate.int_k8s__latest_dumps where cluster = 'prod-eks'")
    pods = raw_k8s(world, "pod", "prod-eks", prod_dump["dump_at"])
    app_pods = [p for p in pods if p["status"].get("podIP") and not p["spec"].get("hostNetwork")
                and p["status"]["podIP"] != p["status"].get("hostIP")]
    assert app_pods
    for pod in app_pods:
        (row,) = lookup(con, pod["status"]["podIP"])
        assert (row["identifier_kind"], row["resource_type"], row["resource_id"], row["cluster"], row["namespace"],
                row["account_id"], row["account_name"], row["region"], row["is_stale"]) == (
            "pod_ip", "k8s_pod", f"{pod['metadata']['namespace']}/{pod['metadata']['name']}", "prod-eks",
            pod["metadata"]["namespace"], PROD, "prod", US, False)
    alb = [lb for lb in raw_aws(world, "elbv2_load_balancer", last, PROD, US) if lb["LoadBalancerName"] == "prod-web-alb"][0]
    (ingress,) = lookup(con, "www.shop.example.com", identifier_kind="ingress_host")
    assert (ingress["resource_type"], ingress["resource_id"], ingress["cluster"], ingress["account_id"],
            ingress["resolves_to_resource_id"], ingress["runs_in_account_name"]) == (
        "k8s_ingress", "shop/web", "prod-eks", PROD, alb["LoadBalancerArn"], "prod")
    # stg-eks was silent on the last day: its objects are those of its last dump, marked stale
    (stg,) = lookup(con, "www.staging.shop.example.com", identifier_kind="ingress_host")
    assert (stg["cluster"], stg["account_name"], stg["is_stale"], stg["snapshot_date"],
            stg["resolves_to_resource_name"]) == ("stg-eks", "staging", True, world["days"][1], "stg-web-alb")
    nlb = [lb for lb in raw_aws(world, "elbv2_load_balancer", last, PROD, US) if lb["LoadBalancerName"] == "prod-api-nlb"][0]
    kinds = {(r["identifier_kind"], r["resource_type"], r["resource_id"], r["cluster"]) for r in lookup(con, nlb["DNSName"])}
    assert kinds == {("dns_name", "elbv2_load_balancer", nlb["LoadBalancerArn"], None),
                     ("service_lb_hostname", "k8s_service", "shop/api", "prod-eks")}


def test_a_record_in_one_account_resolves_to_a_load_balancer_in_another(built, tmp_path):
    """The demo's zones point at their own account's resources, so this adds two records to staging's zone
    in a copy of the lake: an alias to prod's ALB written as AWS can return it (dualstack., upper case,
    trailing dot), and a wildcard CNAME to prod's www record (one record-to-record hop)."""
    world = built["world"]
    last = world["days"][-1]
    alb = [lb for lb in raw_aws(world, "elbv2_load_balancer", last, PROD, US) if lb["LoadBalancerName"] == "prod-web-alb"][0]
    data = tmp_path / "data"
    shutil.copytree(lake_root(world), data / "lake")
    lake = Lake(str(data / "lake"))
    (zone,) = [z for z in raw_aws(world, "route53_zone", last, STAGING, "global")]
    items = [
        {"Name": "partner.staging.shop.example.com.", "Type": "A",
         "AliasTarget": {"HostedZoneId": alb["CanonicalHostedZoneId"], "DNSName": f"dualstack.{alb['DNSName'].upper()}.",
                         "EvaluateTargetHealth": False}},
        {"Name": "\\052.staging.shop.example.com.", "Type": "CNAME", "TTL": 300,
         "ResourceRecords": [{"Value": "www.shop.example.com"}]},
    ]
    at = datetime.combine(last, time(9), tzinfo=timezone.utc)
    table = pa.Table.from_pylist([to_row(BY_NAME["route53_record"], item, account_id=STAGING, region="global",
                                         snapshot_date=last, snapshot_at=at, run_id="cross-account",
                                         parent_id=zone["Id"].split("/")[-1]) for item in items], schema=AWS_SCHEMA)
    partition = lake.aws_partition("route53_record", last, STAGING, "global")
    lake.write_table(partition.replace("part-0.parquet", "part-cross-account.parquet"), table)
    env = dict(world["env"], INVENTORY_DATA_DIR=str(data))
    result = build_world(dict(world, env=env), tmp_path, *MODELS)
    with duckdb.connect(str(result.warehouse), read_only=True) as copy:
        found = {r["identifier"]: r for r in rows(copy, "select * from marts.resource_lookup where identifier_kind = "
                                                        "'route53_record' and account_id = ?", [STAGING])}
    partner, wildcard = found["partner.staging.shop.example.com"], found["*.staging.shop.example.com"]
    for row in (partner, wildcard):
        assert (row["account_id"], row["account_name"]) == (STAGING, "staging")  # the zone is staging's
        assert (row["resolves_to_resource_type"], row["resolves_to_resource_id"], row["resolves_to_account_id"],
                row["resolves_to_account_name"], row["runs_in_account_id"], row["runs_in_account_name"]) == (
            "elbv2_load_balancer", alb["LoadBalancerArn"], PROD, "prod", PROD, "prod")
    assert (partner["resolves_via"], partner["resolves_to_target"], partner["resolves_through_record"]) == (
        "alias", alb["DNSName"].lower(), None)
    assert (wildcard["resolves_via"], wildcard["resolves_to_target"], wildcard["resolves_through_record"]) == (
        "cname > alias", "www.shop.example.com", "www.shop.example.com")


# --- subnet_utilization -------------------------------------------------------------------------------

def expected_subnet(raw: dict) -> dict:
    """The arithmetic done independently: Python's ipaddress on the lake's CIDR, AWS's five reserved."""
    network = ipaddress.ip_network(raw["CidrBlock"])
    usable = network.num_addresses - 5
    used = usable - raw["AvailableIpAddressCount"]
    return {"cidr_block": raw["CidrBlock"], "prefix_length": network.prefixlen, "total_addresses": network.num_addresses,
            "reserved_addresses": 5, "usable_addresses": usable, "available_addresses": raw["AvailableIpAddressCount"],
            "used_addresses": used,
            "percent_used": (Decimal(100 * used) / Decimal(usable)).quantize(Decimal("0.01"))}


COLUMNS = ("cidr_block", "prefix_length", "total_addresses", "reserved_addresses", "usable_addresses",
           "available_addresses", "used_addresses", "percent_used")


def test_subnet_arithmetic_of_the_demo_subnets(built, con):
    world = built["world"]
    last = world["days"][-1]
    raw = {s["SubnetId"]: s for s in raw_aws(world, "subnet", last, PROD, US)}
    by_name = {r["subnet_name"]: r for r in rows(con, "select * from marts.subnet_utilization where level = 'subnet' "
                                                      "and account_id = ? and region = ?", [PROD, US])}
    assert set(by_name) >= {"prod-public-a", "prod-public-b", "prod-app-a", "prod-app-b", "prod-db-a", "prod-db-b"}
    for name, row in by_name.items():
        if name is None:
            continue
        assert {c: row[c] for c in COLUMNS} == expected_subnet(raw[row["subnet_id"]]), name
        assert (row["account_name"], row["vpc_name"], row["is_stale"], row["snapshot_date"]) == (
            "prod", "prod-core", False, last)
    # and by hand, from the estate: prod-db-a is a /28 whose 8 seeded interfaces leave 3 of 11 usable
    assert {c: by_name["prod-db-a"][c] for c in COLUMNS} == {
        "cidr_block": "10.10.100.0/28", "prefix_length": 28, "total_addresses": 16, "reserved_addresses": 5,
        "usable_addresses": 11, "available_addresses": 3, "used_addresses": 8, "percent_used": Decimal("72.73")}
    # prod-app-a (/20) holds prod-app-1, prod-batch-worker, prod-analytics-idle and prod-ad-dc-1
    assert [by_name["prod-app-a"][c] for c in ("total_addresses", "usable_addresses", "used_addresses")] == [4096, 4091, 4]
    # prod-public-b: prod-web-2 and the day-1 prod-web-4
    assert by_name["prod-public-b"]["used_addresses"] == 2


def test_vpc_rows_sum_their_subnets(built, con):
    world = built["world"]
    subnets = rows(con, "select * from marts.subnet_utilization where level = 'subnet'")
    vpcs = rows(con, "select * from marts.subnet_utilization where level = 'vpc'")
    for vpc in vpcs:
        mine = [s for s in subnets if (s["account_id"], s["region"], s["vpc_id"]) == (vpc["account_id"], vpc["region"], vpc["vpc_id"])]
        assert vpc["subnet_count"] == len(mine)
        for column in ("total_addresses", "reserved_addresses", "usable_addresses", "available_addresses", "used_addresses"):
            assert vpc[column] == sum(s[column] for s in mine), (vpc["vpc_id"], column)
        assert vpc["subnet_id"] is None
    (core,) = [v for v in vpcs if v["vpc_name"] == "prod-core"]
    # six subnets: 2 x /24, 2 x /20, 2 x /28 of 10.10.0.0/16
    assert (core["cidr_block"], core["subnet_count"], core["total_addresses"], core["usable_addresses"],
            core["cidr_addresses"], core["unallocated_addresses"]) == (
        "10.10.0.0/16", 6, 2 * 256 + 2 * 4096 + 2 * 16, 2 * 256 + 2 * 4096 + 2 * 16 - 30, 65536,
        65536 - (2 * 256 + 2 * 4096 + 2 * 16))
    assert core["used_addresses"] == core["usable_addresses"] - core["available_addresses"]
    (sandbox,) = [v for v in vpcs if v["vpc_name"] == "dev-sandbox"]
    assert (sandbox["is_stale"], sandbox["snapshot_date"], sandbox["used_addresses"]) == (True, world["days"][1], 2)


# --- security_group_open_ingress ----------------------------------------------------------------------

def test_open_ingress_rows_of_the_demo_groups(built, con):
    world = built["world"]
    found = rows(con, "select * from marts.security_group_open_ingress")
    got = {(r["account_name"], r["region"], r["group_name"], r["protocol"], r["port_range"], r["cidr"]):
           (r["all_ports"], r["all_protocols"], r["network_interface_count"], r["instance_count"], r["is_stale"])
           for r in found}
    assert len(got) == len(found)
    assert got == {
        # prod-web-1..3 and the day-1 prod-web-4: one interface each
        ("prod", US, "prod-web", "tcp", "80", "0.0.0.0/0"): (False, False, 4, 4, False),
        ("prod", US, "prod-web", "tcp", "80", "::/0"): (False, False, 4, 4, False),
        ("prod", US, "prod-web", "tcp", "443", "0.0.0.0/0"): (False, False, 4, 4, False),
        ("prod", US, "prod-web", "tcp", "443", "::/0"): (False, False, 4, 4, False),
        ("prod", US, "prod-bastion", "tcp", "22", "0.0.0.0/0"): (False, False, 1, 1, False),
        # day 2 opened SSH to the world on prod-app (the digest's new open rule); its six instances use it
        ("prod", US, "prod-app", "tcp", "22", "0.0.0.0/0"): (False, False, 6, 6, False),
        # prod-reporting-old (stopped) still holds it
        ("prod", US, "prod-legacy-allow-all", "all", "all", "0.0.0.0/0"): (True, True, 1, 1, False),
        # day 1 opened Postgres to the world; the eight seeded DB interfaces carry the group
        ("prod", US, "prod-db", "tcp", "5432", "0.0.0.0/0"): (False, False, 8, 0, False),
        ("prod", EU, "prod-eu-web", "tcp", "443", "0.0.0.0/0"): (False, False, 2, 2, False),
        ("prod", EU, "prod-eu-web", "tcp", "443", "::/0"): (False, False, 2, 2, False),
        # stg-web-1 was terminated on day 2: no instance; moto keeps its interface (AWS would delete it)
        ("staging", US, "stg-web", "tcp", "443", "0.0.0.0/0"): (False, False, 1, 0, False),
        ("staging", US, "stg-windows-rdp", "tcp", "3389", "0.0.0.0/0"): (False, False, 1, 1, False),
        # dev could not be read on the last day: as seen on day 1, stale
        ("dev", US, "dev-open-all", "all", "all", "0.0.0.0/0"): (True, True, 2, 2, True),
        ("dev", US, "dev-open-all", "all", "all", "::/0"): (True, True, 2, 2, True),
    }
    added = world["changes"][1]["ingress_added"]
    (postgres,) = [r for r in found if r["group_name"] == "prod-db"]
    assert (postgres["security_group_id"], postgres["from_port"], postgres["to_port"], postgres["cidr"],
            postgres["ip_version"], postgres["rule_description"], postgres["account_id"]) == (
        added["group_id"], added["port"], added["port"], added["cidr"], 4, "debug access INC-4711", PROD)
    (legacy,) = [r for r in found if r["group_name"] == "prod-legacy-allow-all"]
    assert (legacy["from_port"], legacy["to_port"], legacy["running_instance_count"]) == (None, None, 0)


def test_security_group_rules_keep_every_source(con):
    # prod-db's 5432 rule has both the world and prod-app as sources: two rows of one rule
    found = rows(con, "select source_type, source, protocol, from_port from intermediate.int_network__security_group_rules "
                      "where group_name = 'prod-db' and from_port = 5432 order by source_type")
    assert [(r["source_type"], r["source"] == "0.0.0.0/0") for r in found] == [
        ("ipv4_cidr", True), ("security_group", False)]


# --- k8s_unhealthy ------------------------------------------------------------------------------------

def problems(found: list[dict]) -> set[tuple]:
    """(cluster, namespace, kind, name with a pod's generated suffix cut to its owner, problem)."""
    def owner(row):
        name = row["name"]
        if row["kind"] == "Pod":
            name = re.sub(r"-[a-z0-9]+-[a-z0-9]{5}$", "", name) if row["namespace"] != "data" else \
                re.sub(r"-\d+-[a-z0-9]{5}$", "", name)
        return name
    return {(r["cluster"], r["namespace"], r["kind"], owner(r), r["problem"]) for r in found}


def test_k8s_unhealthy_is_the_planted_problems_of_each_clusters_latest_dump(built, con):
    world = built["world"]
    days, instances = world["days"], world["changes"][0]["instances"]
    found = rows(con, "select * from marts.k8s_unhealthy order by all")
    # demo/k8s.py: prod-eks on the last day is as day 1: the evicted pod, the crash-looping worker pod,
    # the pending claim, deployment shop/worker, and new on the last day the bare pod data/debug-shell failing
    # to pull its image; stg-eks was silent, so its day-1 dump: one crash-looping pod
    assert problems(found) == {
        ("prod-eks", "shop", "Pod", "worker", "evicted_pod"),
        ("prod-eks", "shop", "Pod", "worker", "crash_looping_pod"),
        ("prod-eks", "data", "PersistentVolumeClaim", "scratch-export", "pending_claim"),
        ("prod-eks", "shop", "Deployment", "worker", "workload_short"),
        ("prod-eks", "data", "Pod", "debug-shell", "image_pull_failing_pod"),
        ("stg-eks", "shop", "Pod", "checkout", "crash_looping_pod"),
    }
    assert len(found) == 6
    (prod_dump,) = rows(con, "select * from intermediate.int_k8s__latest_dumps where cluster = 'prod-eks'")
    for row in found:
        stg = row["cluster"] == "stg-eks"
        assert (row["account_id"], row["account_name"], row["region"]) == ((STAGING, "staging", US) if stg else (PROD, "prod", US))
        assert row["is_stale"] is stg
        assert row["dump_at"] == (utc(days[1], 6) if stg else prod_dump["dump_at"])
        assert row["snapshot_date"] == (days[1] if stg else days[-1])
    by = {(r["cluster"], r["problem"]): r for r in found}
    crash = by[("prod-eks", "crash_looping_pod")]
    # crash-looping since 90 min before day 1's first dump (05:45), on node prod-app-2
    assert crash["since"] == utc(days[1], 5, 45) - timedelta(minutes=90)
    assert (crash["ec2_instance_id"], crash["ec2_instance_name"], crash["ec2_instance_type"], crash["ec2_instance_state"]) \
        == (instances[f"{PROD}/{US}/prod-app-2"], "prod-app-2", "m5.xlarge", "running")  # resized on day 1
    assert "CrashLoopBackOff" in crash["detail"] and "last terminated Error" in crash["detail"]
    evicted = by[("prod-eks", "evicted_pod")]
    (pod,) = [p for p in raw_k8s(world, "pod", "prod-eks", prod_dump["dump_at"]) if p["metadata"]["name"] == evicted["name"]]
    (ready,) = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"]
    assert (pod["status"]["phase"], pod["status"]["reason"]) == ("Failed", "Evicted")
    assert evicted["since"] == stamp(ready["lastTransitionTime"])
    assert evicted["ec2_instance_name"] == "prod-app-1" and evicted["detail"].startswith("Evicted: The node was low on")
    claim = by[("prod-eks", "pending_claim")]
    (pvc,) = [c for c in raw_k8s(world, "persistentvolumeclaim", "prod-eks", prod_dump["dump_at"])
              if c["metadata"]["name"] == "scratch-export"]
    assert claim["since"] == stamp(pvc["metadata"]["creationTimestamp"]) and "io2-fast" in claim["detail"]
    short = by[("prod-eks", "workload_short")]
    assert short["detail"] == "1 of 2 replicas ready" and short["ec2_instance_id"] is None
    stg = by[("stg-eks", "crash_looping_pod")]
    # started 50 min before day 1's first dump, on stg-app-1
    assert stg["since"] == utc(days[1], 4, 55)
    assert (stg["ec2_instance_id"], stg["ec2_instance_name"]) == (instances[f"{STAGING}/{US}/stg-app-1"], "stg-app-1")


def test_latest_dumps_and_their_staleness(built, con):
    days = built["world"]["days"]
    found = {r["cluster"]: r for r in rows(con, "select * from intermediate.int_k8s__latest_dumps")}
    assert set(found) == {"prod-eks", "stg-eks"}
    assert (found["prod-eks"]["is_stale"], found["prod-eks"]["snapshot_date"], found["prod-eks"]["account_id"]) == (
        False, days[-1], PROD)
    assert (found["stg-eks"]["is_stale"], found["stg-eks"]["dump_at"], found["stg-eks"]["account_id"],
            found["stg-eks"]["stale_after_minutes"]) == (True, utc(days[1], 6), STAGING, 45)
    assert found["stg-eks"]["dump_key"].endswith(f"dt={days[1]}/{days[1]:%Y%m%d}T060000Z.json.gz")


@pytest.mark.parametrize("day_index", [0, 1])
def test_every_problem_rule_on_the_earlier_days(built, con, day_index):
    """int_k8s__unhealthy keeps every dump, so the rules the last day does not exercise (image pull,
    long pending, node pressure, not ready) are checked on the days demo/k8s.py plants them."""
    world = built["world"]
    days, instances = world["days"], world["changes"][0]["instances"]
    at = utc(days[day_index], 6)  # each earlier day's latest dump
    node = {i["InstanceId"]: i["PrivateDnsName"] for account in (PROD, STAGING)
            for i in raw_aws(world, "ec2_instance", days[0], account, US)}
    found = rows(con, "select * from intermediate.int_k8s__unhealthy where dump_at = ? order by all", [at])
    pending = [r for r in found if r["problem"] == "long_pending_pod"]
    if day_index == 0:
        assert problems(found) == {
            ("prod-eks", "shop", "Pod", "checkout", "crash_looping_pod"),
            ("prod-eks", "shop", "Pod", "web", "image_pull_failing_pod"),
            ("prod-eks", "shop", "Pod", "worker", "evicted_pod"),
            ("prod-eks", "data", "Pod", "nightly-report", "long_pending_pod"),
            ("prod-eks", "data", "PersistentVolumeClaim", "scratch-export", "pending_claim"),
            ("prod-eks", None, "Node", node[instances[f"{PROD}/{US}/prod-app-1"]], "node_disk_pressure"),
            ("prod-eks", "shop", "Deployment", "checkout", "workload_short"),
            ("stg-eks", None, "Node", node[instances[f"{STAGING}/{US}/stg-perf-runner"]], "node_not_ready"),
        }
        assert len(found) == 8
        # the report pod was created by the 03:00 schedule: pending 3 h at the 06:00 dump
        (report,) = pending
        assert (report["since"], report["pending_minutes"]) == (utc(days[0], 3), 180)
        assert "Unschedulable" in report["detail"]
        by = {r["problem"]: r for r in found}
        assert by["node_disk_pressure"]["node_ec2_instance_id"] == instances[f"{PROD}/{US}/prod-app-1"]
        assert by["node_not_ready"]["node_ec2_instance_id"] == instances[f"{STAGING}/{US}/stg-perf-runner"]
        assert by["node_not_ready"]["detail"].startswith("Ready Unknown (NodeStatusUnknown)")
        assert "2.4.1-rc1" in by["image_pull_failing_pod"]["detail"]
        assert "OOMKilled" in by["crash_looping_pod"]["detail"]
    else:
        assert problems(found) == {
            ("prod-eks", "shop", "Pod", "worker", "evicted_pod"),
            ("prod-eks", "shop", "Pod", "worker", "crash_looping_pod"),
            ("prod-eks", "data", "PersistentVolumeClaim", "scratch-export", "pending_claim"),
            ("prod-eks", "shop", "Deployment", "worker", "workload_short"),
            ("stg-eks", "shop", "Pod", "checkout", "crash_looping_pod"),
        }
        assert len(found) == 5 and not pending
