"""aws/transform.py: one recorded API item -> one lake row (identity, filter fields, `raw`).

Every item here comes from a recorded response in tests/data/aws/, validated against botocore's model.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from cloud_inventory.aws.registry import BY_NAME
from cloud_inventory.aws.transform import AWS_SCHEMA, normalise_tags, to_json, to_row, to_timestamp

from .support import RUN_ID, SNAPSHOT_DATE, load_response

ACCOUNT = "123456789012"
REGION = "eu-west-1"
SNAPSHOT_AT = datetime(2025, 3, 14, 1, 2, 3, tzinfo=timezone.utc)


def row(type_name, item, region=REGION, parent_id=None):
    return to_row(BY_NAME[type_name], item, account_id=ACCOUNT, region=region, snapshot_date=SNAPSHOT_DATE,
                  snapshot_at=SNAPSHOT_AT, run_id=RUN_ID, parent_id=parent_id)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def assert_raw_round_trips(result, item):
    assert json.loads(result["raw"]) == json.loads(to_json(item))
    # the whole item, not a selection: every top-level key is there
    assert set(json.loads(result["raw"])) == set(item)


def test_rows_fit_the_lake_schema():
    instances = load_response("ec2", "DescribeInstances")["Reservations"][0]["Instances"]
    rows = [row("ec2_instance", item) for item in instances]
    table = pa.Table.from_pylist(rows, schema=AWS_SCHEMA)
    assert table.num_rows == 2
    assert set(rows[0]) == set(AWS_SCHEMA.names)


def test_ec2_instance():
    first, stopped = load_response("ec2", "DescribeInstances")["Reservations"][0]["Instances"]
    result = row("ec2_instance", first)
    assert result["resource_id"] == "i-0a1b2c3d4e5f60718"
    assert result["arn"] == "arn:aws:ec2:eu-west-1:123456789012:instance/i-0a1b2c3d4e5f60718"
    assert result["name"] == "web-1"  # the Name tag
    assert result["tags"] == {"Name": "web-1", "team": "payments", "aws:cloudformation:stack-name": "web"}
    assert result["state"] == "running"
    assert result["created_at"] == utc(2024, 11, 2, 9, 15, 27)
    assert (result["account_id"], result["region"], result["resource_type"]) == (ACCOUNT, REGION, "ec2_instance")
    assert (result["snapshot_date"], result["snapshot_at"], result["run_id"]) == (SNAPSHOT_DATE, SNAPSHOT_AT, RUN_ID)
    assert result["parent_id"] is None
    assert_raw_round_trips(result, first)
    raw = json.loads(result["raw"])
    assert raw["LaunchTime"] == "2024-11-02T09:15:27+00:00"  # datetimes become ISO text with their zone
    assert raw["NetworkInterfaces"][0]["PrivateIpAddress"] == "10.20.1.15"

    untagged = row("ec2_instance", stopped)
    assert untagged["state"] == "stopped"
    assert untagged["name"] is None and untagged["tags"] == {}


def test_arn_partition_follows_the_region():
    instance = load_response("ec2", "DescribeInstances")["Reservations"][0]["Instances"][0]
    assert row("ec2_instance", instance, region="cn-north-1")["arn"].startswith("arn:aws-cn:ec2:cn-north-1:")
    assert row("ec2_instance", instance, region="us-gov-west-1")["arn"].startswith("arn:aws-us-gov:ec2:")


def test_ebs_volume():
    attached, unattached = load_response("ec2", "DescribeVolumes")["Volumes"]
    result = row("ebs_volume", attached)
    assert result["resource_id"] == "vol-0123456789abcdef0"
    assert result["arn"] == "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0"
    assert result["state"] == "in-use"
    assert result["created_at"] == utc(2024, 11, 2, 9, 15, 27, 512000)
    assert result["name"] is None and result["tags"] == {}  # no Tags key at all
    other = row("ebs_volume", unattached)
    assert other["state"] == "available" and other["tags"] == {"team": "data"}
    assert json.loads(other["raw"])["VolumeType"] == "gp2"


def test_elbv2_load_balancer_with_tags_from_describe_tags():
    balancers = load_response("elbv2", "DescribeLoadBalancers")["LoadBalancers"]
    tags = {d["ResourceArn"]: d["Tags"] for d in load_response("elbv2", "DescribeTags")["TagDescriptions"]}
    # what the extractor's TagLookup does: the ELB APIs return tags separately, keyed by ARN
    items = [{**balancer, "Tags": tags[balancer["LoadBalancerArn"]]} for balancer in balancers]
    alb, nlb = (row("elbv2_load_balancer", item) for item in items)
    assert alb["resource_id"] == alb["arn"] == balancers[0]["LoadBalancerArn"]
    assert alb["name"] == "web-prod"  # no Name tag: the name_field
    assert alb["tags"] == {"team": "payments", "environment": "prod"}
    assert alb["state"] == "active"
    assert alb["created_at"] == utc(2024, 5, 6, 7, 8, 9, 120000)
    assert nlb["name"] == "payments internal"  # a Name tag wins over the name_field
    assert nlb["state"] == "provisioning"
    assert json.loads(nlb["raw"])["Tags"] == [{"Key": "Name", "Value": "payments internal"}]


def test_rds_instance():
    item = load_response("rds", "DescribeDBInstances")["DBInstances"][0]
    result = row("rds_instance", item)
    assert result["resource_id"] == "orders-db"
    assert result["arn"] == "arn:aws:rds:eu-west-1:123456789012:db:orders-db"  # taken from the item
    assert result["name"] == "orders-db"
    assert result["tags"] == {"team": "payments"}  # from TagList
    assert result["state"] == "available"
    assert result["created_at"] == utc(2022, 8, 30, 13, 45, 10, 231000)
    assert_raw_round_trips(result, item)


def test_route53_records_alias_and_weighted():
    ns, alias, latency = load_response("route53", "ListResourceRecordSets")["ResourceRecordSets"]
    alias_row = row("route53_record", alias, region="global", parent_id="Z0123456789ABCDEFGHIJ")
    assert alias_row["resource_id"] == "www.example.com.|A"
    assert alias_row["name"] == "www.example.com."
    assert alias_row["arn"] is None  # records have no ARN
    assert alias_row["parent_id"] == "Z0123456789ABCDEFGHIJ"
    assert alias_row["region"] == "global"
    assert json.loads(alias_row["raw"])["AliasTarget"]["DNSName"].startswith("dualstack.web-prod")
    assert row("route53_record", latency, region="global")["resource_id"] == "api.example.com.|CNAME|eu-west-1"
    assert row("route53_record", ns, region="global")["resource_id"] == "example.com.|NS"


def test_s3_bucket_region_from_location_constraint():
    buckets = load_response("s3", "ListBuckets")["Buckets"]
    eu = load_response("s3", "GetBucketLocation")["LocationConstraint"]
    # us-east-1 answers GetBucketLocation with a null LocationConstraint, Ireland with the legacy "EU"
    locations = [None, eu, "eu-central-1"]
    rows = [row("s3_bucket", {**bucket, "BucketRegion": location}, region="global")
            for bucket, location in zip(buckets, locations)]
    assert [r["region"] for r in rows] == ["us-east-1", "eu-west-1", "eu-central-1"]
    assert rows[0]["resource_id"] == rows[0]["name"] == "payments-prod-logs"
    assert rows[0]["arn"] == "arn:aws:s3:::payments-prod-logs"
    assert rows[1]["created_at"] == utc(2014, 7, 15, 8, 30)
    with_tags = row("s3_bucket", {**buckets[0], "BucketRegion": None,
                                  "TagSet": [{"Key": "Name", "Value": "prod logs"}]}, region="global")
    assert with_tags["name"] == "prod logs" and with_tags["tags"] == {"Name": "prod logs"}


def test_log_group_epoch_milliseconds_and_arn_fallback():
    current, older = load_response("logs", "DescribeLogGroups")["logGroups"]
    result = row("log_group", current)
    assert result["resource_id"] == result["name"] == "/aws/lambda/orders-api"
    assert result["arn"] == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders-api"
    assert result["created_at"] == datetime.fromtimestamp(1718000000.123, tz=timezone.utc)
    assert result["created_at"].year == 2024  # read as milliseconds, not seconds
    # an older response without logGroupArn: the ARN without its ":*" suffix
    assert row("log_group", older)["arn"] == "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/web"
    assert row("log_group", older)["created_at"] == utc(2020, 9, 13, 12, 26, 40)


def test_eks_nodegroup_tags_as_a_map():
    item = load_response("eks", "DescribeNodegroup")["nodegroup"]
    result = row("eks_nodegroup", item, parent_id="prod-eu")
    assert result["resource_id"] == "prod-eu/general"
    assert result["arn"] == item["nodegroupArn"]
    assert result["name"] == "general"
    assert result["tags"] == {"team": "platform", "environment": "prod"}
    assert result["state"] == "ACTIVE"
    assert result["created_at"] == utc(2024, 10, 15, 12, 34, 56, 789000)
    assert result["parent_id"] == "prod-eu"


def test_ssm_managed_instances():
    ec2_managed, on_premises = load_response("ssm", "DescribeInstanceInformation")["InstanceInformationList"]
    result = row("ssm_managed_instance", ec2_managed)
    assert result["resource_id"] == "i-0a1b2c3d4e5f60718"
    assert result["arn"] == "arn:aws:ssm:eu-west-1:123456789012:managed-instance/i-0a1b2c3d4e5f60718"
    assert result["name"] == "ip-10-20-1-15.eu-west-1.compute.internal"  # ComputerName
    assert result["state"] == "Online"
    assert result["created_at"] is None  # EC2 instances carry no RegistrationDate
    hybrid = row("ssm_managed_instance", on_premises)
    assert hybrid["state"] == "ConnectionLost"
    assert hybrid["created_at"] == utc(2023, 6, 1, 9)
    assert_raw_round_trips(hybrid, on_premises)
    assert json.loads(hybrid["raw"])["RegistrationDate"] == "2023-06-01T09:00:00+00:00"


def test_ssm_fixture_matches_botocore_model():
    """moto has no DescribeInstanceInformation, so the recorded response is all we test against:
    keep it tied to the real API's output shape (load_response checks every key, type and enum)."""
    import botocore.session

    from .support import DATA, conform_response

    shape = botocore.session.get_session().get_service_model("ssm").operation_model(
        "DescribeInstanceInformation").output_shape
    member = shape.members["InstanceInformationList"].member
    # the fields the registry entry reads exist in the model with the types we expect
    entry = BY_NAME["ssm_managed_instance"]
    assert entry.items == "InstanceInformationList[]"
    for name, kind in {entry.id: "string", entry.name_field: "string", entry.state: "string",
                       entry.created: "timestamp"}.items():
        assert member.members[name].type_name == kind
    recorded = json.loads((DATA / "ssm.DescribeInstanceInformation.json").read_text())
    conform_response("ssm", "DescribeInstanceInformation", recorded)
    # and the checker is not a rubber stamp: a misspelt field or a wrong enum value is refused
    for bad in ({"InstanceID": "i-1"}, {"InstanceId": "i-1", "PingStatus": "Up"},
                {"InstanceId": "i-1", "LastPingDateTime": 5}):
        with pytest.raises(AssertionError):
            conform_response("ssm", "DescribeInstanceInformation", {"InstanceInformationList": [bad]})


