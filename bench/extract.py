"""Extraction benchmark: our extractor against a cron-style sequential baseline, on one emulated estate.

    python bench/extract.py [--accounts 10 --regions 3 --resources 30000 --latency-ms 50 --workers 8]
    python bench/extract.py --quick        # 2 accounts x 1 region, ~1,000 resources, 10 ms: a smoke test

1. Starts the AWS emulator (moto server, a subprocess) at 0 ms latency and seeds the estate
   (bench/estate.py), then wakes every service backend once so neither run pays moto's lazy set-up.
2. Sets the emulator's latency (default 50 ms per request, the stand-in for AWS's round trip).
3. Our extractor as production runs it: a pool of `--workers` processes (the Airflow pool's slots),
   each call one mapped task: `extract_account(account, [regions..., global], ...)`, running its regions
   INVENTORY_REGION_CONCURRENCY at a time (default 4), each with its resource types on
   INVENTORY_TYPE_CONCURRENCY threads (default 4). Workers are started before the clock starts.
4. The baseline (bench/baseline.py) in its own process: one account, region and type at a time.
5. Prints wall time, API calls (the emulator's own count), resources, resources/s and peak RSS of both,
   the ratios and the targets; API calls against the minimum the page sizes allow; where the emulator's
   CPU time goes. Exits 1 if a target is missed, 2 if the runs disagree on what they found or something failed.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (str(ROOT / "plugins"), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

import estate  # noqa: E402
import workers  # noqa: E402
from cloud_inventory.demo.emulator import Emulator  # noqa: E402

TARGET_SPEEDUP = 8.0
TARGET_CALL_OVERHEAD = 0.05
TARGET_RSS_MB = 1024


def metric_types() -> dict[str, str]:
    """Registry entries of CloudWatch datapoint rows (reported apart from resources) -> the type they measure."""
    from cloud_inventory.aws.registry import REGISTRY

    return {entry.name: entry.depends_on[0] for entry in REGISTRY if entry.service == "cloudwatch"}


def measurement_types() -> set[str]:
    """Registry entries whose rows are not resources: the statistics, Cost Explorer's spend, the instance type catalog."""
    from cloud_inventory.aws.registry import REGISTRY

    return {entry.name for entry in REGISTRY if entry.fetch}


def api_name(service: str, operation: str) -> str:
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return next(name for name in model.operation_names if xform_name(name) == operation)


# --------------------------------------------------------------------------------------------------
# the minimum number of API calls the page sizes allow


def minimum_calls(p: estate.Plan, tally: estate.Tally, types: tuple[str, ...] | None = None,
                  regions: list[str] | None = None) -> Counter:
    """Per "client:Action": list calls max(1, ceil(items / page size)) per (account, region, type, parent),
    detail calls per item, tag calls per 20 items of a page, CloudWatch list_metrics + ceil(queries / 500)
    GetMetricData, one Cost Explorer call per account, one sts:AssumeRole per account. Of the registry
    `types` (all by default), in `regions` (the plan's by default)."""
    from cloud_inventory.aws.extractor import GLOBAL
    from cloud_inventory.aws.metrics import FIXED_METRICS, QUERIES_PER_CALL, Metric
    from cloud_inventory.aws.registry import selected

    entries = selected(types)
    calls: Counter = Counter()
    key = lambda service, operation: f"{service}:{api_name(service, operation)}"  # noqa: E731
    for account in p.accounts:
        calls["sts:AssumeRole"] += 1
        for region in [*(regions or p.regions), GLOBAL]:
            for entry in entries:
                if (entry.scope == "global") != (region == GLOBAL):
                    continue
                if entry.service == "cloudwatch":  # counted once per pair below, over every type
                    continue
                if entry.name == "ec2_instance_type":
                    # the catalog: one call where instances or DB instances run (their few families fit one filter
                    # of FAMILIES_PER_CALL values, and their sizes one page); none where nothing runs
                    runs = tally.counts[(account, region, "ec2_instance")] + tally.counts[(account, region, "rds_instance")]
                    calls[key(entry.service, entry.operation)] += 1 if runs else 0
                    continue
                if entry.fetch:  # Cost Explorer: one call (moto answers nothing: no page to follow)
                    calls[key(entry.service, entry.operation)] += 1
                    continue
                n = tally.counts[(account, region, entry.name)]
                if entry.parent:
                    per_parent = (tally.zone_records.get((account, region), []) if entry.name == "route53_record"
                                  else tally.eks_nodegroups.get((account, region), []))
                else:
                    per_parent = [n]
                for items in per_parent:
                    size = entry.page_size or max(items, 1)
                    calls[key(entry.service, entry.operation)] += max(1, math.ceil(items / size))
                    for detail in entry.details:
                        calls[key(entry.service, detail.operation)] += items
                    if entry.tag_lookup:
                        pages = [min(size, items - offset) for offset in range(0, items, size)]
                        calls[key(entry.service, entry.tag_lookup.operation)] += sum(
                            math.ceil(k / entry.tag_lookup.batch) for k in pages)
            if region != GLOBAL and any(entry.service == "cloudwatch" for entry in entries):
                # list_metrics once (the agent's memory metrics of the instances) and GetMetricData per 500
                # queries of the pair's measured resources taken together; the registry runs one entry per
                # measured type, which costs one call more per pair when both types have resources.
                measured = set(metric_types().values())
                if tally.counts[(account, region, "ec2_instance")]:
                    calls["cloudwatch:ListMetrics"] += 1  # no CWAgent metrics seeded: one page
                queries = sum(len(Metric(*metric).statistics) * tally.counts[(account, region, rtype)]
                              for rtype in measured for metric in FIXED_METRICS[rtype])
                calls["cloudwatch:GetMetricData"] += math.ceil(queries / QUERIES_PER_CALL)
    return calls


