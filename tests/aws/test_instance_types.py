"""aws/instance_types.py: the instance type catalog of the families in use, through the extractor (moto)."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from cloud_inventory.accounts import Account
from cloud_inventory.aws.extractor import Extraction
from cloud_inventory.aws.instance_types import IN_USE, families, fetch_instance_types
from cloud_inventory.aws.registry import BY_NAME

from .support import RUN_ID, SNAPSHOT_DATE, read_partition

REGION = "eu-west-1"
ACCOUNT = Account(id="123456789012", name="catalog-test")


@pytest.fixture
def run(settings, lake):
    with mock_aws():
        yield Extraction(account=ACCOUNT, region=REGION, session=boto3.Session(region_name=REGION),
                         settings=settings, lake=lake, snapshot_date=SNAPSHOT_DATE, run_id=RUN_ID)


def test_families_are_the_part_before_the_size():
    assert families(["m5.2xlarge", "m5.large", "r6g.large", "m5d.xlarge", "", None, "weird"]) == ["m5", "m5d", "r6g"]


def test_every_size_of_the_families_of_instances_and_db_instances(run, lake):
    run.client("ec2").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="m5.2xlarge")
    run.client("rds").create_db_instance(DBInstanceIdentifier="orders", DBInstanceClass="db.r6g.large",
                                         Engine="postgres", AllocatedStorage=20, MasterUsername="orders",
                                         MasterUserPassword="not-a-real-password")
    outcomes = run.run([BY_NAME["ec2_instance_type"], BY_NAME["rds_instance"], BY_NAME["ec2_instance"]])

    assert [o.status for o in outcomes] == ["ok", "ok", "ok"]
    found = {row["resource_id"] for row in read_partition(lake, "ec2_instance_type", ACCOUNT.id, REGION)}
    offered = {item["InstanceType"] for page in run.client("ec2").get_paginator("describe_instance_types").paginate()
               for item in page["InstanceTypes"]}
    assert found == {t for t in offered if t.split(".")[0] in ("m5", "r6g")}
    assert {"m5.large", "m5.xlarge", "m5.2xlarge", "r6g.medium", "r6g.large"} <= found
    assert not any(t.startswith("m5d.") for t in found)  # m5.* is the m5 family only


def test_nothing_in_use_lists_nothing(run, lake):
    requests = []
    run.client("ec2").meta.events.register("provide-client-params.ec2.DescribeInstanceTypes",
                                           lambda params, **_: requests.append(params))
    outcomes = run.run([BY_NAME["ec2_instance_type"], BY_NAME["ec2_instance"], BY_NAME["rds_instance"]])
    assert [(o.status, o.rows) for o in outcomes] == [("ok", 0), ("ok", 0), ("ok", 0)]
    assert requests == []  # an empty partition: "none in use" is an answer, without a call


def test_many_families_are_asked_in_batches(run):
    many = [f"zz{n}.large" for n in range(120)]
    run.collected[IN_USE].extend(many)
    requests = []
    run.client("ec2").meta.events.register("provide-client-params.ec2.DescribeInstanceTypes",
                                           lambda params, **_: requests.append(params))
    assert [item for page in fetch_instance_types(run) for item in page] == []  # no such families
    assert [len(r["Filters"][0]["Values"]) for r in requests] == [50, 50, 20]
    assert requests[0]["Filters"][0]["Values"][:2] == ["zz0.*", "zz1.*"]

