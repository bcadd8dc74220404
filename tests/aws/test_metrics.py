"""aws/metrics.py: daily CloudWatch statistics of the last 14 days through batched GetMetricData (moto)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from cloud_inventory.accounts import Account
from cloud_inventory.aws.extractor import Extraction
from cloud_inventory.aws.metrics import (AGENT_MEMORY, DAYS, NAT_BYTES, PERIOD_SECONDS, QUERIES_PER_CALL,
                                         STATISTICS, fetch_daily_statistics, metric_queries, statistics_window)
from cloud_inventory.aws.registry import BY_NAME

from .support import RUN_ID, SNAPSHOT_DATE, read_partition

REGION = "eu-west-1"
ACCOUNT = Account(id="123456789012", name="metrics-test")
NOW = datetime.now(timezone.utc)
START, END = statistics_window(NOW)


@pytest.fixture
def run(settings, lake):
    with mock_aws():
        yield Extraction(account=ACCOUNT, region=REGION, session=boto3.Session(region_name=REGION),
                         settings=settings, lake=lake, snapshot_date=SNAPSHOT_DATE, run_id=RUN_ID, snapshot_at=NOW)


def calls_to(client, operation):
    """The request parameters of every `operation` call the client makes (botocore's own event hook)."""
    seen = []
    client.meta.events.register(f"provide-client-params.{client.meta.service_model.service_name}.{operation}",
                                lambda params, **_: seen.append(params))
    return seen


def put_daily(cloudwatch, namespace, metric, dimensions, days, value=lambda day: float(day)):
    """One datapoint at noon on each of `days` days ago."""
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": metric, "Dimensions": dimensions, "Value": value(day), "Unit": "Percent",
        "Timestamp": END.replace(hour=12) - timedelta(days=day)} for day in days])


def test_window_is_the_last_14_whole_utc_days():
    start, end = statistics_window(datetime(2025, 3, 14, 10, 30, tzinfo=timezone.utc))
    assert (start, end) == (datetime(2025, 2, 28, tzinfo=timezone.utc), datetime(2025, 3, 14, tzinfo=timezone.utc))
    assert (end - start).days == DAYS == 14
    # a non-UTC clock still gives UTC days
    assert statistics_window(datetime(2025, 3, 14, 1, 0, tzinfo=timezone(timedelta(hours=3))))[1] == datetime(
        2025, 3, 13, tzinfo=timezone.utc)


def test_one_item_per_resource_metric_stat_day(run):
    cloudwatch = run.client("cloudwatch")
    instance = "i-0a1b2c3d4e5f60718"
    cpu = [{"Name": "InstanceId", "Value": instance}]
    put_daily(cloudwatch, "AWS/EC2", "CPUUtilization", cpu, days=range(1, DAYS + 1))
    put_daily(cloudwatch, "AWS/EC2", "CPUUtilization", cpu, days=[0, DAYS + 3], value=lambda _: 99.0)  # outside
    put_daily(cloudwatch, "AWS/RDS", "DatabaseConnections", [{"Name": "DBInstanceIdentifier", "Value": "orders-db"}],
              days=[2, 3], value=lambda _: 0.0)
    run.collected["ec2_instance"].append(instance)
    run.collected["rds_instance"].append("orders-db")

    items = [item for resource_type in ("ec2_instance", "rds_instance")
             for page in fetch_daily_statistics(run, resource_type) for item in page]

    ec2 = [i for i in items if i["ResourceId"] == instance]
    assert len(ec2) == DAYS * len(STATISTICS)
    keys = Counter((i["ResourceId"], i["MetricName"], i["Stat"], i["Timestamp"]) for i in items)
    assert max(keys.values()) == 1  # never two items for one (resource, metric, stat, day)
    assert all(START <= i["Timestamp"] < END for i in items)
    assert {i["Value"] for i in ec2} == {float(day) for day in range(1, DAYS + 1)}  # 99s are outside the window
    sample = ec2[0]
    assert sample["ResourceType"] == "ec2_instance" and sample["Namespace"] == "AWS/EC2"
    assert sample["Dimensions"] == cpu and sample["PeriodSeconds"] == PERIOD_SECONDS == 86400
    connections = [i for i in items if i["MetricName"] == "DatabaseConnections"]
    assert len(connections) == 2 * len(STATISTICS)
    assert {i["ResourceType"] for i in connections} == {"rds_instance"} and {i["Value"] for i in connections} == {0.0}


