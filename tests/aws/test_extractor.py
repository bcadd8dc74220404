"""aws/extractor.py against the emulator (moto server in this process, reached through AWS_ENDPOINT_URL):
parents before children, denied vs failed, a role that cannot be assumed, API calls per type,
a failing type keeping its previous partition, no credentials anywhere in the lake, and an account's
regions running concurrently on one assumed role."""
from __future__ import annotations

import gc
import io
import json
import re
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import boto3
import pyarrow.parquet as pq

from cloud_inventory.accounts import Account
from cloud_inventory.aws.extractor import GLOBAL, extract_account, extract_pair, heap_left_out_of_collection
from cloud_inventory.aws.registry import BY_NAME, types_for
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import read_manifests
from cloud_inventory.redaction import MARKER
from cloud_inventory.settings import load

from .support import ACCESS_KEY, RUN_ID, SECRET_KEY, SNAPSHOT_DATE, read_partition

REGION = "eu-west-1"


def account(account_id, name="test"):
    return Account(id=account_id, name=name, role_arn=f"arn:aws:iam::{account_id}:role/InventoryReadOnly",
                   external_id="extractor-tests")


def inside(account_id, region=REGION):
    """A session in the account (through the emulator), for creating what the extractor should find."""
    credentials = boto3.client("sts", region_name=region).assume_role(
        RoleArn=account(account_id).role_arn, RoleSessionName="test-setup")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name=region)


def extract(acct, settings, lake, names, region=REGION):
    return extract_pair(acct, region, settings, lake, SNAPSHOT_DATE, RUN_ID, entries=[BY_NAME[n] for n in names])


def by_type(result):
    return {outcome.resource_type: outcome for outcome in result.outcomes}


def run_instances(aws, count=1):
    return [i["InstanceId"] for i in aws.client("ec2").run_instances(
        ImageId="ami-12345678", MinCount=count, MaxCount=count)["Instances"]]


def data_files(lake_root, account_id):
    return sorted(Path(lake_root, "raw").rglob(f"account_id={account_id}/*/*.parquet"))


def test_parents_before_children_with_types_running_concurrently(emu, settings, lake):
    acct = account("310000000001")
    aws = inside(acct.id)
    instances = run_instances(aws, 2)
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    role = aws.client("iam").create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    eks = aws.client("eks")
    for cluster in ("blue", "green"):
        eks.create_cluster(name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
        eks.create_nodegroup(clusterName=cluster, nodegroupName="workers", subnets=subnets, nodeRole=role)
    route53 = aws.client("route53")
    zone = route53.create_hosted_zone(Name="example.org", CallerReference="extractor")["HostedZone"]["Id"]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE",
        "ResourceRecordSet": {"Name": "db.example.org", "Type": "CNAME", "TTL": 60,
                              "ResourceRecords": [{"Value": "orders.internal"}]}}]})
    aws.client("cloudwatch").put_metric_data(Namespace="AWS/EC2", MetricData=[{
        "MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": instances[0]}],
        "Value": 3.0, "Timestamp": datetime.now(timezone.utc) - timedelta(days=1)}])

    # children listed first: the order comes from the dependencies, not from the list
    regional = extract(acct, settings, lake, ["eks_nodegroup", "ec2_instance_metric", "eks_cluster", "ec2_instance",
                                              "vpc", "subnet", "security_group", "ebs_volume"])
    global_ = extract(acct, settings, lake, ["route53_record", "route53_zone"], region=GLOBAL)

    outcomes = {**by_type(regional), **by_type(global_)}
    assert {o.status for o in outcomes.values()} == {"ok"}, {n: o.error_message for n, o in outcomes.items()}
    for child, parent in (("eks_nodegroup", "eks_cluster"), ("ec2_instance_metric", "ec2_instance"),
                          ("route53_record", "route53_zone")):
        assert outcomes[child].started_at >= outcomes[parent].finished_at, (child, parent)
    nodegroups = read_partition(lake, "eks_nodegroup", acct.id, REGION)
    assert sorted((r["resource_id"], r["parent_id"]) for r in nodegroups) == [("blue/workers", "blue"),
                                                                             ("green/workers", "green")]
    records = read_partition(lake, "route53_record", acct.id, GLOBAL)
    assert "db.example.org.|CNAME" in {r["resource_id"] for r in records}
    assert {r["parent_id"] for r in records} == {zone.removeprefix("/hostedzone/")}  # joins route53_zone.resource_id
    metrics = read_partition(lake, "ec2_instance_metric", acct.id, REGION)
    assert {r["resource_id"] for r in metrics} == {instances[0]}
    # independent types overlapped on the thread pool
    intervals = sorted((o.started_at, o.finished_at) for o in by_type(regional).values())
    assert any(later_start < earlier_end for (_, earlier_end), (later_start, _) in zip(intervals, intervals[1:]))
    assert [o.resource_type for o in regional.outcomes][:3] == ["eks_nodegroup", "ec2_instance_metric", "eks_cluster"]


