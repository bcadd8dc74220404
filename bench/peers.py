"""Peer benchmark: our extraction against Cloud Custodian's c7n-org and a sequential boto3 loop, same types, same estate.

    python bench/peers.py                       # 4 accounts x 2 regions, ~2,000 instances, 50 ms (issue 16's estate)
    python bench/peers.py --accounts 20 --regions 4 --busy-regions 1     # a fleet of mostly quiet regions
    python bench/peers.py --quick               # 2 accounts x 1 region, ~100 instances, 10 ms: a smoke test
                                                # (without the scheduler path unless --tools names it)

1. Serves the estate from one emulator process per account (at most --servers) behind bench/front.py, which
   routes by account and adds --latency-ms to every request; seeds it (bench/estate.py) at 0 ms and wakes
   every service backend once, so no tool pays moto's lazy set-up.
2. Runs, one after the other, each against the same estate and restricted to the same 15 resource types (TYPES):
   * `make dag ID=aws_inventory DATE=<today>` as users run it (INVENTORY_RESOURCE_TYPES names the types);
   * the scheduler path: `airflow api-server`, `scheduler`, `dag-processor` (LocalExecutor, pool aws_inventory
     with 8 slots), one triggered run timed from the trigger to its end (the components' start-up apart);
   * `c7n-org run` with filterless policies for the same types (Cloud Custodian installed, pinned, into a
     virtualenv of the benchmark's own under the data dir on first use), accounts and regions in parallel;
   * a sequential boto3 loop (bench/baseline.py).
3. Prints wall seconds, requests (the emulators' own count), client CPU seconds per 1,000 resources, what
   each found, the ratios and the targets of issue 16; per-task figures from Airflow's task instances for
   fleet sizing. Exits 2 if the tools disagree on what exists (ids per type, account and region), 1 if a
   target is missed (not in --quick).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (str(ROOT / "plugins"), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

import airflow_runs  # noqa: E402
import estate  # noqa: E402
import extract  # noqa: E402
from front import CALLER, Backends, Front  # noqa: E402

# Our registry's types that Cloud Custodian lists 1:1, and its resource for each.
TYPES = {
    "ec2_instance": "aws.ec2", "ebs_volume": "aws.ebs", "ebs_snapshot": "aws.ebs-snapshot",
    "network_interface": "aws.eni", "elastic_ip": "aws.network-addr", "security_group": "aws.security-group",
    "subnet": "aws.subnet", "vpc": "aws.vpc", "nat_gateway": "aws.nat-gateway",
    "elbv2_load_balancer": "aws.app-elb", "classic_load_balancer": "aws.elb", "rds_instance": "aws.rds",
    "lambda_function": "aws.lambda", "log_group": "aws.log-group", "s3_bucket": "aws.s3",
}
C7N_PACKAGES = ("c7n==0.9.53", "c7n-org==0.6.52")
C7N_WORKERS = 8
INSTANCES_PER_PAIR = sum(estate.BASE[k] for k in ("web_instances", "worker_instances", "batch_instances"))
TARGET_SCHEDULER_VS_C7N = 0.8
TARGET_CALL_OVERHEAD = 0.05


# --------------------------------------------------------------------------------------------------
# what each tool found: ids per (type, account, region); global types under "global"


Found = dict[tuple[str, str, str], set[str]]


def _global(rtype: str) -> bool:
    from cloud_inventory.aws.registry import BY_NAME

    return BY_NAME[rtype].scope == "global"


def found_in_lake(lake: Path, pattern: str) -> Found:
    """Rows of every type under `lake`/raw/aws/<type>/`pattern` (Parquet files)."""
    import duckdb

    found: Found = defaultdict(set)
    for rtype in TYPES:
        files = sorted((lake / "raw" / "aws" / rtype).glob(pattern))
        if not files:
            continue
        rows = duckdb.sql(f"select account_id, region, resource_id from read_parquet({[str(f) for f in files]!r}, "
                              "hive_partitioning = false)")
        for account, region, rid in rows.fetchall():
            found[(rtype, account, estate.GLOBAL if _global(rtype) else region)].add(rid)
    return found


def found_by_c7n(out: Path) -> Found:
    """<out>/<account>/<region>/<policy>/resources.json (accounts are named by their id, policies by our type)."""
    from cloud_inventory.aws.transform import pick
    from cloud_inventory.aws.registry import BY_NAME

    found: Found = defaultdict(set)
    for path in out.glob("*/*/*/resources.json"):
        account, region, policy = path.parts[-4:-1]
        rtype = policy.replace("-", "_")
        for item in json.loads(path.read_text()):
            found[(rtype, account, estate.GLOBAL if _global(rtype) else region)].add(pick(item, BY_NAME[rtype].id))
    return found


def resources(found: Found) -> int:
    return sum(len(ids) for ids in found.values())


# --------------------------------------------------------------------------------------------------
# the tools


@dataclasses.dataclass
class Run:
    name: str
    wall_s: float
    cpu_s: float  # client side: the tool's processes
    found: Found
    requests: int = 0
    by_action: Counter = dataclasses.field(default_factory=Counter)
    by_account: Counter = dataclasses.field(default_factory=Counter)
    server_busy: float = 0.0  # the busiest emulator process's CPU seconds / wall seconds
    tasks: list[dict] = dataclasses.field(default_factory=list)
    note: str = ""


class Served:
    """The estate's servers: measures what a tool asked of them while it ran."""

    def __init__(self, backends: Backends, front: Front) -> None:
        self.backends, self.front = backends, front

    def measure(self, name: str, run) -> Run:
        self.backends.reset_stats()
        self.front.reset_counts()
        before = self.backends.stats()["cpu_s"]
        result: Run = run()
        after = self.backends.stats()
        result.requests, result.by_action = after["total"], after["by_action"]
        result.by_account = Counter(self.front.by_account)
        result.server_busy = max(b - a for a, b in zip(before, after["cpu_s"])) / max(result.wall_s, 1e-9)
        print(f"  {name}: {result.wall_s:.1f}s, {result.requests:,} requests, {resources(result.found):,} resources; "
              f"machine load average {os.getloadavg()[0]:.1f}" + (f" ({result.note})" if result.note else ""),
              flush=True)
        return result


