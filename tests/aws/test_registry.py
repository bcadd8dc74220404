"""aws/registry.py: every entry, run by the real extractor against moto (in-process), finds what was created.

Each entry has a `setup` below that creates at least one resource of its type in moto and says which
id / arn / name / state the row must carry. The test fails for a registry entry without a setup.
The one exception to "moto, not stubs" is `ssm_managed_instance` (see its test).
"""
from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from cloud_inventory.accounts import Account
from cloud_inventory.aws.extractor import GLOBAL, Extraction
from cloud_inventory.aws.registry import BY_NAME, REGISTRY, iam_action, selected, types_for
from cloud_inventory.aws.sessions import account_session
from cloud_inventory.lake import Lake
from cloud_inventory.settings import SettingsError, load as load_settings

from .support import RUN_ID, SNAPSHOT_DATE, fake_aws_environment, load_response, read_partition

ACCOUNT_ID = "210000000001"  # not moto's default account: nothing of moto's own is in it
REGION = "us-east-1"
ACCOUNT = Account(id=ACCOUNT_ID, name="registry-test",
                  role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/InventoryReadOnly", external_id="registry-test")
SETUPS = {}
_made: dict = {}  # shared pieces (a cluster, a role) made once per estate


def once(key, make):
    if key not in _made:
        _made[key] = make()
    return _made[key]


def setup(name):
    def register(function):
        SETUPS[name] = function
        return function
    return register


def tag(name, **more):
    return [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in more.items())]


def tags_spec(resource, name):
    return [{"ResourceType": resource, "Tags": tag(name)}]


def regional_arn(service, kind, resource_id, account=ACCOUNT_ID, sep="/"):
    return f"arn:aws:{service}:{REGION}:{account}:{kind}{sep}{resource_id}"


def subnets(aws, count=1):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    return vpc, [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{i}.0/24", AvailabilityZone=f"{REGION}{'abc'[i]}")
                 ["Subnet"]["SubnetId"] for i in range(count)]


def instance(aws, name="web-1"):
    return aws.client("ec2").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                           TagSpecifications=tags_spec("instance", name))["Instances"][0]["InstanceId"]


def iam_role(aws, name, service):
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                      "Action": "sts:AssumeRole"}]}
    return once(("role", name), lambda: aws.client("iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"])


# setups: each returns the row it expects (by resource_id), plus optional extra checks ----------------------

@setup("ec2_instance")
def _(aws):
    iid = instance(aws)
    return dict(resource_id=iid, arn=regional_arn("ec2", "instance", iid), name="web-1", state="running")


@setup("ebs_volume")
def _(aws):
    vid = aws.client("ec2").create_volume(Size=10, AvailabilityZone=f"{REGION}a", VolumeType="gp2",
                                          TagSpecifications=tags_spec("volume", "data-disk"))["VolumeId"]
    return dict(resource_id=vid, arn=regional_arn("ec2", "volume", vid), name="data-disk", state="available")


@setup("ebs_snapshot")
def _(aws):
    # moto ignores OwnerIds in-process; with its bundled AMIs off (conftest) the account holds only ours,
    # and the row is looked up by id anyway.
    ec2 = aws.client("ec2")
    vid = ec2.create_volume(Size=10, AvailabilityZone=f"{REGION}a")["VolumeId"]
    sid = ec2.create_snapshot(VolumeId=vid, TagSpecifications=tags_spec("snapshot", "nightly"))["SnapshotId"]
    return dict(resource_id=sid, arn=f"arn:aws:ec2:{REGION}::snapshot/{sid}", name="nightly", state="completed")


@setup("ami")
def _(aws):
    image = aws.client("ec2").create_image(InstanceId=instance(aws), Name="golden-2025-03")["ImageId"]
    return dict(resource_id=image, arn=f"arn:aws:ec2:{REGION}::image/{image}", name="golden-2025-03",
                state="available")


@setup("elastic_ip")
def _(aws):
    allocation = aws.client("ec2").allocate_address(Domain="vpc")["AllocationId"]
    return dict(resource_id=allocation, arn=regional_arn("ec2", "elastic-ip", allocation), state="unassociated")


