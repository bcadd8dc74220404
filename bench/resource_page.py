"""Resource page benchmark: the explorer's resource API and page on bench/marts.py's warehouse and lake.

    python bench/resource_page.py [--warehouse W --lake L --per-type 20 --repeat 2]

Defaults read the last run of `python bench/marts.py` (data/bench-marts/run/: 200,000 resources x 31 days).
Samples resources of every kind the page treats differently (an instance with its metrics and relations, a
security group, subnet and VPC many things point at, load balancers, target groups, DNS records, databases,
Kubernetes objects), the resources with the longest history, and deleted ones; requests each one's JSON answer
and page through the explorer's FastAPI app (in process, the login replaced by a stub: Airflow's JWT check is
not what is measured), sequentially, and prints p50/p95/max per kind and overall, and where the time of a JSON
answer goes (each query, the lake read). Target: p95 < 300 ms. Exits 1 if the target is missed.

Then the lake read alone on partitions larger than the bench's (an account and region with thousands of
instances): one row (first, middle, last) of partitions of 1,000, 5,000 and 20,000 instances, each row an
instance's `raw` from the bench lake with 800 characters that do not compress (a worst case for zstd).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "plugins"))

TARGET_P95_MS = 300
KINDS = ("ec2_instance", "ebs_volume", "security_group", "subnet", "vpc", "network_interface", "elbv2_load_balancer",
         "elbv2_target_group", "route53_record", "rds_instance", "lambda_function", "s3_bucket", "eks_nodegroup",
         "k8s_pod", "k8s_node", "k8s_deployment")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def samples(warehouse: Path, per_type: int) -> list[tuple[str, tuple]]:
    """(kind, (type, account, region, id)) to request: per_type random current resources of each of KINDS, the
    per_type resources with the most versions, per_type deleted ones."""
    from cloud_inventory.warehouse.readonly import open_readonly

    con = open_readonly(warehouse)
    try:
        chosen = []
        for kind in KINDS:
            rows = con.execute("select resource_type, account_id, region, resource_id from marts.inventory_current "
                               "where resource_type = ? order by hash(resource_id) limit ?",
                               [kind, per_type]).fetchall()
            chosen += [(kind, row) for row in rows]
        rows = con.execute("""
            select resource_type, account_id, region, resource_id from (
                select resource_type, account_id, region, resource_id, count(*) as versions,
                       bool_or(valid_to is null and not is_deleted) as live
                from intermediate.int_inventory__aws_versions group by all)
            where live order by versions desc, resource_id limit ?""", [per_type]).fetchall()
        chosen += [("most history", row) for row in rows]
        rows = con.execute("""
            select resource_type, account_id, region, resource_id from intermediate.int_inventory__aws_versions
            where is_deleted and valid_to is null order by resource_id limit ?""", [per_type]).fetchall()
        chosen += [("deleted", row) for row in rows]
        return chosen
    finally:
        con.close()


def url(prefix: str, key: tuple) -> str:
    from urllib.parse import quote

    resource_type, account_id, region, resource_id = key
    return f"{prefix}/resources/{resource_type}/{account_id}/{region}/{quote(resource_id, safe='/:')}"


def phases(key: tuple) -> dict[str, float]:
    """Milliseconds of each part of one JSON answer, called directly."""
    from cloud_inventory import settings as inventory_settings
    from cloud_inventory.explorer import resource as area
    from cloud_inventory.explorer.common import warehouse
    from cloud_inventory.explorer.queries import configuration, related
    from cloud_inventory.explorer.queries import resource as queries

    times: dict[str, float] = {}

    def timed(name, call, *args):
        started = time.perf_counter()
        result = call(*args)
        times[name] = (time.perf_counter() - started) * 1000
        return result

    with warehouse().cursor() as cursor:
        found = timed("find", queries.find, cursor, *key)
        dump_at = queries.latest_dump(cursor, found["cluster"]) if found["provider"] == "kubernetes" else None
        for name, call in (("versions", queries.versions), ("changes", queries.changes),
                           ("metrics", queries.metrics), ("related", related.related), ("waste", queries.waste),
                           ("freshness", queries.freshness)):
            timed(name, call, cursor, found)
    lake = area._lake(inventory_settings.load().lake_uri)
    try:
        timed("lake config", configuration.read, lake, found, dump_at)
    except configuration.ConfigurationMissing:
        times["lake config"] = float("nan")
    return times


def big_partitions(lake_uri: str, sizes: list[int]) -> None:
    """Milliseconds to read one row's configuration from partitions of `sizes` rows (in a temporary lake)."""
    import json
    import tempfile
    from datetime import date

    import pyarrow as pa
    import pyarrow.dataset as ds

    from cloud_inventory.explorer.queries import configuration
    from cloud_inventory.lake import Lake, parquet_sink

    sample = ds.dataset(f"{lake_uri}/raw/aws/ec2_instance", format="parquet").head(1, columns=["raw"])
    instance = json.loads(sample["raw"][0].as_py())
    schema = pa.schema([("resource_id", pa.string()), ("raw", pa.string())])
    day = date(2026, 1, 1)
    print(f"\none row's configuration from a large partition (rows of {len(json.dumps(instance)) + 811:,} characters):")
    print(f"{'rows':>7s} {'file_KiB':>9s} {'first_ms':>9s} {'middle_ms':>10s} {'last_ms':>8s}")
    with tempfile.TemporaryDirectory() as folder:
        lake = Lake(folder)
        for size in sizes:
            account = f"{size:012d}"
            path = lake.aws_partition("ec2_instance", day, account, "us-east-1")
            with parquet_sink(lake, path, schema) as sink:
                for start in range(0, size, 1000):
                    sink.write([{"resource_id": f"i-{n:017x}", "raw": json.dumps(
                        {**instance, "InstanceId": f"i-{n:017x}", "Noise": os.urandom(400).hex()})}
                        for n in range(start, min(size, start + 1000))])
            cells = []
            for n in (0, size // 2, size - 1):
                resource = {"provider": "aws", "resource_type": "ec2_instance", "account_id": account,
                            "source_region": "us-east-1", "resource_id": f"i-{n:017x}", "config_snapshot_date": day}
                runs = []
                for _ in range(5):
                    started = time.perf_counter()
                    configuration.read(lake, resource)
                    runs.append((time.perf_counter() - started) * 1000)
                cells.append(statistics.median(runs))
            print(f"{size:7,d} {os.path.getsize(path) / 1024:9,.0f} {cells[0]:9.1f} {cells[1]:10.1f} {cells[2]:8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    run = ROOT / "data" / "bench-marts" / "run"
    parser.add_argument("--warehouse", type=Path, default=run / "warehouse.duckdb")
    parser.add_argument("--lake", default=str(run / "lake"))
    parser.add_argument("--per-type", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2, help="requests of each sample (the first warms caches)")
    parser.add_argument("--partition-rows", default="1000,5000,20000",
                        help="sizes of the large partitions the lake read is measured on ('' for none)")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        parser.error(f"no warehouse at {args.warehouse}: run python bench/marts.py first")
    os.environ.update(INVENTORY_WAREHOUSE_PATH=str(args.warehouse.resolve()), INVENTORY_LAKE_URI=args.lake)

    from fastapi.testclient import TestClient

    from cloud_inventory.explorer.app import create_app
    from cloud_inventory.explorer.auth import reader

    app = create_app()
    app.dependency_overrides[reader] = lambda: "bench"
    chosen = samples(args.warehouse, args.per_type)
    print(f"{len(chosen)} resources sampled from {args.warehouse}; lake {args.lake}; {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    timings: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    parts: dict[str, list[float]] = {}
    errors = []
    with TestClient(app, base_url="http://bench") as client:
        for kind, key in chosen:
            for what, prefix in (("api", "/api"), ("page", "")):
                for attempt in range(args.repeat):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    answer = client.get(url(prefix, key))
                    elapsed = (time.perf_counter() - started) * 1000
                    used = (time.process_time() - started_cpu) * 1000
                    if answer.status_code != 200:
                        errors.append((key, answer.status_code, answer.text[:200]))
                        break
                    if attempt == args.repeat - 1:
                        timings.setdefault((kind, what), []).append(elapsed)
                        cpu.setdefault((kind, what), []).append(used)
            for name, ms in phases(key).items():
                parts.setdefault(name, []).append(ms)
    print(f"\n{'kind':22s} {'what':5s} {'n':>4s} {'p50_ms':>7s} {'p95_ms':>7s} {'max_ms':>7s} "
          f"{'cpu_p50':>8s} {'cpu_p95':>8s}")
    every = {"api": [], "page": []}
    every_cpu = {"api": [], "page": []}

    def line(label, what, values, used):
        print(f"{label:22s} {what:5s} {len(values):4d} {statistics.median(values):7.1f} "
              f"{percentile(values, 0.95):7.1f} {max(values):7.1f} {statistics.median(used):8.1f} "
              f"{percentile(used, 0.95):8.1f}")

    for (kind, what), values in timings.items():
        every[what] += values
        every_cpu[what] += cpu[(kind, what)]
        line(kind, what, values, cpu[(kind, what)])
    for what, values in every.items():
        if values:
            line("ALL", what, values, every_cpu[what])
    print("(cpu: the process's CPU milliseconds per request, all threads: what a request costs whatever else runs)")
    print(f"\nwhere a JSON answer's time goes (ms over {len(chosen)} resources, called directly):")
    print(f"{'part':12s} {'p50':>7s} {'p95':>7s} {'max':>7s}")
    for name, values in parts.items():
        values = [v for v in values if v == v]
        if values:
            print(f"{name:12s} {statistics.median(values):7.1f} {percentile(values, 0.95):7.1f} {max(values):7.1f}")
    for key, status, text in errors:
        print(f"ERROR {status} {key}: {text}")
    if args.partition_rows:
        big_partitions(args.lake, [int(size) for size in args.partition_rows.split(",")])
    worst = max(percentile(values, 0.95) for values in every.values() if values)
    met = worst < TARGET_P95_MS and not errors
    print(f"\n[{'MET' if met else 'MISSED'}] resource page p95 < {TARGET_P95_MS} ms: {worst:.1f} ms"
          + (f"; {len(errors)} error(s)" if errors else "")
          + f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
