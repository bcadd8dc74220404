"""k8s_inventory's work, without a scheduler: each cluster's new dumps from the drop box into the lake.

Per configured cluster: list the dumps its ledger has not handled (get), stream each through the parser
(transform) into one Parquet file per kind (write): <lake>/raw/k8s/<table>/dt=<day>/cluster=<name>/<stamp>.parquet.
A dump is all-or-nothing: its files move into place only once the whole dump has been read.
A dump that cannot be read is copied to the drop box's quarantine/ with the reason and ledgered as
`quarantined`; one that failed for another reason (S3, network) is ledgered `failed` and tried again.
Either way the cluster's other dumps go on, and nothing is deleted from the drop box.
"""
from __future__ import annotations

import time
from contextlib import ExitStack, closing
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from cloud_inventory.accounts import Cluster
from cloud_inventory.accounts import load as load_accounts
from cloud_inventory.aws.errors import classify, redact
from cloud_inventory.k8s import ledger
from cloud_inventory.k8s.dropbox import DropBox, DumpObject, DumpTime, KeyLayoutError, dropbox_for, dump_time
from cloud_inventory.k8s.kinds import SCHEMAS
from cloud_inventory.k8s.parser import DumpError, iter_batches
from cloud_inventory.lake import Lake, parquet_sink
from cloud_inventory.settings import DumpLimits, Settings


class DumpsFailed(RuntimeError):
    """Some dumps could not be read this time (not their content's fault); the task fails to be retried."""


def configured_clusters(settings: Settings) -> list[dict]:
    """The clusters of the accounts file, as task arguments (raises AccountsConfigError when invalid)."""
    return [asdict(cluster) for cluster in load_accounts(settings.accounts_file).clusters]


def write_dump(lake: Lake, stream: Any, cluster: Cluster, when: DumpTime, limits: DumpLimits = DumpLimits(),
               ) -> dict[str, int]:
    """Rows written per table; raises (leaving no file of this dump behind) unless the whole dump was read."""
    with ExitStack() as stack:
        sinks = {}
        for table, rows in iter_batches(stream, cluster=cluster.name, account_id=cluster.account_id,
                                        region=cluster.region, dump_at=when.at, snapshot_date=when.day,
                                        limits=limits):
            sink = sinks.get(table)
            if sink is None:
                path = lake.k8s_dump_file(table, when.day, cluster.name, when.stamp)
                sink = sinks[table] = stack.enter_context(parquet_sink(lake, path, SCHEMAS[table]))
            sink.write(rows)
    return {table: sink.rows for table, sink in sorted(sinks.items())}


def ingest_dump(dropbox: DropBox, lake: Lake, cluster: Cluster, dump: DumpObject, run_id: str,
                limits: DumpLimits = DumpLimits()) -> dict:
    """One dump into the lake, or into quarantine; its ledger row either way."""
    started = datetime.now(timezone.utc)
    entry = {**ledger.EMPTY_ENTRY, "cluster": cluster.name, "account_id": cluster.account_id,
             "region": cluster.region, "key": dump.key, "etag": dump.etag, "size": dump.size, "status": "ok",
             "rows": 0, "table_rows": {}, "run_id": run_id, "started_at": started}
    try:
        when = dump_time(dump.key, cluster.name)
        entry.update(dump_at=when.at, snapshot_date=when.day)
        with closing(dropbox.open(dump)) as stream:
            table_rows = write_dump(lake, stream, cluster, when, limits)
        entry.update(table_rows=table_rows, rows=sum(table_rows.values()))
    except (KeyLayoutError, DumpError) as bad:
        reason = bad.reason if isinstance(bad, DumpError) else str(bad)
        entry.update(status="quarantined", error_class=type(bad).__name__, error_message=redact(reason)[:2000])
        try:
            entry["quarantine_uri"] = dropbox.quarantine(dump, f"{dump.key}: {reason}")
        except Exception as error:  # noqa: BLE001 - the copy failed: try the whole dump again next run
            _, code, message = classify(error)
            entry.update(status="failed", error_class=code,
                         error_message=f"unreadable ({reason}); copying it to quarantine failed: {message}"[:2000])
    except Exception as error:  # noqa: BLE001 - S3, network, or a bug: this dump fails, the others go on
        _, code, message = classify(error)
        entry.update(status="failed", error_class=code, error_message=message)
    finished = datetime.now(timezone.utc)
    entry.update(finished_at=finished, seconds=round((finished - started).total_seconds(), 3))
    return entry