def test_lambda_last_modified_iso_text():
    item = load_response("lambda", "ListFunctions")["Functions"][0]
    result = row("lambda_function", item)
    assert result["created_at"] == utc(2024, 12, 3, 10, 11, 12, 345000)  # "...345+0000" as the API writes it
    assert result["arn"] == item["FunctionArn"] and result["name"] == "orders-api"


@pytest.mark.parametrize("value, expected", [
    (datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), utc(2024, 1, 2, 3, 4, 5)),
    (datetime(2024, 1, 2, 3, 4, 5), utc(2024, 1, 2, 3, 4, 5)),  # naive: taken as UTC
    ("2024-01-02T03:04:05Z", utc(2024, 1, 2, 3, 4, 5)),
    ("2024-01-02T03:04:05.000Z", utc(2024, 1, 2, 3, 4, 5)),  # AMI CreationDate
    ("2024-01-02T05:04:05+02:00", utc(2024, 1, 2, 3, 4, 5)),
    (1704164645000, utc(2024, 1, 2, 3, 4, 5)),  # epoch milliseconds
    (1704164645, utc(2024, 1, 2, 3, 4, 5)),  # epoch seconds
    (None, None), ("", None), ("not a date", None),
])
def test_to_timestamp(value, expected):
    assert to_timestamp(value) == expected


def test_tags_from_list_and_map_forms():
    assert normalise_tags([{"Key": "a", "Value": "1"}, {"Key": "b"}]) == {"a": "1", "b": ""}
    assert normalise_tags([{"key": "a", "value": "1"}]) == {"a": "1"}  # lower-case keys (some APIs)
    assert normalise_tags({"a": "1", "n": None, "i": 2}) == {"a": "1", "n": "", "i": "2"}
    assert normalise_tags(None) == {} and normalise_tags([]) == {}


def test_item_without_id_is_refused():
    with pytest.raises(ValueError, match="ec2_instance"):
        row("ec2_instance", {"State": {"Name": "running"}})
