"""The emulator's AWS Price List Query API (moto has no `pricing`): GetProducts and DescribeServices.

Products are rendered in the real answer's shape (each PriceList entry a JSON string with `product`,
`serviceCode`, `terms.OnDemand.<sku>.<offerTermCode>.priceDimensions.<rateCode>`, `version`,
`publicationDate`) from price_list.csv: one row per (region, price key, USD). Its `origin` column says where each
value comes from: `seed` rows are the values of include/config/seeds/prices.csv (AWS's pricing pages, us-east-1
and eu-west-1); `typed` rows were typed from AWS's public pricing pages for this emulator (us-west-2,
ap-southeast-2 and a few more types); none was recorded from the API. SKUs are derived from the product's
attributes (stable, not AWS's).

Beside each product the real list has look-alikes the queries must not pick, and so does this one: capacity
reservation rows of every instance (`capacitystatus` UnusedCapacityReservation / AllocatedCapacityReservation),
the LCU row beside each load balancer hour, regional NAT gateway hours, io2's second IOPS tier, archive beside
standard snapshots, infrequent-access log ingestion. Filters are TERM_MATCH on any attribute (or productFamily /
sku), exact; pagination by MaxResults (1-100) and NextToken, as the API.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("price_list.csv")
VERSION = "20261101000000"
PUBLICATION_DATE = "2026-11-01T00:00:00Z"
EFFECTIVE_DATE = "2025-12-01T00:00:00Z"
ON_DEMAND = "JRTCKXETXF"  # the on-demand offer term code AWS uses
RATE = "6YS6EN2CT7"
LOCATIONS = {"us-east-1": ("US East (N. Virginia)", ""), "us-west-2": ("US West (Oregon)", "USW2-"),
             "eu-west-1": ("EU (Ireland)", "EU-"), "ap-southeast-2": ("Asia Pacific (Sydney)", "APS2-")}
_OS = {"linux": ("Linux", "NA"), "windows": ("Windows", "NA"), "red-hat-enterprise-linux": ("RHEL", "NA")}
_ENGINES = {"mysql": "MySQL", "postgres": "PostgreSQL"}
_ELB = {"application": "Load Balancer-Application", "network": "Load Balancer-Network",
        "gateway": "Load Balancer-Gateway", "classic": "Load Balancer"}


def _sku(service: str, attributes: dict) -> str:
    digest = hashlib.sha256((service + json.dumps(attributes, sort_keys=True)).encode()).digest()
    return base64.b32encode(digest).decode()[:16]


def _product(service: str, family: str, region: str, usage: str, unit: str, usd: float, description: str,
             tiers: list[tuple[str, str, float]] | None = None, **attributes: str) -> dict:
    location, prefix = LOCATIONS[region]
    attrs = {"regionCode": region, "location": location, "locationType": "AWS Region", "servicecode": service,
             "usagetype": prefix + usage, **attributes}
    sku = _sku(service, attrs)
    dimensions = {}
    for index, (begin, end, price) in enumerate(tiers or [("0", "Inf", usd)]):
        rate = f"{sku}.{ON_DEMAND}.{RATE if index == 0 else 'TIER' + str(index)}"
        dimensions[rate] = {"unit": unit, "endRange": end, "description": description.format(usd=price),
                            "appliesTo": [], "rateCode": rate, "beginRange": begin,
                            "pricePerUnit": {"USD": f"{price:.10f}"}}
    return {"product": {"productFamily": family, "attributes": attrs, "sku": sku}, "serviceCode": service,
            "terms": {"OnDemand": {f"{sku}.{ON_DEMAND}": {
                "priceDimensions": dimensions, "sku": sku, "effectiveDate": EFFECTIVE_DATE,
                "offerTermCode": ON_DEMAND, "termAttributes": {}}}},
            "version": VERSION, "publicationDate": PUBLICATION_DATE}


def products_for(region: str, price_key: str, usd: float) -> list[dict]:
    """The price list's products for one row: the product that bills `price_key`, and its look-alikes."""
    service, _, rest = price_key.partition(":")
    location = LOCATIONS[region][0]
    if service == "ec2":
        instance_type, os_key, *tenancy = rest.split(":")
        operating_system, software = _OS[os_key]
        dedicated = tenancy == ["dedicated"]
        out = []
        for capacity, usage in (("Used", "BoxUsage"), ("UnusedCapacityReservation", "UnusedBox"),
                                ("AllocatedCapacityReservation", "Reservation")):
            usage = ("Dedicated" + usage.removeprefix("Box") if dedicated else usage) + ":" + instance_type
            out.append(_product(
                "AmazonEC2", "Compute Instance", region, usage, "Hrs", usd,
                "${usd} per On Demand " + operating_system + " " + instance_type + " Instance Hour",
                instanceType=instance_type, operatingSystem=operating_system, preInstalledSw=software,
                tenancy="Dedicated" if dedicated else "Shared", capacitystatus=capacity,
                licenseModel="No License required", operation="RunInstances", marketoption="OnDemand"))
        return out
    if service == "rds":
        klass, engine, deployment = rest.split(":")
        multi = deployment == "multi-az"
        return [_product("AmazonRDS", "Database Instance", region,
                         f"{'Multi-AZUsage' if multi else 'InstanceUsage'}:{klass}", "Hrs", usd,
                         "${usd} per RDS " + klass + " " + ("Multi-AZ" if multi else "Single-AZ") + " instance hour "
                         "(or partial hour) running " + _ENGINES[engine],
                         instanceType=klass, databaseEngine=_ENGINES[engine],
                         deploymentOption="Multi-AZ" if multi else "Single-AZ", licenseModel="No license required")]
    if service == "ebs":
        kind, _, part = rest.partition(":")
        if kind == "snapshot":
            usage = "EBS:SnapshotUsage" if part == "standard" else "EBS:SnapshotArchiveStorage"
            return [_product("AmazonEC2", "Storage Snapshot", region, usage, "GB-Mo", usd,
                             "${usd} per GB-Month of snapshot data stored - " + location, storageMedia="Amazon S3")]
        if part == "storage":
            suffix = {"standard": "", "io1": ".piops"}.get(kind, "." + kind)
            return [_product("AmazonEC2", "Storage", region, "EBS:VolumeUsage" + suffix, "GB-Mo", usd,
                             "${usd} per GB-month of " + kind + " provisioned storage - " + location,
                             volumeApiName=kind)]
        if part == "iops":
            usage = {"gp3": "EBS:VolumeP-IOPS.gp3", "io1": "EBS:VolumeP-IOPS.piops", "io2": "EBS:VolumeP-IOPS.io2"}[kind]
            out = [_product("AmazonEC2", "System Operation", region, usage, "IOPS-Mo", usd,
                            "${usd} per IOPS-month provisioned - " + location, volumeApiName=kind, group="EBS IOPS")]
            if kind == "io2":  # the next tier is a product of its own
                out.append(_product("AmazonEC2", "System Operation", region, usage + ".tier2", "IOPS-Mo",
                                    round(usd * 0.7, 6), "${usd} per IOPS-month provisioned 32,001-64,000 - "
                                    + location, volumeApiName=kind, group="EBS IOPS Tier 2"))
            return out
        if part == "throughput":
            return [_product("AmazonEC2", "Provisioned Throughput", region, "EBS:VolumeP-Throughput.gp3",
                             "GiBps-mo", usd * 1024, "${usd} per GiBps-mo of gp3 provisioned throughput - " + location,
                             volumeApiName="gp3", group="EBS Throughput")]
    if price_key == "vpc:public-ipv4":
        return [_product("AmazonVPC", "VPC Public IPv4 Address", region, usage, "Hrs", usd,
                         "${usd} per " + kind + " public IPv4 address per hour", group="VPCPublicIPv4Address")
                for usage, kind in (("PublicIPv4:IdleAddress", "idle"), ("PublicIPv4:InUseAddress", "in-use"))]
    if service == "elb":
        family = _ELB[rest]
        prefix = "" if rest == "classic" else rest.capitalize()
        return [_product("AWSELB", family, region, "LoadBalancerUsage", "Hrs", usd,
                         "${usd} per " + (prefix + " LoadBalancer").strip() + "-hour (or partial hour)",
                         operation=f"LoadBalancing:{prefix}".rstrip(":")),
                _product("AWSELB", family, region, "LCUUsage", "LCU-Hrs", 0.008,
                         "${usd} per LCU-hour (or partial hour)", operation=f"LoadBalancing:{prefix}".rstrip(":"))]
    if service == "nat":
        hours = rest == "hour"
        return [_product("AmazonEC2", "NAT Gateway", region, "NatGateway-Hours" if hours else "NatGateway-Bytes",
                         "Hrs" if hours else "GB", usd,
                         "${usd} per NAT Gateway " + ("Hour" if hours else "GB processed"), group="NGW:NatGateway"),
                _product("AmazonEC2", "NAT Gateway", region,
                         "RegionalNatGateway-Hours" if hours else "RegionalNatGateway-Bytes",
                         "Hrs" if hours else "GB", round(usd * 1.5, 6), "${usd} per regional NAT Gateway unit",
                         group="NGW:RegionalNatGateway")]
    if price_key == "logs:ingestion":
        return [_product("AmazonCloudWatch", "Data Payload", region, "DataProcessing-Bytes", "GB", usd,
                         "${usd} per GB custom log data ingested", operation="PutLogEvents"),
                _product("AmazonCloudWatch", "Data Payload", region, "DataProcessingIA-Bytes", "GB", usd / 2,
                         "${usd} per GB infrequent access log data ingested", operation="PutLogEvents"),
                _product("AmazonCloudWatch", "Data Payload", region, "VendedLog-Bytes", "GB", usd,
                         "${usd} per GB vended log data ingested", operation="PutLogEvents",
                         tiers=[("0", "10240", usd), ("10240", "30720", usd / 2), ("30720", "Inf", usd / 5)])]
    if price_key == "logs:storage":
        return [_product("AmazonCloudWatch", "Storage Snapshot", region, "TimedStorage-ByteHrs", "GB-Mo", usd,
                         "${usd} per GB-mo of log storage", storageMedia="Amazon S3")]
    raise ValueError(f"price_list.csv: no product shape for {price_key!r}")