def ingest_cluster(cluster_fields: dict, settings: Settings, run_id: str, *, dropbox: DropBox | None = None) -> dict:
    """Every dump of the cluster not yet handled, oldest first; raises DumpsFailed after the others are done."""
    cluster = Cluster(**cluster_fields)
    dropbox = dropbox or dropbox_for(settings)
    lake = Lake(settings.lake_uri)
    started = time.monotonic()
    entries = ledger.read_ledger(lake, cluster.name)
    done = ledger.handled(entries)
    start_after = ledger.listing_start(entries, dropbox.cluster_prefix(cluster.name))
    pending = [dump for dump in dropbox.list_dumps(cluster.name, start_after) if done.get(dump.key) != dump.etag]
    attempts: list[dict] = []
    try:
        for dump in pending:
            attempts.append(ingest_dump(dropbox, lake, cluster, dump, run_id, settings.dump_limits))
    finally:
        if attempts:  # also after an interruption: what was done is recorded, the rest is found next run
            ledger.write_ledger(lake, cluster.name, ledger.merge(entries, attempts))
    summary = {**summarise(cluster.name, attempts), "listed_from": start_after,
               "seconds": round(time.monotonic() - started, 1)}
    if summary["failed"]:
        raise DumpsFailed(f"cluster {cluster.name}: {len(summary['failed'])} of {len(attempts)} dump(s) could not "
                          "be read and will be tried again: "
                          + "; ".join(f"{f['key']}: {f['error']}" for f in summary["failed"]))
    return summary


def summarise(cluster: str, attempts: list[dict]) -> dict:
    def brief(entry: dict) -> dict:
        return {"key": entry["key"], "error": f"{entry['error_class']}: {entry['error_message']}",
                "quarantine_uri": entry["quarantine_uri"]}

    ok = [entry for entry in attempts if entry["status"] == "ok"]
    return {
        "cluster": cluster,
        "processed": len(ok),
        "rows": sum(entry["rows"] for entry in ok),
        "latest_dump_at": max((entry["dump_at"] for entry in ok), default=None),
        "snapshot_dates": sorted({entry["snapshot_date"].isoformat() for entry in ok}),
        "quarantined": [brief(entry) for entry in attempts if entry["status"] == "quarantined"],
        "failed": [brief(entry) for entry in attempts if entry["status"] == "failed"],
    }


def run_summary(settings: Settings, run_id: str) -> dict:
    """What this run did per configured cluster, from the ledgers (no drop-box listing)."""
    lake = Lake(settings.lake_uri)
    per_cluster = [summarise(fields["name"], [entry for entry in ledger.read_ledger(lake, fields["name"])
                                              if entry["run_id"] == run_id])
                   for fields in configured_clusters(settings)]
    return {"run_id": run_id, "clusters": per_cluster,
            "processed": sum(c["processed"] for c in per_cluster),
            "quarantined": [{"cluster": c["cluster"], **q} for c in per_cluster for q in c["quarantined"]],
            "failed": [{"cluster": c["cluster"], **f} for c in per_cluster for f in c["failed"]]}


def lake_event(summary: dict) -> dict:
    """What the lake Asset's event says (its `extra`, shown on the Assets page; JSON values only), from run_summary:
    the dumps this run landed per cluster, their rows and snapshot dates, and how many were quarantined."""
    landed = [cluster for cluster in summary["clusters"] if cluster["processed"]]
    return {
        "run_id": summary["run_id"],
        "dumps": summary["processed"],
        "rows": sum(cluster["rows"] for cluster in landed),
        "snapshot_dates": sorted({day for cluster in landed for day in cluster["snapshot_dates"]}),
        "clusters": {cluster["cluster"]: {"dumps": cluster["processed"], "rows": cluster["rows"],
                                          "latest_dump_at": cluster["latest_dump_at"].isoformat()}
                     for cluster in landed},
        "quarantined": len(summary["quarantined"]),
    }


def report(settings: Settings, run_id: str, *, dropbox: DropBox | None = None) -> dict:
    """run_summary, plus the drop-box folders of clusters the accounts file does not list."""
    summary = run_summary(settings, run_id)
    dropbox = dropbox or dropbox_for(settings)
    configured = {cluster["cluster"] for cluster in summary["clusters"]}
    return {**summary, "unknown_clusters": sorted(dropbox.clusters_present() - configured)}


def format_cluster(cluster: dict) -> str:
    latest = cluster["latest_dump_at"].isoformat() if cluster["latest_dump_at"] else "-"
    lines = [f"  {cluster['cluster']:<24} {cluster['processed']:>4} dump(s) {cluster['rows']:>9} rows  latest {latest}"]
    lines += [f"    quarantined {q['key']} -> {q['quarantine_uri']}: {q['error']}" for q in cluster["quarantined"]]
    lines += [f"    FAILED {f['key']}: {f['error']}" for f in cluster["failed"]]
    return "\n".join(lines)


def format_report(summary: dict) -> str:
    lines = [f"k8s_inventory {summary['run_id']}: {summary['processed']} dump(s) ingested, "
             f"{len(summary['quarantined'])} quarantined, {len(summary['failed'])} failed"]
    lines += [format_cluster(cluster) for cluster in summary["clusters"]]
    if summary["unknown_clusters"]:
        lines.append("  drop-box folders of clusters not in the accounts file (not ingested): "
                     + ", ".join(summary["unknown_clusters"]))
    return "\n".join(lines)
