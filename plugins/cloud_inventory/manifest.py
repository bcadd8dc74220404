"""The run manifest: per (date, account, region, resource type), whether we looked and what we found.

Written for every outcome so later stages can tell "none exist" (ok, 0 rows) from "could not look"
(denied, failed): the marts never read a resource missing because its source failed as deleted.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone

import pyarrow as pa

from cloud_inventory.lake import Lake

STATUSES = ("ok", "denied", "failed")

MANIFEST_SCHEMA = pa.schema([
    ("snapshot_date", pa.date32()),
    ("run_id", pa.string()),
    ("account_id", pa.string()),
    ("account_name", pa.string()),
    ("region", pa.string()),
    ("resource_type", pa.string()),
    ("status", pa.string()),
    ("rows", pa.int64()),
    ("api_calls", pa.int64()),
    ("seconds", pa.float64()),
    ("error_class", pa.string()),
    ("error_message", pa.string()),
    ("started_at", pa.timestamp("us", tz="UTC")),
    ("finished_at", pa.timestamp("us", tz="UTC")),
    ("path", pa.string()),
])


@dataclass
class Outcome:
    """One resource type's extraction in one (account, region)."""

    resource_type: str
    status: str = "ok"
    rows: int = 0
    api_calls: int = 0
    seconds: float = 0.0
    error_class: str | None = None
    error_message: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    finished_at: datetime | None = None
    path: str | None = None

    def finish(self, status: str = "ok", error_class: str | None = None, error_message: str | None = None) -> None:
        assert status in STATUSES, status
        self.status, self.error_class, self.error_message = status, error_class, error_message
        self.finished_at = datetime.now(timezone.utc)
        self.seconds = round((self.finished_at - self.started_at).total_seconds(), 3)


def write_manifest(lake: Lake, *, snapshot_date: date, run_id: str, account_id: str, account_name: str,
                   region: str, outcomes: list[Outcome]) -> str:
    path = lake.aws_manifest(snapshot_date, account_id, region)
    records = [{**asdict(outcome), "snapshot_date": snapshot_date, "run_id": run_id, "account_id": account_id,
                "account_name": account_name, "region": region} for outcome in outcomes]
    lake.write_table(path, pa.Table.from_pylist(records, schema=MANIFEST_SCHEMA))
    return path


def read_manifests(lake: Lake, snapshot_date: date) -> pa.Table:
    """Every manifest written for a date (all accounts and regions), empty if none."""
    table = lake.read_dataset("manifests", "aws", f"dt={snapshot_date.isoformat()}", schema=MANIFEST_SCHEMA)
    return table if table is not None else MANIFEST_SCHEMA.empty_table()


def read_account_manifests(lake: Lake, snapshot_date: date, account_id: str) -> pa.Table:
    """The manifests written for one account and date (every region), empty if none."""
    table = lake.read_dataset("manifests", "aws", f"dt={snapshot_date.isoformat()}", f"account_id={account_id}",
                              schema=MANIFEST_SCHEMA)
    return table if table is not None else MANIFEST_SCHEMA.empty_table()
