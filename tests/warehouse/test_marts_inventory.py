"""The inventory marts (inventory_current, inventory_history, resource_changes, eks_nodegroup_config,
rds_instance_config) on the three-day demo world, with exact rows for what the world planted: day 1
resizes prod-app-2, opens 5432 to the world on prod-db, deletes prod-orphan-data and launches
prod-web-4; day 2 terminates stg-web-1, launches prod-worker-1, retags prod-app-1, opens 22 to the world on
prod-app and leaves a new volume prod-export-scratch unattached (Kubernetes: a new pod data/debug-shell); on day 2 all of
dev fails (its role cannot be assumed) and stg-eks is silent. Expectations that name ids read them from
estate.seed's change facts or straight from the lake, never from the models under test.

The warehouse is built once for the module from the staging models and only this module's models.
"""
from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from cloud_inventory.aws.registry import REGISTRY
from cloud_inventory.demo import estate

from .conftest import SQL_DIR, build_world

MODELS = ("intermediate/int_aws__source_snapshots.sql", "intermediate/int_k8s__latest_dumps.sql",
          "intermediate/int_inventory__*.sql",
          "marts/inventory_current.sql", "marts/inventory_history.sql", "marts/resource_changes.sql",
          "marts/eks_nodegroup_config.sql", "marts/rds_instance_config.sql")
MARTS = ("inventory_current", "inventory_history", "resource_changes", "eks_nodegroup_config",
         "rds_instance_config")
# measurements and a catalog, not resources: CloudWatch statistics, Cost Explorer's daily spend, instance types
NOT_RESOURCES = {"ec2_instance_metric", "rds_instance_metric", "log_group_metric", "nat_gateway_metric",
                 "ce_service_cost", "ec2_instance_type"}
PROD, STAGING, DEV = estate.PROD, estate.STAGING, estate.DEV
ASSUME_ROLE_ERROR = "AssumeRole.AccessDenied"


@pytest.fixture(scope="module")
def world(demo_world, tmp_path_factory):
    root = tmp_path_factory.mktemp("inventory-marts")
    result = build_world(demo_world, root, *MODELS)
    return {**demo_world, "result": result, "warehouse": root / "warehouse.duckdb"}


