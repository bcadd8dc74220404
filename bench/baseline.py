"""The cron-script baseline: one account, region and resource type at a time, on one thread.

What a straightforward script does: assume the role once per account, make boto3 clients with default
settings, page through each registry entry's list operation at the API's default page size (no
MaxResults), make the same detail, tag and child calls the registry asks for, keep every item of the
whole estate in memory, and write one Parquet file per resource type at the end. The job may name the
resource types to list (``"types"``, registry names); every type otherwise. It reuses the
registry (what to call) and ``to_row`` (what a row is), so it does the same work as the extractor.

Run as ``python bench/baseline.py <job.json> <result.json>`` in a fresh process, so its peak RSS is its own.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

from cloud_inventory.aws.extractor import GLOBAL, Extraction
from cloud_inventory.aws.instance_types import IN_USE
from cloud_inventory.aws.registry import ResourceType, selected
from cloud_inventory.aws.transform import AWS_SCHEMA, pick, to_row

GLOBAL_REGION = "us-east-1"


class Context:
    """What custom fetchers (CloudWatch) need: clients, collected ids, the snapshot time."""

    def __init__(self, session: boto3.Session, region: str):
        self.session, self.region = session, region
        self.clients: dict[str, Any] = {}
        self.collected: dict[str, list] = defaultdict(list)
        self.snapshot_at = datetime.now(timezone.utc)

    def client(self, service: str):
        if service not in self.clients:
            self.clients[service] = self.session.client(service, region_name=self.region)
        return self.clients[service]


def list_items(ctx: Context, entry: ResourceType, account_id: str) -> list[tuple[str | None, Any]]:
    """Every item of one type in one (account, region), details and tags added: (parent id, item)."""
    if entry.fetch:
        return [(None, item) for page in entry.fetch(ctx) for item in page]
    client = ctx.client(entry.service)
    params = entry.params({"account_id": account_id, "region": ctx.region}) if entry.params else {}
    parents = ctx.collected.get(entry.parent[0], []) if entry.parent else [None]
    out = []
    for parent in parents:
        request = {**params, entry.parent[1]: parent} if entry.parent else params
        if client.can_paginate(entry.operation):
            pages = client.get_paginator(entry.operation).paginate(**request)
        else:
            pages = [getattr(client, entry.operation)(**request)]
        for page in pages:
            items = pick(page, entry.items) or []
            # The same detail and tag calls as the extractor, one item after another.
            for detail in entry.details:
                items = [Extraction.detail(client, detail, item, parent) for item in items]
            if entry.tag_lookup and items:
                Extraction.lookup_tags(client, entry.tag_lookup, items)
            for item in items:
                out.append((parent, item))
                if entry.collect:
                    ctx.collected[entry.name].append(pick(item, entry.collect))
                if entry.sized_as:  # the families the instance type catalog lists, as the extractor collects them
                    ctx.collected[IN_USE].append(pick(item, entry.sized_as))
    return out


def run(job: dict) -> dict:
    snapshot_date = date.fromisoformat(job["date"])
    started, cpu = time.monotonic(), _cpu()
    everything: dict[str, list[dict]] = defaultdict(list)  # the whole estate, in memory
    counts: Counter = Counter()
    failures = []
    entries = selected(job.get("types"))  # every type unless the job names some
    for account in job["accounts"]:
        sts = boto3.client("sts", region_name=GLOBAL_REGION)
        creds = sts.assume_role(RoleArn=account["role_arn"], RoleSessionName="inventory-cron",
                                ExternalId=account["external_id"])["Credentials"]
        for region in [*job["regions"], GLOBAL]:
            api_region = GLOBAL_REGION if region == GLOBAL else region
            session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                                    aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name=api_region)
            ctx = Context(session, api_region)
            for entry in entries:
                if (entry.scope == "global") != (region == GLOBAL):
                    continue
                snapshot_at = datetime.now(timezone.utc)
                try:
                    items = list_items(ctx, entry, account["id"])
                except Exception as error:  # noqa: BLE001 - a cron script logs and goes on
                    failures.append(f"{account['id']} {region} {entry.name}: {type(error).__name__}: {error}")
                    continue
                for parent, item in items:
                    everything[entry.name].append(to_row(entry, item, account_id=account["id"], region=region,
                                                         snapshot_date=snapshot_date, snapshot_at=snapshot_at,
                                                         run_id=job["run_id"], parent_id=parent))
                counts[f"{account['id']}|{region}|{entry.name}"] += len(items)
    for name, rows in everything.items():
        path = os.path.join(job["lake"], "raw", "aws", name, f"dt={snapshot_date}", "all.parquet")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=AWS_SCHEMA), path, compression="zstd")
    return {"wall_s": time.monotonic() - started, "cpu_s": _cpu() - cpu, "counts": dict(counts), "failures": failures,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        result = run(json.load(handle))
    with open(sys.argv[2], "w") as handle:
        json.dump(result, handle)