def test_more_than_500_queries_are_split_into_several_calls(run):
    cloudwatch = run.client("cloudwatch")
    requests = calls_to(cloudwatch, "GetMetricData")
    instances = [f"i-{n:017x}" for n in range(260)]  # 260 instances x 2 statistics = 520 queries
    run.collected["ec2_instance"].extend(instances)
    last = instances[-1]  # in the second batch
    put_daily(cloudwatch, "AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": last}], days=[1])

    items = [item for page in fetch_daily_statistics(run, "ec2_instance") for item in page]

    sizes = [len(request["MetricDataQueries"]) for request in requests]
    assert sizes == [QUERIES_PER_CALL, 520 - QUERIES_PER_CALL]
    ids = [query["Id"] for request in requests for query in request["MetricDataQueries"]]
    assert all(len(set(r_ids)) == len(r_ids) for r_ids in ([q["Id"] for q in r["MetricDataQueries"]] for r in requests))
    assert ids[0] == "q0" and len(ids) == 520
    # results of the second batch are mapped back to the right instance, not to batch one's q-numbers
    assert {(i["ResourceId"], i["Stat"]) for i in items} == {(last, "Average"), (last, "Maximum")}


def test_agent_memory_only_for_known_instances(run):
    cloudwatch = run.client("cloudwatch")
    known, stranger = "i-00000000000000aaa", "i-00000000000000bbb"
    namespace, metric = AGENT_MEMORY
    for instance in (known, stranger):
        put_daily(cloudwatch, namespace, metric, [{"Name": "InstanceId", "Value": instance},
                                                  {"Name": "ImageId", "Value": "ami-12345678"},
                                                  {"Name": "InstanceType", "Value": "t3.micro"}], days=[1, 2])
    run.collected["ec2_instance"].append(known)

    queries = metric_queries(cloudwatch, "ec2_instance", run.collected["ec2_instance"])
    memory = [q for q in queries if q["metric"]["Namespace"] == "CWAgent"]
    assert {q["resource_id"] for q in memory} == {known}
    assert {q["resource_type"] for q in memory} == {"ec2_instance"}
    # the agent's exact dimension set, or GetMetricData finds nothing
    assert {d["Name"] for d in memory[0]["metric"]["Dimensions"]} == {"InstanceId", "ImageId", "InstanceType"}
    items = [item for page in fetch_daily_statistics(run, "ec2_instance") for item in page]
    memory_items = [i for i in items if i["MetricName"] == "mem_used_percent"]
    assert {i["ResourceId"] for i in memory_items} == {known}
    assert len(memory_items) == 2 * len(STATISTICS)


def test_rds_needs_no_list_metrics_and_nothing_collected_calls_nothing(run):
    cloudwatch = run.client("cloudwatch")
    listed = calls_to(cloudwatch, "ListMetrics")
    fetched = calls_to(cloudwatch, "GetMetricData")
    run.collected["rds_instance"].append("orders-db")
    queries = metric_queries(cloudwatch, "rds_instance", run.collected["rds_instance"])
    assert {(q["metric"]["MetricName"], q["stat"]) for q in queries} == {
        (metric, stat) for metric in ("CPUUtilization", "DatabaseConnections") for stat in STATISTICS} | {
        ("FreeableMemory", "Minimum")}  # its daily low: the day's memory peak, what rightsizing reads
    assert listed == []
    assert list(fetch_daily_statistics(run, "ec2_instance")) == []  # no instances: not even ListMetrics
    assert listed == [] and fetched == []


def test_through_the_extractor_after_instances(run, lake):
    ec2 = run.client("ec2")
    instance = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    put_daily(run.client("cloudwatch"), "AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": instance}],
              days=[1, 2, 3])
    outcomes = run.run([BY_NAME["ec2_instance_metric"], BY_NAME["ec2_instance"]])
    assert [o.status for o in outcomes] == ["ok", "ok"]
    rows = read_partition(lake, "ec2_instance_metric", ACCOUNT.id, REGION)
    assert len(rows) == 3 * len(STATISTICS) == outcomes[0].rows
    assert {row["resource_id"] for row in rows} == {instance}
    assert outcomes[0].api_calls >= 1


