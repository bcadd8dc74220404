"""An estate outside the demo's regions, seeded through the emulator: every waste category in us-west-2 and
ap-southeast-2 (where the price seed has no row), with the instance types, volume types, database classes and
load balancers of an ordinary estate, and one spot instance (no list price exists for spot).

`seed(url)` returns what it planted, by (category, region, resource name), so tests compute expected
findings from the estate, never from the mart.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from cloud_inventory.demo.emulator import backdate_remote
from cloud_inventory.demo.estate import DEMO_EXTERNAL_ID, LINUX_AMI, assumed_session

ACCOUNT = "444455556666"
REGIONS = ("us-west-2", "ap-southeast-2")
# (name, size GiB, type, iops, throughput)
UNATTACHED = [("scratch-gp2", 50, "gp2", None, None), ("data-gp3-fast", 100, "gp3", 6000, 250),
              ("data-gp3", 200, "gp3", None, None), ("db-io1", 100, "io1", 1000, None),
              ("db-io2", 50, "io2", 2000, None), ("logs-st1", 500, "st1", None, None),
              ("cold-sc1", 500, "sc1", None, None), ("old-magnetic", 20, "standard", None, None),
              ("restore-gp2", 80, "gp2", None, None), ("spare-gp3", 30, "gp3", None, None),
              ("spare-gp2", 10, "gp2", None, None), ("tmp-gp3", 16, "gp3", None, None)]
IDLE_TYPES = ["t3.micro", "t3.small", "m5.xlarge", "c5.large", "r5.large", "m6i.large"]
STOPPED_TYPES = ["m5.large", "t3.medium", "c5.xlarge", "t3.large"]
EIPS = 8
SNAPSHOTS = 6  # orphaned, and as many old
LOG_GROUPS = 5
DATABASES = [("orders-db", "db.t3.medium", "mysql", False), ("billing-db", "db.t3.small", "postgres", True)]


def accounts_file(path: Path) -> Path:
    path.write_text(f"""defaults:
  role_name: InventoryReadOnly
  external_id: {DEMO_EXTERNAL_ID}
  regions: [{", ".join(REGIONS)}]
accounts:
  - id: "{ACCOUNT}"
    name: apac-west
    environment: prod
    team: platform