def test_denied_type_is_recorded_while_others_succeed(emu, settings, lake):
    acct = account("310000000002")
    aws = inside(acct.id)
    run_instances(aws)
    emu.set_faults([{"service": "rds", "account_id": acct.id, "code": "AccessDenied", "status": 403,
                     "message": "User is not authorized to perform: rds:DescribeDBInstances"}])

    result = extract(acct, settings, lake, ["rds_instance", "rds_instance_metric", "ec2_instance"])

    outcomes = by_type(result)
    assert (outcomes["rds_instance"].status, outcomes["rds_instance"].error_class) == ("denied", "AccessDenied")
    assert "rds:DescribeDBInstances" in outcomes["rds_instance"].error_message
    assert outcomes["rds_instance"].api_calls == 1  # denied is never retried
    assert (outcomes["rds_instance_metric"].status,
            outcomes["rds_instance_metric"].error_class) == ("denied", "UpstreamNotExtracted")
    assert outcomes["ec2_instance"].status == "ok" and outcomes["ec2_instance"].rows == 1
    assert result.denied == [outcomes["rds_instance"], outcomes["rds_instance_metric"]] and result.failed == []
    assert not lake.exists(lake.aws_partition("rds_instance", SNAPSHOT_DATE, acct.id, REGION))  # not "none exist"
    manifest = {r["resource_type"]: r for r in read_manifests(lake, SNAPSHOT_DATE).to_pylist()}
    assert {t: r["status"] for t, r in manifest.items()} == {"rds_instance": "denied", "rds_instance_metric": "denied",
                                                             "ec2_instance": "ok"}
    assert manifest["ec2_instance"]["rows"] == 1 and manifest["rds_instance"]["path"] is None


def test_the_instance_type_catalog_needs_ec2_but_not_rds(emu, settings, lake):
    """RDS denied: the catalog still lists the EC2 instances' families (`after`, not `depends_on`); EC2 denied: it is
    not attempted, it needs the instance types."""
    acct = account("310000000009")
    inside(acct.id).client("ec2").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1,
                                                InstanceType="c5.xlarge")
    names = ["ec2_instance_type", "rds_instance", "ec2_instance"]
    emu.set_faults([{"service": "rds", "account_id": acct.id, "code": "AccessDenied", "status": 403,
                     "message": "User is not authorized to perform: rds:DescribeDBInstances"}])
    outcomes = by_type(extract(acct, settings, lake, names))
    assert {name: o.status for name, o in outcomes.items()} == {"ec2_instance_type": "ok", "rds_instance": "denied",
                                                                "ec2_instance": "ok"}
    found = {row["resource_id"] for row in read_partition(lake, "ec2_instance_type", acct.id, REGION)}
    assert "c5.xlarge" in found and {t.split(".")[0] for t in found} == {"c5"}

    emu.set_faults([{"service": "ec2", "action": "DescribeInstances", "account_id": acct.id,
                     "code": "UnauthorizedOperation", "status": 403,
                     "message": "You are not authorized to perform this operation."}])
    outcomes = by_type(extract(acct, settings, lake, names))
    assert (outcomes["ec2_instance"].status, outcomes["ec2_instance_type"].error_class) == (
        "denied", "UpstreamNotExtracted")
    assert outcomes["ec2_instance_type"].status == "denied" and outcomes["ec2_instance_type"].api_calls == 0