def ours_env(work: Path, env: dict[str, str], regions: list[str], accounts: list[str], name: str) -> dict[str, str]:
    """The settings our DAG runs with: its accounts file, its data folder and lake under `work`/`name`, the peers'
    types."""
    accounts_file = work / "accounts.yaml"
    accounts_file.write_text(json.dumps({  # YAML is a superset of JSON
        "defaults": {"external_id": estate.EXTERNAL_ID, "regions": regions},
        "accounts": [{"id": a, "name": f"bench-{a[-4:]}", "role_arn": estate.role_arn(a)} for a in accounts]}))
    return {**env, "INVENTORY_ACCOUNTS_FILE": str(accounts_file), "INVENTORY_DATA_DIR": str(work / name),
            "INVENTORY_LAKE_URI": str(work / name / "lake"), "INVENTORY_RESOURCE_TYPES": ",".join(TYPES),
            # a failed task fails the run at once instead of after retry delays: the benchmark reports failures
            "INVENTORY_TASK_RETRIES": "0"}


def run_make_dag(work: Path, env: dict[str, str], snapshot: str) -> Run:
    folder = airflow_runs.fresh(work / "make-dag")
    result = airflow_runs.make_dag(env, folder / "airflow-home", snapshot, folder / "make.log")
    found = found_in_lake(work / "make-dag" / "lake", f"dt={snapshot}/*/*/*.parquet")
    note = "" if result["exit"] == 0 else f"make exited {result['exit']}, see {folder / 'make.log'}"
    return Run("make dag", result["wall_s"], result["cpu_s"], found, tasks=result["tasks"], note=note)