@setup("vpc")
def _(aws):
    vpc = aws.client("ec2").create_vpc(CidrBlock="10.60.0.0/16", TagSpecifications=tags_spec("vpc", "core"))
    vid = vpc["Vpc"]["VpcId"]
    return dict(resource_id=vid, arn=regional_arn("ec2", "vpc", vid), name="core", state="available")


@setup("subnet")
def _(aws):
    _, (sid,) = subnets(aws)
    aws.client("ec2").create_tags(Resources=[sid], Tags=tag("private-a"))
    return dict(resource_id=sid, arn=regional_arn("ec2", "subnet", sid), name="private-a", state="available")


@setup("security_group")
def _(aws):
    vpc, _ = subnets(aws)
    gid = aws.client("ec2").create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    return dict(resource_id=gid, arn=regional_arn("ec2", "security-group", gid), name="web")


@setup("network_interface")
def _(aws):
    _, (sid,) = subnets(aws)
    eni = aws.client("ec2").create_network_interface(
        SubnetId=sid, TagSpecifications=tags_spec("network-interface", "eni-web"))["NetworkInterface"]
    eid = eni["NetworkInterfaceId"]
    return dict(resource_id=eid, arn=regional_arn("ec2", "network-interface", eid), name="eni-web",
                state="available")


@setup("nat_gateway")
def _(aws):
    ec2 = aws.client("ec2")
    _, (sid,) = subnets(aws)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=sid, AllocationId=allocation,
                                 TagSpecifications=tags_spec("natgateway", "egress"))["NatGateway"]["NatGatewayId"]
    return dict(resource_id=nat, arn=regional_arn("ec2", "natgateway", nat), name="egress", state="available")


@setup("elbv2_load_balancer")
def _(aws):
    _, ids = subnets(aws, 2)
    lb = aws.client("elbv2").create_load_balancer(Name="web-prod", Subnets=ids, Tags=[
        {"Key": "team", "Value": "payments"}])["LoadBalancers"][0]
    return dict(resource_id=lb["LoadBalancerArn"], arn=lb["LoadBalancerArn"], name="web-prod", state="active",
                tags={"team": "payments"})


@setup("elbv2_target_group")
def _(aws):
    vpc, _ = subnets(aws)
    iid = instance(aws)
    elbv2 = aws.client("elbv2")
    group = elbv2.create_target_group(Name="web-targets", Protocol="HTTP", Port=80, VpcId=vpc,
                                      TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": iid, "Port": 80}])

    def check(row):  # the per-item detail call added the targets to the item
        assert [t["Target"]["Id"] for t in json.loads(row["raw"])["TargetHealthDescriptions"]] == [iid]

    return dict(resource_id=group, arn=group, name="web-targets", check=check)


@setup("classic_load_balancer")
def _(aws):
    elb = aws.client("elb")
    elb.create_load_balancer(LoadBalancerName="legacy-web", AvailabilityZones=[f"{REGION}a"],
                             Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8080}],
                             Tags=[{"Key": "team", "Value": "web"}])
    return dict(resource_id="legacy-web",
                arn=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/legacy-web",
                name="legacy-web", tags={"team": "web"})


def _db_instance(aws, identifier="orders-db"):
    return once(("db", identifier), lambda: aws.client("rds").create_db_instance(
        DBInstanceIdentifier=identifier, DBInstanceClass="db.t3.micro", Engine="postgres", AllocatedStorage=20,
        MasterUsername="orders", MasterUserPassword="not-a-real-password", Tags=[{"Key": "team", "Value": "data"}],
    )["DBInstance"])


@setup("rds_instance")
def _(aws):
    _db_instance(aws)
    return dict(resource_id="orders-db", arn=f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:db:orders-db", name="orders-db",
                state="available", tags={"team": "data"})


@setup("rds_cluster")
def _(aws):
    aws.client("rds").create_db_cluster(DBClusterIdentifier="orders-aurora", Engine="aurora-postgresql",
                                        MasterUsername="orders", MasterUserPassword="not-a-real-password")
    return dict(resource_id="orders-aurora", arn=f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster:orders-aurora",
                name="orders-aurora", state="available")


