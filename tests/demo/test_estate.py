"""The demo estate: day 0 is seeded by the emulator's CLI (``--seed-demo``, in a subprocess of its own,
so moto's state is fresh); days 1 and 2 are applied by the last tests of this module, in order."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.demo.estate import (
    DEMO_ACCOUNTS,
    DEMO_EXTERNAL_ID,
    DEMO_REGIONS,
    DEMO_ROLE_NAME,
    assumed_session,
    seed,
)

PROD, STAGING, DEV = "111111111111", "222222222222", "333333333333"
US, EU = DEMO_REGIONS
NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def emu():
    with Emulator(seed_demo=True) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def aws(emu):
    sessions = {acct: assumed_session(emu.url, acct) for acct in DEMO_ACCOUNTS}

    def make(account, service, region=US):
        return sessions[account].client(service, endpoint_url=emu.url, region_name=region)

    return make


def instances(aws, account, region, states=("pending", "running", "stopping", "stopped")):
    resp = aws(account, "ec2", region).describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": list(states)}])
    return {tag(i, "Name"): i for r in resp["Reservations"] for i in r["Instances"]}


def tag(resource, key):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}.get(key)


def test_constants():
    assert DEMO_ACCOUNTS == {PROD: "prod", STAGING: "staging", DEV: "dev"}
    assert DEMO_REGIONS == ("us-east-1", "eu-west-1")
    assert (DEMO_ROLE_NAME, DEMO_EXTERNAL_ID) == ("InventoryReadOnly", "cloud-inventory-demo")


def test_assumed_roles_act_in_their_accounts(aws):
    for account in DEMO_ACCOUNTS:
        ident = aws(account, "sts").get_caller_identity()
        assert ident["Account"] == account
        assert DEMO_ROLE_NAME in ident["Arn"]
    role = aws(PROD, "iam").get_role(RoleName=DEMO_ROLE_NAME)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] == \
        DEMO_EXTERNAL_ID


def test_instances_per_account_and_region(aws):
    counts = {(a, r): len(instances(aws, a, r)) for a in DEMO_ACCOUNTS for r in DEMO_REGIONS}
    assert counts == {(PROD, US): 10, (PROD, EU): 6, (STAGING, US): 4, (STAGING, EU): 1, (DEV, US): 2, (DEV, EU): 0}
    prod = instances(aws, PROD, US)
    assert prod["prod-web-1"]["InstanceType"] == "t3.medium"
    assert {tag(i, "env") for i in prod.values()} == {"prod"}
    assert all(tag(i, "team") for i in prod.values())
    assert prod["prod-ad-dc-1"].get("Platform") == "windows"
    assert {i["State"]["Name"] for i in prod.values()} == {"running", "stopped"}


def test_stopped_instances_were_stopped_long_ago(aws):
    prod = instances(aws, PROD, US, states=("stopped",))
    assert set(prod) == {"prod-batch-worker", "prod-reporting-old"}
    for name, days in (("prod-batch-worker", 45), ("prod-reporting-old", 60)):
        reason = prod[name]["StateTransitionReason"]
        stopped_on = dt.datetime.strptime(re.search(r"\((\d{4}-\d{2}-\d{2})", reason).group(1), "%Y-%m-%d")
        assert (NOW.replace(tzinfo=None) - stopped_on).days >= min(days, 30) - 1
    # stopped with volumes still attached
    assert len(prod["prod-reporting-old"]["BlockDeviceMappings"]) == 2


def test_volumes_snapshots_amis(aws):
    ec2 = aws(PROD, "ec2")
    volumes = ec2.describe_volumes()["Volumes"]
    unattached = {tag(v, "Name") for v in volumes if v["State"] == "available"}
    assert {"prod-migration-scratch", "prod-orphan-data", "prod-archive-2023"} <= unattached
    assert any(v["VolumeType"] == "gp2" for v in volumes)
    snaps = {tag(s, "Name"): s for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    # None: the snapshot backing the AMI, which create_image makes without tags (as AWS does)
    assert set(snaps) == {"prod-app-1-daily", "prod-decommissioned-db-final", "prod-archive-2023", None}
    assert all(s["OwnerId"] == PROD for s in snaps.values())
    volume_ids = {v["VolumeId"] for v in volumes}
    assert snaps["prod-decommissioned-db-final"]["VolumeId"] not in volume_ids  # orphaned
    assert (NOW - snaps["prod-archive-2023"]["StartTime"]).days >= 399  # old (backdated)
    images = ec2.describe_images(Owners=["self"])["Images"]
    assert [i["Name"] for i in images] == ["prod-web-golden-2025-10"]
    assert aws(DEV, "ec2").describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


def test_network(aws):
    ec2 = aws(PROD, "ec2")
    vpcs = {tag(v, "Name"): v for v in ec2.describe_vpcs()["Vpcs"]}
    assert vpcs["prod-core"]["CidrBlock"] == "10.10.0.0/16"
    subnets = {tag(s, "Name"): s for s in ec2.describe_subnets()["Subnets"] if tag(s, "Name")}
    assert subnets["prod-db-a"]["AvailableIpAddressCount"] <= 3  # fairly full /28
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}
    bastion = groups["prod-bastion"]["IpPermissions"]
    assert any(p.get("FromPort") == 22 and {"CidrIp": "0.0.0.0/0"} in [{"CidrIp": r["CidrIp"]} for r in p["IpRanges"]]
               for p in bastion)
    assert groups["prod-legacy-allow-all"]["IpPermissions"][0]["IpProtocol"] == "-1"
    assert any(r.get("CidrIpv6") == "::/0" for p in groups["prod-web"]["IpPermissions"] for r in p["Ipv6Ranges"])
    rdp = {g["GroupName"]: g for g in aws(STAGING, "ec2").describe_security_groups()["SecurityGroups"]}
    assert rdp["stg-windows-rdp"]["IpPermissions"][0]["FromPort"] == 3389
    eips = ec2.describe_addresses()["Addresses"]
    assert len(eips) == 3 and sum(1 for a in eips if "AssociationId" not in a) == 1
    nats = ec2.describe_nat_gateways()["NatGateways"]
    assert len(nats) == 1
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id",
                                                     "Values": [subnets["prod-db-a"]["SubnetId"]]}])
    assert len(enis["NetworkInterfaces"]) == 8
    assert len(aws(DEV, "ec2").describe_addresses()["Addresses"]) == 1


def test_load_balancers(aws):
    elbv2 = aws(PROD, "elbv2")
    lbs = {lb["LoadBalancerName"]: lb for lb in elbv2.describe_load_balancers()["LoadBalancers"]}
    assert {n: lb["Type"] for n, lb in lbs.items()} == {"prod-web-alb": "application", "prod-api-nlb": "network",
                                                        "prod-promo-alb": "application"}
    tgs = {tg["TargetGroupName"]: tg for tg in elbv2.describe_target_groups()["TargetGroups"]}
    web = elbv2.describe_target_health(TargetGroupArn=tgs["prod-web-tg"]["TargetGroupArn"])
    assert len(web["TargetHealthDescriptions"]) == 3
    assert all(t["TargetHealth"]["State"] for t in web["TargetHealthDescriptions"])
    promo = elbv2.describe_target_health(TargetGroupArn=tgs["prod-promo-tg"]["TargetGroupArn"])
    assert promo["TargetHealthDescriptions"] == []  # idle load balancer
    clb = aws(PROD, "elb").describe_load_balancers()["LoadBalancerDescriptions"]
    assert [c["LoadBalancerName"] for c in clb] == ["prod-legacy-clb"] and len(clb[0]["Instances"]) == 1
    assert len(aws(PROD, "elbv2", EU).describe_load_balancers()["LoadBalancers"]) == 1
    assert aws(DEV, "elbv2").describe_load_balancers()["LoadBalancers"] == []


def test_databases_and_warehouses(aws):
    rds = aws(PROD, "rds")
    dbs = {d["DBInstanceIdentifier"]: d for d in rds.describe_db_instances()["DBInstances"]}
    assert set(dbs) == {"prod-orders-db", "prod-reporting-db", "prod-payments-aurora-1", "prod-payments-aurora-2"}
    clusters = rds.describe_db_clusters()["DBClusters"]
    assert [c["Engine"] for c in clusters] == ["aurora-postgresql"]
    assert len(rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]) == 1
    assert len(aws(STAGING, "rds").describe_db_instances()["DBInstances"]) == 2
    assert aws(DEV, "rds").describe_db_instances()["DBInstances"] == []
    assert [c["ClusterIdentifier"] for c in aws(PROD, "redshift").describe_clusters()["Clusters"]] == ["prod-dwh"]
    assert [c["ClusterIdentifier"] for c in aws(STAGING, "redshift").describe_clusters()["Clusters"]] == ["stg-dwh"]


def test_containers_ml_serverless_logs(aws):
    assert aws(PROD, "eks").list_clusters()["clusters"] == ["prod-eks"]
    assert sorted(aws(PROD, "eks").list_nodegroups(clusterName="prod-eks")["nodegroups"]) == \
        ["prod-general", "prod-memory"]
    assert aws(STAGING, "eks").list_clusters()["clusters"] == ["stg-eks"]
    sm = aws(PROD, "sagemaker")
    assert [n["NotebookInstanceName"] for n in sm.list_notebook_instances()["NotebookInstances"]] == \
        ["prod-ds-notebook"]
    assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["prod-churn-model"]
    assert [e["EndpointName"] for e in aws(PROD, "sagemaker", EU).list_endpoints()["Endpoints"]] == \
        ["prod-eu-fraud-model"]
    fns = sorted(f["FunctionName"] for f in aws(PROD, "lambda").list_functions()["Functions"])
    assert fns == ["prod-order-events", "prod-thumbnailer"]
    assert [f["FunctionName"] for f in aws(DEV, "lambda").list_functions()["Functions"]] == ["dev-hello"]
    groups = aws(PROD, "logs").describe_log_groups()["logGroups"]
    assert len(groups) == 7
    assert sorted(g["logGroupName"] for g in groups if "retentionInDays" not in g) == \
        ["/app/prod/legacy-batch", "/app/prod/web"]


def test_log_ingestion_nat_bytes_and_cost_explorer(aws):
    from cloud_inventory.demo.estate import CLOUDWATCH_SPEND_USD, CONTAINER_INSIGHTS_APPLICATION_GB, GB

    midnight = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    window = {"StartTime": midnight - dt.timedelta(days=14), "EndTime": midnight, "Period": 86400,
              "Statistics": ["Sum"]}
    cloudwatch = aws(PROD, "cloudwatch")
    ingested = cloudwatch.get_metric_statistics(
        Namespace="AWS/Logs", MetricName="IncomingBytes", **window,
        Dimensions=[{"Name": "LogGroupName", "Value": "/aws/containerinsights/prod-eks/application"}])
    by_day = {p["Timestamp"].date(): p["Sum"] for p in ingested["Datapoints"]}
    assert [by_day[day] for day in sorted(by_day)] == [gb * GB for gb in CONTAINER_INSIGHTS_APPLICATION_GB]
    assert max(by_day) == (midnight - dt.timedelta(days=1)).date()  # the spike is the last whole day
    nats = {tag(n, "Name"): n["NatGatewayId"] for n in aws(STAGING, "ec2").describe_nat_gateways()["NatGateways"]}
    assert list(nats) == ["stg-nat-a"]
    idle = aws(STAGING, "cloudwatch").get_metric_statistics(
        Namespace="AWS/NATGateway", MetricName="BytesInFromSource", **window,
        Dimensions=[{"Name": "NatGatewayId", "Value": nats["stg-nat-a"]}])
    assert [p["Sum"] for p in idle["Datapoints"]] == [0.0] * 14
    yesterday = (midnight - dt.timedelta(days=1)).date()
    spend = aws(PROD, "ce").get_cost_and_usage(
        TimePeriod={"Start": (yesterday - dt.timedelta(days=13)).isoformat(), "End": midnight.date().isoformat()},
        Granularity="DAILY", Metrics=["UnblendedCost"],
        GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}])
    (last,) = [day for day in spend["ResultsByTime"] if day["TimePeriod"]["Start"] == yesterday.isoformat()]
    amounts = {tuple(g["Keys"]): g["Metrics"]["UnblendedCost"]["Amount"] for g in last["Groups"]}
    assert amounts[("AmazonCloudWatch", PROD)] == f"{CLOUDWATCH_SPEND_USD[-1]:.2f}"
    assert ("Amazon Elastic Compute Cloud - Compute", STAGING) in amounts  # the management account answers for it


def test_buckets_zones_distributions(aws):
    prod_buckets = {b["Name"] for b in aws(PROD, "s3").list_buckets()["Buckets"]}
    assert {"demo-prod-web-assets", "demo-prod-logs-us-east-1", "demo-prod-logs-eu-west-1"} <= prod_buckets
    loc = aws(PROD, "s3").get_bucket_location(Bucket="demo-prod-logs-eu-west-1")["LocationConstraint"]
    assert loc == "eu-west-1"
    assert "demo-dev-scratch" in {b["Name"] for b in aws(DEV, "s3").list_buckets()["Buckets"]}
    dists = aws(PROD, "cloudfront").list_distributions()["DistributionList"]["Items"]
    assert len(dists) == 1
    r53 = aws(PROD, "route53")
    zones = {z["Name"]: z for z in r53.list_hosted_zones()["HostedZones"]}
    assert set(zones) == {"shop.example.com.", "internal.prod.example.com."}
    records = r53.list_resource_record_sets(HostedZoneId=zones["shop.example.com."]["Id"])["ResourceRecordSets"]
    by_name = {r["Name"]: r for r in records if r["Type"] in ("A", "CNAME")}
    alb = aws(PROD, "elbv2").describe_load_balancers(Names=["prod-web-alb"])["LoadBalancers"][0]
    assert by_name["www.shop.example.com."]["AliasTarget"]["DNSName"].rstrip(".") == alb["DNSName"]
    assert by_name["static.shop.example.com."]["AliasTarget"]["DNSName"].rstrip(".") == dists[0]["DomainName"]
    eips = {a["PublicIp"] for a in aws(PROD, "ec2").describe_addresses()["Addresses"]}
    assert by_name["bastion.shop.example.com."]["ResourceRecords"][0]["Value"] in eips
    assert [z["Name"] for z in aws(STAGING, "route53").list_hosted_zones()["HostedZones"]] == \
        ["staging.shop.example.com."]


def test_metrics(aws):
    cw = aws(PROD, "cloudwatch")
    prod = instances(aws, PROD, US)

    def daily(namespace, metric, dim, value):
        resp = cw.get_metric_data(
            MetricDataQueries=[{"Id": "q0", "MetricStat": {"Metric": {
                "Namespace": namespace, "MetricName": metric, "Dimensions": [{"Name": dim, "Value": value}]},
                "Period": 86400, "Stat": "Average"}}],
            StartTime=NOW - dt.timedelta(days=14), EndTime=NOW + dt.timedelta(minutes=5))
        return resp["MetricDataResults"][0]["Values"]

    idle = daily("AWS/EC2", "CPUUtilization", "InstanceId", prod["prod-analytics-idle"]["InstanceId"])
    busy = daily("AWS/EC2", "CPUUtilization", "InstanceId", prod["prod-web-1"]["InstanceId"])
    assert len(idle) >= 13 and max(idle) < 5
    assert len(busy) >= 13 and min(busy) > 10
    mem = cw.list_metrics(Namespace="CWAgent")["Metrics"]
    assert {m["MetricName"] for m in mem} == {"mem_used_percent"} and len(mem) == 4
    assert max(daily("AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "prod-reporting-db")) == 0
    assert min(daily("AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "prod-orders-db")) > 0


def test_rightsizing_metrics(aws):
    """prod eu-west-1's three instances for marts.rightsizing, and staging's over-provisioned database."""
    eu = instances(aws, PROD, EU)
    cw_eu = aws(PROD, "cloudwatch", EU)

    def peak(namespace, metric, dimension, value, client=cw_eu, stat="Maximum"):
        resp = client.get_metric_data(
            MetricDataQueries=[{"Id": "q0", "MetricStat": {"Metric": {
                "Namespace": namespace, "MetricName": metric, "Dimensions": [{"Name": dimension, "Value": value}]},
                "Period": 86400, "Stat": stat}}],
            StartTime=NOW - dt.timedelta(days=14), EndTime=NOW + dt.timedelta(minutes=5))
        return resp["MetricDataResults"][0]["Values"]

    search, cache, etl = (eu[name]["InstanceId"] for name in ("prod-eu-search-1", "prod-eu-cache-1", "prod-eu-etl-1"))
    assert (eu["prod-eu-search-1"]["InstanceType"], eu["prod-eu-cache-1"]["InstanceType"],
            eu["prod-eu-etl-1"]["InstanceType"]) == ("m5.2xlarge", "r5.xlarge", "c5.xlarge")
    for instance in (search, cache, etl):  # busy enough not to be idle, low enough to be judged
        cpu = peak("AWS/EC2", "CPUUtilization", "InstanceId", instance)
        assert len(cpu) >= 13 and 10 <= max(cpu) < 40
    assert max(peak("CWAgent", "mem_used_percent", "InstanceId", search)) < 40
    assert min(peak("CWAgent", "mem_used_percent", "InstanceId", cache)) > 80
    assert peak("CWAgent", "mem_used_percent", "InstanceId", etl) == []  # no agent
    freeable = peak("AWS/RDS", "FreeableMemory", "DBInstanceIdentifier", "stg-orders-db",
                    client=aws(STAGING, "cloudwatch"), stat="Minimum")
    assert len(freeable) >= 13 and min(freeable) == 3 * 1024 ** 3


def test_ssm_managed_instances(aws):
    items = aws(PROD, "ssm").describe_instance_information()["InstanceInformationList"]
    prod = instances(aws, PROD, US)
    expected = {prod[n]["InstanceId"] for n in ("prod-app-1", "prod-app-2", "prod-bastion", "prod-analytics-idle",
                                                "prod-ad-dc-1")}
    assert {i["InstanceId"] for i in items} == expected
    platforms = {i["InstanceId"]: i["PlatformType"] for i in items}
    assert platforms[prod["prod-ad-dc-1"]["InstanceId"]] == "Windows"
    assert aws(DEV, "ssm").describe_instance_information()["InstanceInformationList"] == []


# --------------------------------------------------------------------------------------------------
# days 1 and 2: keep these last (they change the estate the tests above read)


def test_day1_changes(emu, aws):
    before = instances(aws, PROD, US)
    done = seed(emu.url, 1)
    after = instances(aws, PROD, US)
    assert done["resized"]["instance_id"] == before["prod-app-2"]["InstanceId"]
    assert (before["prod-app-2"]["InstanceType"], after["prod-app-2"]["InstanceType"]) == ("m5.large", "m5.xlarge")
    assert after["prod-app-2"]["State"]["Name"] == "running"
    assert set(after) - set(before) == {"prod-web-4"}
    group = aws(PROD, "ec2").describe_security_groups(GroupIds=[done["ingress_added"]["group_id"]])
    perms = group["SecurityGroups"][0]["IpPermissions"]
    assert any(p.get("FromPort") == 5432 and any(r["CidrIp"] == "0.0.0.0/0" for r in p["IpRanges"]) for p in perms)
    volumes = {v["VolumeId"] for v in aws(PROD, "ec2").describe_volumes()["Volumes"]}
    assert done["volume_deleted"] not in volumes


def test_day2_changes(emu, aws):
    done = seed(emu.url, 2)
    staging = instances(aws, STAGING, US, states=("terminated", "shutting-down"))
    assert staging["stg-web-1"]["InstanceId"] == done["terminated"]
    prod = instances(aws, PROD, US)
    assert prod["prod-worker-1"]["InstanceId"] == done["launched"]
    assert tag(prod["prod-app-1"], "team") == "checkout"
    with pytest.raises(ValueError):
        seed(emu.url, 3)