@pytest.fixture(scope="module")
def wh(world):
    with duckdb.connect(str(world["warehouse"]), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        yield con


def rows(con, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def instance_id(world, account: str, region: str, name: str) -> str:
    return world["changes"][0]["instances"][f"{account}/{region}/{name}"]


def lake_ids(world, account: str, day) -> set[tuple[str, str]]:
    """(resource_type, resource_id) of the account's AWS resources in the lake on that day, not terminated."""
    base = world["lake"].path("raw", "aws")
    with duckdb.connect() as con:
        found = con.execute(
            f"select resource_type, resource_id, state from read_parquet('{base}/*/dt={day}/account_id={account}/*/*.parquet', "
            "hive_partitioning = false)").fetchall()
    return {(t, i) for t, i, state in found if t not in NOT_RESOURCES and state not in ("terminated", "deleted")}


# -- the union -------------------------------------------------------------------------------------------------

def test_the_union_covers_every_aws_resource_staging_model(wh):
    union = SQL_DIR / "intermediate" / "int_inventory__aws_resources.sql"
    read = {table.name for table in sqlglot.parse_one(union.read_text(), read="duckdb").find_all(exp.Table)
            if table.db == "staging"}
    staging_aws = {path.stem for path in (SQL_DIR / "staging").glob("stg_aws__*.sql")}
    not_resources = {"stg_aws__ec2_instance_metrics", "stg_aws__rds_instance_metrics",
                     "stg_aws__log_group_metrics", "stg_aws__nat_gateway_metrics", "stg_aws__ce_service_costs",
                     "stg_aws__ec2_instance_types"}
    assert not_resources <= staging_aws
    assert read == staging_aws - not_resources, "add the missing staging models to the union list"
    # every registry type but the measurements and the catalog reaches the union (the demo world holds every type)
    types = {t for (t,) in rows(wh, "select distinct resource_type from intermediate.int_inventory__aws_resources")}
    assert types == {entry.name for entry in REGISTRY} - NOT_RESOURCES


# -- inventory_current -----------------------------------------------------------------------------------------

def test_inventory_current_has_one_row_per_resource(wh):
    duplicates = rows(wh, "select resource_type, account_id, region, resource_id, count(*) from marts.inventory_current "
                          "group by all having count(*) > 1")
    assert duplicates == []
    summary = rows(wh, "select provider, account_name, environment, team, is_stale, count(*) from marts.inventory_current "
                       "group by all order by all")
    assert summary == [
        ("aws", "dev", "dev", "data", True, 28),
        ("aws", "prod", "prod", "platform", False, 184),  # day 2's prod-export-scratch; prod-eks's two Container Insights log groups; the 3 rightsizing instances, volumes, interfaces
        ("aws", "staging", "staging", "platform", False, 70),  # with stg-nat-a, its Elastic IP and interface
        ("kubernetes", "prod", "prod", "platform", False, 59),  # day 2's data/debug-shell
        ("kubernetes", "staging", "staging", "platform", True, 39),
    ]


def test_current_aws_resources_are_the_latest_ok_snapshot_of_their_source(world, wh):
    days = world["days"]
    for account in (PROD, STAGING):
        current = {(t, i) for t, i in rows(wh, "select resource_type, resource_id from marts.inventory_current "
                                               "where account_id = ? and provider = 'aws'", account)}
        assert current == lake_ids(world, account, days[-1])
    assert rows(wh, "select distinct snapshot_date, last_ok_snapshot_date from marts.inventory_current "
                    "where provider = 'aws' and account_id <> ?", DEV) == [(days[-1], days[-1])]


def test_dev_failed_on_the_last_day_so_its_resources_are_stale_not_deleted(world, wh):
    days = world["days"]
    dev = rows(wh, "select resource_type, resource_id, is_stale, last_ok_snapshot_date, snapshot_date, "
                   "last_attempt_status, last_error_class, last_error_message, stale_since from marts.inventory_current "
                   "where account_id = ?", DEV)
    assert {(t, i) for t, i, *_ in dev} == lake_ids(world, DEV, days[1]) and len(dev) == 28
    assert {tuple(row[2:7]) for row in dev} == {(True, days[1], days[1], "failed", ASSUME_ROLE_ERROR)}
    assert all("sts:AssumeRole" in row[7] for row in dev)
    # stale since the failed attempt of the last day
    first, last = rows(wh, "select min(started_at), max(started_at) from staging.stg_manifest__aws_runs "
                           "where account_id = ? and snapshot_date = ?", DEV, days[2])[0]
    assert all(first <= row[8] <= last for row in dev)
    # nothing of dev reads as deleted, in history or in the changes
    assert rows(wh, "select count(*) from marts.inventory_history where account_id = ? and is_deleted", DEV) == [(0,)]
    assert rows(wh, "select count(*) from marts.resource_changes where account_id = ?", DEV) == [(0,)]


def test_identity_and_first_and_last_seen(world, wh):
    days = world["days"]
    app1 = instance_id(world, PROD, "us-east-1", "prod-app-1")
    row = rows(wh, "select account_name, environment, team, region, source_region, cluster, arn, name, state, "
                   "tags['team'], first_seen_date, snapshot_date, is_stale, stale_since, last_error_message "
                   "from marts.inventory_current where resource_type = 'ec2_instance' and resource_id = ?", app1)
    assert row == [("prod", "prod", "platform", "us-east-1", "us-east-1", None,
                    f"arn:aws:ec2:us-east-1:{PROD}:instance/{app1}", "prod-app-1", "running", "checkout",
                    days[0], days[2], False, None, None)]
    # a global type: an S3 bucket carries its own region, its source is "global"
    assert rows(wh, "select region, source_region from marts.inventory_current where resource_type = 's3_bucket' "
                    "and name = 'demo-prod-logs-eu-west-1'") == [("eu-west-1", "global")]


def test_terminated_and_deleted_resources_are_not_current(world, wh):
    gone = [world["changes"][1]["volume_deleted"], world["changes"][2]["terminated"]]
    assert rows(wh, "select resource_type, resource_id from marts.inventory_current where resource_id in (?, ?)",
                *gone) == []
    launched = [world["changes"][1]["launched"], world["changes"][2]["launched"]]
    assert sorted(rows(wh, "select name, first_seen_date from marts.inventory_current where resource_type = "
                           "'ec2_instance' and resource_id in (?, ?)", *launched)) == [("prod-web-4", world["days"][1]), ("prod-worker-1", world["days"][2])]


def test_kubernetes_objects_of_the_silent_cluster_are_stale(world, wh):
    days = world["days"]
    by_cluster = rows(wh, "select cluster, account_id, region, is_stale, snapshot_date, last_ok_snapshot_date, "
                          "stale_since, count(*) from marts.inventory_current where provider = 'kubernetes' "
                          "group by all order by all")
    last_stg_dump = rows(wh, "select max(dump_at) from staging.stg_manifest__k8s_dumps where cluster = 'stg-eks'")[0][0]
    assert by_cluster == [
        ("prod-eks", PROD, "us-east-1", False, days[2], days[2], None, 59),
        ("stg-eks", STAGING, "us-east-1", True, days[1], days[1], last_stg_dump + timedelta(minutes=45), 39),
    ]
    # the objects are exactly those of each cluster's latest dump (events are not inventory)
    base = world["lake"].path("raw", "k8s")
    with duckdb.connect() as con:
        for cluster, day in (("prod-eks", days[2]), ("stg-eks", days[1])):
            expected = con.execute(
                f"select count(*) from read_parquet('{base}/*/dt={day}/cluster={cluster}/*.parquet', "
                "hive_partitioning = false, union_by_name = true) where kind <> 'Event' and dump_at = "
                f"(select max(dump_at) from read_parquet('{base}/*/dt={day}/cluster={cluster}/*.parquet', "
                "hive_partitioning = false, union_by_name = true))").fetchone()[0]
            assert expected == dict((c, n) for c, *_, n in by_cluster)[cluster]
    assert rows(wh, "select resource_type, resource_id, state from marts.inventory_current where cluster = 'prod-eks' "
                    "and resource_type in ('k8s_node', 'k8s_persistentvolumeclaim') order by all") == [
        ("k8s_node", "prod-eks/ip-10-10-16-4.ec2.internal", "Ready"),
        ("k8s_node", "prod-eks/ip-10-10-32-4.ec2.internal", "Ready"),
        ("k8s_node", "prod-eks/ip-10-10-32-6.ec2.internal", "Ready"),
        ("k8s_persistentvolumeclaim", "prod-eks/data/scratch-export", "Pending"),
        ("k8s_persistentvolumeclaim", "prod-eks/shop/data-redis-0", "Bound"),
    ]


# -- inventory_history -----------------------------------------------------------------------------------------

def test_history_versions_chain_without_gaps(wh):
    assert rows(wh, "select resource_type, resource_id, version_number, count(*) from marts.inventory_history "
                    "group by all having count(*) > 1") == []
    assert rows(wh, "select resource_type, account_id, region, resource_id from marts.inventory_history "
                    "group by all having count(*) filter (where valid_to is null) <> 1") == []
    broken = rows(wh, """
        select h.resource_id, h.version_number from marts.inventory_history h
        join marts.inventory_history n using (resource_type, account_id, region, resource_id)
        where n.version_number = h.version_number + 1
          and (h.valid_to <> n.valid_from or h.valid_to_date <> n.valid_from_date or h.is_latest)""")
    assert broken == []


def test_history_counts_per_day(world, wh):
    d0, d1, d2 = world["days"]
    assert rows(wh, "select valid_from_date, change_kind, is_deleted, count(*) from marts.inventory_history "
                    "group by all order by all") == [
        (d0, "first_seen", False, 277),  # 263 + prod-eks's two log groups + stg-nat-a, its address and interface + the 3 rightsizing instances, volumes, interfaces
        (d1, "created", False, 3),     # prod-web-4, its root volume and network interface
        (d1, "deleted", True, 1),      # prod-orphan-data
        (d1, "modified", False, 3),    # prod-app-2 resized, prod-db opened, subnet prod-public-b's free IPs
        (d2, "created", False, 5),     # prod-worker-1, its volume, interface and SSM registration; prod-export-scratch
        (d2, "deleted", True, 2),      # stg-web-1 terminated, its root volume gone
        (d2, "modified", False, 4),    # prod-app-1 retagged, stg-web-tg's target, subnet prod-app-b's free IPs,
                                       # prod-app opened to the world
    ]


def test_the_volume_deleted_on_day_one_has_a_deletion_version(world, wh):
    d0, d1, _ = world["days"]
    volume = world["changes"][1]["volume_deleted"]
    history = rows(wh, "select version_number, change_kind, is_deleted, valid_from_date, valid_to_date, last_seen_date, "
                       "state, name, is_latest, valid_to from marts.inventory_history where resource_id = ? "
                       "order by version_number", volume)
    assert [row[:9] for row in history] == [
        (1, "first_seen", False, d0, d1, d0, "available", "prod-orphan-data", False),
        (2, "deleted", True, d1, None, None, None, "prod-orphan-data", True),
    ]
    deletion_at = rows(wh, "select started_at from staging.stg_manifest__aws_runs where snapshot_date = ? and "
                           "account_id = ? and region = 'us-east-1' and resource_type = 'ebs_volume'", d1, PROD)[0][0]
    assert history[0][9] == deletion_at and history[1][9] is None


def test_a_resize_is_a_new_version_and_unchanged_days_are_not(world, wh):
    d0, d1, d2 = world["days"]
    app2 = world["changes"][1]["resized"]["instance_id"]
    assert rows(wh, "select version_number, change_kind, valid_from_date, valid_to_date, last_seen_date "
                    "from marts.inventory_history where resource_type = 'ec2_instance' and resource_id = ? order by 1", app2) == [
        (1, "first_seen", d0, d1, d0), (2, "modified", d1, None, d2)]


# -- resource_changes ------------------------------------------------------------------------------------------

def test_resource_changes_exactly(world, wh):
    d0, d1, d2 = world["days"]
    changes = rows(wh, "select snapshot_date, previous_snapshot_date, account_name, resource_type, resource_id, name, "
                       "field, old_value, new_value, change_kind from marts.resource_changes")
    app1 = instance_id(world, PROD, "us-east-1", "prod-app-1")
    resized, opened = world["changes"][1]["resized"], world["changes"][1]["ingress_added"]
    ssh = world["changes"][2]["ingress_added"]
    facts = {
        "resize": (d1, d0, "prod", "ec2_instance", resized["instance_id"], "prod-app-2", "instance_type",
                   "m5.large", "m5.xlarge", "modified"),
        "open": (d1, d0, "prod", "security_group", opened["group_id"], "prod-db", "ingress_rule", None,
                 "tcp 5432 from 0.0.0.0/0 (debug access INC-4711)", "added"),
        "ssh": (d2, d1, "prod", "security_group", ssh["group_id"], "prod-app", "ingress_rule", None,
                "tcp 22 from 0.0.0.0/0 (vendor debug INC-4802)", "added"),
        "volume": (d1, d0, "prod", "ebs_volume", world["changes"][1]["volume_deleted"], "prod-orphan-data",
                   "resource", "available", None, "deleted"),
        "web4": (d1, None, "prod", "ec2_instance", world["changes"][1]["launched"], "prod-web-4", "resource", None,
                 "running", "created"),
        "retag": (d2, d1, "prod", "ec2_instance", app1, "prod-app-1", "tag:team", "payments", "checkout", "modified"),
        "worker": (d2, None, "prod", "ec2_instance", world["changes"][2]["launched"], "prod-worker-1", "resource",
                   None, "running", "created"),
        "terminated": (d2, d1, "staging", "ec2_instance", world["changes"][2]["terminated"], "stg-web-1", "resource",
                       "running", "terminated", "deleted"),
    }
    for name, fact in facts.items():
        assert changes.count(fact) == 1, name
    # the instance-level rows are exactly these (each instance once per change, nothing else)
    assert sorted((c for c in changes if c[3] == "ec2_instance"), key=str) == sorted(
        (facts[k] for k in ("resize", "web4", "retag", "worker", "terminated")), key=str)
    assert sorted(c for c in changes if c[3] == "security_group") == [facts["open"], facts["ssh"]]
    # everything else: the new instances' volumes, interfaces and SSM registration, stg-web-1's root volume,
    # and config changes the mart does not track field by field
    rest = sorted(((c[0], c[2], c[3], c[5], c[6], c[9]) for c in changes
                   if c[3] not in ("ec2_instance", "security_group") and c[4] != facts["volume"][4]), key=str)
    assert rest == sorted([
        (d1, "prod", "ebs_volume", "prod-web-4-vol", "resource", "created"),
        (d1, "prod", "network_interface", None, "resource", "created"),
        (d1, "prod", "subnet", "prod-public-b", "configuration", "modified"),
        (d2, "prod", "ebs_volume", "prod-worker-1-vol", "resource", "created"),
        (d2, "prod", "ebs_volume", "prod-export-scratch", "resource", "created"),
        (d2, "staging", "ebs_volume", "stg-web-1-vol", "resource", "deleted"),
        (d2, "staging", "elbv2_target_group", "stg-web-tg", "configuration", "modified"),
        (d2, "prod", "network_interface", None, "resource", "created"),
        (d2, "prod", "ssm_managed_instance", "ip-10-10-32-6.ec2.internal", "resource", "created"),
        (d2, "prod", "subnet", "prod-app-b", "configuration", "modified"),
    ], key=str)
    # a configuration row carries the two config hashes of the versions it is between
    assert rows(wh, """
        select count(*) from marts.resource_changes c
        join marts.inventory_history h using (resource_type, account_id, region, resource_id, version_number)
        join marts.inventory_history p on p.resource_id = h.resource_id and p.resource_type = h.resource_type
             and p.version_number = h.version_number - 1
        where c.field = 'configuration' and (c.old_value <> p.config_hash or c.new_value <> h.config_hash)""") == [(0,)]


# -- configuration marts ---------------------------------------------------------------------------------------

def test_eks_nodegroup_config(world, wh):
    nodes = {instance_id(world, PROD, "us-east-1", n) for n in ("prod-app-1", "prod-app-2")}
    nodes.add(world["changes"][2]["launched"])
    got = rows(wh, "select account_name, region, cluster_name, nodegroup_name, status, capacity_type, instance_types, "
                   "min_size, max_size, desired_size, is_stale, linked_instance_count, linked_by, "
                   "avg_cpu_percent is not null, max_cpu_percent is not null, cpu_note from marts.eks_nodegroup_config "
                   "order by nodegroup_name")
    assert [row[:13] for row in got] == [
        ("prod", "us-east-1", "prod-eks", "prod-general", "ACTIVE", "ON_DEMAND", ["m5.xlarge"], 1, 6, 3, False, 3,
         ["kubernetes_node"]),
        ("prod", "us-east-1", "prod-eks", "prod-memory", "ACTIVE", "ON_DEMAND", ["r5.xlarge"], 1, 4, 2, False, 0, None),
        ("staging", "us-east-1", "stg-eks", "stg-general", "ACTIVE", "ON_DEMAND", ["t3.large"], 1, 4, 2, False, 1,
         ["kubernetes_node"]),
    ]
    general, memory, staging = got
    assert general[13:] == (True, True, None)
    assert memory[13:15] == (False, False) and memory[15].startswith("no instance linked")
    assert staging[13:15] == (True, True) and "stale" in staging[15]  # linked through stg-eks's stale dump
    assert set(rows(wh, "select linked_instance_ids from marts.eks_nodegroup_config "
                        "where nodegroup_name = 'prod-general'")[0][0]) == nodes
    # the node group's CPU is its instances' CPU
    cpu = rows(wh, "select avg(avg_cpu_percent), max(max_cpu_percent) from intermediate.int_inventory__ec2_cpu_14d "
                   "where instance_id in (?, ?, ?)", *sorted(nodes))[0]
    assert rows(wh, "select avg_cpu_percent, max_cpu_percent from marts.eks_nodegroup_config "
                    "where nodegroup_name = 'prod-general'")[0] == pytest.approx(cpu)


def test_rds_instance_config(wh):
    got = rows(wh, "select account_name, region, db_instance_id, status, instance_class, engine, allocated_storage_gib, "
                   "storage_type, is_multi_az, db_cluster_id, is_stale from marts.rds_instance_config order by all")
    assert got == [
        ("prod", "eu-west-1", "prod-eu-orders-db", "available", "db.r6g.large", "postgres", 200, "gp3", False, None, False),
        ("prod", "us-east-1", "prod-orders-db", "available", "db.r6g.large", "postgres", 200, "gp3", True, None, False),
        ("prod", "us-east-1", "prod-payments-aurora-1", "available", "db.r6g.large", "aurora-postgresql", 1, "aurora",
         False, "prod-payments-aurora", False),
        ("prod", "us-east-1", "prod-payments-aurora-2", "available", "db.r6g.large", "aurora-postgresql", 1, "aurora",
         False, "prod-payments-aurora", False),
        ("prod", "us-east-1", "prod-reporting-db", "available", "db.t3.medium", "mysql", 100, "gp3", False, None, False),
        ("staging", "us-east-1", "stg-orders-db", "available", "db.t3.medium", "postgres", 50, "gp3", False, None, False),
        ("staging", "us-east-1", "stg-payments-aurora-1", "available", "db.t4g.medium", "aurora-postgresql", 1,
         "aurora", False, "stg-payments-aurora", False),
    ]
    # the estate's idle database: CPU 1.5-2.1 % a day, no connections; the others are busy
    idle = rows(wh, "select max_daily_avg_cpu_percent, avg_connections, metric_days from marts.rds_instance_config "
                    "where db_instance_id = 'prod-reporting-db'")[0]
    assert idle[0] == pytest.approx(2.1) and idle[1] == 0 and idle[2] >= 12
    assert rows(wh, "select count(*) from marts.rds_instance_config where db_instance_id <> 'prod-reporting-db' "
                    "and (max_daily_avg_cpu_percent < 18 or avg_connections < 40)") == [(0,)]


# -- cost ------------------------------------------------------------------------------------------------------

def test_the_inventory_models_build_in_seconds(world, wh):
    stats = dict(rows(wh, "select model, seconds from meta.model_stats where layer <> 'staging'"))
    assert set(stats) >= {f"marts.{mart}" for mart in MARTS}
    assert sum(stats.values()) < 10, stats
