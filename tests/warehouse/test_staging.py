"""The real staging models (include/sql/staging) over a real lake: the demo estate extracted from the
emulator by the extractor, recorded API responses (tests/data/aws) through the lake's own row transform,
and Kubernetes dumps (tests/data/k8s) ingested from an emulated drop box with their ledger.

Only the staging layer is built here (a model folder whose staging/ is the project's own): the layers
above have their own tests, and a mart in progress must not fail the staging contract.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import duckdb
import jmespath
import pyarrow as pa
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.accounts import load as load_accounts
from cloud_inventory.aws.extractor import GLOBAL, extract_pair
from cloud_inventory.aws.registry import BY_NAME, types_for
from cloud_inventory.aws.transform import AWS_SCHEMA, to_row
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.lake import Lake
from cloud_inventory.pipeline import aws_prices
from cloud_inventory.pipeline.k8s_inventory import configured_clusters, ingest_cluster
from cloud_inventory.warehouse.models import discover
from cloud_inventory.warehouse.runner import build
from cloud_inventory.warehouse.sources import lake_sources, list_files

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STAGING = PROJECT_ROOT / "include" / "sql" / "staging"
DATA = PROJECT_ROOT / "tests" / "data"
DEMO_ACCOUNTS = PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml"
RECORDED_ACCOUNT, RECORDED_REGION = "123456789012", "eu-west-1"
# Recorded API responses written to the lake as the extractor would: type -> (file, items, parent id).
RECORDED = {
    "ec2_instance": ("ec2.DescribeInstances.json", None, None),
    "ebs_volume": ("ec2.DescribeVolumes.json", None, None),
    "eks_nodegroup": ("eks.DescribeNodegroup.json", "[nodegroup]", "prod-eu"),
    "elbv2_load_balancer": ("elbv2.DescribeLoadBalancers.json", None, None),
    "lambda_function": ("lambda.ListFunctions.json", None, None),
    "log_group": ("logs.DescribeLogGroups.json", None, None),
    "rds_instance": ("rds.DescribeDBInstances.json", None, None),
    "route53_record": ("route53.ListResourceRecordSets.json", None, "ZRECORDED"),
    "ssm_managed_instance": ("ssm.DescribeInstanceInformation.json", None, None),
}
PREFIXES = {"lake_aws_": "stg_aws__", "lake_k8s_": "stg_k8s__", "lake_manifest_": "stg_manifest__",
            "lake_pricing_": "stg_pricing__"}


def staging_only(root: Path) -> Path:
    """A model folder holding the project's staging models and nothing else."""
    sql = root / "sql"
    for layer in ("intermediate", "marts"):
        (sql / layer).mkdir(parents=True, exist_ok=True)
    (sql / "staging").symlink_to(STAGING, target_is_directory=True)
    return sql


def write_recorded(lake: Lake, day, at: datetime) -> None:
    for resource_type, (file, items, parent) in RECORDED.items():
        entry = BY_NAME[resource_type]
        region = GLOBAL if entry.scope == "global" else RECORDED_REGION
        response = json.loads((DATA / "aws" / file).read_text())
        rows = [to_row(entry, item, account_id=RECORDED_ACCOUNT, region=region, snapshot_date=day, snapshot_at=at,
                       run_id="recorded", parent_id=parent)
                for item in jmespath.search(items or entry.items, response)]
        lake.write_table(lake.aws_partition(resource_type, day, RECORDED_ACCOUNT, region),
                         pa.Table.from_pylist(rows, schema=AWS_SCHEMA))


