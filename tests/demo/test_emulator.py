"""The AWS emulator: faults per protocol, latency, stats, the SSM gap filler, the subprocess mode."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import time
import urllib.error
import urllib.request

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloud_inventory.demo.emulator import Emulator

# accounts of their own, so these tests never meet the demo estate's accounts
ACCT_A, ACCT_B, ACCT_SSM = "444444444444", "555555555555", "777777777777"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def emu():
    with Emulator(in_process=True) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _clear_faults(emu):
    emu.set_faults([])
    yield
    emu.set_faults([])


def base_client(emu, service, region="us-east-1"):
    return boto3.client(service, endpoint_url=emu.url, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=NO_RETRY)


def assume(emu, account_id):
    creds = base_client(emu, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/InventoryReadOnly", RoleSessionName="emulator-test",
        ExternalId="cloud-inventory-demo")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


def client(emu, session, service, region="us-east-1"):
    return session.client(service, endpoint_url=emu.url, region_name=region, config=NO_RETRY)


def error_code(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def sessions(emu):
    return {ACCT_A: assume(emu, ACCT_A), ACCT_B: assume(emu, ACCT_B)}


# --------------------------------------------------------------------------------------------------
# faults, one protocol family at a time

CASES = [
    # (boto3 client, call, rule service, rule action, code, status)  protocol
    ("ec2", lambda c: c.describe_instances(), "ec2", "DescribeInstances", "UnauthorizedOperation", 403),  # ec2
    ("rds", lambda c: c.describe_db_instances(), "rds", "DescribeDBInstances", "AccessDenied", 403),  # query
    ("elbv2", lambda c: c.describe_load_balancers(), "elbv2", "DescribeLoadBalancers", "AccessDenied", 403),
    ("ssm", lambda c: c.describe_parameters(), "ssm", "DescribeParameters", "AccessDeniedException", 400),  # json
    ("logs", lambda c: c.describe_log_groups(), "logs", None, "ThrottlingException", 400),  # json
    ("cloudwatch", lambda c: c.list_metrics(), "monitoring", "ListMetrics", "AccessDenied", 403),  # json 1.0
    ("s3", lambda c: c.list_buckets(), "s3", "ListBuckets", "AccessDenied", 403),  # rest-xml, <Error>
    ("route53", lambda c: c.list_hosted_zones(), "route53", None, "AccessDenied", 403),  # rest-xml ErrorResponse
    ("cloudfront", lambda c: c.list_distributions(), "cloudfront", "ListDistributions", "AccessDenied",
     403),
    ("lambda", lambda c: c.list_functions(), "lambda", None, "AccessDeniedException", 403),  # rest-json
    ("eks", lambda c: c.list_clusters(), "eks", "ListClusters", "AccessDeniedException", 403),  # rest-json
]


@pytest.mark.parametrize("service,call,rule_service,action,code,status", CASES, ids=[c[0] for c in CASES])
def test_fault_rule_hits_only_the_matching_account(emu, sessions, service, call, rule_service, action, code,
                                                   status):
    rule = {"account_id": ACCT_A, "service": rule_service, "code": code, "message": f"{code} for test",
            "status": status}
    if action:
        rule["action"] = action
    emu.set_faults([rule])
    got_code, got_status = error_code(lambda: call(client(emu, sessions[ACCT_A], service)))
    assert (got_code, got_status) == (code, status)
    call(client(emu, sessions[ACCT_B], service))  # the other account is untouched


def test_fault_message_and_region_and_action_filters(emu, sessions):
    emu.set_faults([{"account_id": ACCT_A, "service": "ec2", "action": "DescribeVpcs", "region": "eu-west-1",
                     "code": "UnauthorizedOperation", "message": "no vpcs for you", "status": 403}])
    ec2_eu = client(emu, sessions[ACCT_A], "ec2", "eu-west-1")
    with pytest.raises(ClientError) as info:
        ec2_eu.describe_vpcs()
    assert info.value.response["Error"]["Message"] == "no vpcs for you"
    ec2_eu.describe_subnets()  # other action
    client(emu, sessions[ACCT_A], "ec2", "us-east-1").describe_vpcs()  # other region


def test_assume_role_denied_for_one_account_only(emu):
    emu.set_faults([{"account_id": "666666666666", "service": "sts", "action": "AssumeRole",
                     "code": "AccessDenied", "status": 403,
                     "message": "User is not authorized to perform: sts:AssumeRole"}])
    code, status = error_code(lambda: assume(emu, "666666666666"))
    assert (code, status) == ("AccessDenied", 403)
    session = assume(emu, ACCT_A)
    ident = client(emu, session, "sts").get_caller_identity()
    assert ident["Account"] == ACCT_A


def test_faults_endpoint_round_trip_and_validation(emu):
    rules = [{"service": "ec2", "code": "RequestLimitExceeded", "status": 503}]
    emu.set_faults(rules)
    assert emu.faults() == rules
    req = urllib.request.Request(f"{emu.url}/_emulator/faults", data=json.dumps([{"service": "ec2"}]).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 400
    assert emu.faults() == rules  # a bad list does not replace the good one


# --------------------------------------------------------------------------------------------------
# stats


def test_stats_count_by_action(emu, sessions):
    emu.reset_stats()
    ec2 = client(emu, sessions[ACCT_B], "ec2")
    for _ in range(3):
        ec2.describe_instances()
    ec2.describe_vpcs()
    client(emu, sessions[ACCT_B], "elbv2").describe_load_balancers()
    client(emu, sessions[ACCT_B], "elb").describe_load_balancers()
    client(emu, sessions[ACCT_B], "s3").list_buckets()
    stats = emu.stats()
    assert stats["total"] == 7
    assert stats["by_action"] == {"ec2:DescribeInstances": 3, "ec2:DescribeVpcs": 1,
                                  "elbv2:DescribeLoadBalancers": 1, "elb:DescribeLoadBalancers": 1,
                                  "s3:ListBuckets": 1}
    emu.reset_stats()
    assert emu.stats() == {"total": 0, "by_action": {}}


def test_faulted_requests_are_counted_too(emu, sessions):
    emu.reset_stats()
    emu.set_faults([{"service": "rds", "code": "AccessDenied", "status": 403}])
    error_code(lambda: client(emu, sessions[ACCT_B], "rds").describe_db_clusters())
    assert emu.stats()["by_action"] == {"rds:DescribeDBClusters": 1}


# --------------------------------------------------------------------------------------------------
# SSM DescribeInstanceInformation gap filler


@pytest.fixture(scope="module")
def ssm_fleet(emu):
    session = assume(emu, ACCT_SSM)
    ec2 = client(emu, session, "ec2")
    tagged = [{"ResourceType": "instance", "Tags": [{"Key": "SSMManaged", "Value": "true"}]}]
    managed = [i["InstanceId"] for i in ec2.run_instances(
        ImageId="ami-04681a1dbd79675a5", MinCount=7, MaxCount=7, InstanceType="t3.micro",
        TagSpecifications=tagged)["Instances"]]
    ec2.run_instances(ImageId="ami-04681a1dbd79675a5", MinCount=2, MaxCount=2, InstanceType="t3.micro")
    stopped = ec2.run_instances(ImageId="ami-04681a1dbd79675a5", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                TagSpecifications=tagged)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[stopped])
    return session, sorted(managed), stopped


def test_ssm_lists_running_tagged_instances_only(emu, ssm_fleet):
    session, managed, stopped = ssm_fleet
    ssm = client(emu, session, "ssm")
    items = [i for page in ssm.get_paginator("describe_instance_information").paginate()
             for i in page["InstanceInformationList"]]
    assert sorted(i["InstanceId"] for i in items) == managed
    assert stopped not in {i["InstanceId"] for i in items}
    reservations = client(emu, session, "ec2").describe_instances(InstanceIds=managed)["Reservations"]
    ips = {i["InstanceId"]: i["PrivateIpAddress"] for r in reservations for i in r["Instances"]}
    item = items[0]
    assert item["PingStatus"] == "Online" and item["ResourceType"] == "EC2Instance"
    assert item["PlatformType"] == "Linux" and item["SourceType"] == "AWS::EC2::Instance"
    assert isinstance(item["LastPingDateTime"], dt.datetime)  # botocore parsed the epoch float
    assert item["IPAddress"] == ips[item["InstanceId"]]
    assert item["ComputerName"] == "ip-" + item["IPAddress"].replace(".", "-") + ".ec2.internal"
    # every key is a member of the real API's InstanceInformation shape
    shape = (botocore.session.get_session().get_service_model("ssm")
             .operation_model("DescribeInstanceInformation").output_shape.members["InstanceInformationList"].member)
    assert set(item) <= set(shape.members)
    # other regions and accounts have none
    assert client(emu, session, "ssm", "eu-west-1").describe_instance_information()["InstanceInformationList"] == []


def test_ssm_paginates_and_filters(emu, ssm_fleet):
    session, managed, _ = ssm_fleet
    ssm = client(emu, session, "ssm")
    first = ssm.describe_instance_information(MaxResults=5)
    assert len(first["InstanceInformationList"]) == 5 and first["NextToken"]
    second = ssm.describe_instance_information(MaxResults=5, NextToken=first["NextToken"])
    assert len(second["InstanceInformationList"]) == 2 and "NextToken" not in second
    got = [i["InstanceId"] for i in first["InstanceInformationList"] + second["InstanceInformationList"]]
    assert got == managed
    one = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [managed[3]]}])
    assert [i["InstanceId"] for i in one["InstanceInformationList"]] == [managed[3]]
    unchecked = session.client("ssm", endpoint_url=emu.url, region_name="us-east-1",
                               config=NO_RETRY.merge(Config(parameter_validation=False)))
    code, _ = error_code(lambda: unchecked.describe_instance_information(MaxResults=2))
    assert code == "ValidationException"


def test_ssm_gap_filler_honours_faults(emu, ssm_fleet):
    session, _, _ = ssm_fleet
    emu.set_faults([{"account_id": ACCT_SSM, "service": "ssm", "action": "DescribeInstanceInformation",
                     "code": "AccessDeniedException", "status": 400}])
    code, _ = error_code(lambda: client(emu, session, "ssm").describe_instance_information())
    assert code == "AccessDeniedException"


def test_backdate_stopped_instance(emu, ssm_fleet):
    session, _, stopped = ssm_fleet
    emu.backdate(ACCT_SSM, "us-east-1", stopped, 40)
    inst = client(emu, session, "ec2").describe_instances(InstanceIds=[stopped])["Reservations"][0]["Instances"][0]
    expected = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).strftime("%Y-%m-%d")
    assert expected in inst["StateTransitionReason"]


# --------------------------------------------------------------------------------------------------
# subprocess mode and latency


def test_subprocess_latency_without_serialising():
    # A whole second each, so "not serialised" (well under the 8 s that one at a time would take)
    # holds however loaded the machine is.
    latency_ms = 1000
    emulator = Emulator(latency_ms=latency_ms)
    with emulator as emu:
        assert emu.url.startswith("http://127.0.0.1:")
        env = emu.env()
        assert env["AWS_ENDPOINT_URL"] == emu.url and env["AWS_DEFAULT_REGION"] == "us-east-1"
        clients = [base_client(emu, "ec2") for _ in range(8)]
        clients[0].describe_vpcs()  # warm up the connection and moto's backend
        started = time.perf_counter()
        clients[0].describe_vpcs()
        single = time.perf_counter() - started
        assert single >= latency_ms / 1000

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda c: c.describe_vpcs(), clients))
        together = time.perf_counter() - started
        assert together >= latency_ms / 1000
        assert together < 8 * latency_ms / 1000 / 2, f"8 concurrent requests took {together:.2f}s"  # serial: 8 s
        assert emu.stats()["by_action"]["ec2:DescribeVpcs"] == 10
        proc = emulator._proc
    assert proc is not None and proc.poll() is not None  # stopped means gone


def test_latency_and_timing_change_at_runtime(emu, sessions):
    ec2 = client(emu, sessions[ACCT_B], "ec2")
    try:
        emu.set_latency(1000)
        assert emu.latency_ms == 1000
        assert json.loads(urllib.request.urlopen(f"{emu.url}/_emulator/latency").read()) == {"latency_ms": 1000.0}
        emu.reset_stats()
        started = time.perf_counter()
        ec2.describe_vpcs()
        assert time.perf_counter() - started >= 1.0
        timing = emu.timing()
        assert set(timing["by_action"]) == {"ec2:DescribeVpcs"}
        assert 0 < timing["handler_seconds"] < 1.0  # the added latency is not moto's time
        assert timing["process_cpu_seconds"] >= 0
        emu.set_latency(0)
        started = time.perf_counter()
        ec2.describe_vpcs()
        assert time.perf_counter() - started < 1.0
        with pytest.raises(RuntimeError, match="400"):
            emu.set_latency(-1)
        emu.reset_stats()
        assert emu.timing()["by_action"] == {}
    finally:
        emu.set_latency(0)


def test_describe_snapshots_honours_owner_ids(emu, sessions):
    ec2 = client(emu, sessions[ACCT_B], "ec2")
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    mine = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    everything = ec2.describe_snapshots()["Snapshots"]
    assert len(everything) > 100  # moto's AMI-backing snapshots: what OwnerIds must filter out
    owned = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert [s["SnapshotId"] for s in owned] == [mine]
    same = ec2.describe_snapshots(OwnerIds=[ACCT_B], Filters=[{"Name": "status", "Values": ["completed"]}])
    assert [s["SnapshotId"] for s in same["Snapshots"]] == [mine]
    assert client(emu, sessions[ACCT_A], "ec2").describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
