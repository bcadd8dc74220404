"""pricing/needs.py on a crafted lake: the keys the recent snapshots call for, computed as the marts key them."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa

from cloud_inventory.aws.transform import AWS_SCHEMA
from cloud_inventory.lake import Lake
from cloud_inventory.pricing.needs import Need, needs_from_lake

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
