"""The price keys the inventory calls for: read from the lake's last week of snapshots of each dataset.

Exactly what the inventory holds, per region: every EC2 (instance type, operating system, tenancy) and, for
rightsizing, the smaller sizes of the same family; every RDS (class, engine, deployment) and its family's smaller
classes; the EBS volume types present (storage, and IOPS / throughput where the type bills them); snapshots
(standard and archive) where snapshots are; public IPv4 where Elastic IPs are; each load balancer kind present;
NAT gateway hours and processed GB where NAT gateways are; CloudWatch Logs ingestion and storage where log
groups are. EC2 and RDS keys are not computed here: the models that key them for the marts
(include/sql/intermediate/int_pricing__ec2_instances, int_pricing__rds_instances) run over the recent snapshots, so
the keys asked are exactly the keys the marts look up.
"""
from __future__ import annotations

from dataclasses import dataclass
from cloud_inventory.lake import Lake
from cloud_inventory.pricing.catalog import EBS_IOPS_USAGE, smaller_sizes
from cloud_inventory.warehouse import sources as lake_sources
from cloud_inventory.warehouse.runner import SQL_DIR

# A week of snapshots, not only the latest: an account that failed today still has its prices asked.
RECENT_DAYS = 7
# resource type -> the models that key its prices: (its staging model, the model adding price_key), run over its
# recent snapshots; `source` is then that model's rows
_KEYED_BY = {
    "ec2_instance": ("staging.stg_aws__ec2_instances", "intermediate.int_pricing__ec2_instances"),
    "rds_instance": ("staging.stg_aws__rds_instances", "intermediate.int_pricing__rds_instances"),
}
# resource type -> SQL over `source` (its recent snapshots) giving (region, price_key, family_of) rows;
# family_of: the key's instance type / class when smaller sizes are wanted too
_NEEDS = {
    "ec2_instance": "select region, price_key, instance_type as family_of from source "
                    "where state not in ('terminated', 'shutting-down')",
    "rds_instance": "select region, price_key, instance_class as family_of from source",
    "ebs_volume": "select region, 'ebs:' || coalesce(raw ->> '$.VolumeType', 'unknown') || ':storage' as price_key, "
                  "raw ->> '$.VolumeType' as family_of from source",
    "ebs_snapshot": "select region, unnest(['ebs:snapshot:standard', 'ebs:snapshot:archive']) as price_key, "
                    "null as family_of from source",
    "elastic_ip": "select region, 'vpc:public-ipv4' as price_key, null as family_of from source",
    "elbv2_load_balancer": "select region, 'elb:' || lower(coalesce(raw ->> '$.Type', 'unknown')) as price_key, "
                           "null as family_of from source",
    "classic_load_balancer": "select region, 'elb:classic' as price_key, null as family_of from source",
    "nat_gateway": "select region, unnest(['nat:hour', 'nat:data-processed']) as price_key, null as family_of "
                   "from source",
    "log_group": "select region, unnest(['logs:ingestion', 'logs:storage']) as price_key, null as family_of "
                 "from source",
}


@dataclass(frozen=True)
class Need:
    price_key: str
    region: str
    smaller: tuple[str, ...] = ()  # price keys of the smaller sizes, largest first (ask until one is priced)


def recent_files(lake: Lake, source: lake_sources.LakeSource, days: int = RECENT_DAYS) -> list[lake_sources.LakeFile]:
    """The dataset's files of the `days` days up to its latest snapshot date."""
    survey = lake_sources.survey(lake, source)
    dates = sorted(day for day in survey.entries if day is not None)
    recent = [day for day in dates if dates and (dates[-1] - day).days < days]
    return [f for day in recent for f in lake_sources.list_files(lake, source, survey.entries[day], day)]


def _model_sql(relation: str) -> str:
    layer, name = relation.split(".")
    return (SQL_DIR / layer / f"{name}.sql").read_text().strip().rstrip(";")


def _source_sql(con, resource_type: str, source: lake_sources.LakeSource) -> str:
    """The rows `source` stands for: the lake dataset's, or those of the model that keys its prices (built over the
    dataset as a warehouse build builds it, its staging model first)."""
    if resource_type not in _KEYED_BY:
        return f"select * from {source.name}"
    staging, keyed = _KEYED_BY[resource_type]
    con.execute("create schema if not exists staging")
    con.execute(f"create or replace table {staging} as {_model_sql(staging)}")
    return _model_sql(keyed)


def _with_smaller(price_key: str, family_of: str | None) -> tuple[str, ...]:
    if not family_of or not price_key.startswith(("ec2:", "rds:")):
        return ()
    service, instance_type, *rest = price_key.split(":")
    return tuple(":".join([service, smaller, *rest]) for smaller in smaller_sizes(instance_type))


def needs_from_lake(lake: Lake) -> list[Need]:
    """Every (price key, region) the lake's recent snapshots call for, sorted."""
    import duckdb

    found: dict[tuple[str, str], Need] = {}
    sources = lake_sources.lake_sources()
    con = duckdb.connect()
    try:
        for resource_type, sql in _NEEDS.items():
            source = sources[f"lake_aws_{resource_type}"]
            files = recent_files(lake, source)
            if not files:
                continue
            lake_sources.bind(con, lake, source, files)  # as a build reads the dataset
            for region, price_key, family_of in con.execute(
                    f"with source as ({_source_sql(con, resource_type, source)}) "
                    f"select distinct * from ({sql})").fetchall():
                if not price_key or not region:
                    continue
                keys = [price_key]
                if resource_type == "ebs_volume" and family_of in EBS_IOPS_USAGE:
                    keys.append(f"ebs:{family_of}:iops")
                if resource_type == "ebs_volume" and family_of == "gp3":
                    keys.append("ebs:gp3:throughput")
                for key in keys:
                    found.setdefault((key, region), Need(key, region, _with_smaller(key, family_of)
                                                         if key == price_key else ()))
    finally:
        con.close()
    return sorted(found.values(), key=lambda need: (need.region, need.price_key))