def run_scheduler(work: Path, env: dict[str, str], snapshot: str, served: Served) -> Run:
    """Starts the components (timed apart), then measures one triggered run."""
    folder = airflow_runs.fresh(work / "scheduler")
    started = time.monotonic()
    with airflow_runs.SchedulerStack(env, folder / "airflow-home", folder / "logs") as stack:
        print(f"  scheduler path: components started in {time.monotonic() - started:.1f}s ("
              + ", ".join(f"{k} {v:.1f}s" for k, v in stack.startup.items())
              + f"; metadata DB {'PostgreSQL' if stack.db_name else 'SQLite'})", flush=True)

        def run() -> Run:
            result = stack.run_dag()
            note = "" if result["state"] == "success" else f"run {result['state']}, logs in {stack.logs}"
            return Run("scheduler", result["wall_s"], result["cpu_s"],
                       found_in_lake(folder / "lake", f"dt={snapshot}/*/*/*.parquet"), tasks=result["tasks"], note=note)

        return served.measure("scheduler", run)


def c7n_venv(folder: Path) -> Path:
    """Cloud Custodian in a virtualenv of the benchmark's own (never the project's), made on first use."""
    c7n_org = folder / "bin" / "c7n-org"
    if not c7n_org.exists():
        print(f"  installing {', '.join(C7N_PACKAGES)} into {folder} (first run only)", flush=True)
        subprocess.run(["python3.11", "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                        *C7N_PACKAGES], check=True)
    return c7n_org


def run_c7n(work: Path, env: dict[str, str], c7n_org: Path, regions: list[str], accounts: list[str]) -> Run:
    folder = airflow_runs.fresh(work / "c7n")
    (folder / "cache").mkdir()
    (folder / "accounts.yml").write_text(json.dumps({"accounts": [
        {"account_id": a, "name": a, "regions": regions, "role": estate.role_arn(a), "external_id": estate.EXTERNAL_ID}
        for a in accounts]}))
    (folder / "policies.yml").write_text(json.dumps({"policies": [
        {"name": rtype.replace("_", "-"), "resource": resource} for rtype, resource in TYPES.items()]}))
    # a fresh cache folder: c7n-org's first run, as a user's (its default keeps describe answers 15 minutes)
    command = [str(c7n_org), "run", "-c", str(folder / "accounts.yml"), "-u", str(folder / "policies.yml"),
               "-s", str(folder / "out"), "--cache-path", str(folder / "cache")]
    with open(folder / "c7n-org.log", "w") as log:
        cpu, started = airflow_runs.children_cpu(), time.monotonic()
        done = subprocess.run(command, env={**env, "C7N_ORG_PARALLEL": str(C7N_WORKERS)}, stdout=log,
                              stderr=subprocess.STDOUT)
        wall, cpu = time.monotonic() - started, airflow_runs.children_cpu() - cpu
    errors = [line for line in (folder / "c7n-org.log").read_text().splitlines() if "Exception" in line or
              "Error running" in line]
    note = "; ".join(errors[:3]) if done.returncode or errors else ""
    return Run("c7n-org", wall, cpu, found_by_c7n(folder / "out"), note=note)


def run_baseline(work: Path, env: dict[str, str], regions: list[str], accounts: list[str], snapshot: str) -> Run:
    folder = airflow_runs.fresh(work / "baseline")
    job = {"accounts": [{"id": a, "role_arn": estate.role_arn(a), "external_id": estate.EXTERNAL_ID}
                        for a in accounts],
           "regions": regions, "lake": str(folder / "lake"), "date": snapshot, "run_id": "bench-peers-baseline",
           "types": list(TYPES)}
    (folder / "job.json").write_text(json.dumps(job))
    cpu = airflow_runs.children_cpu()
    subprocess.run([sys.executable, str(BENCH / "baseline.py"), str(folder / "job.json"), str(folder / "result.json")],
                   env=env, check=True)
    cpu = airflow_runs.children_cpu() - cpu
    result = json.loads((folder / "result.json").read_text())
    return Run("boto3 loop", result["wall_s"], cpu, found_in_lake(folder / "lake", f"dt={snapshot}/all.parquet"),
               note="; ".join(result["failures"][:3]))


# --------------------------------------------------------------------------------------------------
# report


def task_figures(run: Run) -> None:
    """Per task of the run: count and seconds from Airflow's task instances (extract tasks apart)."""
    done = [{**t, "start_date": _when(t["start_date"]), "end_date": _when(t["end_date"])}
            for t in run.tasks if t["start_date"] and t["end_date"]]
    if not done:
        return
    seconds = lambda t: (t["end_date"] - t["start_date"]).total_seconds()  # noqa: E731
    by_task: dict[str, list[float]] = defaultdict(list)
    for t in done:
        by_task[t["task_id"]].append(seconds(t))
    span = (max(t["end_date"] for t in done) - min(t["start_date"] for t in done)).total_seconds()
    states = Counter(t["state"] for t in run.tasks)
    print(f"  {run.name}: {len(run.tasks)} task instances ({', '.join(f'{k} {v}' for k, v in sorted(states.items()))}), "
          f"{sum(map(seconds, done)):.1f} task-seconds over {span:.1f}s from the first start to the last end")
    for task_id, values in sorted(by_task.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {task_id:16s} {len(values):4d} x  mean {statistics.mean(values):6.2f}s  median "
              f"{statistics.median(values):6.2f}s  max {max(values):6.2f}s  sum {sum(values):7.1f}s")


def _when(value) -> datetime:
    """A task instance's time: a datetime from PostgreSQL, ISO text from SQLite."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def compare(runs: list[Run]) -> list[str]:
    """Cells (type, account, region) where the tools' ids differ, each with who differs and how."""
    keys = set().union(*(run.found for run in runs))
    differences = []
    for key in sorted(keys):
        sets = {run.name: run.found.get(key, set()) for run in runs}
        union = set().union(*sets.values())
        if all(ids == union for ids in sets.values()):
            continue
        differences.append(f"{'/'.join(key)}: " + ", ".join(
            f"{name} {len(ids)}" + (f" (missing e.g. {sorted(union - ids)[:2]})" if union - ids else "")
            for name, ids in sets.items()))
    return differences


def report(args, runs: list[Run], minimum: Counter, skipped: list[str]) -> int:
    status = 0
    by_name = {run.name: run for run in runs}
    # -- found ------------------------------------------------------------------------------------------
    print("\nresources per type      " + "".join(f"{run.name:>12s}" for run in runs))
    for rtype in TYPES:
        counts = [sum(len(ids) for (t, _, _), ids in run.found.items() if t == rtype) for run in runs]
        flag = "" if len(set(counts)) == 1 else "   <-- differs"
        print(f"  {rtype:22s}" + "".join(f"{n:12,d}" for n in counts) + flag)
    differences = compare(runs)
    if differences:
        status = 2
        print(f"\n!!! the tools disagree in {len(differences)} (type, account, region) cells:")
        for line in differences[:20]:
            print(f"    {line}")
    for run in runs:
        if run.note:
            print(f"  note, {run.name}: {run.note}")

    # -- the table --------------------------------------------------------------------------------------
    min_total = sum(minimum.values())
    print(f"\n{'':11s} {'wall_s':>7s} {'requests':>9s} {'resources':>10s} {'cpu_s':>7s} {'cpu_s/1k':>9s} "
          f"{'req/min':>8s} {'server busiest':>15s}")
    for run in runs:
        n = resources(run.found)
        print(f"{run.name:11s} {run.wall_s:7.1f} {run.requests:9,d} {n:10,d} {run.cpu_s:7.1f} "
              f"{run.cpu_s / max(n, 1) * 1000:9.2f} {run.requests / min_total:7.2f}x {run.server_busy:14.0%}")
    print(f"minimum requests the page sizes allow (bench/extract.py's minimum_calls): {min_total:,}")
    print("server busiest: the busiest emulator process's CPU / the tool's wall time (100% = one core: the bottleneck)")
    for name in ("make dag", "scheduler"):
        if name in by_name:
            observed = by_name[name].by_action
            extra = {a: observed[a] - minimum[a] for a in set(observed) | set(minimum) if observed[a] != minimum[a]}
            if extra:
                print(f"  {name} requests beyond the minimum: "
                      + ", ".join(f"{a} {d:+d}" for a, d in sorted(extra.items())))
    if "c7n-org" in by_name:
        by_client = Counter()
        for action, n in by_name["c7n-org"].by_action.items():
            by_client[action.split(":")[0]] += n
        print("  c7n-org's requests by client: " + ", ".join(f"{a} {n:,}" for a, n in by_client.most_common())
              + "; its top calls: " + ", ".join(f"{a} {n:,}" for a, n in by_name["c7n-org"].by_action.most_common(4)))

    # -- ratios and targets -----------------------------------------------------------------------------
    targets = []
    c7n = by_name.get("c7n-org")
    if c7n:
        print("\nratios (ours / c7n-org):")
        for name in ("make dag", "scheduler", "boto3 loop"):
            if name in by_name:
                run = by_name[name]
                print(f"  {name:11s} wall {run.wall_s / c7n.wall_s:5.2f}x  requests {run.requests / c7n.requests:5.2f}x"
                      f"  cpu/1k {(run.cpu_s / max(resources(run.found), 1)) / (c7n.cpu_s / max(resources(c7n.found), 1)):5.2f}x")
        if "scheduler" in by_name:
            ratio = by_name["scheduler"].wall_s / c7n.wall_s
            targets.append((f"scheduler path <= {TARGET_SCHEDULER_VS_C7N} x c7n-org's wall",
                            ratio <= TARGET_SCHEDULER_VS_C7N, f"{ratio:.2f}x"))
        if "make dag" in by_name:
            targets.append(("make dag faster than c7n-org", by_name["make dag"].wall_s < c7n.wall_s,
                            f"{by_name['make dag'].wall_s:.1f}s vs {c7n.wall_s:.1f}s"))
    for name in ("make dag", "scheduler"):
        if name not in by_name:
            continue
        run = by_name[name]
        if c7n:
            targets.append((f"{name} requests <= c7n-org's", run.requests <= c7n.requests,
                            f"{run.requests:,} vs {c7n.requests:,}"))
        targets.append((f"{name} requests <= minimum + {TARGET_CALL_OVERHEAD:.0%}",
                        run.requests <= (1 + TARGET_CALL_OVERHEAD) * min_total,
                        f"{run.requests:,} vs {min_total:,} ({run.requests / min_total - 1:+.1%})"))
    targets.append(("every tool found the same resources", status != 2, "yes" if status != 2 else "NO"))
    print("\ntargets:")
    for label, met, value in targets:
        print(f"  [{'MET' if met else 'MISSED'}] {label}: {value}")
    for line in skipped:
        print(f"  (skipped: {line})")
    if args.quick:
        print("  (--quick: a smoke test; only a disagreement or a failed run fails it)")
    elif status == 0 and not all(met for _, met, _ in targets):
        status = 1
    if status == 0 and any(run.note for run in runs if run.name != "c7n-org"):
        status = 2

    # -- per task and per account, for fleet sizing ------------------------------------------------------
    print("\nper task (Airflow's task instances):")
    for run in runs:
        task_figures(run)
    print("requests per account (the front's count; 'caller' = the caller's own keys):")
    for run in runs:
        per = [n for account, n in run.by_account.items() if account != CALLER]
        if per:
            print(f"  {run.name:11s} mean {statistics.mean(per):7.1f}  min {min(per):5d}  max {max(per):5d}"
                  f"  caller {run.by_account.get(CALLER, 0)}")
    return status


# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--regions", type=int, default=2, help="regions per account (every tool lists them all)")
    parser.add_argument("--busy-regions", type=int, default=None,
                        help="regions with the estate's resources (default: all); the rest hold only moto's "
                             "default VPC, subnets and security group, like a region nobody uses")
    parser.add_argument("--instances", type=int, default=2000, help="EC2 instances over the whole estate")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--servers", type=int, default=None, help="emulator processes (default: one per account, "
                                                                 "at most 8)")
    parser.add_argument("--tools", default="make-dag,scheduler,c7n,boto3",
                        help="which to run, comma-separated (default all)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "bench-peers",
                        help="the run's files (replaced each run) and Cloud Custodian's virtualenv")
    parser.add_argument("--c7n-venv", type=Path, default=None, help="default: <data-dir>/c7n-venv")
    parser.add_argument("--quick", action="store_true", help="2 accounts x 1 region, ~100 instances, 10 ms; "
                                                             "c7n-org only if its virtualenv exists, the scheduler "
                                                             "path only if --tools names it")
    args = parser.parse_args(argv)
    if args.quick:
        args.accounts, args.regions, args.instances, args.latency_ms = 2, 1, 100, 10
    busy = args.regions if args.busy_regions is None else args.busy_regions
    if not 1 <= busy <= args.regions <= len(estate.REGIONS):
        parser.error(f"need 1 <= --busy-regions <= --regions <= {len(estate.REGIONS)}")
    tools = set(args.tools.split(","))
    venv = args.c7n_venv or args.data_dir / "c7n-venv"
    skipped = []
    if args.quick and "scheduler" in tools and args.tools == parser.get_default("tools"):
        tools.discard("scheduler")  # its components' start-up alone takes longer than a smoke test should
        skipped.append("the scheduler path: --quick leaves it out unless --tools names it")
    if "c7n" in tools and args.quick and not (venv / "bin" / "c7n-org").exists():
        tools.discard("c7n")
        skipped.append(f"c7n-org: --quick does not install it and {venv} has none")

    p = estate.scaled(args.instances / (INSTANCES_PER_PAIR * args.accounts * busy), args.accounts, busy)
    regions = list(estate.REGIONS[:args.regions])
    quiet = tuple(regions[busy:])
    snapshot = datetime.now(timezone.utc).date().isoformat()
    servers = args.servers or min(args.accounts, 8)
    work = airflow_runs.fresh(args.data_dir / "run")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"estate: {args.accounts} accounts x {args.regions} regions ({busy} busy: {', '.join(p.regions)}), "
          f"scale {p.scale:.2f}; latency {args.latency_ms:g} ms; {servers} emulator processes; "
          f"types: {len(TYPES)}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; commit {commit}",
          flush=True)

    with Backends(p.accounts, servers) as backends, Front(backends) as front:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INVENTORY_", "AWS_"))}
        env.update({"AWS_ENDPOINT_URL": front.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(work / "no-aws-config"),
                    "AWS_SHARED_CREDENTIALS_FILE": str(work / "no-aws-credentials"),
                    "PYTHONPATH": str(ROOT / "plugins")})
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        started = time.monotonic()
        tally = estate.seed(front.url, p, threads=min(2 * servers, 8), quiet_regions=quiet)
        extract.warm_backends(front.url, dataclasses.replace(p, regions=regions))
        print(f"seeded and warmed in {time.monotonic() - started:.1f}s: "
              + ", ".join(f"{rtype} {sum(n for (_, _, t), n in tally.counts.items() if t == rtype):,}"
                          for rtype in ("ec2_instance", "ebs_volume", "network_interface")), flush=True)
        minimum = extract.minimum_calls(p, tally, tuple(TYPES), regions)
        front.latency_s = args.latency_ms / 1000
        served = Served(backends, front)
        runs = []
        print("running...", flush=True)
        if "make-dag" in tools:
            env_make = ours_env(work, env, regions, p.accounts, "make-dag")
            runs.append(served.measure("make dag", lambda: run_make_dag(work, env_make, snapshot)))
        if "scheduler" in tools:
            env_sched = ours_env(work, env, regions, p.accounts, "scheduler")
            runs.append(run_scheduler(work, env_sched, snapshot, served))
        if "c7n" in tools:
            c7n_org = c7n_venv(venv)
            runs.append(served.measure("c7n-org", lambda: run_c7n(work, env, c7n_org, regions, p.accounts)))
        if "boto3" in tools:
            runs.append(served.measure("boto3 loop", lambda: run_baseline(work, env, regions, p.accounts, snapshot)))
    return report(args, runs, minimum, skipped)


if __name__ == "__main__":
    sys.exit(main())