@setup("rds_snapshot")
def _(aws):
    _db_instance(aws)
    aws.client("rds").create_db_snapshot(DBInstanceIdentifier="orders-db", DBSnapshotIdentifier="orders-manual")
    return dict(resource_id="orders-manual", arn=f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:snapshot:orders-manual",
                state="available")


def _eks_cluster(aws):
    def make():
        _, ids = subnets(aws, 2)
        role = iam_role(aws, "eks-cluster", "eks.amazonaws.com")
        return aws.client("eks").create_cluster(name="prod-eks", roleArn=role, resourcesVpcConfig={"subnetIds": ids},
                                                tags={"team": "platform"})["cluster"], ids
    return once("eks", make)


@setup("eks_cluster")
def _(aws):
    cluster, _ = _eks_cluster(aws)
    return dict(resource_id="prod-eks", arn=cluster["arn"], name="prod-eks", state="ACTIVE",
                tags={"team": "platform"})


@setup("eks_nodegroup")
def _(aws):
    _, ids = _eks_cluster(aws)
    group = aws.client("eks").create_nodegroup(clusterName="prod-eks", nodegroupName="general", subnets=ids,
                                               nodeRole=iam_role(aws, "eks-node", "ec2.amazonaws.com"),
                                               tags={"team": "platform"})["nodegroup"]
    return dict(resource_id="prod-eks/general", arn=group["nodegroupArn"], name="general", state="ACTIVE",
                parent_id="prod-eks", tags={"team": "platform"})


@setup("s3_bucket")
def _(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="registry-us-bucket")
    s3.create_bucket(Bucket="registry-eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_tagging(Bucket="registry-eu-bucket", Tagging={"TagSet": tag("eu data", team="data")})

    def check(rows):
        by_id = {row["resource_id"]: row for row in rows}
        assert by_id["registry-us-bucket"]["region"] == "us-east-1"  # null LocationConstraint
        assert by_id["registry-us-bucket"]["tags"] == {}  # NoSuchTagSet is "no tags", not an error

    return dict(resource_id="registry-eu-bucket", arn="arn:aws:s3:::registry-eu-bucket", name="eu data",
                region="eu-west-1", tags={"Name": "eu data", "team": "data"}, check_all=check)


def _zone(aws):
    return once("zone", lambda: aws.client("route53").create_hosted_zone(
        Name="example.com", CallerReference="registry-test")["HostedZone"]["Id"])


@setup("route53_zone")
def _(aws):
    zone = _zone(aws).removeprefix("/hostedzone/")
    return dict(resource_id=zone, arn=f"arn:aws:route53:::hostedzone/{zone}", name="example.com.")


@setup("route53_record")
def _(aws):
    zone = _zone(aws)
    aws.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "CREATE", "ResourceRecordSet": {
            "Name": "www.example.com", "Type": "A", "AliasTarget": {
                "HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": "web-prod-1.us-east-1.elb.amazonaws.com",
                "EvaluateTargetHealth": False}}}]})
    return dict(resource_id="www.example.com.|A", arn=None, name="www.example.com.", parent_id=zone.removeprefix("/hostedzone/"))