def test_role_that_cannot_be_assumed_fails_every_type_and_writes_no_data(emu, settings, lake):
    acct = account("310000000003", "locked")
    emu.set_faults([{"service": "sts", "action": "AssumeRole", "account_id": acct.id, "code": "AccessDenied",
                     "status": 403, "message": f"not authorized to assume (caller {ACCESS_KEY})"}])
    names = ["ec2_instance", "ebs_volume", "vpc"]

    result = extract(acct, settings, lake, names)

    assert [o.resource_type for o in result.outcomes] == names
    assert {(o.status, o.error_class) for o in result.outcomes} == {("failed", "AssumeRole.AccessDenied")}
    assert all("cannot assume" in o.error_message and ACCESS_KEY not in o.error_message for o in result.outcomes)
    assert result.failed == result.outcomes
    assert data_files(lake.root, acct.id) == []
    manifest = read_manifests(lake, SNAPSHOT_DATE).to_pylist()
    assert sorted(r["resource_type"] for r in manifest) == sorted(names)
    assert {r["status"] for r in manifest} == {"failed"} and {r["rows"] for r in manifest} == {0}


def test_api_calls_are_counted_per_type(emu, settings, lake):
    acct = account("310000000004")
    aws = inside(acct.id)
    run_instances(aws)
    s3 = aws.client("s3")
    for bucket in ("calls-a-310000000004", "calls-b-310000000004"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="calls-a-310000000004", Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.2.{i}.0/24", AvailabilityZone=f"{REGION}{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    for name in ("lb-one", "lb-two"):
        aws.client("elbv2").create_load_balancer(Name=name, Subnets=subnets)
    emu.reset_stats()

    regional = by_type(extract(acct, settings, lake, ["ec2_instance", "elbv2_load_balancer"]))
    global_ = by_type(extract(acct, settings, lake, ["s3_bucket"], region=GLOBAL))

    stats = emu.stats()["by_action"]
    assert regional["ec2_instance"].api_calls == stats["ec2:DescribeInstances"] == 1
    assert regional["elbv2_load_balancer"].api_calls == (
        stats["elbv2:DescribeLoadBalancers"] + stats["elbv2:DescribeTags"]) == 2  # one batched tags call
    s3_calls = sum(count for action, count in stats.items() if action.startswith("s3:"))
    assert global_["s3_bucket"].api_calls == s3_calls >= 1 + 2 * 2  # list + location and tags per bucket
    manifest = {(r["region"], r["resource_type"]): r["api_calls"] for r in read_manifests(lake, SNAPSHOT_DATE).to_pylist()}
    assert manifest[(REGION, "elbv2_load_balancer")] == 2 and manifest[(GLOBAL, "s3_bucket")] == s3_calls
    buckets = {r["resource_id"]: r for r in read_partition(lake, "s3_bucket", acct.id, GLOBAL)}
    assert buckets["calls-a-310000000004"]["region"] == REGION
    assert buckets["calls-a-310000000004"]["tags"] == {"team": "x"}


def test_failing_type_keeps_its_previous_partition(emu, settings, lake):
    acct = account("310000000005")
    aws = inside(acct.id)
    run_instances(aws, 2)
    first = by_type(extract(acct, settings, lake, ["ec2_instance", "vpc"]))
    assert first["ec2_instance"].rows == 2
    path = Path(lake.aws_partition("ec2_instance", SNAPSHOT_DATE, acct.id, REGION))
    before = path.read_bytes()
    run_instances(aws)  # the estate changed, but the rerun will not get to see it
    emu.set_faults([{"service": "ec2", "action": "DescribeInstances", "account_id": acct.id,
                     "code": "InternalError", "status": 500}])

    result = extract(acct, settings, lake, ["ec2_instance", "vpc"])

    outcomes = by_type(result)
    assert (outcomes["ec2_instance"].status, outcomes["ec2_instance"].error_class) == ("failed", "InternalError")
    assert outcomes["ec2_instance"].api_calls == settings.aws_max_attempts == 2  # retried, each try counted
    assert outcomes["vpc"].status == "ok"
    assert result.failed == [outcomes["ec2_instance"]]
    assert path.read_bytes() == before  # the previous snapshot of the type, untouched
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temporary file left
    manifest = {r["resource_type"]: r for r in read_manifests(lake, SNAPSHOT_DATE).to_pylist()}
    assert manifest["ec2_instance"]["status"] == "failed"


def test_credentials_never_reach_the_lake(emu, settings, lake):
    acct = account("310000000006")
    aws = inside(acct.id)
    run_instances(aws)
    assumed = aws.get_credentials().get_frozen_credentials()
    emu.set_faults([{"service": "rds", "account_id": acct.id, "code": "AccessDenied", "status": 403,
                     "message": f"denied for {ACCESS_KEY} secret={SECRET_KEY} token {assumed.secret_key}"}])

    extract(acct, settings, lake, ["ec2_instance", "rds_instance", "vpc"])
    extract(account("310000000007"), settings, lake, ["ec2_instance"])  # and one whose role is fine but empty

    files = sorted(Path(lake.root).rglob("*.parquet"))
    assert len(files) >= 4  # data partitions and manifests
    text = ""
    for file in files:
        raw_bytes = file.read_bytes()
        for secret in (ACCESS_KEY, SECRET_KEY, assumed.secret_key):
            assert secret.encode() not in raw_bytes, file
        text += json.dumps(pq.read_table(file).to_pylist(), default=str)  # decompressed values
    assert text and "310000000006" in text
    for secret in (ACCESS_KEY, SECRET_KEY, assumed.access_key, assumed.secret_key, assumed.token):
        assert secret not in text
    assert not re.search(r"\bASIA[A-Z0-9]{16}\b", text)  # no session's access key at all
    assert f"denied for AKIA{MARKER}" in text  # the message is kept, the key masked


def _zip(handler: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", handler)
    return buffer.getvalue()


def test_lambda_environment_values_never_reach_the_lake(emu, settings, lake):
    """lambda:ListFunctions returns every function's environment; the lake keeps the names, never the values."""
    acct = account("310000000009")
    aws = inside(acct.id)
    role = aws.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    variables = {"DB_PASSWORD": "extractor-db-password-Qz1", "STRIPE_API_KEY": "extractor-api-key-Qz2",
                 "DATABASE_URL": "postgres://orders:extractor-url-password-Qz3@db:5432/orders"}
    aws.client("lambda").create_function(
        FunctionName="orders", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": _zip("def handler(event, context):\n    return 1\n")}, Environment={"Variables": variables})
    listed = aws.client("lambda").list_functions()["Functions"]
    assert listed[0]["Environment"]["Variables"] == variables  # the API answers with the values, as AWS does

    result = extract(acct, settings, lake, ["lambda_function"])

    assert by_type(result)["lambda_function"].status == "ok"
    (row,) = read_partition(lake, "lambda_function", acct.id, REGION)
    assert json.loads(row["raw"])["Environment"]["Variables"] == {name: MARKER for name in variables}
    files = sorted(Path(lake.root).rglob("*.parquet"))
    text = "".join(json.dumps(pq.read_table(file).to_pylist(), default=str) for file in files)
    assert "DB_PASSWORD" in text and "orders" in text
    for value in variables.values():
        assert value not in text
        assert all(value.encode() not in file.read_bytes() for file in files)


def test_an_unreachable_sts_is_recorded_for_every_type_not_raised(tmp_path, monkeypatch):
    """A network failure before the account is entered still leaves a manifest saying so."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("INVENTORY_AWS_MAX_ATTEMPTS", "1")
    account = Account(id="999999999991", name="unreachable", role_arn="arn:aws:iam::999999999991:role/R",
                      external_id="ext-1")
    lake = Lake(str(tmp_path))
    result = extract_pair(account, "us-east-1", load(), lake, date(2026, 11, 21), "run-x")

    assert {(o.status, o.error_class) for o in result.outcomes} == {("failed", "AssumeRole.EndpointConnectionError")}
    assert len(read_manifests(lake, date(2026, 11, 21))) == len(result.outcomes)


def _interval(rows, region):
    started = min(r["started_at"] for r in rows if r["region"] == region)
    finished = max(r["finished_at"] for r in rows if r["region"] == region)
    return started, finished


def test_an_accounts_regions_run_concurrently_on_one_assumed_role(emu, lake, monkeypatch):
    """Three regions and the global types with 100 ms per request: with INVENTORY_REGION_CONCURRENCY=4 all four run at
    once, with 1 one after the other; either way the role is assumed once and each region has its own manifest."""
    acct = account("310000000010")
    run_instances(inside(acct.id, "us-east-1"))
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", GLOBAL]
    names = ["ec2_instance", "vpc", "s3_bucket"]
    emu.set_latency(100)
    try:
        overlapping = {}
        for concurrency in ("4", "1"):
            monkeypatch.setenv("INVENTORY_REGION_CONCURRENCY", concurrency)
            emu.reset_stats()
            results = extract_account(acct, regions, load(), lake, SNAPSHOT_DATE, RUN_ID,
                                      entries=[BY_NAME[n] for n in names])
            assert emu.stats()["by_action"]["sts:AssumeRole"] == 1
            assert [r.region for r in results] == regions
            assert {o.status for r in results for o in r.outcomes} == {"ok"}
            manifest = read_manifests(lake, SNAPSHOT_DATE).to_pylist()
            assert {(r["region"], r["resource_type"]) for r in manifest} == {(g, n) for g in regions for n in names}
            intervals = [_interval(manifest, region) for region in regions]
            overlapping[concurrency] = max(s for s, _ in intervals) < min(f for _, f in intervals)
    finally:
        emu.set_latency(0)
    assert overlapping == {"4": True, "1": False}
    (row,) = read_partition(lake, "ec2_instance", acct.id, "us-east-1")
    assert row["account_id"] == acct.id and row["region"] == "us-east-1"


def test_an_unassumable_account_records_every_region_failed(emu, lake, settings):
    acct = account("310000000011", "locked")
    emu.set_faults([{"service": "sts", "action": "AssumeRole", "account_id": acct.id, "code": "AccessDenied",
                     "status": 403, "message": "not authorized to assume"}])
    regions = ["us-east-1", "eu-west-1", GLOBAL]

    results = extract_account(acct, regions, settings, lake, SNAPSHOT_DATE, RUN_ID)

    assert emu.stats()["by_action"]["sts:AssumeRole"] == 1  # once for the account, not once per region
    manifest = read_manifests(lake, SNAPSHOT_DATE).to_pylist()
    for result in results:
        expected = types_for("global" if result.region == GLOBAL else "regional")
        assert [o.resource_type for o in result.outcomes] == [e.name for e in expected]
        assert result.failed == result.outcomes
        assert sorted(r["resource_type"] for r in manifest if r["region"] == result.region) == sorted(
            e.name for e in expected)
    assert [r.region for r in results] == regions
    assert {(r["status"], r["error_class"]) for r in manifest} == {("failed", "AssumeRole.AccessDenied")}
    assert data_files(lake.root, acct.id) == []


def test_only_the_resource_types_the_setting_names_are_extracted(tmp_path, monkeypatch):
    """INVENTORY_RESOURCE_TYPES narrows every pair (and its manifest) to the named types of the pair's scope."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the outcomes name the types even when STS fails
    monkeypatch.setenv("INVENTORY_AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("INVENTORY_RESOURCE_TYPES", "subnet, vpc, s3_bucket")
    account = Account(id="999999999992", name="narrow", role_arn="arn:aws:iam::999999999992:role/R",
                      external_id="ext-1")
    lake = Lake(str(tmp_path))
    regional = extract_pair(account, "us-east-1", load(), lake, date(2026, 11, 21), "run-x")
    global_ = extract_pair(account, GLOBAL, load(), lake, date(2026, 11, 21), "run-x")

    assert [o.resource_type for o in regional.outcomes] == ["vpc", "subnet"]
    assert [o.resource_type for o in global_.outcomes] == ["s3_bucket"]
    assert sorted(read_manifests(lake, date(2026, 11, 21)).column("resource_type").to_pylist()) == [
        "s3_bucket", "subnet", "vpc"]


def test_the_heap_older_than_an_extraction_is_left_out_of_collection_only_while_it_runs():
    before = gc.get_freeze_count()
    with heap_left_out_of_collection():
        assert gc.get_freeze_count() > before  # what existed is not scanned by each full collection
        cycle = []
        cycle.append(cycle)  # what the block makes is collected as usual
        del cycle
        assert gc.collect() >= 1
    assert gc.get_freeze_count() == 0