""")
    return path


def _cpu(cw, namespace: str, dims: list[dict], metric: str, values: list[float], now: dt.datetime, unit: str) -> None:
    cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": metric, "Dimensions": dims, "Timestamp": now - dt.timedelta(days=day, hours=2),
         "Value": value, "Unit": unit} for day, value in enumerate(values)])


def seed_region(url: str, region: str, spot: bool = False) -> dict:
    session = assumed_session(url, ACCOUNT, region)
    ec2, cw = session.client("ec2", endpoint_url=url), session.client("cloudwatch", endpoint_url=url)
    now = dt.datetime.now(dt.timezone.utc)
    planted: dict[tuple[str, str], dict] = {}

    def tags(name: str) -> list[dict]:
        return [{"Key": "Name", "Value": name}, {"Key": "team", "Value": "platform"}]

    def spec(kind: str, name: str) -> list[dict]:
        return [{"ResourceType": kind, "Tags": tags(name)}]

    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"{region}{zone}")
               ["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]

    def instance(name: str, itype: str, *, root: tuple[int, str] = (8, "gp3"), data: tuple[int, str] | None = None,
                 market: dict | None = None) -> str:
        mappings = [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": root[0], "VolumeType": root[1]}}]
        if data:
            mappings.append({"DeviceName": "/dev/xvdf", "Ebs": {"VolumeSize": data[0], "VolumeType": data[1],
                                                                 "DeleteOnTermination": False}})
        kwargs = {"InstanceMarketOptions": market} if market else {}
        return ec2.run_instances(ImageId=LINUX_AMI, InstanceType=itype, MinCount=1, MaxCount=1, SubnetId=subnets[0],
                                 BlockDeviceMappings=mappings, TagSpecifications=spec("instance", name),
                                 **kwargs)["Instances"][0]["InstanceId"]

    for name, size, kind, iops, throughput in UNATTACHED:
        extra = {k: v for k, v in (("Iops", iops), ("Throughput", throughput)) if v}
        ec2.create_volume(AvailabilityZone=f"{region}a", Size=size, VolumeType=kind,
                          TagSpecifications=spec("volume", name), **extra)
        planted[("unattached_volume", name)] = {"volumes": [(size, kind, iops, throughput)]}
    for i in range(EIPS):
        ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", f"spare-eip-{i}"))
        planted[("unassociated_eip", f"spare-eip-{i}")] = {}
    kept = ec2.create_volume(AvailabilityZone=f"{region}b", Size=40, VolumeType="gp3",
                             TagSpecifications=spec("volume", "archive-src"))["VolumeId"]
    planted[("unattached_volume", "archive-src")] = {"volumes": [(40, "gp3", None, None)]}
    gone = ec2.create_volume(AvailabilityZone=f"{region}b", Size=60, VolumeType="gp3")["VolumeId"]
    for i in range(SNAPSHOTS):
        orphan = ec2.create_snapshot(VolumeId=gone, TagSpecifications=spec("snapshot", f"orphan-{i}"))["SnapshotId"]
        backdate_remote(url, ACCOUNT, region, orphan, 20 + i)
        planted[("orphaned_snapshot", f"orphan-{i}")] = {"gib": 60}
        old = ec2.create_snapshot(VolumeId=kept, TagSpecifications=spec("snapshot", f"old-{i}"))["SnapshotId"]
        backdate_remote(url, ACCOUNT, region, old, 400 + i)
        planted[("old_snapshot", f"old-{i}")] = {"gib": 40}
    ec2.delete_volume(VolumeId=gone)

    for i, itype in enumerate(STOPPED_TYPES):
        iid = instance(f"stopped-{i}", itype, data=(50, "gp2"))
        ec2.stop_instances(InstanceIds=[iid])
        backdate_remote(url, ACCOUNT, region, iid, 45)
        planted[("stopped_instance", f"stopped-{i}")] = {"volumes": [(8, "gp3", None, None), (50, "gp2", None, None)]}
    idle = {f"idle-{i}": (instance(f"idle-{i}", itype), itype) for i, itype in enumerate(IDLE_TYPES)}
    if spot:
        idle["idle-spot"] = (instance("idle-spot", "m5.large", market={"MarketType": "spot"}), "m5.large")
    for name, (iid, itype) in idle.items():
        _cpu(cw, "AWS/EC2", [{"Name": "InstanceId", "Value": iid}], "CPUUtilization", [1.0 + d % 3 for d in range(14)],
             now, "Percent")
        planted[("idle_instance", name)] = {"key": f"ec2:{itype}:linux" + (":spot" if name == "idle-spot" else "")}
    busy = instance("busy-gp2-root", "t3.medium", root=(30, "gp2"))
    _cpu(cw, "AWS/EC2", [{"Name": "InstanceId", "Value": busy}], "CPUUtilization", [60.0] * 14, now, "Percent")
    planted[("gp2_volume", "busy-gp2-root-root")] = {"gib": 30}  # named after its instance by the tests

    rds = session.client("rds", endpoint_url=url)
    rds.create_db_subnet_group(DBSubnetGroupName="db", DBSubnetGroupDescription="db", SubnetIds=subnets)
    for ident, klass, engine, multi in DATABASES:
        rds.create_db_instance(DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass=klass, AllocatedStorage=20,
                               MasterUsername="admin", MasterUserPassword="not-a-secret-1", MultiAZ=multi,
                               DBSubnetGroupName="db", StorageType="gp3")
        dims = [{"Name": "DBInstanceIdentifier", "Value": ident}]
        _cpu(cw, "AWS/RDS", dims, "DatabaseConnections", [0.0] * 14, now, "Count")
        _cpu(cw, "AWS/RDS", dims, "CPUUtilization", [2.0] * 14, now, "Percent")
        planted[("idle_rds_instance", ident)] = {"key": f"rds:{klass}:{engine}:{'multi-az' if multi else 'single-az'}"}

    elbv2 = session.client("elbv2", endpoint_url=url)
    for name, kind in (("promo-alb", "application"), ("old-api-alb", "application"), ("tcp-nlb", "network")):
        elbv2.create_load_balancer(Name=name, Subnets=subnets, Type=kind, Scheme="internal", Tags=tags(name))
        planted[("idle_load_balancer", name)] = {"key": f"elb:{kind}"}
    session.client("elb", endpoint_url=url).create_load_balancer(
        LoadBalancerName="legacy-clb", Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
        Subnets=subnets[:1], Scheme="internal")
    planted[("idle_load_balancer", "legacy-clb")] = {"key": "elb:classic"}
    logs = session.client("logs", endpoint_url=url)
    for i in range(LOG_GROUPS):
        logs.create_log_group(logGroupName=f"/apac/app-{i}")
        planted[("log_group_no_retention", f"/apac/app-{i}")] = {}
    return {(category, region, name): facts for (category, name), facts in planted.items()}


def seed(url: str) -> dict:
    """Both regions; the spot instance in us-west-2."""
    planted = {}
    for region in REGIONS:
        planted.update(seed_region(url, region, spot=region == "us-west-2"))
    return planted
