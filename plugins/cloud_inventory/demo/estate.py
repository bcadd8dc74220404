"""The demo estate: three accounts in two regions, seeded into the AWS emulator over HTTP.

Everything is created with boto3 against ``endpoint_url`` after ``sts:AssumeRole`` into each
account's ``InventoryReadOnly`` role (moto lets any role be assumed; the returned keys act inside the
role's account), exactly as the inventory itself reaches accounts. Names, CIDRs, sizes and metric
values are fixed, so two seeds differ only in the ids and addresses moto generates. Every Lambda function
carries the environment ``seeded_secrets.LAMBDA_ENVIRONMENT``: secrets the inventory must not store.

``seed(url, 0)`` builds the base estate on a fresh emulator; ``seed(url, 1)`` and ``seed(url, 2)``
then apply each day's changes, in that order.

moto limits worth knowing (and what we do about them):

* moto stamps ``StateTransitionReason`` ("User initiated (<now>)"), volume ``CreateTime``, snapshot
  ``StartTime``, AMI ``CreationDate`` and ``LaunchTime`` with the current time and has no API to
  change them. The emulator has a demo-only ``POST /_emulator/backdate`` hook that edits moto's
  in-process objects; the seeder uses it for the long-stopped instances (45/60/35 days), the old
  snapshots (200/400 days) and their volumes/AMIs. Against a plain moto server that hook is
  missing: the seed still succeeds and reports ``backdated: false`` (every timestamp is then "now").
* CloudWatch datapoints are put with past timestamps (moto accepts them), one per day for the last
  14 days, so ``get_metric_data`` with ``Period=86400`` returns 14 daily values.
* Target health comes from moto (registered running instances are ``healthy``).
* Log ingestion (``AWS/Logs IncomingBytes``) and NAT gateway bytes (``AWS/NATGateway``) are put as one
  datapoint at noon UTC of each of the last 14 whole days, the day's total (what ``Sum`` returns).
* moto tracks no spend: Cost Explorer answers come from moto's documented queue
  (``POST /moto-api/static/ce/cost-and-usage-results``), filled for prod (the management account, answering
  for itself and staging) with 14 days of spend per service; the last whole day's CloudWatch spend jumps with
  the Container Insights ingestion spike. staging's own Cost Explorer answers nothing (moto's empty queue);
  dev's is denied (demo/run.py's faults).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import urllib.error
import urllib.request
import zipfile
from typing import Any

import boto3
from botocore.config import Config

from cloud_inventory.demo import seeded_secrets

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = {"111111111111": "prod", "222222222222": "staging", "333333333333": "dev"}
DEMO_REGIONS = ("us-east-1", "eu-west-1")
DEMO_ROLE_NAME = "InventoryReadOnly"
DEMO_EXTERNAL_ID = "cloud-inventory-demo"

PROD, STAGING, DEV = "111111111111", "222222222222", "333333333333"
US, EU = DEMO_REGIONS

LINUX_AMI = "ami-04681a1dbd79675a5"  # amzn2 in moto's bundled AMI list (present in every region)
WINDOWS_AMI = "ami-b7e93bce"  # Windows_Server-2016-English-Full-Base in moto's list
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # CloudFront's fixed alias hosted zone
METRIC_DAYS = 14

_BOTO_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=10, read_timeout=60)


def role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{DEMO_ROLE_NAME}"


def assumed_session(endpoint_url: str, account_id: str, region: str = US, *, external_id: str = DEMO_EXTERNAL_ID,
                    config: Config = _BOTO_CONFIG) -> boto3.Session:
    """A boto3 session holding credentials of the demo role in ``account_id``."""
    sts = boto3.client("sts", endpoint_url=endpoint_url, region_name=region, aws_access_key_id="testing",
                       aws_secret_access_key="testing", config=config)
    creds = sts.assume_role(RoleArn=role_arn(account_id), RoleSessionName="demo-seed",
                            ExternalId=external_id)["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=region)


class _Ctx:
    """Clients for one account and region, plus what the seeder created there."""

    def __init__(self, endpoint_url: str, session: boto3.Session, account_id: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.session = session
        self.account_id = account_id
        self.region = region
        self.env = DEMO_ACCOUNTS[account_id]
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint_url,
                                                         region_name=self.region, config=_BOTO_CONFIG)
        return self._clients[service]

    def tags(self, name: str, team: str, **extra: str) -> list[dict[str, str]]:
        tags = {"Name": name, "team": team, "env": self.env, **extra}
        return [{"Key": k, "Value": v} for k, v in tags.items()]

    def tag_spec(self, resource_type: str, name: str, team: str, **extra: str) -> list[dict[str, Any]]:
        return [{"ResourceType": resource_type, "Tags": self.tags(name, team, **extra)}]


def _sessions(endpoint_url: str) -> dict[str, boto3.Session]:
    return {acct: assumed_session(endpoint_url, acct) for acct in DEMO_ACCOUNTS}


def _backdate(endpoint_url: str, account_id: str, region: str, resource_id: str, days_ago: float) -> bool:
    payload = json.dumps({"account_id": account_id, "region": region, "resource_id": resource_id,
                          "days_ago": days_ago}).encode()
    req = urllib.request.Request(f"{endpoint_url.rstrip('/')}/_emulator/backdate", data=payload, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError) as exc:
        log.warning("cannot backdate %s (%s); is this the cloud-inventory emulator?", resource_id, exc)
        return False


# --------------------------------------------------------------------------------------------------
# building blocks


def _iam_baseline(c: _Ctx) -> dict[str, str]:
    """The read-only role the inventory assumes, plus service roles the estate's resources use."""
    iam = c("iam")
    trust_inventory = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                       "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"sts:ExternalId": DEMO_EXTERNAL_ID}}}],
    }
    iam.create_role(RoleName=DEMO_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust_inventory),
                    Description="Read-only role assumed by the cloud-inventory DAGs")
    # moto does not load AWS managed policies (ReadOnlyAccess) by default, so the grant is inline
    iam.put_role_policy(RoleName=DEMO_ROLE_NAME, PolicyName="inventory-read-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "ec2:Describe*", "elasticloadbalancing:Describe*", "rds:Describe*", "rds:ListTagsForResource",
            "eks:List*", "eks:Describe*", "s3:ListAllMyBuckets", "s3:GetBucket*", "route53:List*", "route53:Get*",
            "cloudfront:List*", "cloudfront:Get*", "sagemaker:List*", "sagemaker:Describe*", "redshift:Describe*",
            "lambda:List*", "lambda:GetFunction*", "logs:Describe*", "cloudwatch:GetMetricData", "ce:GetCostAndUsage",
            "cloudwatch:ListMetrics", "ssm:DescribeInstanceInformation", "tag:GetResources"]}],
    }))
    arns = {}
    for name, principal in (("lambda-exec", "lambda.amazonaws.com"), ("eks-cluster", "eks.amazonaws.com"),
                            ("eks-node", "ec2.amazonaws.com"), ("sagemaker-exec", "sagemaker.amazonaws.com")):
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": principal},
                                                         "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName=f"{c.env}-{name}", AssumeRolePolicyDocument=json.dumps(trust))
        arns[name] = role["Role"]["Arn"]
    return arns