# --------------------------------------------------------------------------------------------------
# the two runs


def warm_backends(url: str, p: estate.Plan) -> None:
    """One cheap call per (account, region, service): moto builds each backend on first use (seconds for
    some services); that set-up is not AWS's round trip and belongs to neither run."""

    from cloud_inventory.aws.extractor import GLOBAL
    from cloud_inventory.aws.registry import REGISTRY

    cheap = {"ec2": ("describe_vpcs", {}), "elbv2": ("describe_load_balancers", {}),
             "elb": ("describe_load_balancers", {}), "rds": ("describe_db_clusters", {}),
             "eks": ("list_clusters", {}), "sagemaker": ("list_endpoints", {}),
             "redshift": ("describe_clusters", {}), "ssm": ("describe_instance_information", {"MaxResults": 5}),
             "lambda": ("list_functions", {"MaxItems": 1}), "logs": ("describe_log_groups", {"limit": 1}),
             "cloudwatch": ("list_metrics", {"Namespace": "none"}), "s3": ("list_buckets", {}),
             "route53": ("list_hosted_zones", {"MaxItems": "1"}), "cloudfront": ("list_distributions", {}),
             "ce": ("get_cost_and_usage", {"TimePeriod": {"Start": "2020-01-01", "End": "2020-01-02"},
                                           "Granularity": "DAILY", "Metrics": ["UnblendedCost"]})}
    for account in p.accounts:
        for region in [*p.regions, GLOBAL]:
            api_region = "us-east-1" if region == GLOBAL else region
            session = estate._session(url, account, api_region)
            services = {e.service for e in REGISTRY if (e.scope == "global") == (region == GLOBAL)}
            for service in sorted(services):
                operation, params = cheap[service]
                getattr(session.client(service, endpoint_url=url, region_name=api_region, config=estate.SEED_CONFIG),
                        operation)(**params)


