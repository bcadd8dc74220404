"""A resource's whole configuration: its row's `raw` JSON in the lake (the warehouse keeps none, and the explorer's
DuckDB cannot read files).

The file is named only by the warehouse row of a resource already found there (its type, account, source region
and snapshot date; a Kubernetes object's cluster and the cluster's latest ok dump), never by what a user typed,
and only its `resource_id` and `raw` columns are read, with a filter on the id (row groups whose statistics
exclude it are skipped). `raw` was redacted before it was written (redaction.py); it is redacted and scrubbed
again here, so a lake written before redaction existed shows no secret either.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from cloud_inventory.lake import Lake

MAX_RAW_CHARS = 8 * 2**20  # a larger configuration is not shown (a page of it would not be read anyway)


class ConfigurationMissing(LookupError):
    """The lake has no row for the resource where the warehouse says it is (the lake was pruned or moved)."""


def lake_table(resource_type: str) -> tuple[str, str | None]:
    """The lake table of a Kubernetes resource type (k8s_pod -> pod), and the kind to filter on in the
    catch-all table `other` (None for a kind with a table of its own)."""
    from cloud_inventory.k8s.kinds import KINDS

    kind = resource_type.removeprefix("k8s_")
    tables = {entry.kind.lower(): entry.table for entry in KINDS if entry.kind}
    return (tables[kind], None) if kind in tables else ("other", kind)


def lake_path(lake: Lake, resource: dict, dump_at: datetime | None = None) -> str:
    """The lake file holding the resource's row as of its config_snapshot_date (queries.resource.find's row)."""
    day: date = resource["config_snapshot_date"]
    if resource["provider"] == "kubernetes":
        if dump_at is None:
            raise ConfigurationMissing(f"cluster {resource['cluster']} has no ok dump in the warehouse")
        table, _ = lake_table(resource["resource_type"])
        return lake.k8s_dump_file(table, day, resource["cluster"], dump_at.strftime("%Y%m%dT%H%M%SZ"))
    return lake.aws_partition(resource["resource_type"], day, resource["account_id"], resource["source_region"])


def read(lake: Lake, resource: dict, dump_at: datetime | None = None) -> Any:
    """The resource's configuration (the parsed, redacted `raw`); ConfigurationMissing when the lake lacks it."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from cloud_inventory.redaction import redact_aws, redact_k8s, scrub_json

    path = lake_path(lake, resource, dump_at)
    row_id = resource["resource_id"]
    kind = None
    if resource["provider"] == "kubernetes":
        row_id = row_id.removeprefix(f"{resource['cluster']}/")  # the lake's ids are namespace/name
        _, kind = lake_table(resource["resource_type"])
    columns = ["resource_id", "raw"] + (["kind"] if kind else [])
    try:
        table = pq.read_table(path, columns=columns, filters=[("resource_id", "=", row_id)], filesystem=lake.fs)
    except FileNotFoundError:
        raise ConfigurationMissing(f"the lake has no snapshot of it dated {resource['config_snapshot_date']}") from None
    if kind:
        table = table.filter(pc.equal(pc.utf8_lower(table["kind"]), kind))
    if table.num_rows == 0:
        raise ConfigurationMissing(f"the lake's snapshot dated {resource['config_snapshot_date']} has no row for it")
    raw = table["raw"][0].as_py()
    if raw is None:
        return None
    if len(raw) > MAX_RAW_CHARS:
        raise ConfigurationMissing(f"its configuration is {len(raw):,} characters, more than the "
                                   f"{MAX_RAW_CHARS:,} the explorer shows")
    config = json.loads(scrub_json(raw))
    if resource["provider"] == "kubernetes":
        return redact_k8s(config, listed=kind is None) if isinstance(config, dict) else config
    return redact_aws(resource["resource_type"], config)