def _vpc(c: _Ctx, name: str, cidr: str, subnets: list[tuple[str, str, str]], team: str = "platform",
         ipv6: bool = False) -> dict[str, Any]:
    ec2 = c("ec2")
    vpc_id = ec2.create_vpc(CidrBlock=cidr, AmazonProvidedIpv6CidrBlock=ipv6,
                            TagSpecifications=c.tag_spec("vpc", name, team))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway(TagSpecifications=c.tag_spec("internet-gateway", f"{name}-igw", team))
    ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGateway"]["InternetGatewayId"], VpcId=vpc_id)
    out: dict[str, Any] = {"vpc_id": vpc_id, "subnets": {}}
    for sub_name, sub_cidr, az_suffix in subnets:
        sid = ec2.create_subnet(VpcId=vpc_id, CidrBlock=sub_cidr, AvailabilityZone=f"{c.region}{az_suffix}",
                                TagSpecifications=c.tag_spec("subnet", sub_name, team))["Subnet"]["SubnetId"]
        out["subnets"][sub_name] = sid
    return out


def _sg(c: _Ctx, vpc_id: str, name: str, description: str, team: str, rules: list[dict[str, Any]]) -> str:
    ec2 = c("ec2")
    gid = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc_id,
                                    TagSpecifications=c.tag_spec("security-group", name, team))["GroupId"]
    if rules:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=rules)
    return gid


def _tcp(port: int, cidrs: tuple[str, ...] = (), v6: tuple[str, ...] = (), groups: tuple[str, ...] = (),
         to_port: int | None = None, description: str = "") -> dict[str, Any]:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": to_port or port}
    if cidrs:
        rule["IpRanges"] = [{"CidrIp": x, **({"Description": description} if description else {})} for x in cidrs]
    if v6:
        rule["Ipv6Ranges"] = [{"CidrIpv6": x} for x in v6]
    if groups:
        rule["UserIdGroupPairs"] = [{"GroupId": g} for g in groups]
    return rule


def _instance(c: _Ctx, name: str, itype: str, subnet_id: str, sgs: list[str], team: str, *,
              ssm: bool = False, windows: bool = False, root_gib: int = 8, root_type: str = "gp3",
              data_gib: int = 0, data_type: str = "gp3", extra_tags: dict[str, str] | None = None) -> str:
    tags = dict(extra_tags or {})
    if ssm:
        tags["SSMManaged"] = "true"
    mappings = [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": root_gib, "VolumeType": root_type,
                                                     "DeleteOnTermination": True}}]
    if data_gib:
        mappings.append({"DeviceName": "/dev/xvdf", "Ebs": {"VolumeSize": data_gib, "VolumeType": data_type,
                                                             "DeleteOnTermination": False}})
    resp = c("ec2").run_instances(
        ImageId=WINDOWS_AMI if windows else LINUX_AMI, InstanceType=itype, MinCount=1, MaxCount=1,
        SubnetId=subnet_id, SecurityGroupIds=sgs, BlockDeviceMappings=mappings,
        TagSpecifications=c.tag_spec("instance", name, team, **tags) + c.tag_spec("volume", f"{name}-vol", team),
    )
    return resp["Instances"][0]["InstanceId"]


def _volume(c: _Ctx, name: str, size: int, vtype: str, team: str, az_suffix: str = "a") -> str:
    return c("ec2").create_volume(AvailabilityZone=f"{c.region}{az_suffix}", Size=size, VolumeType=vtype,
                                  TagSpecifications=c.tag_spec("volume", name, team))["VolumeId"]


def _eip(c: _Ctx, name: str, team: str) -> tuple[str, str]:
    resp = c("ec2").allocate_address(Domain="vpc", TagSpecifications=c.tag_spec("elastic-ip", name, team))
    return resp["AllocationId"], resp["PublicIp"]


def _put_cpu(c: _Ctx, instance_ids: dict[str, str], idle: set[str], now: dt.datetime) -> None:
    """One CPUUtilization datapoint per instance and day (14 days); idle instances stay under 5 %."""
    cw = c("cloudwatch")
    for n, (name, iid) in enumerate(sorted(instance_ids.items())):
        data = []
        for day in range(METRIC_DAYS):
            value = 0.8 + (day % 4) * 0.6 if name in idle else 22.0 + ((day * 7 + n * 5) % 40)
            data.append({"MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                         "Timestamp": now - dt.timedelta(days=day, hours=2), "Value": value, "Unit": "Percent"})
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=data)


def _put_mem(c: _Ctx, instance_ids: dict[str, str], now: dt.datetime) -> None:
    cw = c("cloudwatch")
    for n, (_name, iid) in enumerate(sorted(instance_ids.items())):
        data = [{"MetricName": "mem_used_percent", "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                 "Timestamp": now - dt.timedelta(days=day, hours=2), "Value": 35.0 + ((day * 3 + n * 11) % 45),
                 "Unit": "Percent"} for day in range(METRIC_DAYS)]
        cw.put_metric_data(Namespace="CWAgent", MetricData=data)


def _put_daily(c: _Ctx, namespace: str, metric: str, instance_id: str, values: list[float], now: dt.datetime) -> None:
    """One datapoint a day of an instance's metric (a percentage), `values[day]` on `day` days ago."""
    c("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": metric, "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
         "Timestamp": now - dt.timedelta(days=day, hours=2), "Value": value, "Unit": "Percent"}
        for day, value in enumerate(values)])


def _put_rds(c: _Ctx, db_ids: list[str], idle: set[str], now: dt.datetime,
             over_provisioned: frozenset[str] = frozenset()) -> None:
    """CPU and connections of every DB instance; idle ones have no connections. An over-provisioned one (a
    db.t3.medium, 4 GiB) peaks at 25 % CPU and never has less than 3 GiB free (FreeableMemory)."""
    cw = c("cloudwatch")
    for n, db in enumerate(sorted(db_ids)):
        dims = [{"Name": "DBInstanceIdentifier", "Value": db}]
        data = []
        for day in range(METRIC_DAYS):
            ts = now - dt.timedelta(days=day, hours=2)
            if db in idle:
                cpu = 1.5 + (day % 3) * 0.3
            elif db in over_provisioned:
                cpu = 18.0 + (day * 3 % 8)
            else:
                cpu = 18.0 + ((day * 5 + n * 7) % 35)
            conns = 0.0 if db in idle else float(40 + (day * 13 + n * 17) % 120)
            data.append({"MetricName": "CPUUtilization", "Dimensions": dims, "Timestamp": ts, "Value": cpu,
                         "Unit": "Percent"})
            data.append({"MetricName": "DatabaseConnections", "Dimensions": dims, "Timestamp": ts, "Value": conns,
                         "Unit": "Count"})
            if db in over_provisioned:
                data.append({"MetricName": "FreeableMemory", "Dimensions": dims, "Timestamp": ts,
                             "Value": (3.0 + (day % 4) * 0.1) * 1024 ** 3, "Unit": "Bytes"})
        cw.put_metric_data(Namespace="AWS/RDS", MetricData=data)