@setup("cloudfront_distribution")
def _(aws):
    distribution = aws.client("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": "registry-test", "Comment": "static", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "static.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    })["Distribution"]
    return dict(resource_id=distribution["Id"], arn=distribution["ARN"], name=distribution["DomainName"],
                state="Deployed")  # moto: InProgress when created, Deployed when listed


@setup("sagemaker_notebook")
def _(aws):
    aws.client("sagemaker").create_notebook_instance(
        NotebookInstanceName="analysis", InstanceType="ml.t3.medium",
        RoleArn=iam_role(aws, "sagemaker", "sagemaker.amazonaws.com"))
    return dict(resource_id="analysis", arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:notebook-instance/analysis",
                name="analysis", state="InService")


@setup("sagemaker_endpoint")
def _(aws):
    sagemaker = aws.client("sagemaker")
    role = iam_role(aws, "sagemaker", "sagemaker.amazonaws.com")
    sagemaker.create_model(ModelName="churn", ExecutionRoleArn=role, PrimaryContainer={
        "Image": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/churn:latest"})
    sagemaker.create_endpoint_config(EndpointConfigName="churn", ProductionVariants=[{
        "VariantName": "all", "ModelName": "churn", "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}])
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn")
    return dict(resource_id="churn", arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:endpoint/churn", name="churn",
                state="InService")


@setup("redshift_cluster")
def _(aws):
    aws.client("redshift").create_cluster(ClusterIdentifier="warehouse", NodeType="dc2.large",
                                          MasterUsername="admin", MasterUserPassword="Not-a-real-password1",
                                          ClusterType="single-node")
    return dict(resource_id="warehouse", arn=f"arn:aws:redshift:{REGION}:{ACCOUNT_ID}:cluster:warehouse",
                name="warehouse", state="available")


@setup("lambda_function")
def _(aws):
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    function = aws.client("lambda").create_function(
        FunctionName="orders-api", Runtime="python3.12", Handler="app.handler", Code={"ZipFile": code.getvalue()},
        Role=iam_role(aws, "orders-api", "lambda.amazonaws.com"))
    return dict(resource_id="orders-api", arn=function["FunctionArn"], name="orders-api", state=function.get("State"))


@setup("ec2_instance_type")
def _(aws):
    # the families in use (t3 of the estate's t3.micro instances and of its db.t3.micro DB instance): every size
    # of each the region offers, with vCPUs and memory, and no other family
    def check(row):
        item = json.loads(row["raw"])
        assert (item["VCpuInfo"]["DefaultVCpus"], item["MemoryInfo"]["SizeInMiB"]) == (2, 1024)

    def check_all(rows):
        offered = aws.client("ec2").describe_instance_types(
            Filters=[{"Name": "instance-type", "Values": ["t3.*"]}])["InstanceTypes"]
        assert sorted(row["resource_id"] for row in rows) == sorted(item["InstanceType"] for item in offered)
        assert {"t3.nano", "t3.micro", "t3.2xlarge"} <= {row["resource_id"] for row in rows}

    return dict(resource_id="t3.micro", name="t3.micro", check=check, check_all=check_all)


@setup("log_group")
def _(aws):
    aws.client("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    return dict(resource_id="/aws/lambda/orders-api", name="/aws/lambda/orders-api",
                arn=f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/orders-api")


def _daily_datapoint(aws, namespace, metric, dimension, resource_id, value, statistics=("Average", "Maximum")):
    from datetime import datetime, timedelta, timezone

    yesterday = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    aws.client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": metric, "Dimensions": [{"Name": dimension, "Value": resource_id}],
        "Timestamp": yesterday, "Value": value}])

    def check_all(rows):
        mine = [json.loads(row["raw"]) for row in rows if row["resource_id"] == resource_id]
        assert {(m["MetricName"], m["Stat"], m["Value"]) for m in mine} >= {(metric, stat, value)
                                                                            for stat in statistics}
        assert {m["Stat"] for m in mine} == set(statistics)

    return check_all


@setup("ec2_instance_metric")
def _(aws):
    iid = instance(aws, "busy")
    return dict(resource_id=iid, check_all=_daily_datapoint(aws, "AWS/EC2", "CPUUtilization", "InstanceId", iid,
                                                            42.0))


@setup("rds_instance_metric")
def _(aws):
    _db_instance(aws)
    return dict(resource_id="orders-db", check_all=_daily_datapoint(
        aws, "AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "orders-db", 7.0))


@setup("log_group_metric")
def _(aws):
    aws.client("logs").create_log_group(logGroupName="/aws/eks/orders/cluster")
    return dict(resource_id="/aws/eks/orders/cluster", check_all=_daily_datapoint(
        aws, "AWS/Logs", "IncomingBytes", "LogGroupName", "/aws/eks/orders/cluster", 2048.0, ("Sum",)))


@setup("nat_gateway_metric")
def _(aws):
    ec2 = aws.client("ec2")
    _, (sid,) = subnets(aws)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=sid, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    return dict(resource_id=nat, check_all=_daily_datapoint(
        aws, "AWS/NATGateway", "BytesInFromSource", "NatGatewayId", nat, 4096.0, ("Sum",)))


@setup("ce_service_cost")
def _(aws):
    from datetime import datetime, timedelta, timezone

    import requests

    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date()
    period = {"Start": yesterday.isoformat(), "End": (yesterday + timedelta(days=1)).isoformat()}
    # moto tracks no spend: its documented hook queues the answer of the next GetCostAndUsage call
    answer = {"ResultsByTime": [{"TimePeriod": period, "Estimated": True, "Total": {}, "Groups": [
        {"Keys": ["AmazonCloudWatch", ACCOUNT_ID], "Metrics": {"UnblendedCost": {"Amount": "12.5", "Unit": "USD"}}}]}],
        "DimensionValueAttributes": []}
    response = requests.post("http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
                             json={"account_id": ACCOUNT_ID, "results": [answer]})
    assert response.status_code == 201

    def check(row):
        item = json.loads(row["raw"])
        assert (item["Service"], item["LinkedAccountId"], item["Amount"], item["Unit"], item["Metric"]) == (
            "AmazonCloudWatch", ACCOUNT_ID, "12.5", "USD", "UnblendedCost")
        assert item["TimePeriod"] == period and item["Estimated"] is True

    return dict(resource_id=f"{ACCOUNT_ID}/AmazonCloudWatch/{yesterday}", check=check)


SSM_ENTRY = "ssm_managed_instance"  # moto does not implement ssm:DescribeInstanceInformation


def test_every_registry_entry_has_a_moto_test():
    assert set(SETUPS) | {SSM_ENTRY} == {entry.name for entry in REGISTRY}
    assert SSM_ENTRY not in SETUPS


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """One moto estate holding a resource of every type, in an account reached through sts:AssumeRole;
    then the real extractor runs every entry at once (regional and global), as a DAG task would."""
    tmp = tmp_path_factory.mktemp("registry")
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        fake_aws_environment(monkeypatch, tmp)
        credentials = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=ACCOUNT.role_arn, RoleSessionName="registry-setup")["Credentials"]
        aws = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"], region_name=REGION)
        _made.clear()
        expected = {name: function(aws) for name, function in SETUPS.items()}
        settings = load_settings()
        lake = Lake(str(tmp / "lake"))
        outcomes = {}
        for scope, region in (("regional", REGION), ("global", GLOBAL)):
            entries = [entry for entry in types_for(scope) if entry.name != SSM_ENTRY]
            for outcome in extraction(settings, lake, region).run(entries):
                outcomes[outcome.resource_type] = outcome
        yield expected, outcomes, lake


def extraction(settings, lake, region):
    session = account_session(ACCOUNT, REGION, settings)
    return Extraction(account=ACCOUNT, region=region, session=session, settings=settings, lake=lake,
                      snapshot_date=SNAPSHOT_DATE, run_id=RUN_ID)


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_entry_against_moto(name, estate):
    all_expected, outcomes, lake = estate
    expected = all_expected[name]
    entry = BY_NAME[name]
    region = GLOBAL if entry.scope == "global" else REGION

    outcome = outcomes[name]
    assert (outcome.status, outcome.error_class, outcome.error_message) == ("ok", None, None)
    rows = read_partition(lake, name, ACCOUNT_ID, region)
    assert outcome.rows == len(rows) >= 1
    assert outcome.api_calls >= 1
    matching = [row for row in rows if row["resource_id"] == expected["resource_id"]]
    assert matching, f"{expected['resource_id']} not among {[row['resource_id'] for row in rows]}"
    row = matching[0]
    assert (row["account_id"], row["resource_type"], row["run_id"]) == (ACCOUNT_ID, name, RUN_ID)
    assert row["region"] == expected.get("region", region)
    for field in ("arn", "name", "state", "tags", "parent_id"):
        if field in expected:
            assert row[field] == expected[field], field
    assert json.loads(row["raw"])  # the whole API object as JSON
    if "check" in expected:
        expected["check"](row)
    if "check_all" in expected:
        expected["check_all"](rows)


def test_ssm_managed_instance_from_the_recorded_response(settings, lake):
    """moto does not implement ssm:DescribeInstanceInformation, so this entry alone runs against a botocore
    Stubber on the real client, answered with the recorded response in tests/data/aws (validated against
    botocore's model in test_transform). The Stubber also checks the request our entry sends."""
    response = load_response("ssm", "DescribeInstanceInformation")
    run = Extraction(account=ACCOUNT, region=REGION, session=boto3.Session(region_name=REGION), settings=settings,
                     lake=lake, snapshot_date=SNAPSHOT_DATE, run_id=RUN_ID)
    client = run.client("ssm")  # the extractor's own client, with its config and counters
    with Stubber(client) as stubber:
        stubber.add_response("describe_instance_information", response, {"MaxResults": 50})
        (outcome,) = run.run([BY_NAME[SSM_ENTRY]])
        stubber.assert_no_pending_responses()
    assert outcome.status == "ok" and outcome.rows == 2
    rows = {row["resource_id"]: row for row in read_partition(lake, SSM_ENTRY, ACCOUNT_ID, REGION)}
    ec2_managed = rows["i-0a1b2c3d4e5f60718"]
    assert ec2_managed["arn"] == f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:managed-instance/i-0a1b2c3d4e5f60718"
    assert ec2_managed["name"] == "ip-10-20-1-15.eu-west-1.compute.internal"
    assert ec2_managed["state"] == "Online"
    assert rows["mi-0123456789abcdef0"]["state"] == "ConnectionLost"


@pytest.mark.parametrize("service, operation, action", [
    ("elbv2", "describe_load_balancers", "elasticloadbalancing:DescribeLoadBalancers"),
    ("elbv2", "describe_tags", "elasticloadbalancing:DescribeTags"),
    ("elb", "describe_load_balancers", "elasticloadbalancing:DescribeLoadBalancers"),
    ("cloudwatch", "get_metric_data", "cloudwatch:GetMetricData"),
    ("cloudwatch", "list_metrics", "cloudwatch:ListMetrics"),
    ("s3", "list_buckets", "s3:ListAllMyBuckets"),
    ("s3", "get_bucket_tagging", "s3:GetBucketTagging"),
    ("ec2", "describe_instances", "ec2:DescribeInstances"),
    ("ssm", "describe_instance_information", "ssm:DescribeInstanceInformation"),
    ("logs", "describe_log_groups", "logs:DescribeLogGroups"),
    ("lambda", "list_functions", "lambda:ListFunctions"),
])
def test_iam_action(service, operation, action):
    assert iam_action(service, operation) == action


def test_every_entry_names_real_operations():
    """Each operation an entry calls exists in botocore (a typo would only show up at run time)."""
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    for entry in REGISTRY:
        for service, operation in entry.api_operations():
            names = {xform_name(name) for name in session.get_service_model(service).operation_names}
            assert operation in names, (entry.name, service, operation)
    assert ("cloudwatch", "list_metrics") in BY_NAME["ec2_instance_metric"].api_operations()
    assert ("elbv2", "describe_tags") in BY_NAME["elbv2_load_balancer"].api_operations()


def test_parents_and_dependencies_exist():
    for entry in REGISTRY:
        for upstream in entry.upstream:
            assert upstream in BY_NAME, (entry.name, upstream)
            assert BY_NAME[upstream].scope == entry.scope or entry.fetch, entry.name
            assert BY_NAME[upstream].collect, f"{upstream} must collect what {entry.name} needs"


def test_selected_is_every_entry_when_the_setting_is_unset():
    assert selected(None) == list(REGISTRY)
    assert selected(None, "global") == types_for("global")


def test_selected_keeps_registry_order_and_scope():
    assert [entry.name for entry in selected(("vpc", "ec2_instance", "s3_bucket"))] == ["ec2_instance", "vpc",
                                                                                          "s3_bucket"]
    assert [entry.name for entry in selected(("vpc", "s3_bucket"), "regional")] == ["vpc"]


def test_selected_refuses_unknown_names_naming_them():
    with pytest.raises(SettingsError, match="INVENTORY_RESOURCE_TYPES: unknown resource type.*ec2_instances"):
        selected(("vpc", "ec2_instances"))


@pytest.mark.parametrize("names, message", [
    (("route53_record",), "route53_record needs route53_zone"),
    (("ec2_instance_metric",), "ec2_instance_metric needs ec2_instance"),
])
def test_selected_refuses_a_type_without_what_it_needs(names, message):
    with pytest.raises(SettingsError, match=message):
        selected(names)