def test_byte_volumes_are_daily_sums_only(run):
    """Log ingestion and NAT traffic are billed by the day's total: Sum, and no Average or Maximum queried."""
    cloudwatch = run.client("cloudwatch")
    group, gateway = "/aws/containerinsights/prod-eks/application", "nat-0a1b2c3d4e5f60718"
    for hour in (3, 15):  # two datapoints a day: the item is their total
        cloudwatch.put_metric_data(Namespace="AWS/Logs", MetricData=[{
            "MetricName": "IncomingBytes", "Dimensions": [{"Name": "LogGroupName", "Value": group}],
            "Value": 1000.0 * hour, "Unit": "Bytes", "Timestamp": END.replace(hour=hour) - timedelta(days=day)}
            for day in (1, 2)])
    for n, metric in enumerate(NAT_BYTES):
        put_daily(cloudwatch, "AWS/NATGateway", metric, [{"Name": "NatGatewayId", "Value": gateway}], days=[1],
                  value=lambda _, n=n: float(n + 1))
    run.collected["log_group"].append(group)
    run.collected["nat_gateway"].append(gateway)

    queries = metric_queries(cloudwatch, "log_group", [group]) + metric_queries(cloudwatch, "nat_gateway", [gateway])
    assert {q["stat"] for q in queries} == {"Sum"}
    assert sorted(q["metric"]["MetricName"] for q in queries) == sorted(("IncomingBytes", *NAT_BYTES))
    assert {q["metric"]["Namespace"] for q in queries} == {"AWS/Logs", "AWS/NATGateway"}

    logs = [item for page in fetch_daily_statistics(run, "log_group") for item in page]
    assert sorted((i["Timestamp"].date(), i["Value"]) for i in logs) == [
        ((END - timedelta(days=day)).date(), 18000.0) for day in (2, 1)]
    assert {(i["ResourceType"], i["ResourceId"], i["Stat"]) for i in logs} == {("log_group", group, "Sum")}
    assert logs[0]["Dimensions"] == [{"Name": "LogGroupName", "Value": group}]
    nat = [item for page in fetch_daily_statistics(run, "nat_gateway") for item in page]
    assert {i["MetricName"]: i["Value"] for i in nat} == {metric: float(n + 1) for n, metric in enumerate(NAT_BYTES)}



def test_log_groups_and_nat_gateways_through_the_extractor(run, lake):
    logs = run.client("logs")
    logs.create_log_group(logGroupName="/app/web")
    ec2 = run.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    gateway = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    cloudwatch = run.client("cloudwatch")
    put_daily(cloudwatch, "AWS/Logs", "IncomingBytes", [{"Name": "LogGroupName", "Value": "/app/web"}], days=[1, 2])
    put_daily(cloudwatch, "AWS/NATGateway", "BytesInFromSource", [{"Name": "NatGatewayId", "Value": gateway}],
              days=[1])
    outcomes = run.run([BY_NAME[name] for name in ("log_group", "log_group_metric", "nat_gateway",
                                                   "nat_gateway_metric")])
    assert [o.status for o in outcomes] == ["ok"] * 4
    log_rows = read_partition(lake, "log_group_metric", ACCOUNT.id, REGION)
    assert len(log_rows) == 2 and {row["resource_id"] for row in log_rows} == {"/app/web"}
    nat_rows = read_partition(lake, "nat_gateway_metric", ACCOUNT.id, REGION)
    assert len(nat_rows) == 1 and nat_rows[0]["resource_id"] == gateway


def test_rds_freeable_memory_is_its_daily_minimum(run):
    cloudwatch = run.client("cloudwatch")
    db = [{"Name": "DBInstanceIdentifier", "Value": "orders-db"}]
    gib = 1024 ** 3
    for hour, free in ((3, 6 * gib), (12, 2 * gib), (20, 5 * gib)):  # day 1: 2 GiB free at its busiest
        cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=[{
            "MetricName": "FreeableMemory", "Dimensions": db, "Value": free, "Unit": "Bytes",
            "Timestamp": END.replace(hour=hour) - timedelta(days=1)}])
    run.collected["rds_instance"].append("orders-db")

    items = [item for page in fetch_daily_statistics(run, "rds_instance") for item in page]

    assert [(i["MetricName"], i["Stat"], i["Value"]) for i in items] == [("FreeableMemory", "Minimum", 2 * gib)]