GB = 1024 ** 3
# prod-eks's Container Insights application logs: ~3 GB a day, then 120 GB on the last whole day (a crash-looping
# worker logging its stack trace in a loop): a log-ingestion spike tied to the cluster's pods that day
CONTAINER_INSIGHTS_APPLICATION_GB = (3.1, 3.4, 2.9, 3.6, 3.2, 3.0, 3.5, 3.3, 3.1, 3.4, 2.8, 3.2, 3.3, 120.0)
# and the CloudWatch spend that goes with it ($, prod): ~$4 a day, then the spike's ingestion on top
CLOUDWATCH_SPEND_USD = (4.1, 3.9, 4.3, 4.0, 3.8, 4.2, 4.4, 4.0, 3.9, 4.1, 4.2, 3.7, 4.0, 64.3)


def _whole_days(now: dt.datetime) -> list[dt.datetime]:
    """Noon UTC of each of the last METRIC_DAYS whole days, oldest first (the last is yesterday)."""
    midnight = now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return [midnight - dt.timedelta(days=days_ago) + dt.timedelta(hours=12) for days_ago in range(METRIC_DAYS, 0, -1)]


def _put_daily_totals(c: _Ctx, namespace: str, dimension: str, resource_id: str, totals: dict[str, list[float]],
                      now: dt.datetime) -> None:
    """One datapoint per metric and whole day, oldest first: the day's total, in bytes."""
    cw = c("cloudwatch")
    for metric, values in totals.items():
        cw.put_metric_data(Namespace=namespace, MetricData=[
            {"MetricName": metric, "Dimensions": [{"Name": dimension, "Value": resource_id}], "Timestamp": when,
             "Value": value, "Unit": "Bytes"} for when, value in zip(_whole_days(now), values)])


def _put_log_ingestion(c: _Ctx, gb_per_day: dict[str, tuple[float, ...]], now: dt.datetime) -> None:
    for group, gbs in gb_per_day.items():
        _put_daily_totals(c, "AWS/Logs", "LogGroupName", group, {"IncomingBytes": [gb * GB for gb in gbs]}, now)


def _put_nat_bytes(c: _Ctx, nat_id: str, gb_from_source: list[float], gb_from_destination: list[float],
                   now: dt.datetime) -> None:
    """What goes in comes out: each direction's bytes out equal the other side's bytes in."""
    source, destination = [gb * GB for gb in gb_from_source], [gb * GB for gb in gb_from_destination]
    _put_daily_totals(c, "AWS/NATGateway", "NatGatewayId", nat_id, {
        "BytesInFromSource": source, "BytesOutToDestination": source,
        "BytesInFromDestination": destination, "BytesOutToSource": destination}, now)


def _queue_cost_explorer(c: _Ctx, spend: dict[tuple[str, str], tuple[float, ...]], now: dt.datetime) -> bool:
    """The answer prod's Cost Explorer gives (moto's queue; False when the emulator has no such hook)."""
    days = [when.date() for when in _whole_days(now)]
    answer = {"DimensionValueAttributes": [], "ResultsByTime": [
        {"TimePeriod": {"Start": day.isoformat(), "End": (day + dt.timedelta(days=1)).isoformat()},
         "Estimated": index == len(days) - 1, "Total": {},
         "Groups": [{"Keys": [service, account], "Metrics": {"UnblendedCost": {"Amount": f"{usd[index]:.2f}",
                                                                               "Unit": "USD"}}}
                    for (service, account), usd in spend.items()]}
        for index, day in enumerate(days)]}
    payload = json.dumps({"account_id": c.account_id, "results": [answer]}).encode()
    req = urllib.request.Request(f"{c.endpoint_url.rstrip('/')}/moto-api/static/ce/cost-and-usage-results",
                                 data=payload, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status == 201
    except (urllib.error.URLError, OSError) as exc:
        log.warning("cannot queue Cost Explorer answers (%s); is this a moto server?", exc)
        return False


def _lambda_zip(handler_body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("handler.py", date_time=(2024, 1, 1, 0, 0, 0))
        zf.writestr(info, handler_body)
    return buf.getvalue()


def _lambda(c: _Ctx, name: str, role_arn_: str, team: str, runtime: str = "python3.12", memory: int = 256) -> str:
    code = _lambda_zip(f"def handler(event, context):\n    return {{'function': '{name}', 'ok': True}}\n")
    resp = c("lambda").create_function(
        FunctionName=name, Runtime=runtime, Role=role_arn_, Handler="handler.handler", Code={"ZipFile": code},
        Description=f"{name} ({c.env})", Timeout=30, MemorySize=memory,
        Environment={"Variables": dict(seeded_secrets.LAMBDA_ENVIRONMENT)},  # what the inventory must not keep
        Tags={"Name": name, "team": team, "env": c.env},
    )
    return resp["FunctionArn"]


def _log_group(c: _Ctx, name: str, team: str, retention_days: int | None) -> str:
    logs = c("logs")
    logs.create_log_group(logGroupName=name, tags={"team": team, "env": c.env})
    if retention_days:
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
    return name


def _bucket(c: _Ctx, name: str, team: str) -> str:
    s3 = c("s3")
    kwargs: dict[str, Any] = {"Bucket": name}
    if c.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": c.region}
    s3.create_bucket(**kwargs)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": c.tags(name, team)})
    return name


def _alb(c: _Ctx, name: str, subnets: list[str], sgs: list[str], team: str, scheme: str = "internet-facing",
         lb_type: str = "application") -> dict[str, str]:
    kwargs: dict[str, Any] = {"Name": name, "Subnets": subnets, "Scheme": scheme, "Type": lb_type,
                              "Tags": c.tags(name, team)}
    if lb_type == "application":
        kwargs["SecurityGroups"] = sgs
    lb = c("elbv2").create_load_balancer(**kwargs)["LoadBalancers"][0]
    return {"arn": lb["LoadBalancerArn"], "dns": lb["DNSName"], "zone": lb["CanonicalHostedZoneId"]}


def _target_group(c: _Ctx, name: str, vpc_id: str, protocol: str, port: int, lb_arn: str, team: str,
                  targets: list[str]) -> str:
    elbv2 = c("elbv2")
    kwargs: dict[str, Any] = {"Name": name, "Protocol": protocol, "Port": port, "VpcId": vpc_id,
                              "TargetType": "instance", "Tags": c.tags(name, team)}
    if protocol in ("HTTP", "HTTPS"):
        kwargs.update(HealthCheckPath="/healthz", Matcher={"HttpCode": "200"})
    tg_arn = elbv2.create_target_group(**kwargs)["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol=protocol, Port=80 if protocol == "HTTP" else port,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    if targets:
        elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": t, "Port": port} for t in targets])
    return tg_arn


def _db_subnet_group(c: _Ctx, name: str, subnet_ids: list[str]) -> str:
    c("rds").create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=f"{name} subnets",
                                    SubnetIds=subnet_ids)
    return name


def _rds(c: _Ctx, ident: str, engine: str, klass: str, storage: int, subnet_group: str, sgs: list[str],
         team: str, multi_az: bool = False) -> str:
    c("rds").create_db_instance(
        DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass=klass, AllocatedStorage=storage,
        MasterUsername="dbadmin", MasterUserPassword="demo-password-1", DBSubnetGroupName=subnet_group,
        VpcSecurityGroupIds=sgs, MultiAZ=multi_az, StorageType="gp3", Tags=c.tags(ident, team),
        DBName="app",
    )
    return ident


def _aurora(c: _Ctx, ident: str, engine: str, klass: str, members: int, subnet_group: str, sgs: list[str],
            team: str) -> list[str]:
    rds = c("rds")
    rds.create_db_cluster(DBClusterIdentifier=ident, Engine=engine, MasterUsername="dbadmin",
                          MasterUserPassword="demo-password-1", DBSubnetGroupName=subnet_group,
                          VpcSecurityGroupIds=sgs, Tags=c.tags(ident, team), DatabaseName="app")
    out = []
    for i in range(1, members + 1):
        iid = f"{ident}-{i}"
        rds.create_db_instance(DBInstanceIdentifier=iid, DBClusterIdentifier=ident, Engine=engine,
                               DBInstanceClass=klass, Tags=c.tags(iid, team))
        out.append(iid)
    return out


def _eks(c: _Ctx, name: str, roles: dict[str, str], subnets: list[str], sgs: list[str], team: str,
         nodegroups: list[tuple[str, str, int]]) -> str:
    eks = c("eks")
    eks.create_cluster(name=name, version="1.30", roleArn=roles["eks-cluster"],
                       resourcesVpcConfig={"subnetIds": subnets, "securityGroupIds": sgs,
                                           "endpointPublicAccess": False, "endpointPrivateAccess": True},
                       tags={"Name": name, "team": team, "env": c.env})
    for ng_name, itype, size in nodegroups:
        eks.create_nodegroup(clusterName=name, nodegroupName=ng_name, subnets=subnets, nodeRole=roles["eks-node"],
                             instanceTypes=[itype], scalingConfig={"minSize": 1, "maxSize": size * 2,
                                                                   "desiredSize": size},
                             tags={"Name": ng_name, "team": team, "env": c.env})
    return name


def _sagemaker(c: _Ctx, roles: dict[str, str], team: str, notebook: str | None, endpoint: str | None) -> None:
    sm = c("sagemaker")
    tags = [{"Key": "team", "Value": team}, {"Key": "env", "Value": c.env}]
    if notebook:
        sm.create_notebook_instance(NotebookInstanceName=notebook, InstanceType="ml.t3.medium",
                                    RoleArn=roles["sagemaker-exec"], VolumeSizeInGB=20, Tags=tags)
    if endpoint:
        image = f"763104351884.dkr.ecr.{c.region}.amazonaws.com/xgboost:1.7-1"
        sm.create_model(ModelName=f"{endpoint}-model", ExecutionRoleArn=roles["sagemaker-exec"],
                        PrimaryContainer={"Image": image, "ModelDataUrl": f"s3://{c.env}-models/{endpoint}.tar.gz"},
                        Tags=tags)
        sm.create_endpoint_config(EndpointConfigName=f"{endpoint}-config", Tags=tags, ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": f"{endpoint}-model", "InitialInstanceCount": 1,
             "InstanceType": "ml.m5.large"}])
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-config", Tags=tags)