@lru_cache(maxsize=1)
def catalog() -> tuple[dict, ...]:
    products = []
    with DATA.open() as handle:
        for row in csv.DictReader(handle):
            products.extend(products_for(row["region"], row["price_key"], float(row["usd"])))
    return tuple(products)


def _value(product: dict, field: str) -> Any:
    if field in ("productFamily", "sku"):
        return product["product"].get(field)
    return product["product"]["attributes"].get(field)


def get_products(request: dict) -> tuple[int, dict]:
    """(HTTP status, body) of pricing:GetProducts."""
    service = request.get("ServiceCode")
    if not service:
        return 400, {"__type": "InvalidParameterException", "Message": "ServiceCode is required"}
    max_results = request.get("MaxResults", 100)
    if not isinstance(max_results, int) or not 1 <= max_results <= 100:
        return 400, {"__type": "InvalidParameterException",
                     "Message": "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
                                "Member must have value less than or equal to 100"}
    filters = request.get("Filters") or []
    for item in filters:
        if item.get("Type") != "TERM_MATCH" or not item.get("Field"):
            return 400, {"__type": "InvalidParameterException",
                         "Message": f"Input for filter is not valid: {json.dumps(item)}"}
    found = [p for p in catalog() if p["serviceCode"] == service
             and all(_value(p, f["Field"]) == f.get("Value") for f in filters)]
    start = 0
    if request.get("NextToken"):
        try:
            start = int(base64.urlsafe_b64decode(request["NextToken"].encode()).decode())
        except ValueError:
            return 400, {"__type": "InvalidNextTokenException", "Message": "The next token is not valid"}
    page = found[start:start + max_results]
    body: dict[str, Any] = {"FormatVersion": request.get("FormatVersion") or "aws_v1",
                            "PriceList": [json.dumps(p) for p in page]}
    if start + max_results < len(found):
        body["NextToken"] = base64.urlsafe_b64encode(str(start + max_results).encode()).decode()
    return 200, body
