"""The benchmark estate: many accounts x regions of realistic, mixed resources, seeded into the emulator fast.

Seeding runs with the emulator's latency at 0 and uses bulk APIs where AWS has them:
``run_instances`` with MinCount/MaxCount (each instance brings its ENI and root volume, the web tier a
data volume too), ``create_snapshots`` (every volume of an instance in one call), Route 53 change batches
of up to 1,000 records, ``put_metric_data`` with many datums. Everything else (log groups, security
groups, subnets, functions, buckets...) is one call per resource, as in AWS.

Per (account, region), at scale 1.0 (``BASE``), about 970 regional resources; per account, about 280
global ones (S3 buckets, Route 53 zones and records, CloudFront distributions). ``plan(total, ...)``
picks the scale that reaches at least ``total`` resources.

``Tally`` records what was created per (account, region label, resource type). moto creates default
resources we did not ask for (default VPC, its subnets and security group, the ENIs/volumes that
come with instances); after seeding, ``census`` asks moto for those few cheap types so the expected
counts are exact.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from cloud_inventory.demo.estate import assumed_session, role_arn  # noqa: F401 - role_arn is used by extract.py

EXTERNAL_ID = "cloud-inventory-bench"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1", "ap-northeast-1",
           "us-east-2", "eu-north-1", "ca-central-1", "sa-east-1")
LINUX_AMI = "ami-04681a1dbd79675a5"  # in moto's bundled AMI list in every region
GLOBAL = "global"
SEED_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=300,
                     max_pool_connections=20)

# Per (account, region) at scale 1.0. Tiers: (count, data volume?, ssm managed?, stopped?)
BASE = {
    "web_instances": 60,      # root + data volume each, SSM managed
    "worker_instances": 80,   # root volume only
    "batch_instances": 30,    # root volume only, stopped (waste candidates)
    "snapshotted_instances": 30,  # web instances whose volumes are snapshotted (2 snapshots each)
    "unattached_volumes": 25,
    "amis": 4,
    "elastic_ips": 10,        # 2 of them go to NAT gateways
    "vpcs": 2,
    "subnets_per_vpc": 5,
    "security_groups": 40,
    "nat_gateways": 2,
    "albs": 3,                # each with 2 target groups
    "classic_lbs": 2,
    "rds_instances": 3,
    "rds_snapshots": 2,
    "eks_clusters": 1,        # each with 2 node groups
    "lambdas": 20,
    "log_groups": 150,
    "metric_instances": 20,   # instances with 14 daily CPUUtilization datapoints
    # global, per account
    "buckets": 25,
    "zones": 2,
    "records": 250,           # split over the zones
    "distributions": 2,
}
# never scaled below these (an estate still has its NAT gateways when small)
FIXED = {"vpcs", "nat_gateways", "eks_clusters", "zones", "amis", "distributions", "rds_snapshots"}


def account_ids(n: int) -> list[str]:
    return [f"{100000000000 + 1000 * (i + 1) + i:012d}" for i in range(n)]


@dataclass
class Plan:
    accounts: list[str]
    regions: list[str]
    counts: dict[str, int]
    scale: float

    def expected_total(self) -> int:
        return estimate(self.counts, len(self.accounts), len(self.regions))


def estimate(c: dict[str, int], accounts: int, regions: int) -> int:
    instances = c["web_instances"] + c["worker_instances"] + c["batch_instances"]
    volumes = 2 * c["web_instances"] + c["worker_instances"] + c["batch_instances"] + c["unattached_volumes"]
    regional = (instances + volumes + instances  # instances, volumes, ENIs
                + 2 * min(c["snapshotted_instances"], c["web_instances"]) + c["amis"] + c["elastic_ips"]
                + c["vpcs"] + c["vpcs"] * c["subnets_per_vpc"] + c["security_groups"] + c["vpcs"]
                + c["nat_gateways"] + 3 * c["albs"] + c["classic_lbs"] + c["rds_instances"] + c["rds_snapshots"]
                + 3 * c["eks_clusters"] + c["lambdas"] + c["log_groups"] + c["web_instances"]  # ssm
                + 6)  # default VPC, subnets, security group (about)
    global_ = c["buckets"] + c["zones"] + c["records"] + 2 * c["zones"] + c["distributions"]
    return accounts * (regions * regional + global_)


def scaled(scale: float, accounts: int, regions: int) -> Plan:
    """Every count of BASE times `scale` (the FIXED ones kept, none below 1) in each of `regions` of `accounts`."""
    counts = {k: (v if k in FIXED else max(1, math.ceil(v * scale))) for k, v in BASE.items()}
    return Plan(account_ids(accounts), list(REGIONS[:regions]), counts, scale)


def plan(total: int, accounts: int, regions: int) -> Plan:
    scale = total / estimate(BASE, accounts, regions)
    while True:
        candidate = scaled(scale, accounts, regions)
        if candidate.expected_total() >= total:
            return candidate
        scale *= 1.02


@dataclass
class Tally:
    """Expected resources per (account, region label, resource type), and a few facts for the minimum."""

    counts: Counter = field(default_factory=Counter)
    zone_records: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (acct, GLOBAL) -> per zone
    eks_nodegroups: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # per cluster
    metric_rows: Counter = field(default_factory=Counter)  # (acct, region, measured type) -> datapoint rows

    def add(self, account: str, region: str, rtype: str, n: int = 1) -> None:
        self.counts[(account, region, rtype)] += n


def _session(url: str, account: str, region: str) -> boto3.Session:
    return assumed_session(url, account, region, external_id=EXTERNAL_ID, config=SEED_CONFIG)


def _tags(name: str, team: str, env: str, **extra: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}, {"Key": "team", "Value": team}, {"Key": "env", "Value": env},
            *({"Key": k, "Value": v} for k, v in extra.items())]


def _spec(rtype: str, name: str, team: str, env: str, **extra: str) -> list[dict[str, Any]]:
    return [{"ResourceType": rtype, "Tags": _tags(name, team, env, **extra)}]


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("handler.py", date_time=(2024, 1, 1, 0, 0, 0)),
                    "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


TEAMS = ("platform", "payments", "search", "data", "identity", "growth")


def seed_account_iam(url: str, account: str) -> dict[str, str]:
    iam = _session(url, account, "us-east-1").client("iam", endpoint_url=url, config=SEED_CONFIG)
    arns = {}
    for name, principal in (("lambda-exec", "lambda.amazonaws.com"), ("eks-cluster", "eks.amazonaws.com"),
                            ("eks-node", "ec2.amazonaws.com")):
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": principal},
                                                         "Action": "sts:AssumeRole"}]}
        arns[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return arns


def seed_region(url: str, account: str, region: str, counts: dict[str, int], roles: dict[str, str],
                tally: Tally, rng: random.Random) -> None:
    session = _session(url, account, region)
    clients: dict[str, Any] = {}

    def c(service: str):
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=url, region_name=region, config=SEED_CONFIG)
        return clients[service]

    env = rng.choice(("prod", "staging", "dev"))
    ec2 = c("ec2")
    add = lambda rtype, n=1: tally.add(account, region, rtype, n)  # noqa: E731
    azs = [f"{region}{s}" for s in "abc"]

    # networks
    vpcs, subnets = [], []
    for v in range(counts["vpcs"]):
        vpc_id = ec2.create_vpc(CidrBlock=f"10.{v}.0.0/16",
                                TagSpecifications=_spec("vpc", f"{env}-vpc-{v}", "platform", env))["Vpc"]["VpcId"]
        vpcs.append(vpc_id)
        add("vpc")
        for s in range(counts["subnets_per_vpc"]):
            sid = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.{v}.{s}.0/24", AvailabilityZone=azs[s % 3],
                                    TagSpecifications=_spec("subnet", f"{env}-sub-{v}-{s}", "platform", env)
                                    )["Subnet"]["SubnetId"]
            subnets.append((vpc_id, sid))
            add("subnet")
        add("security_group")  # every VPC comes with its default group
    main_vpc = vpcs[0]
    main_subnets = [sid for vid, sid in subnets if vid == main_vpc]
    sgs = []
    for g in range(counts["security_groups"]):
        team = TEAMS[g % len(TEAMS)]
        gid = ec2.create_security_group(GroupName=f"{team}-sg-{g}", Description=f"{team} service {g}",
                                        VpcId=vpcs[g % len(vpcs)],
                                        TagSpecifications=_spec("security-group", f"{team}-sg-{g}", team, env)
                                        )["GroupId"]
        sgs.append((vpcs[g % len(vpcs)], gid))
        add("security_group")
    main_sgs = [gid for vid, gid in sgs if vid == main_vpc][:3]

    # instances in bulk: each tier is one run_instances call per subnet (AWS caps nothing we hit here)
    def run(tier: str, n: int, itype: str, data_volume: bool, ssm: bool) -> list[str]:
        ids: list[str] = []
        per_subnet = math.ceil(n / len(main_subnets))
        for i, sid in enumerate(main_subnets):
            k = min(per_subnet, n - len(ids))
            if k <= 0:
                break
            mappings = [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3",
                                                             "DeleteOnTermination": True}}]
            if data_volume:
                mappings.append({"DeviceName": "/dev/xvdf", "Ebs": {"VolumeSize": 100, "VolumeType": "gp2",
                                                                     "DeleteOnTermination": False}})
            extra = {"SSMManaged": "true"} if ssm else {}
            team = TEAMS[i % len(TEAMS)]
            resp = ec2.run_instances(ImageId=LINUX_AMI, InstanceType=itype, MinCount=k, MaxCount=k, SubnetId=sid,
                                     SecurityGroupIds=main_sgs, BlockDeviceMappings=mappings,
                                     TagSpecifications=_spec("instance", f"{env}-{tier}", team, env, tier=tier,
                                                             **extra)
                                     + _spec("volume", f"{env}-{tier}-vol", team, env))
            ids += [inst["InstanceId"] for inst in resp["Instances"]]
        add("ec2_instance", len(ids))
        add("network_interface", len(ids))
        add("ebs_volume", len(ids) * (2 if data_volume else 1))
        if ssm:
            add("ssm_managed_instance", len(ids))
        return ids

    web = run("web", counts["web_instances"], "m6i.large", True, True)
    workers = run("worker", counts["worker_instances"], "c6i.xlarge", False, False)
    batch = run("batch", counts["batch_instances"], "r6i.2xlarge", False, False)
    for offset in range(0, len(batch), 100):
        ec2.stop_instances(InstanceIds=batch[offset:offset + 100])

    for i in range(counts["unattached_volumes"]):
        ec2.create_volume(AvailabilityZone=azs[i % 3], Size=rng.choice((20, 50, 200, 500)),
                          VolumeType=rng.choice(("gp2", "gp3", "io1" if False else "gp3", "st1")),
                          TagSpecifications=_spec("volume", f"{env}-orphan-{i}", TEAMS[i % 6], env))
        add("ebs_volume")
    for instance_id in web[:counts["snapshotted_instances"]]:
        resp = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance_id},
                                    Description=f"nightly {instance_id}", CopyTagsFromSource="volume")
        add("ebs_snapshot", len(resp["Snapshots"]))
    for i in range(counts["amis"]):
        ec2.create_image(InstanceId=workers[i % len(workers)], Name=f"{env}-golden-{i}", NoReboot=True)
        add("ami")

    allocations = []
    for i in range(counts["elastic_ips"]):
        allocations.append(ec2.allocate_address(Domain="vpc", TagSpecifications=_spec(
            "elastic-ip", f"{env}-eip-{i}", "platform", env))["AllocationId"])
        add("elastic_ip")
    for i in range(counts["nat_gateways"]):
        ec2.create_nat_gateway(SubnetId=main_subnets[i % len(main_subnets)], AllocationId=allocations[i],
                               TagSpecifications=_spec("natgateway", f"{env}-nat-{i}", "platform", env))
        add("nat_gateway")
        add("network_interface")  # a NAT gateway has its own ENI in moto

    # load balancers
    elbv2 = c("elbv2")
    for i in range(counts["albs"]):
        lb = elbv2.create_load_balancer(Name=f"{env}-alb-{i}", Subnets=main_subnets[:2], SecurityGroups=main_sgs[:1],
                                        Scheme="internet-facing", Type="application",
                                        Tags=_tags(f"{env}-alb-{i}", TEAMS[i % 6], env))["LoadBalancers"][0]
        add("elbv2_load_balancer")
        for t in range(2):
            tg = elbv2.create_target_group(Name=f"{env}-tg-{i}-{t}", Protocol="HTTP", Port=8080 + t, VpcId=main_vpc,
                                           TargetType="instance", Tags=_tags(f"{env}-tg-{i}-{t}", TEAMS[i % 6], env)
                                           )["TargetGroups"][0]["TargetGroupArn"]
            elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80 + t,
                                  DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
            members = web[(i * 2 + t) * 5:(i * 2 + t) * 5 + 5]
            if members:
                elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": m, "Port": 8080 + t} for m in members])
            add("elbv2_target_group")
    elb = c("elb")
    for i in range(counts["classic_lbs"]):
        elb.create_load_balancer(LoadBalancerName=f"{env}-clb-{i}", Subnets=main_subnets[:1],
                                 Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8080}],
                                 Tags=_tags(f"{env}-clb-{i}", "legacy", env))
        add("classic_load_balancer")

    # databases
    rds = c("rds")
    rds.create_db_subnet_group(DBSubnetGroupName=f"{env}-db", DBSubnetGroupDescription="db subnets",
                               SubnetIds=main_subnets[:3])
    db_ids = []
    for i in range(counts["rds_instances"]):
        ident = f"{env}-db-{i}"
        rds.create_db_instance(DBInstanceIdentifier=ident, Engine="postgres", DBInstanceClass="db.m6g.large",
                               AllocatedStorage=100, MasterUsername="dbadmin", MasterUserPassword="bench-password-1",
                               DBSubnetGroupName=f"{env}-db", StorageType="gp3", Tags=_tags(ident, "data", env))
        db_ids.append(ident)
        add("rds_instance")
    for i in range(counts["rds_snapshots"]):
        rds.create_db_snapshot(DBSnapshotIdentifier=f"{env}-db-snap-{i}", DBInstanceIdentifier=db_ids[i % len(db_ids)])
        add("rds_snapshot")

    # containers and functions
    eks = c("eks")
    groups = []
    for i in range(counts["eks_clusters"]):
        name = f"{env}-k8s-{i}"
        eks.create_cluster(name=name, version="1.30", roleArn=roles["eks-cluster"],
                           resourcesVpcConfig={"subnetIds": main_subnets[:2]}, tags={"team": "platform"})
        add("eks_cluster")
        for g in range(2):
            eks.create_nodegroup(clusterName=name, nodegroupName=f"ng-{g}", subnets=main_subnets[:2],
                                 nodeRole=roles["eks-node"], instanceTypes=["m6i.large"],
                                 scalingConfig={"minSize": 1, "maxSize": 6, "desiredSize": 3})
        groups.append(2)
        add("eks_nodegroup", 2)
    tally.eks_nodegroups[(account, region)] = groups
    lam = c("lambda")
    code = _zip()
    for i in range(counts["lambdas"]):
        lam.create_function(FunctionName=f"{env}-fn-{i}", Runtime="python3.12", Role=roles["lambda-exec"],
                            Handler="handler.handler", Code={"ZipFile": code}, Timeout=30, MemorySize=256,
                            Tags={"team": TEAMS[i % 6]})
        add("lambda_function")
    logs = c("logs")
    for i in range(counts["log_groups"]):
        kind = ("/aws/lambda/", "/ecs/", "/app/", "/aws/rds/")[i % 4]
        logs.create_log_group(logGroupName=f"{kind}{env}-{i}", tags={"team": TEAMS[i % 6]})
        add("log_group")

    # CloudWatch: 14 daily CPU datapoints for some instances, and RDS CPU/connections
    cw = c("cloudwatch")
    today = dt.datetime.now(dt.timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    datums = []
    for instance_id in (web + workers)[:counts["metric_instances"]]:
        for d in range(1, 15):
            datums.append(("AWS/EC2", {"MetricName": "CPUUtilization",
                                       "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                                       "Timestamp": today - dt.timedelta(days=d), "Value": rng.uniform(1, 80),
                                       "Unit": "Percent"}))
    for ident in db_ids:
        for d in range(1, 15):
            for metric, value in (("CPUUtilization", rng.uniform(1, 60)), ("DatabaseConnections", rng.randint(0, 90))):
                datums.append(("AWS/RDS", {"MetricName": metric, "Timestamp": today - dt.timedelta(days=d),
                                           "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": ident}],
                                           "Value": float(value)}))
    for namespace in ("AWS/EC2", "AWS/RDS"):
        batch_ = [d for ns, d in datums if ns == namespace]
        for offset in range(0, len(batch_), 500):
            cw.put_metric_data(Namespace=namespace, MetricData=batch_[offset:offset + 500])
    # rows: one per (resource, metric, stat, day) with data; every seeded day is inside the last 14 whole days
    tally.metric_rows[(account, region, "ec2_instance")] = 2 * 14 * min(counts["metric_instances"],
                                                                         len(web) + len(workers))
    tally.metric_rows[(account, region, "rds_instance")] = 2 * 14 * 2 * len(db_ids)


def seed_global(url: str, account: str, counts: dict[str, int], tally: Tally, rng: random.Random) -> None:
    session = _session(url, account, "us-east-1")
    s3 = session.client("s3", endpoint_url=url, config=SEED_CONFIG)
    for i in range(counts["buckets"]):
        name = f"bench-{account}-bucket-{i}"
        region = rng.choice(("us-east-1", "eu-west-1", "us-west-2"))
        kwargs: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        if i % 3:  # a third of the buckets have no tags (GetBucketTagging answers NoSuchTagSet)
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(name, TEAMS[i % 6], "prod")})
        tally.add(account, GLOBAL, "s3_bucket")
    r53 = session.client("route53", endpoint_url=url, config=SEED_CONFIG)
    per_zone = [counts["records"] // counts["zones"] + (1 if z < counts["records"] % counts["zones"] else 0)
                for z in range(counts["zones"])]
    sizes = []
    for z, n in enumerate(per_zone):
        zone_name = f"z{z}.{account}.example.com"
        zone_id = r53.create_hosted_zone(Name=zone_name, CallerReference=f"{account}-{z}")["HostedZone"]["Id"]
        tally.add(account, GLOBAL, "route53_zone")
        changes = [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"host-{r}.{zone_name}", "Type": "A", "TTL": 300,
            "ResourceRecords": [{"Value": f"10.{z}.{r // 250}.{r % 250 + 1}"}]}} for r in range(n)]
        for offset in range(0, len(changes), 1000):
            r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes[offset:offset + 1000]})
        sizes.append(n + 2)  # SOA and NS come with the zone
        tally.add(account, GLOBAL, "route53_record", n + 2)
    tally.zone_records[(account, GLOBAL)] = sizes
    cf = session.client("cloudfront", endpoint_url=url, config=SEED_CONFIG)
    for i in range(counts["distributions"]):
        origin = f"bench-{account}-bucket-0.s3.amazonaws.com"
        cf.create_distribution(DistributionConfig={
            "CallerReference": f"{account}-cdn-{i}", "Comment": f"cdn {i}", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": origin,
                                                  "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                     "MinTTL": 0, "ForwardedValues": {"QueryString": False,
                                                                      "Cookies": {"Forward": "none"}},
                                     "TrustedSigners": {"Enabled": False, "Quantity": 0}}})
        tally.add(account, GLOBAL, "cloudfront_distribution")


# moto adds resources we did not ask for: the default VPC with its subnets and security group, an ENI per
# NAT gateway, a snapshot per AMI volume, automated RDS snapshots. After seeding, moto's own count of these
# few types replaces the tally, so the expected counts are exact.
CENSUS = (("vpc", "ec2", "describe_vpcs", "Vpcs", {}), ("subnet", "ec2", "describe_subnets", "Subnets", {}),
          ("security_group", "ec2", "describe_security_groups", "SecurityGroups", {}),
          ("network_interface", "ec2", "describe_network_interfaces", "NetworkInterfaces", {}),
          ("ebs_volume", "ec2", "describe_volumes", "Volumes", {}),
          ("ebs_snapshot", "ec2", "describe_snapshots", "Snapshots", {"OwnerIds": ["self"]}),
          ("rds_snapshot", "rds", "describe_db_snapshots", "DBSnapshots", {}))


def census(url: str, account: str, region: str, tally: Tally) -> None:
    session = _session(url, account, region)
    clients = {service: session.client(service, endpoint_url=url, region_name=region, config=SEED_CONFIG)
               for service in ("ec2", "rds")}
    for rtype, service, operation, key, params in CENSUS:
        items = []
        for page in clients[service].get_paginator(operation).paginate(**params):
            items += page[key]
        tally.counts[(account, region, rtype)] = len(items)
    # the instance type catalog: every type moto knows of each family the pair runs (EC2 instances and DB classes
    # without "db."), counted from moto's own table rather than through DescribeInstanceTypes
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    running = [instance["InstanceType"] for page in clients["ec2"].get_paginator("describe_instances").paginate()
               for reservation in page["Reservations"] for instance in reservation["Instances"]]
    running += [db["DBInstanceClass"].removeprefix("db.") for page in
                clients["rds"].get_paginator("describe_db_instances").paginate() for db in page["DBInstances"]]
    families = {name.split(".", 1)[0] for name in running}
    tally.counts[(account, region, "ec2_instance_type")] = sum(
        1 for name in INSTANCE_TYPES if name.split(".", 1)[0] in families)


def seed(url: str, p: Plan, threads: int = 3, quiet_regions: tuple[str, ...] = ()) -> Tally:
    """Seeds `p`; `quiet_regions` get nothing but what moto has in every region (the default VPC, its subnets and
    security group), counted by the census like the rest."""
    tally = Tally()
    roles = {}
    with ThreadPoolExecutor(threads) as pool:
        for account, arns in zip(p.accounts, pool.map(lambda a: seed_account_iam(url, a), p.accounts)):
            roles[account] = arns
        jobs = [pool.submit(seed_region, url, a, r, p.counts, roles[a], tally, random.Random(f"{a}/{r}"))
                for a in p.accounts for r in p.regions]
        jobs += [pool.submit(seed_global, url, a, p.counts, tally, random.Random(a)) for a in p.accounts]
        for job in jobs:
            job.result()
        for job in [pool.submit(census, url, a, r, tally) for a in p.accounts for r in [*p.regions, *quiet_regions]]:
            job.result()
    return tally