def run_extractor(p: estate.Plan, env: dict, lake: str, n_workers: int, emu: Emulator, snapshot: date) -> dict:
    from cloud_inventory.aws.extractor import GLOBAL

    context = multiprocessing.get_context("spawn")  # fresh processes, like Airflow task processes
    pool = ProcessPoolExecutor(n_workers, mp_context=context, initializer=workers.init, initargs=(env,))
    try:
        # start every worker (interpreter + imports) before the clock: Airflow's start-up is not ours to time
        pids = set()
        for _ in range(4):
            pids |= set(pool.map(_ready_slowly, range(n_workers)))
            if len(pids) >= n_workers:
                break
        emu.reset_stats()
        started = time.monotonic()
        jobs = []
        for account in p.accounts:  # as the DAG plans them: one task per account, its regions and global
            acct = {"id": account, "name": f"bench-{account[-4:]}", "role_arn": estate.role_arn(account),
                    "external_id": estate.EXTERNAL_ID}
            jobs.append(pool.submit(workers.run_account, acct, [*p.regions, GLOBAL], lake, snapshot.isoformat(),
                                    "bench-extractor"))
        results = [job.result() for job in jobs]
        wall = time.monotonic() - started
        stats, timing = emu.stats(), emu.timing()
    finally:
        pool.shutdown(wait=True)
    counts: Counter = Counter()
    failures = []
    for result in results:
        for region in result["regions"]:
            for outcome in region["outcomes"]:
                counts[(result["account_id"], region["region"], outcome["type"])] += outcome["rows"]
                if outcome["status"] != "ok":
                    failures.append(f"{result['account_id']} {region['region']} {outcome['type']}: "
                                    f"{outcome['status']} {outcome['error']}")
    pairs = [(result["account_id"], region["region"], region["seconds"])
             for result in results for region in result["regions"]]
    slowest = max(results, key=lambda r: r["seconds"])
    return {"wall_s": wall, "counts": counts, "failures": failures, "stats": stats, "timing": timing,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
            "rss_by_pid": {r["pid"]: r["peak_rss_mb"] for r in results},
            "client_cpu_s": sum(r["cpu_s"] for r in results),
            "tasks": len(results), "slowest_task": (slowest["account_id"], slowest["seconds"]),
            "slowest": max(pairs, key=lambda pair: pair[2]),
            "pair_seconds": sorted(seconds for _, _, seconds in pairs)}


def _ready_slowly(_: int) -> int:
    time.sleep(0.3)  # so each call lands on a different worker
    return workers.ready()


def run_baseline(p: estate.Plan, env: dict, lake: str, emu: Emulator, snapshot: date, tmp: str) -> dict:
    job = {"accounts": [{"id": a, "role_arn": estate.role_arn(a), "external_id": estate.EXTERNAL_ID}
                        for a in p.accounts],
           "regions": p.regions, "lake": lake, "date": snapshot.isoformat(), "run_id": "bench-baseline"}
    job_path, result_path = os.path.join(tmp, "baseline-job.json"), os.path.join(tmp, "baseline-result.json")
    with open(job_path, "w") as handle:
        json.dump(job, handle)
    emu.reset_stats()
    subprocess.run([sys.executable, str(BENCH / "baseline.py"), job_path, result_path], env={**os.environ, **env},
                   check=True)
    stats, timing = emu.stats(), emu.timing()
    with open(result_path) as handle:
        result = json.load(handle)
    counts = Counter({tuple(k.split("|")): v for k, v in result["counts"].items()})
    return {"wall_s": result["wall_s"], "counts": counts, "failures": result["failures"], "stats": stats,
            "timing": timing, "peak_rss_mb": result["peak_rss_mb"], "client_cpu_s": result["cpu_s"]}


# --------------------------------------------------------------------------------------------------
# report


def by_type(counts: Counter) -> Counter:
    out: Counter = Counter()
    for (_, _, rtype), n in counts.items():
        out[rtype] += n
    return out