def _redshift(c: _Ctx, ident: str, node_type: str, nodes: int, team: str) -> str:
    c("redshift").create_cluster(
        ClusterIdentifier=ident, NodeType=node_type, ClusterType="multi-node" if nodes > 1 else "single-node",
        **({"NumberOfNodes": nodes} if nodes > 1 else {}), MasterUsername="dwhadmin",
        MasterUserPassword="DemoPassword1", DBName="analytics", Tags=c.tags(ident, team),
    )
    return ident


def _cloudfront(c: _Ctx, name: str, origin_domain: str, aliases: list[str], team: str) -> dict[str, str]:
    cf = c("cloudfront")
    config = {
        "CallerReference": f"{c.env}-{name}",
        "Aliases": {"Quantity": len(aliases), "Items": aliases},
        "Comment": name,
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": f"{name}-origin", "DomainName": origin_domain,
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": f"{name}-origin", "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
        "PriceClass": "PriceClass_100",
    }
    resp = cf.create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": config,
        "Tags": {"Items": [{"Key": "Name", "Value": name}, {"Key": "team", "Value": team},
                           {"Key": "env", "Value": c.env}]}})
    dist = resp["Distribution"]
    return {"id": dist["Id"], "domain": dist["DomainName"]}


def _zone(c: _Ctx, name: str, records: list[dict[str, Any]], private_vpc: str | None = None) -> str:
    r53 = c("route53")
    kwargs: dict[str, Any] = {"Name": name, "CallerReference": f"{c.env}-{name}",
                              "HostedZoneConfig": {"Comment": f"{c.env} zone", "PrivateZone": bool(private_vpc)}}
    if private_vpc:
        kwargs["VPC"] = {"VPCRegion": c.region, "VPCId": private_vpc}
    zone_id = r53.create_hosted_zone(**kwargs)["HostedZone"]["Id"].split("/")[-1]
    if records:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in records]})
    return zone_id


def _a(name: str, ips: list[str], ttl: int = 300) -> dict[str, Any]:
    return {"Name": name, "Type": "A", "TTL": ttl, "ResourceRecords": [{"Value": ip} for ip in ips]}


def _alias(name: str, zone: str, dns: str) -> dict[str, Any]:
    return {"Name": name, "Type": "A", "AliasTarget": {"HostedZoneId": zone, "DNSName": dns,
                                                       "EvaluateTargetHealth": False}}


def _cname(name: str, target: str, ttl: int = 300) -> dict[str, Any]:
    return {"Name": name, "Type": "CNAME", "TTL": ttl, "ResourceRecords": [{"Value": target}]}


