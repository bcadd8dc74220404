"""pricing/catalog.py: the query that prices each key, or why none can."""
from __future__ import annotations

import pytest

from cloud_inventory.pricing.catalog import PriceQuery, Unpriceable, query_for, smaller_sizes, usagetype_matches


def test_an_instance_key_asks_for_its_type_os_tenancy_and_used_capacity_in_its_region():
    query = query_for("ec2:m5.large:linux", "ap-southeast-2")
    assert isinstance(query, PriceQuery) and query.service_code == "AmazonEC2"
    assert {f["Field"]: f["Value"] for f in query.api_filters()} == {
        "regionCode": "ap-southeast-2", "instanceType": "m5.large", "operatingSystem": "Linux",
        "preInstalledSw": "NA", "tenancy": "Shared", "capacitystatus": "Used", "licenseModel": "No License required"}
    assert all(f["Type"] == "TERM_MATCH" for f in query.api_filters())
    assert (query.usagetype, query.unit) == ("BoxUsage:m5.large", "hour")
    sql = query_for("ec2:m5.large:windows-with-sql-server-standard:dedicated", "us-west-2")
    assert ("preInstalledSw", "SQL Std") in sql.filters and ("tenancy", "Dedicated") in sql.filters


@pytest.mark.parametrize("key, reason", [
    ("ec2:m5.large:linux:spot", "spot instances have no list price"),
    ("ec2:m5.large:linux:host", "billed per host"),
    ("ec2:m5.large:plan9", "not one the price list query knows"),
    ("rds:db.r6g.large:aurora-postgresql:cluster-member", "Aurora cluster members"),
    ("rds:db.m5.large:oracle-ee:single-az", "license model"),
    ("ebs:unknown:storage", "no price list product"),
    ("elb:unknown", "has no price list query"),
])
def test_keys_without_a_list_price_say_why(key, reason):
    found = query_for(key, "us-west-2")
    assert isinstance(found, Unpriceable) and reason in found.reason


def test_units_and_factors_follow_the_api_gp3_throughput_is_per_gibps():
    throughput = query_for("ebs:gp3:throughput", "us-west-2")
    assert (throughput.api_unit, throughput.unit, throughput.factor) == ("GiBps-mo", "MBps-month", 1 / 1024)
    assert query_for("nat:data-processed", "us-west-2").unit == "GB"
    assert query_for("logs:ingestion", "us-west-2").usagetype == "DataProcessing-Bytes"
    assert query_for("rds:db.t3.medium:postgres:multi-az", "us-west-2").filters == (
        ("instanceType", "db.t3.medium"), ("databaseEngine", "PostgreSQL"), ("deploymentOption", "Multi-AZ"))


def test_usage_types_match_with_or_without_their_region_prefix_and_not_look_alikes():
    assert usagetype_matches("NatGateway-Hours", "NatGateway-Hours")
    assert usagetype_matches("APS2-NatGateway-Hours", "NatGateway-Hours")
    assert not usagetype_matches("APS2-RegionalNatGateway-Hours", "NatGateway-Hours")
    assert not usagetype_matches("EBS:SnapshotUsage.outposts", "EBS:SnapshotUsage")
    assert usagetype_matches("anything", None)


def test_smaller_sizes_of_a_family_largest_first():
    assert smaller_sizes("m5.2xlarge")[:3] == ["m5.xlarge", "m5.large", "m5.medium"]
    assert smaller_sizes("db.t3.medium") == ["db.t3.small", "db.t3.micro", "db.t3.nano"]
    assert smaller_sizes("t3.nano") == [] and smaller_sizes("u-6tb1.metal") == []
