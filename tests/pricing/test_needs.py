"""pricing/needs.py on a crafted lake: the keys the recent snapshots call for, computed as the marts key them."""
from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta, timezone

import duckdb
import pyarrow as pa
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.aws.transform import AWS_SCHEMA
from cloud_inventory.lake import Lake
from cloud_inventory.pricing.needs import Need, needs_from_lake
from cloud_inventory.warehouse.runner import build
from warehouse.conftest import PROJECT_ROOT, model_folder  # tests/warehouse/conftest.py (tests/ is on the path)

DAY = date(2026, 12, 7)


def write(lake: Lake, resource_type: str, day: date, region: str, items: list[dict], state: str = "running") -> None:
    rows = [{"account_id": "444455556666", "region": region, "resource_type": resource_type, "resource_id": str(i),
             "state": state, "snapshot_date": day, "snapshot_at": datetime.now(timezone.utc), "raw": json.dumps(item)}
            for i, item in enumerate(items)]
    lake.write_table(lake.aws_partition(resource_type, day, "444455556666", region),
                     pa.Table.from_pylist(rows, schema=AWS_SCHEMA))


def test_keys_follow_the_inventory_with_variants_smaller_sizes_and_a_weeks_snapshots(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    write(lake, "ec2_instance", DAY, "us-west-2", [
        {"InstanceType": "m5.xlarge", "PlatformDetails": "Linux/UNIX", "Placement": {"Tenancy": "default"}},
        {"InstanceType": "t3.large", "Platform": "windows", "PlatformDetails": "Windows"},
        {"InstanceType": "c5.large", "PlatformDetails": "Red Hat Enterprise Linux", "InstanceLifecycle": "spot"},
        {"InstanceType": "r5.large", "PlatformDetails": "Linux/UNIX", "Placement": {"Tenancy": "dedicated"}}])
    # an account that failed today: its instances of five days ago still count; a month ago no longer does
    write(lake, "ec2_instance", DAY - timedelta(days=5), "ap-southeast-2", [{"InstanceType": "t3.micro"}])
    write(lake, "ec2_instance", DAY - timedelta(days=30), "eu-west-1", [{"InstanceType": "t3.nano"}])
    write(lake, "ebs_volume", DAY, "us-west-2", [{"VolumeType": "gp3"}, {"VolumeType": "io1"}, {"VolumeType": "st1"}])
    write(lake, "rds_instance", DAY, "us-west-2", [
        {"DBInstanceClass": "db.t3.medium", "Engine": "postgres", "MultiAZ": True},
        {"DBInstanceClass": "db.r6g.large", "Engine": "aurora-postgresql", "DBClusterIdentifier": "c1"}])
    write(lake, "elbv2_load_balancer", DAY, "us-west-2", [{"Type": "network"}])
    write(lake, "nat_gateway", DAY, "us-west-2", [{}])
    found = {(need.price_key, need.region): need for need in needs_from_lake(lake)}
    assert set(found) == {
        ("ec2:m5.xlarge:linux", "us-west-2"), ("ec2:t3.large:windows", "us-west-2"),
        ("ec2:c5.large:red-hat-enterprise-linux:spot", "us-west-2"), ("ec2:r5.large:linux:dedicated", "us-west-2"),
        ("ec2:t3.micro:linux", "ap-southeast-2"),
        ("ebs:gp3:storage", "us-west-2"), ("ebs:gp3:iops", "us-west-2"), ("ebs:gp3:throughput", "us-west-2"),
        ("ebs:io1:storage", "us-west-2"), ("ebs:io1:iops", "us-west-2"), ("ebs:st1:storage", "us-west-2"),
        ("rds:db.t3.medium:postgres:multi-az", "us-west-2"), ("rds:db.r6g.large:aurora-postgresql:cluster-member",
                                                              "us-west-2"),
        ("elb:network", "us-west-2"), ("nat:hour", "us-west-2"), ("nat:data-processed", "us-west-2")}
    assert found[("ec2:m5.xlarge:linux", "us-west-2")].smaller[:2] == ("ec2:m5.large:linux", "ec2:m5.medium:linux")
    assert found[("rds:db.t3.medium:postgres:multi-az", "us-west-2")].smaller[0] == "rds:db.t3.small:postgres:multi-az"
    assert found[("ebs:gp3:iops", "us-west-2")] == Need("ebs:gp3:iops", "us-west-2")


def test_an_empty_lake_needs_nothing(tmp_path):
    assert needs_from_lake(Lake(str(tmp_path / "lake"))) == []


# Every combination the EC2 key's rule reads (platform, platform details, including the license-included SQL Server
# ones, lifecycle, tenancy) and the RDS deployment rule reads (cluster membership, Multi-AZ; engine and license model)
EC2_COMBINATIONS = list(itertools.product(
    (None, "windows"),
    (None, "Linux/UNIX", "Windows", "Red Hat Enterprise Linux", "SUSE Linux", "Ubuntu Pro",
     "Red Hat Enterprise Linux with HA", "Windows with SQL Server Standard", "Linux/UNIX with SQL Server Enterprise"),
    (None, "spot", "scheduled"),
    (None, "default", "dedicated", "host")))
RDS_COMBINATIONS = list(itertools.product(
    ("postgres", "mysql", "aurora-postgresql", "sqlserver-se", "oracle-ee"),
    (None, True, False),
    (None, "cluster-1"),
    ("license-included", "bring-your-own-license", None)))


def ec2_item(platform, details, lifecycle, tenancy) -> dict:
    item = {"InstanceType": "m5.xlarge"}
    for key, value in (("Platform", platform), ("PlatformDetails", details), ("InstanceLifecycle", lifecycle)):
        if value is not None:
            item[key] = value
    if tenancy is not None:
        item["Placement"] = {"Tenancy": tenancy}
    return item


def rds_item(engine, multi_az, cluster, license_model) -> dict:
    item = {"DBInstanceClass": "db.r6g.xlarge", "Engine": engine}
    for key, value in (("MultiAZ", multi_az), ("DBClusterIdentifier", cluster), ("LicenseModel", license_model)):
        if value is not None:
            item[key] = value
    return item


@pytest.fixture(scope="module")
def every_combination(tmp_path_factory):
    """A lake with every combination, its needs, and the warehouse's int_pricing__* models built over it."""
    root = tmp_path_factory.mktemp("needs-combinations")
    lake = Lake(str(root / "data" / "lake"))
    write(lake, "ec2_instance", DAY, "us-west-2", [ec2_item(*combination) for combination in EC2_COMBINATIONS])
    write(lake, "ec2_instance", DAY, "eu-west-1", [{"InstanceType": "x2idn.metal"}], state="terminated")
    write(lake, "rds_instance", DAY, "us-west-2", [rds_item(*combination) for combination in RDS_COMBINATIONS])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INVENTORY_DATA_DIR", str(root / "data"))
        patch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
        result = build(inventory_settings.load(),
                       sql_dir=model_folder(root, "intermediate/int_pricing__ec2_instances.sql",
                                            "intermediate/int_pricing__rds_instances.sql"))
        needs = needs_from_lake(lake)
    with duckdb.connect(str(result.warehouse), read_only=True) as con:
        keyed = {name: dict(con.execute(f"select resource_id, price_key from intermediate.{model} "
                                        "where region = 'us-west-2'").fetchall())
                 for name, model in (("ec2", "int_pricing__ec2_instances"), ("rds", "int_pricing__rds_instances"))}
        terminated = con.execute("select price_key from intermediate.int_pricing__ec2_instances "
                                 "where state = 'terminated'").fetchall()
    return {"needs": needs, "keyed": keyed, "terminated": [key for (key,) in terminated]}


def test_every_ec2_and_rds_combination_is_asked_with_the_key_the_marts_look_up(every_combination):
    asked = {need.price_key for need in every_combination["needs"] if need.price_key.startswith(("ec2:", "rds:"))}
    looked_up = {key for name in ("ec2", "rds") for key in every_combination["keyed"][name].values()}
    assert asked == looked_up - set(every_combination["terminated"])
    assert len(every_combination["keyed"]["ec2"]) == len(EC2_COMBINATIONS)
    assert len(every_combination["keyed"]["rds"]) == len(RDS_COMBINATIONS)
    assert every_combination["terminated"] == ["ec2:x2idn.metal:linux"]  # keyed, but not asked for


@pytest.mark.parametrize(("combination", "key"), [
    ((None, None, None, None), "ec2:m5.xlarge:linux"),
    ((None, "Linux/UNIX", None, "default"), "ec2:m5.xlarge:linux"),
    (("windows", "Windows", None, None), "ec2:m5.xlarge:windows"),
    (("windows", "Windows with SQL Server Standard", None, None), "ec2:m5.xlarge:windows"),
    ((None, "Windows with SQL Server Standard", None, None), "ec2:m5.xlarge:windows-with-sql-server-standard"),
    ((None, "Red Hat Enterprise Linux with HA", "spot", None), "ec2:m5.xlarge:red-hat-enterprise-linux-with-ha:spot"),
    ((None, "SUSE Linux", "scheduled", "dedicated"), "ec2:m5.xlarge:suse-linux:scheduled:dedicated"),
    ((None, None, None, "host"), "ec2:m5.xlarge:linux:host"),
])
def test_ec2_keys_by_platform_lifecycle_and_tenancy(every_combination, combination, key):
    assert every_combination["keyed"]["ec2"][str(EC2_COMBINATIONS.index(combination))] == key


@pytest.mark.parametrize(("combination", "key"), [
    (("postgres", True, None, None), "rds:db.r6g.xlarge:postgres:multi-az"),
    (("postgres", False, None, "license-included"), "rds:db.r6g.xlarge:postgres:single-az"),
    (("mysql", None, None, None), "rds:db.r6g.xlarge:mysql:single-az"),
    (("aurora-postgresql", True, "cluster-1", None), "rds:db.r6g.xlarge:aurora-postgresql:cluster-member"),
    (("sqlserver-se", True, None, "bring-your-own-license"), "rds:db.r6g.xlarge:sqlserver-se:multi-az"),
])
def test_rds_keys_by_deployment(every_combination, combination, key):
    assert every_combination["keyed"]["rds"][str(RDS_COMBINATIONS.index(combination))] == key
