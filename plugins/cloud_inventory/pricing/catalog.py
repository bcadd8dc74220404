"""Which Price List product prices a price key: service code, TERM_MATCH filters and the usage type.

A price key (the marts' cost lines, e.g. `ec2:m5.large:linux`, `ebs:gp3:iops`, `nat:hour`) in a region maps to one
`PriceQuery`, or to `Unpriceable` with the reason (spot instances, Dedicated Hosts, Aurora members, ...).
Usage types carry a region prefix outside us-east-1 (`APS2-EBS:SnapshotUsage`), so the product is picked by the
usage type's suffix after the filters narrowed the answer (`usagetype_matches`).
Units: the API's unit and the factor from its price to the price key's unit (gp3 throughput is listed per
GiBps-month; the marts count MiB/s, so 1/1024).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# The calls aws_prices makes with the read-only role (of the accounts file's first account), for iam.py.
API_OPERATIONS = (("pricing", "get_products"),)
API_UNITS = {"Hrs": "hour", "GB-Mo": "GB-month", "IOPS-Mo": "IOPS-month", "GiBps-mo": "MBps-month", "GB": "GB"}
UNIT_FACTORS = {"GiBps-mo": 1 / 1024}

# price_variant (int_waste__instance_findings) -> Price List (operatingSystem, preInstalledSw)
EC2_OPERATING_SYSTEMS = {
    "linux": ("Linux", "NA"),
    "windows": ("Windows", "NA"),
    "red-hat-enterprise-linux": ("RHEL", "NA"),
    "red-hat-enterprise-linux-with-ha": ("Red Hat Enterprise Linux with HA", "NA"),
    "suse-linux": ("SUSE", "NA"),
    "ubuntu-pro": ("Ubuntu Pro", "NA"),
    **{f"windows-with-sql-server-{edition}": ("Windows", f"SQL {short}")
       for edition, short in (("standard", "Std"), ("enterprise", "Ent"), ("web", "Web"), ("express", "Express"))},
    **{f"linux-with-sql-server-{edition}": ("Linux", f"SQL {short}")
       for edition, short in (("standard", "Std"), ("enterprise", "Ent"), ("web", "Web"), ("express", "Express"))},
}
EC2_TENANCIES = {"": "Shared", "dedicated": "Dedicated"}
# RDS engine (DescribeDBInstances) -> Price List (databaseEngine, databaseEdition or None)
RDS_ENGINES = {
    "mysql": ("MySQL", None), "postgres": ("PostgreSQL", None), "mariadb": ("MariaDB", None),
    "sqlserver-se": ("SQL Server", "Standard"), "sqlserver-ee": ("SQL Server", "Enterprise"),
    "sqlserver-web": ("SQL Server", "Web"), "sqlserver-ex": ("SQL Server", "Express"),
}
RDS_DEPLOYMENTS = {"single-az": "Single-AZ", "multi-az": "Multi-AZ"}
ELB_FAMILIES = {"application": "Load Balancer-Application", "network": "Load Balancer-Network",
                "gateway": "Load Balancer-Gateway", "classic": "Load Balancer"}
EBS_IOPS_USAGE = {"gp3": "EBS:VolumeP-IOPS.gp3", "io1": "EBS:VolumeP-IOPS.piops", "io2": "EBS:VolumeP-IOPS.io2"}
EBS_VOLUME_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard")
# Instance sizes from small to large: the sizes below a type in its family are asked too, so a rightsizing
# proposal (the next smaller size the region offers) has its price.
SIZES = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge",
         "8xlarge", "9xlarge", "10xlarge", "12xlarge", "16xlarge", "18xlarge", "24xlarge", "32xlarge", "48xlarge")

_INSTANCE_TYPE = re.compile(r"^(db\.)?[a-z][a-z0-9-]*\.[a-z0-9]+$")


@dataclass(frozen=True)
class PriceQuery:
    price_key: str
    region: str
    service_code: str
    filters: tuple[tuple[str, str], ...]  # (field, value), each a TERM_MATCH
    usagetype: str | None  # the product's usage type without its region prefix; None: the filters suffice
    api_unit: str

    @property
    def unit(self) -> str:
        return API_UNITS[self.api_unit]

    @property
    def factor(self) -> float:
        return UNIT_FACTORS.get(self.api_unit, 1.0)

    def api_filters(self) -> list[dict]:
        return [{"Type": "TERM_MATCH", "Field": field, "Value": value}
                for field, value in (("regionCode", self.region), *self.filters)]


@dataclass(frozen=True)
class Unpriceable:
    price_key: str
    region: str
    reason: str


def usagetype_matches(usagetype: str, wanted: str | None) -> bool:
    """`EBS:SnapshotUsage` matches itself and `APS2-EBS:SnapshotUsage`, not `EBS:SnapshotUsage.outposts` nor
    `EUW2-RegionalNatGateway-Hours` for `NatGateway-Hours`."""
    return wanted is None or usagetype == wanted or usagetype.endswith("-" + wanted)


def _instance_query(price_key: str, region: str) -> PriceQuery | Unpriceable:
    _, instance_type, *variant = price_key.split(":")
    os_part, extra = (variant[0] if variant else ""), variant[1:]
    if "spot" in extra:
        return Unpriceable(price_key, region, "spot instances have no list price (the spot price moves hourly)")
    if "scheduled" in extra:
        return Unpriceable(price_key, region, "scheduled instances are billed by their reservation")
    if "host" in extra:
        return Unpriceable(price_key, region, "instances on Dedicated Hosts are billed per host, not per instance")
    tenancy = EC2_TENANCIES.get(extra[0] if extra else "")
    if os_part not in EC2_OPERATING_SYSTEMS or tenancy is None or len(extra) > 1:
        return Unpriceable(price_key, region, f"operating system or tenancy '{':'.join(variant)}' is not one the "
                                              "price list query knows")
    if not _INSTANCE_TYPE.match(instance_type):
        return Unpriceable(price_key, region, f"instance type '{instance_type}' unknown")
    operating_system, software = EC2_OPERATING_SYSTEMS[os_part]
    return PriceQuery(price_key, region, "AmazonEC2",
                      (("instanceType", instance_type), ("operatingSystem", operating_system),
                       ("preInstalledSw", software), ("tenancy", tenancy), ("capacitystatus", "Used"),
                       ("licenseModel", "No License required")),
                      f"{'Dedicated' if tenancy == 'Dedicated' else 'Box'}Usage:{instance_type}", "Hrs")


def _rds_query(price_key: str, region: str) -> PriceQuery | Unpriceable:
    parts = price_key.split(":")
    if len(parts) != 4:
        return Unpriceable(price_key, region, "not an rds:<class>:<engine>:<deployment> key")
    _, db_class, engine, deployment = parts
    if deployment == "cluster-member":
        return Unpriceable(price_key, region, "Aurora cluster members are priced per engine and I/O, not per key")
    if engine.startswith("oracle"):
        return Unpriceable(price_key, region, "Oracle's price depends on its license model, which the key lacks")
    if engine not in RDS_ENGINES or deployment not in RDS_DEPLOYMENTS or not _INSTANCE_TYPE.match(db_class):
        return Unpriceable(price_key, region, f"engine '{engine}' or deployment '{deployment}' not in the price "
                                              "list query's table")
    database_engine, edition = RDS_ENGINES[engine]
    filters = [("instanceType", db_class), ("databaseEngine", database_engine),
               ("deploymentOption", RDS_DEPLOYMENTS[deployment])]
    if edition:
        filters += [("databaseEdition", edition), ("licenseModel", "License included")]
    return PriceQuery(price_key, region, "AmazonRDS", tuple(filters), None, "Hrs")


def query_for(price_key: str, region: str) -> PriceQuery | Unpriceable:
    """The get_products query that prices `price_key` in `region`, or why none can."""
    service, _, rest = price_key.partition(":")
    if service == "ec2":
        return _instance_query(price_key, region)
    if service == "rds":
        return _rds_query(price_key, region)
    if service == "ebs":
        kind, _, part = rest.partition(":")
        if kind == "snapshot" and part in ("standard", "archive"):
            usage = "EBS:SnapshotUsage" if part == "standard" else "EBS:SnapshotArchiveStorage"
            return PriceQuery(price_key, region, "AmazonEC2", (("productFamily", "Storage Snapshot"),), usage, "GB-Mo")
        if kind in EBS_VOLUME_TYPES and part == "storage":
            usage = "EBS:VolumeUsage" + {"standard": "", "io1": ".piops"}.get(kind, "." + kind)
            return PriceQuery(price_key, region, "AmazonEC2", (("productFamily", "Storage"), ("volumeApiName", kind)),
                              usage, "GB-Mo")
        if part == "iops" and kind in EBS_IOPS_USAGE:
            return PriceQuery(price_key, region, "AmazonEC2",
                              (("productFamily", "System Operation"), ("volumeApiName", kind)),
                              EBS_IOPS_USAGE[kind], "IOPS-Mo")
        if part == "throughput" and kind == "gp3":
            return PriceQuery(price_key, region, "AmazonEC2",
                              (("productFamily", "Provisioned Throughput"), ("volumeApiName", "gp3")),
                              "EBS:VolumeP-Throughput.gp3", "GiBps-mo")
        return Unpriceable(price_key, region, f"EBS volume type or part '{rest}' has no price list product")
    if price_key == "vpc:public-ipv4":
        return PriceQuery(price_key, region, "AmazonVPC", (("group", "VPCPublicIPv4Address"),),
                          "PublicIPv4:IdleAddress", "Hrs")
    if service == "elb" and rest in ELB_FAMILIES:
        return PriceQuery(price_key, region, "AWSELB", (("productFamily", ELB_FAMILIES[rest]),),
                          "LoadBalancerUsage", "Hrs")
    if price_key in ("nat:hour", "nat:data-processed"):
        hours = price_key == "nat:hour"
        return PriceQuery(price_key, region, "AmazonEC2", (("productFamily", "NAT Gateway"),),
                          "NatGateway-Hours" if hours else "NatGateway-Bytes", "Hrs" if hours else "GB")
    if price_key == "logs:ingestion":
        return PriceQuery(price_key, region, "AmazonCloudWatch", (("productFamily", "Data Payload"),),
                          "DataProcessing-Bytes", "GB")
    if price_key == "logs:storage":
        return PriceQuery(price_key, region, "AmazonCloudWatch", (("productFamily", "Storage Snapshot"),),
                          "TimedStorage-ByteHrs", "GB-Mo")
    return Unpriceable(price_key, region, f"price key '{price_key}' has no price list query")


def smaller_sizes(instance_type: str) -> list[str]:
    """The same family's sizes below `instance_type`, largest first (`m5.xlarge` -> m5.large, m5.medium, ...)."""
    family, _, size = instance_type.rpartition(".")
    if size not in SIZES:
        return []
    return [f"{family}.{smaller}" for smaller in reversed(SIZES[:SIZES.index(size)])]