def put_dump(s3, bucket: str, cluster: str, stamp: str, body: bytes, suffix: str = ".json") -> None:
    day = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"
    s3.put_object(Bucket=bucket, Key=f"dumps/cluster={cluster}/dt={day}/{stamp}{suffix}", Body=body)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The demo estate and Kubernetes dumps in a lake, and the staging models built over it (once)."""
    root = tmp_path_factory.mktemp("staging")
    with Emulator(seed_demo=True) as emulator, pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", emulator.url)
        patch.setenv("INVENTORY_DATA_DIR", str(root / "data"))
        patch.setenv("INVENTORY_ACCOUNTS_FILE", str(DEMO_ACCOUNTS))
        patch.setenv("INVENTORY_DUMPS_URI", "s3://staging-test-dumps/dumps")
        settings = inventory_settings.load()
        lake = Lake(settings.lake_uri)
        now = datetime.now(timezone.utc)
        day = now.date()
        for account in load_accounts(settings.accounts_file).accounts:
            for region in (*account.regions, GLOBAL):
                extract_pair(account, region, settings, lake, day, "staging-test")
        write_recorded(lake, day, now)
        aws_prices.run(settings, day)  # the emulator's Price List answers

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="staging-test-dumps")
        stamp = day.strftime("%Y%m%dT")
        dump = (DATA / "k8s" / "dump-list.json").read_bytes()
        put_dump(s3, "staging-test-dumps", "prod-eks", stamp + "060000Z", dump)
        put_dump(s3, "staging-test-dumps", "prod-eks", stamp + "061500Z",
                 (DATA / "k8s" / "parser" / "unknown-kind.json").read_bytes())
        put_dump(s3, "staging-test-dumps", "prod-eks", stamp + "063000Z",
                 (DATA / "k8s" / "parser" / "bad-truncated.json.gz").read_bytes(), ".json.gz")
        put_dump(s3, "staging-test-dumps", "stg-eks", stamp + "060000Z", dump)
        for cluster in configured_clusters(settings):
            ingest_cluster(cluster, settings, "staging-test")

        sql = staging_only(root)
        result = build(settings, sql_dir=sql)
        yield {"root": root, "settings": settings, "lake": lake, "sql": sql, "result": result, "day": day,
               "now": now, "warehouse": Path(settings.warehouse_path), "s3": s3, "stamp": stamp}


@pytest.fixture(scope="module")
def wh(world):
    with duckdb.connect(str(world["warehouse"]), read_only=True) as con:
        yield con


def one(con, sql: str, *params):
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, f"expected one row, got {len(rows)}: {sql}"
    return rows[0]


def eip(con, name: str) -> str:
    return one(con, "select public_ip from staging.stg_aws__elastic_ips where name = ?", name)[0]


def test_every_lake_source_has_exactly_one_staging_model(tmp_path):
    sources = lake_sources()
    models = discover(staging_only(tmp_path), set(sources))
    by_source: dict[str, list[str]] = {}
    for model in models:
        assert model.layer == "staging" and len(model.sources) == 1, f"{model.relation} reads {model.sources}"
        (source,) = model.sources
        by_source.setdefault(source, []).append(model.name)
    assert {name: by_source.get(name, []) for name in sources if len(by_source.get(name, [])) != 1} == {}
    for source, (model,) in by_source.items():
        prefix = next(p for p in PREFIXES if source.startswith(p))
        assert model.startswith(PREFIXES[prefix]), f"{model} reads {source}: name it {PREFIXES[prefix]}..."


def test_every_staging_model_is_narrow_and_dated(world, wh):
    columns: dict[str, set[str]] = {}
    for table, column in wh.execute("select table_name, column_name from duckdb_columns() "
                                    "where schema_name = 'staging'").fetchall():
        columns.setdefault(table, set()).add(column)
    assert len(columns) == len(lake_sources())
    for table, names in columns.items():
        assert "snapshot_date" in names and "raw" not in names, table
        if table.startswith("stg_aws__"):
            assert {"resource_id", "account_id", "region", "snapshot_at"} <= names, table
            measurement = table.endswith("_metrics") or table == "stg_aws__ce_service_costs"
            assert ("config_hash" in names) != measurement, table
        if table.startswith("stg_k8s__"):
            assert {"cluster", "account_id", "region", "namespace", "name", "resource_id", "snapshot_at"} <= names
    stats = {s["model"]: s["mode"] for s in world["result"].stats}
    assert stats["staging.stg_manifest__k8s_dumps"] == "table"
    assert {mode for model, mode in stats.items() if model != "staging.stg_manifest__k8s_dumps"} == {"full"}


def test_row_counts_equal_the_lake(world, wh):
    lake, counts = world["lake"], {}
    with duckdb.connect() as con:
        for name, source in lake_sources().items():
            paths = [f.path for f in list_files(lake, source)]
            counts[name] = con.execute("select count(*) from read_parquet(?, hive_partitioning = false)",
                                       [paths]).fetchone()[0] if paths else 0
    sources = {next(iter(m.sources)): m.name for m in discover(world["sql"], set(lake_sources()))}
    staged = {source: wh.execute(f"select count(*) from staging.{model}").fetchone()[0]
              for source, model in sources.items()}
    assert staged == counts
    # the lake really holds every kind of dataset, so the counts mean something
    assert [name for name, count in counts.items() if count == 0] == []


def test_ec2_instances(world, wh):
    web = one(wh, "select instance_type, state, security_group_ids, security_group_names, subnet_id, vpc_id, "
                  "image_id, volume_ids, private_ip_address, private_dns_name, availability_zone "
                  "from staging.stg_aws__ec2_instances where name = 'prod-web-1'")
    prod_web_sg = one(wh, "select security_group_id, vpc_id from staging.stg_aws__security_groups "
                          "where group_name = 'prod-web'")
    subnet = one(wh, "select subnet_id from staging.stg_aws__subnets where name = 'prod-public-a'")[0]
    assert web[:2] == ("t3.medium", "running")
    assert web[2:4] == ([prod_web_sg[0]], ["prod-web"])
    assert web[4:7] == (subnet, prod_web_sg[1], "ami-04681a1dbd79675a5")
    assert len(web[7]) == 1 and web[7][0].startswith("vol-")
    assert web[8].startswith("10.10.0.") and web[9].startswith("ip-10-10-0-") and web[10] == "us-east-1a"

    bastion = one(wh, "select public_ip_address, public_ip_addresses, public_dns_name "
                      "from staging.stg_aws__ec2_instances where name = 'prod-bastion'")
    assert bastion[0] == eip(wh, "prod-bastion-eip") and bastion[1] == [bastion[0]] and bastion[2]

    # stopped 45 days ago (the emulator backdates it): the date comes out of StateTransitionReason
    stopped = one(wh, "select state, state_transition_reason, state_transition_at, state_reason_code "
                      "from staging.stg_aws__ec2_instances where name = 'prod-batch-worker'")
    assert stopped[0] == "stopped" and stopped[1].startswith("User initiated (")
    assert abs(world["now"] - stopped[2] - timedelta(days=45)) < timedelta(days=1)
    assert stopped[3] == "Client.UserInitiatedShutdown"
    assert one(wh, "select platform from staging.stg_aws__ec2_instances where name = 'prod-ad-dc-1'") == ("windows",)

    # the recorded response: a real instance profile, public addresses, GMT transition reason, '' names as null
    recorded = wh.execute("select instance_id, iam_instance_profile_arn, public_ip_address, public_dns_name, "
                          "state_transition_at, platform_details, volume_ids, launched_at "
                          "from staging.stg_aws__ec2_instances where account_id = ? order by instance_id",
                          [RECORDED_ACCOUNT]).fetchall()
    assert recorded[0][:4] == ("i-0a1b2c3d4e5f60718", "arn:aws:iam::123456789012:instance-profile/web",
                               "34.240.11.22", "ec2-34-240-11-22.eu-west-1.compute.amazonaws.com")
    assert recorded[0][5:] == ("Linux/UNIX", ["vol-0123456789abcdef0"],
                               datetime(2024, 11, 2, 9, 15, 27, tzinfo=timezone.utc))
    assert recorded[1][0] == "i-0f9e8d7c6b5a40312" and recorded[1][3] is None
    assert recorded[1][4] == datetime(2025, 1, 10, 8, tzinfo=timezone.utc)


def test_security_group_rules(wh):
    rules = one(wh, "select ingress_rules, egress_rules from staging.stg_aws__security_groups "
                    "where group_name = 'prod-bastion'")
    assert rules[0] == [{"protocol": "tcp", "from_port": 22, "to_port": 22,
                         "ipv4_ranges": [{"cidr": "0.0.0.0/0", "description": "temporary: vendor access"}],
                         "ipv6_ranges": [], "prefix_list_ids": [], "source_groups": []}]
    assert rules[1][0]["protocol"] == "-1" and rules[1][0]["ipv4_ranges"][0]["cidr"] == "0.0.0.0/0"
    app = one(wh, "select ingress_rules from staging.stg_aws__security_groups where group_name = 'prod-app'")[0]
    web = one(wh, "select security_group_id from staging.stg_aws__security_groups where group_name = 'prod-web'")[0]
    assert [(r["from_port"], [g["group_id"] for g in r["source_groups"]]) for r in app][0] == (8080, [web])


def test_volumes_snapshots_and_images(wh):
    assert one(wh, "select size_gib, volume_type, state, attached_instance_ids, iops from staging.stg_aws__ebs_volumes "
                   "where name = 'prod-orphan-data'") == (500, "gp3", "available", [], 3000)
    worker = one(wh, "select instance_id, volume_ids from staging.stg_aws__ec2_instances "
                     "where name = 'prod-batch-worker'")
    attached = wh.execute("select size_gib, volume_type, attached_instance_ids from staging.stg_aws__ebs_volumes "
                          "where list_contains(?, volume_id) order by size_gib", [worker[1]]).fetchall()
    assert attached == [(8, "gp3", [worker[0]]), (200, "gp2", [worker[0]])]

    orphan = one(wh, "select volume_id, volume_size_gib, owner_id, started_at, description "
                     "from staging.stg_aws__ebs_snapshots where name = 'prod-decommissioned-db-final'")
    assert orphan[1:3] == (300, "111111111111") and orphan[4] == "final snapshot before decommission"
    assert one(wh, "select count(*) from staging.stg_aws__ebs_volumes where volume_id = ?", orphan[0]) == (0,)
    image = one(wh, "select owner_id, snapshot_ids, image_name from staging.stg_aws__amis "
                    "where name = 'prod-web-golden-2025-10'")
    assert image[0] == "111111111111" and image[2] == "prod-web-golden-2025-10" and len(image[1]) == 1
    assert one(wh, "select count(*) from staging.stg_aws__ebs_snapshots where snapshot_id = ?", image[1][0]) == (1,)


def test_network_identifiers(wh):
    assert one(wh, "select cidr_block, available_ip_count, availability_zone from staging.stg_aws__subnets "
                   "where name = 'prod-db-a'") == ("10.10.100.0/28", 3, "us-east-1a")
    assert one(wh, "select cidr_block, cidr_blocks from staging.stg_aws__vpcs where name = 'prod-core'") == \
        ("10.10.0.0/16", ["10.10.0.0/16"])
    spare = one(wh, "select state, association_id, instance_id, public_ip from staging.stg_aws__elastic_ips "
                    "where name = 'prod-old-vpn-eip'")
    assert spare[:3] == ("unassociated", None, None) and spare[3]
    eni = one(wh, "select network_interface_id, public_ip, attached_instance_id, private_ip_addresses "
                  "from staging.stg_aws__network_interfaces n where attached_instance_id = "
                  "(select instance_id from staging.stg_aws__ec2_instances where name = 'prod-bastion')")
    assert eni[1] == eip(wh, "prod-bastion-eip")
    assert len(eni[3]) == 1
    nat = one(wh, "select public_ips, subnet_id from staging.stg_aws__nat_gateways where name = 'prod-nat-a'")
    assert nat[0] == [eip(wh, "prod-nat-eip")]


def test_load_balancers_and_dns(wh):
    alb = one(wh, "select load_balancer_arn, dns_name, scheme, load_balancer_type, state "
                  "from staging.stg_aws__elbv2_load_balancers where name = 'prod-web-alb'")
    assert alb[1].startswith("prod-web-alb-") and alb[2:] == ("internet-facing", "application", "active")
    groups = dict(wh.execute("select target_group_name, [registered_target_count, healthy_target_count] "
                             "from staging.stg_aws__elbv2_target_groups where account_id = '111111111111'").fetchall())
    assert groups == {"prod-web-tg": [3, 3], "prod-api-tg": [2, 2], "prod-promo-tg": [0, 0], "prod-eu-web-tg": [2, 2]}
    assert one(wh, "select load_balancer_arns from staging.stg_aws__elbv2_target_groups "
                   "where target_group_name = 'prod-web-tg'") == ([alb[0]],)
    clb = one(wh, "select dns_name, instance_ids from staging.stg_aws__classic_load_balancers")
    assert clb == ("prod-legacy-clb.us-east-1.elb.amazonaws.com",
                   [one(wh, "select instance_id from staging.stg_aws__ec2_instances where name = 'prod-web-1'")[0]])

    www = one(wh, "select record_type, alias_dns_name, record_values, z.zone_name "
                  "from staging.stg_aws__route53_records join staging.stg_aws__route53_zones z "
                  "using (hosted_zone_id) where record_name = 'www.shop.example.com.'")
    assert www == ("A", alb[1], None, "shop.example.com.")
    cdn = one(wh, "select distribution_id, domain_name, aliases, origin_domain_names, created_at "
                  "from staging.stg_aws__cloudfront_distributions")
    assert cdn[2:] == (["static.shop.example.com"], ["demo-prod-web-assets.s3.amazonaws.com"], None)
    assert one(wh, "select alias_dns_name from staging.stg_aws__route53_records "
                   "where record_name = 'static.shop.example.com.'") == (cdn[1],)
    bastion = one(wh, "select record_values, ttl_seconds from staging.stg_aws__route53_records "
                      "where record_name = 'bastion.shop.example.com.'")
    assert bastion == ([eip(wh, "prod-bastion-eip")], 300)
    recorded = wh.execute("select record_name, record_type, hosted_zone_id, alias_dns_name, set_identifier, "
                          "routing_region, record_values from staging.stg_aws__route53_records "
                          "where account_id = ? order by record_name", [RECORDED_ACCOUNT]).fetchall()
    assert recorded[0] == ("api.example.com.", "CNAME", "ZRECORDED", None, "eu-west-1", "eu-west-1",
                           ["web-prod-1234567890.eu-west-1.elb.amazonaws.com"])
    assert recorded[2][3] == "dualstack.web-prod-1234567890.eu-west-1.elb.amazonaws.com."


def test_databases_clusters_and_other_services(wh):
    db = one(wh, "select instance_class, allocated_storage_gib, storage_type, engine, is_multi_az, endpoint_address, "
                 "endpoint_port, state, vpc_id from staging.stg_aws__rds_instances "
                 "where db_instance_id = 'prod-orders-db'")
    assert db[:5] == ("db.r6g.large", 200, "gp3", "postgres", True)
    assert db[5].startswith("prod-orders-db.") and db[5].endswith(".us-east-1.rds.amazonaws.com")
    assert db[6:8] == (5432, "available") and db[8].startswith("vpc-")
    assert one(wh, "select endpoint_address, is_multi_az from staging.stg_aws__rds_instances "
                   "where db_instance_id = 'orders-db'") == ("orders-db.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com", True)
    aurora = one(wh, "select engine, members, endpoint_address from staging.stg_aws__rds_clusters "
                     "where db_cluster_id = 'prod-payments-aurora'")
    assert aurora[0] == "aurora-postgresql" and len(aurora[1]) == 2 and aurora[2].startswith("prod-payments-aurora.")
    assert one(wh, "select cluster_name, nodegroup_name, instance_types, min_size, max_size, desired_size, state "
                   "from staging.stg_aws__eks_nodegroups where nodegroup_id = 'prod-eks/prod-general'") == \
        ("prod-eks", "prod-general", ["m5.xlarge"], 1, 6, 3, "ACTIVE")
    assert one(wh, "select cluster_name, instance_types, desired_size from staging.stg_aws__eks_nodegroups "
                   "where account_id = ?", RECORDED_ACCOUNT) == ("prod-eu", ["m6i.xlarge"], 3)
    logs = dict(wh.execute("select log_group_name, retention_days from staging.stg_aws__log_groups "
                           "where account_id = '111111111111' and region = 'us-east-1'").fetchall())
    assert logs["/aws/lambda/prod-thumbnailer"] == 14 and logs["/app/prod/web"] is None
    assert one(wh, "select stored_bytes, retention_days from staging.stg_aws__log_groups "
                   "where log_group_name = '/aws/lambda/orders-api'") == (1048576, None)
    assert one(wh, "select region, location_constraint from staging.stg_aws__s3_buckets "
                   "where bucket_name = 'demo-prod-eu-customer-exports'") == ("eu-west-1", "eu-west-1")
    assert one(wh, "select memory_mb, created_at is null, last_modified_at is not null from "
                   "staging.stg_aws__lambda_functions where function_name = 'prod-order-events'") == (512, True, True)
    assert one(wh, "select node_type, node_count from staging.stg_aws__redshift_clusters "
                   "where cluster_id = 'prod-dwh'") == ("ra3.xlplus", 2)
    ssm = one(wh, "select state, platform_type from staging.stg_aws__ssm_managed_instances where instance_id = "
                  "(select instance_id from staging.stg_aws__ec2_instances where name = 'prod-ad-dc-1')")
    assert ssm == ("Online", "Windows")


def test_daily_statistics(wh):
    idle = wh.execute("""
        select m.metric_name, m.statistic, count(distinct m.metric_date), max(m.metric_value)
        from staging.stg_aws__ec2_instance_metrics m
        join staging.stg_aws__ec2_instances i using (instance_id)
        where i.name = 'prod-analytics-idle'
        group by all order by all""").fetchall()
    assert [(name, stat) for name, stat, _, _ in idle] == [
        ("CPUUtilization", "Average"), ("CPUUtilization", "Maximum"),
        ("mem_used_percent", "Average"), ("mem_used_percent", "Maximum")]
    assert all(days >= 13 for _, _, days, _ in idle) and idle[0][3] < 5
    assert one(wh, "select count(*) from staging.stg_aws__ec2_instance_metrics where period_seconds <> 86400 "
                   "or metric_date <> cast(timezone('UTC', period_start_at) as date)") == (0,)
    connections = one(wh, "select max(metric_value) from staging.stg_aws__rds_instance_metrics "
                          "where db_instance_id = 'prod-reporting-db' and metric_name = 'DatabaseConnections'")
    assert connections == (0.0,)


def test_kubernetes(world, wh):
    crashing = one(wh, "select phase, waiting_reason, last_termination_reason, restart_count, ready_containers, "
                       "container_images, owner_kind, account_id from staging.stg_k8s__pods "
                       "where cluster = 'prod-eks' and resource_id = 'shop/web-6d4cf56db6-x7k2p'")
    assert crashing == ("Running", "CrashLoopBackOff", "OOMKilled", 23, 0, ["nginx:1.27"], "ReplicaSet", "111111111111")
    evicted = one(wh, "select phase, status_reason from staging.stg_k8s__pods "
                      "where cluster = 'stg-eks' and name = 'node-exporter-5xw8r'")
    assert evicted == ("Failed", "Evicted")
    deployment = one(wh, "select desired_replicas, available_replicas, list_filter(conditions, "
                         "lambda c: c.type = 'Available')[1].reason from staging.stg_k8s__deployments "
                         "where cluster = 'prod-eks'")
    assert deployment == (2, 1, "MinimumReplicasUnavailable")
    pressure = one(wh, "select ec2_instance_id, has_disk_pressure, is_ready, taints[1].effect "
                       "from staging.stg_k8s__nodes where cluster = 'prod-eks' and has_disk_pressure")
    assert pressure[0].startswith("i-") and pressure[1:] == (True, True, "NoSchedule")
    assert one(wh, "select ebs_volume_id, reclaim_policy from staging.stg_k8s__persistentvolumes "
                   "where cluster = 'prod-eks' and phase = 'Released'") == ("vol-0a2b4c6d8e0f1a3b5", "Retain")
    assert one(wh, "select kind, namespace, name from staging.stg_k8s__other_objects") == \
        ("VerticalPodAutoscaler", "shop", "web")
    ledger = wh.execute("select cluster, status, row_count, snapshot_date, dump_at = snapshot_at, error_class "
                        "from staging.stg_manifest__k8s_dumps order by dump_key").fetchall()
    assert [row[:3] for row in ledger] == [("prod-eks", "ok", 24), ("prod-eks", "ok", 1),
                                           ("prod-eks", "quarantined", 0), ("stg-eks", "ok", 24)]
    assert ledger[2][5] == "DumpError" and all(row[4] for row in ledger)
    assert {row[3] for row in ledger} == {world["day"]}


def test_manifest(world, wh):
    runs = wh.execute("select account_name, resource_type, status, row_count from staging.stg_manifest__aws_runs "
                      "where region = 'us-east-1'").fetchall()
    assert len(runs) == 3 * len(types_for("regional"))
    assert ("prod", "ec2_instance", "ok", 10) in runs
    assert {status for *_, status, _ in runs} == {"ok"}
    counted = dict(wh.execute("select account_name, sum(row_count) from staging.stg_manifest__aws_runs "
                              "where resource_type = 'ec2_instance' group by all").fetchall())
    instances = dict(wh.execute("select account_id, count(*) from staging.stg_aws__ec2_instances "
                                "group by all").fetchall())
    assert counted == {"prod": instances["111111111111"], "staging": instances["222222222222"],
                       "dev": instances["333333333333"]}


def test_a_new_dump_redoes_only_its_date(world, tmp_path, monkeypatch):
    """Incremental staging with the real models: a later dump of the day reruns that date only."""
    data = tmp_path / "data"
    shutil.copytree(world["root"] / "data", data, ignore=shutil.ignore_patterns("warehouse.duckdb*"))
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(data))
    settings = inventory_settings.load()
    build(settings, sql_dir=world["sql"])  # the copy's own first build (the lake's paths are part of its state)
    put_dump(world["s3"], "staging-test-dumps", "prod-eks", world["stamp"] + "070000Z",
             (DATA / "k8s" / "dump-list.json").read_bytes())
    ingest_cluster(next(c for c in configured_clusters(settings) if c["name"] == "prod-eks"), settings, "again")

    result = build(settings, sql_dir=world["sql"])

    modes = {s["model"]: s["mode"] for s in result.stats}
    assert modes["staging.stg_k8s__pods"] == "1 date(s)" and modes["staging.stg_aws__ec2_instances"] == "unchanged"
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), count(distinct dump_at) from staging.stg_k8s__pods "
                           "where cluster = 'prod-eks'").fetchone() == (8, 2)
        assert con.execute("select count(*) from staging.stg_manifest__k8s_dumps").fetchone() == (5,)


def test_an_empty_lake_builds_every_staging_model_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(DEMO_ACCOUNTS))
    result = build(inventory_settings.load(), sql_dir=staging_only(tmp_path))
    assert len(result.stats) == len(lake_sources())
    assert {s["model"]: s["rows"] for s in result.stats if s["rows"]} == {}


def test_config_hash_ignores_what_changes_by_itself(tmp_path, monkeypatch):
    """Two days of an unchanged RDS instance and log group hash the same; a real change does not."""
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(DEMO_ACCOUNTS))
    settings = inventory_settings.load()
    lake = Lake(settings.lake_uri)
    db = {"DBInstanceIdentifier": "db1", "DBInstanceClass": "db.t3.micro", "Engine": "postgres"}
    logs = {"logGroupName": "/app", "creationTime": 1718000000123}
    days = [datetime(2026, 11, d, 6, tzinfo=timezone.utc) for d in (19, 20, 21)]
    versions = [({**db, "LatestRestorableTime": "2026-11-19T05:55:00Z"}, {**logs, "storedBytes": 10}),
                ({**db, "LatestRestorableTime": "2026-11-20T05:58:00Z"}, {**logs, "storedBytes": 99}),
                ({**db, "DBInstanceClass": "db.t3.small"}, {**logs, "storedBytes": 99, "retentionInDays": 7})]
    for at, (db_item, log_item) in zip(days, versions):
        for resource_type, item in (("rds_instance", db_item), ("log_group", log_item)):
            row = to_row(BY_NAME[resource_type], item, account_id="111111111111", region="us-east-1",
                         snapshot_date=at.date(), snapshot_at=at, run_id="r")
            lake.write_table(lake.aws_partition(resource_type, at.date(), "111111111111", "us-east-1"),
                             pa.Table.from_pylist([row], schema=AWS_SCHEMA))

    build(settings, sql_dir=staging_only(tmp_path))

    with duckdb.connect(settings.warehouse_path, read_only=True) as con:
        for model in ("stg_aws__rds_instances", "stg_aws__log_groups"):
            hashes = [h for (h,) in con.execute(f"select config_hash from staging.{model} order by snapshot_date")
                      .fetchall()]
            assert hashes[0] == hashes[1] != hashes[2], model