def resources(counts: Counter) -> int:
    measurements = measurement_types()
    return sum(n for (_, _, rtype), n in counts.items() if rtype not in measurements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--resources", type=int, default=30000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--workers", type=int, default=8, help="the Airflow pool's slots")
    parser.add_argument("--type-concurrency", type=int, default=None,
                        help="INVENTORY_TYPE_CONCURRENCY for the extractor (default: the setting's default, 4)")
    parser.add_argument("--quick", action="store_true", help="2 accounts x 1 region, ~1,000 resources, 10 ms")
    args = parser.parse_args(argv)
    if args.quick:
        args.accounts, args.regions, args.resources, args.latency_ms = 2, 1, 1000, 10
    if not 1 <= args.regions <= len(estate.REGIONS):
        parser.error(f"--regions must be 1..{len(estate.REGIONS)}")

    p = estate.plan(args.resources, args.accounts, args.regions)
    snapshot = datetime.now(timezone.utc).date()
    print(f"estate: {args.accounts} accounts x {args.regions} regions ({', '.join(p.regions)}), "
          f"target {args.resources:,} resources (scale {p.scale:.2f}); latency {args.latency_ms:g} ms; "
          f"{args.workers} workers; {os.cpu_count()} CPUs", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp, Emulator(latency_ms=0) as emu:
        env = {**emu.env(), "AWS_CONFIG_FILE": os.path.join(tmp, "no-aws-config"),
               "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "no-aws-credentials"),
               "INVENTORY_DATA_DIR": os.path.join(tmp, "data"), "INVENTORY_LAKE_URI": os.path.join(tmp, "lake"),
               "PYTHONPATH": str(ROOT / "plugins")}
        if args.type_concurrency:
            env["INVENTORY_TYPE_CONCURRENCY"] = str(args.type_concurrency)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})

        started = time.monotonic()
        tally = estate.seed(emu.url, p)
        seed_s = time.monotonic() - started
        seed_calls = emu.stats()["total"]
        warm_backends(emu.url, p)
        expected = Counter({k: v for k, v in tally.counts.items() if v})
        print(f"seeded {resources(expected):,} resources ({seed_calls:,} API calls) in {seed_s:.1f}s "
              f"(+ {sum(tally.metric_rows.values()):,} CloudWatch datapoint rows expected)", flush=True)
        for name, measured in metric_types().items():
            for account in p.accounts:
                for region in p.regions:
                    if tally.metric_rows[(account, region, measured)]:
                        expected[(account, region, name)] = tally.metric_rows[(account, region, measured)]
        minimum = minimum_calls(p, tally)

        emu.set_latency(args.latency_ms)
        print("running the extractor...", flush=True)
        ours = run_extractor(p, env, os.path.join(tmp, "lake-extractor"), args.workers, emu, snapshot)
        print(f"  {ours['wall_s']:.1f}s", flush=True)
        print("running the baseline...", flush=True)
        base = run_baseline(p, env, os.path.join(tmp, "lake-baseline"), emu, snapshot, tmp)
        print(f"  {base['wall_s']:.1f}s", flush=True)
        parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    return report(args, p, expected, minimum, ours, base, seed_s, parent_rss)


