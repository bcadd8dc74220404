"""Turning one API item into one lake row: identity, the fields analysts filter on, and `raw`.

Every row is redacted here, before anything can write it: the entry's declared secret fields first
(redaction.REDACTED), then the scrubber over every string column (redaction.scrub_row).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa

from cloud_inventory.aws.registry import ResourceType
from cloud_inventory.redaction import redact_aws, scrub_row
from cloud_inventory.values import pick, to_json, to_timestamp  # noqa: F401 - re-exported for callers

AWS_SCHEMA = pa.schema([
    ("account_id", pa.string()),
    ("region", pa.string()),
    ("resource_type", pa.string()),
    ("resource_id", pa.string()),
    ("arn", pa.string()),
    ("name", pa.string()),
    ("tags", pa.map_(pa.string(), pa.string())),
    ("state", pa.string()),
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("parent_id", pa.string()),
    ("snapshot_date", pa.date32()),
    ("snapshot_at", pa.timestamp("us", tz="UTC")),
    ("run_id", pa.string()),
    ("raw", pa.string()),
])

def normalise_tags(tags: Any) -> dict[str, str]:
    """Tags as a mapping, from either [{Key, Value}] (any case) or a mapping."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return {str(key): "" if value is None else str(value) for key, value in tags.items()}
    result = {}
    for tag in tags:
        key = tag.get("Key", tag.get("key"))
        if key is not None:
            value = tag.get("Value", tag.get("value"))
            result[str(key)] = "" if value is None else str(value)
    return result


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def to_row(entry: ResourceType, item: Any, *, account_id: str, region: str, snapshot_date: date,
           snapshot_at: datetime, run_id: str, parent_id: str | None = None) -> dict:
    item = redact_aws(entry.name, item)
    resource_id = pick(item, entry.id)
    if resource_id is None or resource_id == "":
        raise ValueError(f"{entry.name}: item has no id at {entry.id!r}")
    resource_id = str(resource_id)
    tags = normalise_tags(pick(item, entry.tags))
    row_region = pick(item, entry.row_region) if entry.row_region else region
    arn = entry.arn
    if isinstance(arn, str) and "{" in arn:
        arn = arn.format(partition=partition_of(row_region if row_region != "global" else "us-east-1"),
                         region=row_region, account=account_id, id=resource_id)
    else:
        arn = pick(item, arn)
    name = tags.get("Name") or (pick(item, entry.name_field) if entry.name_field else None)
    state = pick(item, entry.state)
    return scrub_row({
        "account_id": account_id,
        "region": row_region,
        "resource_type": entry.name,
        "resource_id": resource_id,
        "arn": arn,
        "name": None if name is None else str(name),
        "tags": tags,
        "state": None if state is None else str(state),
        "created_at": to_timestamp(pick(item, entry.created)),
        "parent_id": parent_id,
        "snapshot_date": snapshot_date,
        "snapshot_at": snapshot_at,
        "run_id": run_id,
        "raw": to_json(item),
    })
