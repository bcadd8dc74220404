"""The Kubernetes run manifest: one ledger per cluster of every dump the pipeline has handled.

<lake>/manifests/k8s/cluster=<name>/dumps.parquet holds one row per drop-box key: its ETag, when the dump
was taken, the outcome of the latest attempt (`ok`, `quarantined`, or `failed`: could not be read this
time, tried again next run), rows per table and the error. A key whose ETag is in the ledger as `ok` or
`quarantined` is never processed again; anything else in the drop box is, so no dump is skipped.
Freshness reads the last `ok` dump per cluster from here.
"""
from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from cloud_inventory.lake import Lake

STATUSES = ("ok", "quarantined", "failed")
FINAL = ("ok", "quarantined")

LEDGER_SCHEMA = pa.schema([
    ("cluster", pa.string()),
    ("account_id", pa.string()),
    ("region", pa.string()),
    ("key", pa.string()),
    ("etag", pa.string()),
    ("size", pa.int64()),
    ("dump_at", pa.timestamp("us", tz="UTC")),
    ("snapshot_date", pa.date32()),
    ("status", pa.string()),
    ("rows", pa.int64()),
    ("table_rows", pa.map_(pa.string(), pa.int64())),
    ("error_class", pa.string()),
    ("error_message", pa.string()),
    ("quarantine_uri", pa.string()),
    ("run_id", pa.string()),
    ("attempts", pa.int64()),
    ("started_at", pa.timestamp("us", tz="UTC")),
    ("finished_at", pa.timestamp("us", tz="UTC")),
    ("seconds", pa.float64()),
])


EMPTY_ENTRY: dict = {name: None for name in LEDGER_SCHEMA.names}


def read_ledger(lake: Lake, cluster: str) -> list[dict]:
    path = lake.k8s_ledger(cluster)
    if not lake.exists(path):
        return []
    rows = pq.read_table(path, filesystem=lake.fs, schema=LEDGER_SCHEMA).to_pylist()
    for row in rows:
        row["table_rows"] = dict(row["table_rows"] or [])
    return rows


def merge(entries: list[dict], updates: list[dict]) -> list[dict]:
    """The ledger with `updates` replacing earlier rows of the same key, in key order."""
    by_key = {entry["key"]: entry for entry in entries}
    for update in updates:
        previous = by_key.get(update["key"])
        attempts = (previous or {}).get("attempts") or 0
        by_key[update["key"]] = {**update, "attempts": attempts + 1}
    return [by_key[key] for key in sorted(by_key)]


def write_ledger(lake: Lake, cluster: str, entries: list[dict]) -> None:
    rows = [{**entry, "table_rows": list((entry.get("table_rows") or {}).items())} for entry in entries]
    lake.write_table(lake.k8s_ledger(cluster), pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA))


def handled(entries: list[dict]) -> dict[str, str]:
    """key -> ETag of every dump that needs no more work."""
    return {entry["key"]: entry["etag"] for entry in entries if entry["status"] in FINAL}


def listing_start(entries: list[dict], cluster_prefix: str) -> str | None:
    """Where listing the cluster's dumps may start (S3 StartAfter); None: from the beginning.

    From the day before the oldest dump still failing, or else before the newest dump handled: a dump
    uploaded late into a recent day is still found, and the listing stays a couple of days long
    however much history the drop box keeps. Keys sort by time, so nothing unhandled lies before it.
    """
    failing = [entry for entry in entries if entry["status"] not in FINAL]
    if any(entry["dump_at"] is None for entry in failing):
        return None
    candidates = failing or [entry for entry in entries if entry["dump_at"] is not None]
    if not candidates:
        return None
    anchor = (min if failing else max)(entry["dump_at"] for entry in candidates)
    return f"{cluster_prefix}dt={(anchor.date() - timedelta(days=1)).isoformat()}"