def _find_instance(c: _Ctx, name: str) -> dict[str, Any]:
    resp = c("ec2").describe_instances(Filters=[
        {"Name": "tag:Name", "Values": [name]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
    found = [i for r in resp["Reservations"] for i in r["Instances"]]
    if len(found) != 1:
        raise RuntimeError(f"expected one live instance named {name!r} in {c.account_id}/{c.region}, got {len(found)}")
    return found[0]


def _find(c: _Ctx, describe: str, items: str, name: str, id_field: str) -> str:
    resp = getattr(c("ec2"), describe)(Filters=[{"Name": "tag:Name", "Values": [name]}])
    found = resp[items]
    if len(found) != 1:
        raise RuntimeError(f"expected one {items} named {name!r} in {c.account_id}/{c.region}, got {len(found)}")
    return found[0][id_field]


# --------------------------------------------------------------------------------------------------
# day 0


def _seed_prod_us(c: _Ctx, roles: dict[str, str], now: dt.datetime, out: dict[str, Any]) -> None:
    ec2 = c("ec2")
    net = _vpc(c, "prod-core", "10.10.0.0/16", [
        ("prod-public-a", "10.10.0.0/24", "a"), ("prod-public-b", "10.10.1.0/24", "b"),
        ("prod-app-a", "10.10.16.0/20", "a"), ("prod-app-b", "10.10.32.0/20", "b"),
        ("prod-db-a", "10.10.100.0/28", "a"), ("prod-db-b", "10.10.100.16/28", "b"),
    ], ipv6=True)
    vpc, sn = net["vpc_id"], net["subnets"]
    sg_web = _sg(c, vpc, "prod-web", "public web tier", "web",
                 [_tcp(80, ("0.0.0.0/0",), ("::/0",)), _tcp(443, ("0.0.0.0/0",), ("::/0",))])
    sg_bastion = _sg(c, vpc, "prod-bastion", "ssh bastion", "platform",
                     [_tcp(22, ("0.0.0.0/0",), description="temporary: vendor access")])
    sg_app = _sg(c, vpc, "prod-app", "application tier", "payments",
                 [_tcp(8080, groups=(sg_web,)), _tcp(22, groups=(sg_bastion,))])
    sg_db = _sg(c, vpc, "prod-db", "databases", "data", [_tcp(5432, groups=(sg_app,)), _tcp(3306, groups=(sg_app,))])
    sg_legacy = _sg(c, vpc, "prod-legacy-allow-all", "legacy: allow everything", "legacy",
                    [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    sg_eks = _sg(c, vpc, "prod-eks-nodes", "eks worker nodes", "platform", [_tcp(443, ("10.10.0.0/16",))])

    inst = {
        "prod-web-1": _instance(c, "prod-web-1", "t3.medium", sn["prod-public-a"], [sg_web], "web"),
        "prod-web-2": _instance(c, "prod-web-2", "t3.medium", sn["prod-public-b"], [sg_web], "web"),
        "prod-web-3": _instance(c, "prod-web-3", "t3.medium", sn["prod-public-a"], [sg_web], "web"),
        "prod-app-1": _instance(c, "prod-app-1", "m5.large", sn["prod-app-a"], [sg_app], "payments", ssm=True,
                                data_gib=100),
        "prod-app-2": _instance(c, "prod-app-2", "m5.large", sn["prod-app-b"], [sg_app], "payments", ssm=True,
                                data_gib=100),
        "prod-bastion": _instance(c, "prod-bastion", "t3.micro", sn["prod-public-a"], [sg_bastion], "platform",
                                  ssm=True),
        "prod-batch-worker": _instance(c, "prod-batch-worker", "c5.xlarge", sn["prod-app-a"], [sg_app], "data",
                                       data_gib=200, data_type="gp2"),
        "prod-reporting-old": _instance(c, "prod-reporting-old", "r5.large", sn["prod-app-b"], [sg_legacy],
                                        "legacy", root_type="gp2", data_gib=500, data_type="gp2"),
        "prod-analytics-idle": _instance(c, "prod-analytics-idle", "m5.xlarge", sn["prod-app-a"], [sg_app], "data",
                                         ssm=True),
        "prod-ad-dc-1": _instance(c, "prod-ad-dc-1", "m5.large", sn["prod-app-a"], [sg_app], "corp-it",
                                  windows=True, root_gib=60, ssm=True),
    }
    stopped = {"prod-batch-worker": 45, "prod-reporting-old": 60}
    ec2.stop_instances(InstanceIds=[inst[n] for n in stopped])
    for n, days in stopped.items():
        out["backdated"] &= _backdate(c.endpoint_url, c.account_id, c.region, inst[n], days)

    # Elastic IPs: bastion, NAT, and one forgotten
    bastion_alloc, bastion_ip = _eip(c, "prod-bastion-eip", "platform")
    ec2.associate_address(AllocationId=bastion_alloc, InstanceId=inst["prod-bastion"])
    nat_alloc, nat_ip = _eip(c, "prod-nat-eip", "platform")
    _eip(c, "prod-old-vpn-eip", "legacy")
    nat = ec2.create_nat_gateway(SubnetId=sn["prod-public-a"], AllocationId=nat_alloc,
                                 TagSpecifications=c.tag_spec("natgateway", "prod-nat-a", "platform"))
    out["nat_gateways"].append(nat["NatGateway"]["NatGatewayId"])
    _put_nat_bytes(c, nat["NatGateway"]["NatGatewayId"], [20.0 + day % 5 for day in range(METRIC_DAYS)],
                   [30.0 + day % 3 for day in range(METRIC_DAYS)], now)

    # the small DB subnet gets fairly full: 8 of its 11 usable addresses carry interfaces
    for i in range(8):
        ec2.create_network_interface(SubnetId=sn["prod-db-a"], Groups=[sg_db],
                                     Description=f"RDSNetworkInterface prod-db-a-{i}",
                                     TagSpecifications=c.tag_spec("network-interface", f"prod-db-eni-{i}", "data"))

    # volumes and snapshots
    _volume(c, "prod-migration-scratch", 50, "gp2", "legacy")
    _volume(c, "prod-orphan-data", 500, "gp3", "data")
    app1_data = [b["Ebs"]["VolumeId"] for b in _find_instance(c, "prod-app-1")["BlockDeviceMappings"]
                 if b["DeviceName"] == "/dev/xvdf"][0]
    snap_daily = ec2.create_snapshot(VolumeId=app1_data, Description="daily backup prod-app-1 data",
                                     TagSpecifications=c.tag_spec("snapshot", "prod-app-1-daily", "payments"))
    gone = _volume(c, "prod-decommissioned-db", 300, "gp2", "legacy")
    snap_orphan = ec2.create_snapshot(VolumeId=gone, Description="final snapshot before decommission",
                                      TagSpecifications=c.tag_spec("snapshot", "prod-decommissioned-db-final",
                                                                   "legacy"))
    ec2.delete_volume(VolumeId=gone)
    old_src = _volume(c, "prod-archive-2023", 200, "gp2", "legacy")
    snap_old = ec2.create_snapshot(VolumeId=old_src, Description="archive 2023",
                                   TagSpecifications=c.tag_spec("snapshot", "prod-archive-2023", "legacy"))
    for rid, days in ((old_src, 420), (snap_old["SnapshotId"], 400), (snap_orphan["SnapshotId"], 200)):
        out["backdated"] &= _backdate(c.endpoint_url, c.account_id, c.region, rid, days)
    out["snapshots"] += [snap_daily["SnapshotId"], snap_orphan["SnapshotId"], snap_old["SnapshotId"]]
    ami = ec2.create_image(InstanceId=inst["prod-web-1"], Name="prod-web-golden-2025-10", Description="web golden",
                           TagSpecifications=c.tag_spec("image", "prod-web-golden-2025-10", "web"))["ImageId"]
    out["amis"].append(ami)

    # load balancers
    alb = _alb(c, "prod-web-alb", [sn["prod-public-a"], sn["prod-public-b"]], [sg_web], "web")
    _target_group(c, "prod-web-tg", vpc, "HTTP", 80, alb["arn"], "web",
                  [inst["prod-web-1"], inst["prod-web-2"], inst["prod-web-3"]])
    nlb = _alb(c, "prod-api-nlb", [sn["prod-app-a"], sn["prod-app-b"]], [], "payments", scheme="internal",
               lb_type="network")
    _target_group(c, "prod-api-tg", vpc, "TCP", 8080, nlb["arn"], "payments", [inst["prod-app-1"], inst["prod-app-2"]])
    idle_alb = _alb(c, "prod-promo-alb", [sn["prod-public-a"], sn["prod-public-b"]], [sg_web], "marketing")
    _target_group(c, "prod-promo-tg", vpc, "HTTP", 80, idle_alb["arn"], "marketing", [])
    c("elb").create_load_balancer(
        LoadBalancerName="prod-legacy-clb", Subnets=[sn["prod-public-a"], sn["prod-public-b"]],
        SecurityGroups=[sg_web], Tags=c.tags("prod-legacy-clb", "legacy"),
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}])
    c("elb").register_instances_with_load_balancer(LoadBalancerName="prod-legacy-clb",
                                                   Instances=[{"InstanceId": inst["prod-web-1"]}])
    out["load_balancers"] += ["prod-web-alb", "prod-api-nlb", "prod-promo-alb", "prod-legacy-clb"]

    # databases
    dbsg = _db_subnet_group(c, "prod-db", [sn["prod-db-a"], sn["prod-db-b"]])
    dbs = [_rds(c, "prod-orders-db", "postgres", "db.r6g.large", 200, dbsg, [sg_db], "payments", multi_az=True),
           _rds(c, "prod-reporting-db", "mysql", "db.t3.medium", 100, dbsg, [sg_db], "data")]
    dbs += _aurora(c, "prod-payments-aurora", "aurora-postgresql", "db.r6g.large", 2, dbsg, [sg_db], "payments")
    c("rds").create_db_snapshot(DBInstanceIdentifier="prod-orders-db", DBSnapshotIdentifier="prod-orders-db-pre-upgrade",
                                Tags=c.tags("prod-orders-db-pre-upgrade", "payments"))
    c("rds").create_db_cluster_snapshot(DBClusterIdentifier="prod-payments-aurora",
                                        DBClusterSnapshotIdentifier="prod-payments-aurora-manual",
                                        Tags=c.tags("prod-payments-aurora-manual", "payments"))
    _redshift(c, "prod-dwh", "ra3.xlplus", 2, "data")

    # containers, ML, serverless, logs, buckets
    _eks(c, "prod-eks", roles, [sn["prod-app-a"], sn["prod-app-b"]], [sg_eks], "platform",
         [("prod-general", "m5.xlarge", 3), ("prod-memory", "r5.xlarge", 2)])
    _sagemaker(c, roles, "data-science", "prod-ds-notebook", "prod-churn-model")
    _lambda(c, "prod-thumbnailer", roles["lambda-exec"], "web")
    _lambda(c, "prod-order-events", roles["lambda-exec"], "payments", memory=512)
    for name, team, retention in (("/aws/lambda/prod-thumbnailer", "web", 14),
                                  ("/aws/lambda/prod-order-events", "payments", 30),
                                  ("/aws/eks/prod-eks/cluster", "platform", 90),
                                  ("/aws/containerinsights/prod-eks/application", "platform", 30),
                                  ("/aws/containerinsights/prod-eks/performance", "platform", 30),
                                  ("/app/prod/web", "web", None), ("/app/prod/legacy-batch", "legacy", None)):
        _log_group(c, name, team, retention)
    _put_log_ingestion(c, {"/aws/containerinsights/prod-eks/application": CONTAINER_INSIGHTS_APPLICATION_GB,
                           "/aws/containerinsights/prod-eks/performance": (1.2,) * METRIC_DAYS,
                           "/aws/eks/prod-eks/cluster": (0.8,) * METRIC_DAYS}, now)
    assets = _bucket(c, "demo-prod-web-assets", "web")
    _bucket(c, "demo-prod-logs-us-east-1", "platform")
    _bucket(c, "demo-prod-data-lake", "data")

    # global: CloudFront and Route 53 (prod owns the public zone)
    cdn = _cloudfront(c, "prod-static", f"{assets}.s3.amazonaws.com", ["static.shop.example.com"], "web")
    zone = _zone(c, "shop.example.com.", [
        _alias("www.shop.example.com.", alb["zone"], alb["dns"]),
        _alias("shop.example.com.", alb["zone"], alb["dns"]),
        _alias("static.shop.example.com.", CLOUDFRONT_ZONE_ID, cdn["domain"]),
        _a("bastion.shop.example.com.", [bastion_ip]),
        _a("egress.shop.example.com.", [nat_ip]),
        _cname("api.shop.example.com.", nlb["dns"]),
    ])
    private = _zone(c, "internal.prod.example.com.", [
        _cname("orders-db.internal.prod.example.com.", f"prod-orders-db.{c.region}.rds.amazonaws.com"),
    ], private_vpc=vpc)
    out["hosted_zones"] += [zone, private]
    out["distributions"].append(cdn["id"])

    out["cost_explorer"] = _queue_cost_explorer(c, {
        ("AmazonCloudWatch", PROD): CLOUDWATCH_SPEND_USD,
        ("Amazon Elastic Compute Cloud - Compute", PROD): tuple(118.0 + day % 4 for day in range(METRIC_DAYS)),
        ("Amazon Relational Database Service", PROD): (45.6,) * METRIC_DAYS,
        ("Amazon Elastic Compute Cloud - Compute", STAGING): tuple(30.0 + day % 2 for day in range(METRIC_DAYS)),
    }, now)

    _put_cpu(c, inst, {"prod-analytics-idle", "prod-bastion"}, now)
    _put_mem(c, {k: inst[k] for k in ("prod-app-1", "prod-app-2", "prod-web-1", "prod-analytics-idle")}, now)
    _put_rds(c, dbs, {"prod-reporting-db"}, now)
    out["instances"].update({f"{c.account_id}/{c.region}/{k}": v for k, v in inst.items()})


def _seed_prod_eu(c: _Ctx, roles: dict[str, str], now: dt.datetime, out: dict[str, Any]) -> None:
    net = _vpc(c, "prod-eu", "10.20.0.0/16", [("prod-eu-public-a", "10.20.0.0/24", "a"),
                                              ("prod-eu-public-b", "10.20.1.0/24", "b"),
                                              ("prod-eu-app-a", "10.20.16.0/20", "a"),
                                              ("prod-eu-app-b", "10.20.32.0/20", "b")])
    vpc, sn = net["vpc_id"], net["subnets"]
    sg_web = _sg(c, vpc, "prod-eu-web", "public web tier", "web",
                 [_tcp(443, ("0.0.0.0/0",), ("::/0",))])
    sg_app = _sg(c, vpc, "prod-eu-app", "application tier", "payments", [_tcp(8080, groups=(sg_web,))])
    sg_db = _sg(c, vpc, "prod-eu-db", "databases", "data", [_tcp(5432, groups=(sg_app,))])
    inst = {
        "prod-eu-web-1": _instance(c, "prod-eu-web-1", "t3.medium", sn["prod-eu-public-a"], [sg_web], "web"),
        "prod-eu-web-2": _instance(c, "prod-eu-web-2", "t3.medium", sn["prod-eu-public-b"], [sg_web], "web"),
        "prod-eu-app-1": _instance(c, "prod-eu-app-1", "m6i.large", sn["prod-eu-app-a"], [sg_app], "payments",
                                   ssm=True, data_gib=100),
    }
    alb = _alb(c, "prod-eu-web-alb", [sn["prod-eu-public-a"], sn["prod-eu-public-b"]], [sg_web], "web")
    _target_group(c, "prod-eu-web-tg", vpc, "HTTP", 80, alb["arn"], "web",
                  [inst["prod-eu-web-1"], inst["prod-eu-web-2"]])
    out["load_balancers"].append("prod-eu-web-alb")
    dbsg = _db_subnet_group(c, "prod-eu-db", [sn["prod-eu-app-a"], sn["prod-eu-app-b"]])
    dbs = [_rds(c, "prod-eu-orders-db", "postgres", "db.r6g.large", 200, dbsg, [sg_db], "payments")]
    _eip(c, "prod-eu-spare-eip", "platform")
    _volume(c, "prod-eu-restore-test", 80, "gp2", "data")
    _lambda(c, "prod-eu-gdpr-export", roles["lambda-exec"], "legal")
    _log_group(c, "/aws/lambda/prod-eu-gdpr-export", "legal", 365)
    _log_group(c, "/app/prod-eu/web", "web", None)
    _bucket(c, "demo-prod-logs-eu-west-1", "platform")
    _bucket(c, "demo-prod-eu-customer-exports", "legal")
    _sagemaker(c, roles, "data-science", None, "prod-eu-fraud-model")
    _put_cpu(c, inst, set(), now)
    _put_mem(c, {"prod-eu-app-1": inst["prod-eu-app-1"]}, now)
    _put_rds(c, dbs, set(), now)
    # rightsizing (marts.rightsizing): busy enough not to be idle, but far from their size
    sized = {
        # CPU 15-28 %, the agent's memory 22-34 %: over-provisioned, m5.xlarge would do
        "prod-eu-search-1": _instance(c, "prod-eu-search-1", "m5.2xlarge", sn["prod-eu-app-a"], [sg_app], "search"),
        # CPU 12-25 % but memory 82-91 %: sized by its memory, not a finding
        "prod-eu-cache-1": _instance(c, "prod-eu-cache-1", "r5.xlarge", sn["prod-eu-app-b"], [sg_app], "payments"),
        # CPU 14-27 %, no CloudWatch agent: memory unknown, no size proposed
        "prod-eu-etl-1": _instance(c, "prod-eu-etl-1", "c5.xlarge", sn["prod-eu-app-a"], [sg_app], "data"),
    }
    days = range(METRIC_DAYS)
    _put_daily(c, "AWS/EC2", "CPUUtilization", sized["prod-eu-search-1"], [15.0 + day % 15 for day in days], now)
    _put_daily(c, "CWAgent", "mem_used_percent", sized["prod-eu-search-1"], [22.0 + day % 13 for day in days], now)
    _put_daily(c, "AWS/EC2", "CPUUtilization", sized["prod-eu-cache-1"], [12.0 + day for day in days], now)
    _put_daily(c, "CWAgent", "mem_used_percent", sized["prod-eu-cache-1"], [82.0 + day % 10 for day in days], now)
    _put_daily(c, "AWS/EC2", "CPUUtilization", sized["prod-eu-etl-1"], [14.0 + day for day in days], now)
    inst.update(sized)
    out["instances"].update({f"{c.account_id}/{c.region}/{k}": v for k, v in inst.items()})


def _seed_staging_us(c: _Ctx, roles: dict[str, str], now: dt.datetime, out: dict[str, Any]) -> None:
    net = _vpc(c, "staging-core", "10.30.0.0/16", [("stg-public-a", "10.30.0.0/24", "a"),
                                                   ("stg-public-b", "10.30.1.0/24", "b"),
                                                   ("stg-app-a", "10.30.8.0/22", "a"),
                                                   ("stg-app-b", "10.30.12.0/22", "b")])
    vpc, sn = net["vpc_id"], net["subnets"]
    sg_web = _sg(c, vpc, "stg-web", "staging web", "web", [_tcp(443, ("0.0.0.0/0",))])
    sg_rdp = _sg(c, vpc, "stg-windows-rdp", "rdp for QA", "qa", [_tcp(3389, ("0.0.0.0/0",))])
    sg_app = _sg(c, vpc, "stg-app", "staging app", "payments",
                 [_tcp(8080, groups=(sg_web,)), _tcp(22, ("10.0.0.0/8",))])
    sg_db = _sg(c, vpc, "stg-db", "staging databases", "data", [_tcp(5432, groups=(sg_app,))])
    inst = {
        "stg-web-1": _instance(c, "stg-web-1", "t3.small", sn["stg-public-a"], [sg_web], "web"),
        "stg-app-1": _instance(c, "stg-app-1", "t3.medium", sn["stg-app-a"], [sg_app], "payments", ssm=True),
        "stg-qa-windows": _instance(c, "stg-qa-windows", "t3.large", sn["stg-public-b"], [sg_rdp], "qa",
                                    windows=True, root_gib=50, ssm=True),
        "stg-perf-runner": _instance(c, "stg-perf-runner", "c5.2xlarge", sn["stg-app-b"], [sg_app], "qa",
                                     data_gib=100, data_type="gp2"),
    }
    c("ec2").stop_instances(InstanceIds=[inst["stg-perf-runner"]])
    out["backdated"] &= _backdate(c.endpoint_url, c.account_id, c.region, inst["stg-perf-runner"], 35)
    alb = _alb(c, "stg-web-alb", [sn["stg-public-a"], sn["stg-public-b"]], [sg_web], "web")
    _target_group(c, "stg-web-tg", vpc, "HTTP", 80, alb["arn"], "web", [inst["stg-web-1"]])
    out["load_balancers"].append("stg-web-alb")
    dbsg = _db_subnet_group(c, "stg-db", [sn["stg-app-a"], sn["stg-app-b"]])
    dbs = [_rds(c, "stg-orders-db", "postgres", "db.t3.medium", 50, dbsg, [sg_db], "payments")]
    dbs += _aurora(c, "stg-payments-aurora", "aurora-postgresql", "db.t4g.medium", 1, dbsg, [sg_db], "payments")
    c("rds").create_db_snapshot(DBInstanceIdentifier="stg-orders-db", DBSnapshotIdentifier="stg-orders-db-refresh",
                                Tags=c.tags("stg-orders-db-refresh", "payments"))
    _eks(c, "stg-eks", roles, [sn["stg-app-a"], sn["stg-app-b"]], [sg_app], "platform",
         [("stg-general", "t3.large", 2)])
    _sagemaker(c, roles, "data-science", "stg-ds-notebook", None)
    _redshift(c, "stg-dwh", "dc2.large", 1, "data")
    # a NAT gateway left from a load test: available, nothing through it for two weeks (idle_nat_gateway)
    stg_nat_alloc, _ = _eip(c, "stg-nat-eip", "platform")
    stg_nat = c("ec2").create_nat_gateway(SubnetId=sn["stg-public-a"], AllocationId=stg_nat_alloc,
                                          TagSpecifications=c.tag_spec("natgateway", "stg-nat-a", "platform"))
    out["nat_gateways"].append(stg_nat["NatGateway"]["NatGatewayId"])
    _put_nat_bytes(c, stg_nat["NatGateway"]["NatGatewayId"], [0.0] * METRIC_DAYS, [0.0] * METRIC_DAYS, now)
    _volume(c, "stg-old-test-data", 100, "gp2", "qa")
    _lambda(c, "stg-order-events", roles["lambda-exec"], "payments")
    _log_group(c, "/aws/lambda/stg-order-events", "payments", 7)
    _log_group(c, "/app/staging/web", "web", None)
    _bucket(c, "demo-staging-artifacts", "platform")
    _zone(c, "staging.shop.example.com.", [_alias("www.staging.shop.example.com.", alb["zone"], alb["dns"])])
    _put_cpu(c, inst, {"stg-qa-windows"}, now)
    _put_mem(c, {"stg-app-1": inst["stg-app-1"]}, now)
    # stg-orders-db (db.t3.medium) peaks at 25 % CPU with 3 GiB of its 4 GiB free: db.t3.small would do
    _put_rds(c, dbs, set(), now, over_provisioned=frozenset({"stg-orders-db"}))
    out["instances"].update({f"{c.account_id}/{c.region}/{k}": v for k, v in inst.items()})


def _seed_staging_eu(c: _Ctx, roles: dict[str, str], now: dt.datetime, out: dict[str, Any]) -> None:
    net = _vpc(c, "staging-eu", "10.40.0.0/16", [("stg-eu-app-a", "10.40.0.0/24", "a")])
    sg = _sg(c, net["vpc_id"], "stg-eu-app", "staging eu app", "payments", [_tcp(22, ("10.0.0.0/8",))])
    inst = {"stg-eu-app-1": _instance(c, "stg-eu-app-1", "t3.small", net["subnets"]["stg-eu-app-a"], [sg],
                                      "payments", ssm=True)}
    _bucket(c, "demo-staging-eu-artifacts", "platform")
    _log_group(c, "/app/staging-eu/app", "payments", None)
    _put_cpu(c, inst, set(), now)
    out["instances"].update({f"{c.account_id}/{c.region}/{k}": v for k, v in inst.items()})


def _seed_dev_us(c: _Ctx, roles: dict[str, str], now: dt.datetime, out: dict[str, Any]) -> None:
    net = _vpc(c, "dev-sandbox", "10.50.0.0/16", [("dev-sandbox-a", "10.50.0.0/24", "a")], team="dev")
    sg = _sg(c, net["vpc_id"], "dev-open-all", "TODO lock down", "dev",
             [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    sn = net["subnets"]["dev-sandbox-a"]
    inst = {
        "dev-sandbox-1": _instance(c, "dev-sandbox-1", "t3.micro", sn, [sg], "dev"),
        "dev-gpu-experiment": _instance(c, "dev-gpu-experiment", "g4dn.xlarge", sn, [sg], "data-science",
                                        root_gib=100, root_type="gp2"),
    }
    c("ec2").stop_instances(InstanceIds=[inst["dev-gpu-experiment"]])
    _eip(c, "dev-test-eip", "dev")
    _lambda(c, "dev-hello", roles["lambda-exec"], "dev", memory=128)
    _log_group(c, "/aws/lambda/dev-hello", "dev", None)
    _log_group(c, "/dev/scratch", "dev", None)
    _bucket(c, "demo-dev-scratch", "dev")
    _put_cpu(c, inst, {"dev-sandbox-1"}, now)
    out["instances"].update({f"{c.account_id}/{c.region}/{k}": v for k, v in inst.items()})


_DAY0 = [
    (PROD, US, _seed_prod_us), (PROD, EU, _seed_prod_eu),
    (STAGING, US, _seed_staging_us), (STAGING, EU, _seed_staging_eu),
    (DEV, US, _seed_dev_us),  # dev eu-west-1 holds only moto's default VPC
]


def _day0(endpoint_url: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    out: dict[str, Any] = {"day": 0, "backdated": True, "instances": {}, "snapshots": [], "amis": [],
                           "nat_gateways": [], "load_balancers": [], "hosted_zones": [], "distributions": []}
    sessions = _sessions(endpoint_url)
    roles = {acct: _iam_baseline(_Ctx(endpoint_url, s, acct, US)) for acct, s in sessions.items()}
    for acct, region, fn in _DAY0:
        fn(_Ctx(endpoint_url, sessions[acct], acct, region), roles[acct], now, out)
    return out


# --------------------------------------------------------------------------------------------------
# days 1 and 2


def _day1(endpoint_url: str) -> dict[str, Any]:
    sessions = _sessions(endpoint_url)
    prod = _Ctx(endpoint_url, sessions[PROD], PROD, US)
    ec2 = prod("ec2")
    # 1. resize prod-app-2: m5.large -> m5.xlarge (stop, modify, start)
    app2 = _find_instance(prod, "prod-app-2")["InstanceId"]
    ec2.stop_instances(InstanceIds=[app2])
    ec2.modify_instance_attribute(InstanceId=app2, InstanceType={"Value": "m5.xlarge"})
    ec2.start_instances(InstanceIds=[app2])
    # 2. someone opens Postgres to the world on the prod db security group
    sg_db = _find(prod, "describe_security_groups", "SecurityGroups", "prod-db", "GroupId")
    ec2.authorize_security_group_ingress(GroupId=sg_db, IpPermissions=[
        _tcp(5432, ("0.0.0.0/0",), description="debug access INC-4711")])
    # 3. the orphaned 500 GiB volume is finally deleted
    vol = _find(prod, "describe_volumes", "Volumes", "prod-orphan-data", "VolumeId")
    ec2.delete_volume(VolumeId=vol)
    # 4. a fourth web server
    subnet = _find(prod, "describe_subnets", "Subnets", "prod-public-b", "SubnetId")
    sg_web = _find(prod, "describe_security_groups", "SecurityGroups", "prod-web", "GroupId")
    web4 = _instance(prod, "prod-web-4", "t3.medium", subnet, [sg_web], "web")
    _put_cpu(prod, {"prod-web-4": web4}, set(), dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    return {"day": 1, "resized": {"instance_id": app2, "from": "m5.large", "to": "m5.xlarge"},
            "ingress_added": {"group_id": sg_db, "port": 5432, "cidr": "0.0.0.0/0"},
            "volume_deleted": vol, "launched": web4}


def _day2(endpoint_url: str) -> dict[str, Any]:
    sessions = _sessions(endpoint_url)
    prod = _Ctx(endpoint_url, sessions[PROD], PROD, US)
    staging = _Ctx(endpoint_url, sessions[STAGING], STAGING, US)
    # 1. staging's web server is terminated
    stg_web = _find_instance(staging, "stg-web-1")["InstanceId"]
    staging("ec2").terminate_instances(InstanceIds=[stg_web])
    # 2. a new worker in prod
    subnet = _find(prod, "describe_subnets", "Subnets", "prod-app-b", "SubnetId")
    sg_app = _find(prod, "describe_security_groups", "SecurityGroups", "prod-app", "GroupId")
    worker = _instance(prod, "prod-worker-1", "c6i.large", subnet, [sg_app], "data", ssm=True)
    _put_cpu(prod, {"prod-worker-1": worker}, set(), dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    # 3. prod-app-1 moves from team payments to team checkout
    app1 = _find_instance(prod, "prod-app-1")["InstanceId"]
    prod("ec2").create_tags(Resources=[app1], Tags=[{"Key": "team", "Value": "checkout"}])
    # 4. new for the digest of what is new (quality/whats_new.py): SSH opened to the world on prod-app, and a
    #    300 GiB export volume left attached to nothing
    prod("ec2").authorize_security_group_ingress(GroupId=sg_app, IpPermissions=[
        _tcp(22, ("0.0.0.0/0",), description="vendor debug INC-4802")])
    export = _volume(prod, "prod-export-scratch", 300, "gp3", "data")
    return {"day": 2, "terminated": stg_web, "launched": worker,
            "retagged": {"instance_id": app1, "key": "team", "from": "payments", "to": "checkout"},
            "ingress_added": {"group_id": sg_app, "port": 22, "cidr": "0.0.0.0/0"}, "volume_created": export}


def seed(endpoint_url: str, day: int) -> dict[str, Any]:
    """Build the demo estate (day 0) or apply a day's changes (1, 2) on the emulator at ``endpoint_url``."""
    steps = {0: _day0, 1: _day1, 2: _day2}
    if day not in steps:
        raise ValueError(f"the demo estate knows days 0, 1 and 2, not {day!r}")
    return steps[day](endpoint_url)