def report(args, p, expected, minimum, ours, base, seed_s, parent_rss) -> int:
    status = 0
    # -- what each run found ------------------------------------------------------------------------
    exp_t, our_t, base_t = by_type(expected), by_type(ours["counts"]), by_type(base["counts"])
    print("\nresources per type            expected  extractor   baseline")
    mismatch = []
    for rtype in sorted(set(exp_t) | set(our_t) | set(base_t)):
        flag = "" if exp_t[rtype] == our_t[rtype] == base_t[rtype] else "   <-- MISMATCH"
        if flag:
            mismatch.append(rtype)
        print(f"  {rtype:26s} {exp_t[rtype]:9,d} {our_t[rtype]:10,d} {base_t[rtype]:10,d}{flag}")
    pair_diffs = [k for k in set(ours["counts"]) | set(base["counts"]) if ours["counts"][k] != base["counts"][k]]
    for failure in ours["failures"] + base["failures"]:
        print(f"  FAILED: {failure}")
    if mismatch or pair_diffs or ours["failures"] or base["failures"]:
        print(f"\n!!! MISMATCH: the runs disagree on {sorted(mismatch)} ({len(pair_diffs)} account/region/type "
              f"cells differ between extractor and baseline), {len(ours['failures'])} extractor and "
              f"{len(base['failures'])} baseline failures !!!")
        for k in sorted(pair_diffs)[:20]:
            print(f"    {k}: extractor {ours['counts'][k]}, baseline {base['counts'][k]}")
        status = 2

    # -- API calls against the minimum ----------------------------------------------------------------
    observed = Counter(ours["stats"]["by_action"])
    min_total, obs_total = sum(minimum.values()), ours["stats"]["total"]
    overhead = obs_total / min_total - 1
    print(f"\nextractor API calls: {obs_total:,} observed, {min_total:,} minimum (page sizes), "
          f"overhead {overhead:+.1%}")
    for action in sorted(set(observed) | set(minimum)):
        if observed[action] != minimum[action]:
            print(f"  {action:45s} observed {observed[action]:6,d}  minimum {minimum[action]:6,d}")

    # -- where the time went --------------------------------------------------------------------------
    print("\nwhere the time went                extractor   baseline")
    for label, key in (("wall s", None), ("emulator CPU s (moto, 1 process)", "process_cpu_seconds"),
                       ("emulator in-handler s", "handler_seconds")):
        a = ours["wall_s"] if key is None else ours["timing"][key]
        b = base["wall_s"] if key is None else base["timing"][key]
        print(f"  {label:32s} {a:9.1f} {b:10.1f}")
    print(f"  {'client CPU s (during the run)':32s} {ours['client_cpu_s']:9.1f} {base['client_cpu_s']:10.1f}")
    print(f"  {'added latency s (calls x latency)':32s} {obs_total * args.latency_ms / 1000:9.1f} "
          f"{base['stats']['total'] * args.latency_ms / 1000:10.1f}")
    top = sorted(ours["timing"]["by_action"].items(), key=lambda kv: -kv[1])[:6]
    print("  emulator in-handler s by action (extractor run): "
          + ", ".join(f"{k} {v:.1f}" for k, v in top))
    cores = os.cpu_count() or 1
    cpu_floor = max(ours["timing"]["process_cpu_seconds"],
                    (ours["timing"]["process_cpu_seconds"] + ours["client_cpu_s"]) / cores)
    print(f"  CPU floor for the extractor on this machine: max(emulator CPU, all CPU / {cores} cores) = "
          f"{cpu_floor:.1f}s -> the speedup this machine allows is about {base['wall_s'] / cpu_floor:.1f}x")
    print(f"  extractor tasks (the Airflow mapped tasks, one per account): {ours['tasks']}, for "
          f"{len(ours['pair_seconds'])} (account, region) pairs; worker start-up is outside the clock")
    print(f"  slowest account task: {ours['slowest_task'][0]} {ours['slowest_task'][1]:.1f}s; slowest region in it: "
          f"{ours['slowest'][0]} {ours['slowest'][1]} {ours['slowest'][2]:.1f}s; region seconds median "
          f"{ours['pair_seconds'][len(ours['pair_seconds']) // 2]:.1f}")

    # -- the table ------------------------------------------------------------------------------------
    rows = []
    for name, run in (("extractor", ours), ("baseline", base)):
        n = resources(run["counts"])
        rows.append((name, run["wall_s"], run["stats"]["total"], n, n / run["wall_s"], run["peak_rss_mb"]))
    print(f"\nseeding: {seed_s:.1f}s (latency 0, not measured against the targets); "
          f"orchestrating process peak RSS {parent_rss:.0f} MB (holds the emulator client and the seed tally)")
    print(f"\n{'':10s} {'wall_s':>8s} {'api_calls':>10s} {'resources':>10s} {'resources_per_s':>16s} {'peak_rss_mb':>12s}")
    for name, wall, calls, n, rate, rss in rows:
        print(f"{name:10s} {wall:8.1f} {calls:10,d} {n:10,d} {rate:16,.0f} {rss:12.0f}")
    speedup = rows[1][1] / rows[0][1]
    print(f"{'ratio':10s} {speedup:7.1f}x {rows[0][2] / rows[1][2]:9.2f}x {'':10s} {rows[0][4] / rows[1][4]:15.1f}x "
          f"{rows[0][5] / rows[1][5]:11.2f}x   (extractor / baseline; wall: baseline / extractor)")
    print(f"peak_rss_mb: extractor = the largest of its {len(ours['rss_by_pid'])} worker processes "
          f"(sum of all workers' peaks {sum(ours['rss_by_pid'].values()):.0f} MB); baseline = its one process")

    targets = [
        (f"speed >= {TARGET_SPEEDUP:g}x the baseline", speedup >= TARGET_SPEEDUP, f"{speedup:.1f}x"),
        (f"API calls <= minimum + {TARGET_CALL_OVERHEAD:.0%}", overhead <= TARGET_CALL_OVERHEAD,
         f"{obs_total:,} vs {min_total:,} ({overhead:+.1%})"),
        (f"peak RSS < {TARGET_RSS_MB} MB", ours["peak_rss_mb"] < TARGET_RSS_MB, f"{ours['peak_rss_mb']:.0f} MB"),
        ("same resources in both runs", status != 2, "yes" if status != 2 else "NO"),
    ]
    print("\ntargets:")
    for label, met, value in targets:
        print(f"  [{'MET' if met else 'MISSED'}] {label}: {value}")
    if args.quick:
        print("  (--quick: a smoke test; the estate is too small for the targets, so only a disagreement fails it)")
    elif status == 0 and not all(met for _, met, _ in targets):
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
