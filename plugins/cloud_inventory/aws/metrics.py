"""CloudWatch daily statistics for the last 14 days, batched through GetMetricData.

CPU for every EC2 and RDS instance, memory where the CloudWatch agent publishes it, RDS connections
and RDS freeable memory: what the idle-resource and rightsizing marts judge by; the bytes each CloudWatch
Logs log group took in (what ingestion is billed on) and the bytes through each NAT gateway (what data
processing is billed on). One item per (resource, metric, statistic, day).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator, NamedTuple

DAYS = 14
PERIOD_SECONDS = 86400
QUERIES_PER_CALL = 500  # GetMetricData's limit
STATISTICS = ("Average", "Maximum")  # the default: levels (percent, connections) are judged by these
SUM = ("Sum",)  # volumes (bytes) are billed by their daily total; an average of 1-minute points means nothing
MINIMUM = ("Minimum",)  # FreeableMemory's daily low is the day's memory peak
AGENT_MEMORY = ("CWAgent", "mem_used_percent")


class Metric(NamedTuple):
    """A metric measured for every resource of a type, the resource id as its one dimension."""

    namespace: str
    name: str
    dimension: str
    statistics: tuple[str, ...] = STATISTICS


# NAT gateways: AWS bills "per GB of data processed", whichever way it flows
# (https://aws.amazon.com/vpc/pricing/), and every byte a gateway processes is received once, from a client in
# the VPC (BytesInFromSource) or from the destination (BytesInFromDestination); the Bytes*Out* metrics are
# the same traffic leaving (https://docs.aws.amazon.com/vpc/latest/userguide/metrics-dimensions-nat-gateway.html).
NAT_BYTES = ("BytesInFromSource", "BytesInFromDestination", "BytesOutToDestination", "BytesOutToSource")
FIXED_METRICS = {
    "ec2_instance": (Metric("AWS/EC2", "CPUUtilization", "InstanceId"),),
    "rds_instance": (Metric("AWS/RDS", "CPUUtilization", "DBInstanceIdentifier"),
                     Metric("AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier"),
                     Metric("AWS/RDS", "FreeableMemory", "DBInstanceIdentifier", MINIMUM)),
    "log_group": (Metric("AWS/Logs", "IncomingBytes", "LogGroupName", SUM),),
    "nat_gateway": tuple(Metric("AWS/NATGateway", name, "NatGatewayId", SUM) for name in NAT_BYTES),
}


def statistics_window(now: datetime) -> tuple[datetime, datetime]:
    """The last DAYS whole UTC days before `now`."""
    end = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return end - timedelta(days=DAYS), end


def _agent_memory_metrics(client, instance_ids: set[str]) -> Iterator[tuple[str, dict]]:
    """The agent's memory metrics of our instances, with the exact dimension set it publishes."""
    namespace, metric = AGENT_MEMORY
    seen: set[frozenset] = set()  # moto (the emulator) lists a metric once per datapoint; AWS once
    for page in client.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName=metric):
        for listed in page.get("Metrics", []):
            dimensions = {d["Name"]: d["Value"] for d in listed.get("Dimensions", [])}
            key = frozenset(dimensions.items())
            if dimensions.get("InstanceId") in instance_ids and key not in seen:
                seen.add(key)
                yield dimensions["InstanceId"], {"Namespace": namespace, "MetricName": metric,
                                                 "Dimensions": listed["Dimensions"]}


def metric_queries(client, resource_type: str, resource_ids: list[str]) -> list[dict]:
    """One description per (resource, metric, statistic): each metric with its own statistics."""
    targets: list[tuple[str, dict, tuple[str, ...]]] = []
    for resource_id in resource_ids:
        for metric in FIXED_METRICS[resource_type]:
            targets.append((resource_id, {
                "Namespace": metric.namespace, "MetricName": metric.name,
                "Dimensions": [{"Name": metric.dimension, "Value": resource_id}]}, metric.statistics))
    instance_ids = set(resource_ids) if resource_type == "ec2_instance" else set()
    if instance_ids:
        targets.extend((instance_id, metric, STATISTICS)
                       for instance_id, metric in _agent_memory_metrics(client, instance_ids))
    return [{"resource_type": resource_type, "resource_id": resource_id, "metric": metric, "stat": stat}
            for resource_id, metric, statistics in targets for stat in statistics]


def fetch_daily_statistics(context, resource_type: str) -> Iterator[list[dict]]:
    """Pages of daily statistics for the `resource_type` ids this extraction collected."""
    client = context.client("cloudwatch")
    queries = metric_queries(client, resource_type, context.collected.get(resource_type, []))
    start, end = statistics_window(context.snapshot_at)
    for offset in range(0, len(queries), QUERIES_PER_CALL):
        batch = queries[offset:offset + QUERIES_PER_CALL]
        request = [{"Id": f"q{index}", "ReturnData": True,
                    "MetricStat": {"Metric": query["metric"], "Period": PERIOD_SECONDS, "Stat": query["stat"]}}
                   for index, query in enumerate(batch)]
        paginator = client.get_paginator("get_metric_data")
        for page in paginator.paginate(MetricDataQueries=request, StartTime=start, EndTime=end,
                                       ScanBy="TimestampAscending"):
            items = []
            for result in page.get("MetricDataResults", []):
                query = batch[int(result["Id"][1:])]
                for timestamp, value in zip(result.get("Timestamps", []), result.get("Values", [])):
                    items.append({
                        "ResourceType": query["resource_type"], "ResourceId": query["resource_id"],
                        "Namespace": query["metric"]["Namespace"], "MetricName": query["metric"]["MetricName"],
                        "Dimensions": query["metric"]["Dimensions"], "Stat": query["stat"],
                        "PeriodSeconds": PERIOD_SECONDS, "Timestamp": timestamp, "Value": value,
                    })
            yield items
