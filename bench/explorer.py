"""Explorer benchmark: how fast the explorer answers on the warehouse bench/marts.py builds, and that it keeps
answering, without an error, while a build replaces that warehouse.

    python bench/explorer.py                 # 200,000 resources x 30 days (bench/marts.py's lake), the real api-server
    python bench/explorer.py --quick         # 5,000 resources x 5 days, 20 clients for 5 s: a smoke test (checks only)
    python bench/explorer.py --via testclient   # Airflow's app in this process (FastAPI's TestClient), no server

1. The warehouse: bench/marts.py's lake (generated once into data/bench-marts/, shared with that bench), days 1..D
   hard-linked into data/bench-explorer/<lake>/lake and built in full once into base.duckdb there (a rerun with the
   same parameters reuses both). Each run copies base.duckdb to warehouse.duckdb, the file the explorer reads.
2. The explorer: the real `airflow api-server` with the plugin (tests/explorer/api_server.py: an Airflow home of its
   own, a free loopback port, the simple auth manager; --workers as Airflow's [api] workers, default 1), or with
   --via testclient Airflow's API app in this process. A viewer logs in through POST /auth/token.
3. Samples, read from base.duckdb beforehand: --samples identifiers of each kind people paste (private IP, DNS name,
   resource id, Name tag, tag key=value), the resources with the most versions (history) and EC2 instances, the
   largest resource type, and the filter of it closest above 10,000 rows for the CSV.
4. One client, one request at a time (after warm-up requests, not counted): search p50/p95 per kind of query; the
   resource page (HTML, with its history) and its JSON; the type table's page (HTML) and JSON over a few filters;
   the CSV of >= 10,000 rows (all of it read).
5. Under load: --clients clients (threads, each its own connection) for --seconds s, each looping over the mix
   (a search of each kind, a resource page, a table page); 5 s in, day D+1 is linked into the lake and an incremental
   build (runner.build, in a process of its own) replaces the warehouse. The load goes on until the build is done.
6. Prints the figures and [MET]/[MISSED]: search p95 < 100 ms for each kind, resource page p95 < 300 ms. Checks:
   0 errors under load, the build succeeded during the load, answers switched to it (EC2 instances new on day D+1:
   no match before, found after). Exits 2 if a check fails, 1 if a target is missed (not in --quick).
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import warnings
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (str(ROOT / "plugins"), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

import marts  # noqa: E402  (bench/marts.py: its lake, its hard-linked copies, its build in a child process)
import marts_lake  # noqa: E402

TARGET_SEARCH_P95_MS = 100
TARGET_RESOURCE_P95_MS = 300
CSV_ROWS = 10_000
DEFAULT_WORK = ROOT / "data" / "bench-explorer"
USERS = {"viewer": "viewer"}
PASSWORDS = {"viewer": "bench-viewer-password"}
KINDS = ("ip", "dns", "id", "name", "tag")
SAMPLE_SQL = {  # identifiers of each kind, as people paste them (marts.resource_lookup, marts.inventory_current)
    "ip": "select identifier from marts.resource_lookup where identifier_kind = 'private_ip'",
    "dns": "select identifier from marts.resource_lookup where identifier_kind in ('dns_name', 'route53_record')",
    "id": "select identifier from marts.resource_lookup where identifier_kind = 'id'",
    "name": "select identifier from marts.resource_lookup where identifier_kind = 'name_tag'",
    "tag": "select key || '=' || value as identifier from (select unnest(map_keys(tags)) as key, "
           "unnest(map_values(tags)) as value from marts.inventory_current) where key <> 'Name'",
}


def api_server_class():
    """tests/explorer/api_server.py's ApiServer (loaded by path: this file is `explorer` on the bench's path)."""
    spec = importlib.util.spec_from_file_location("explorer_api_server", ROOT / "tests" / "explorer" / "api_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ApiServer


# --------------------------------------------------------------------------------------------------
# the warehouse


def prepare(p: marts_lake.Params, cache: Path, work_root: Path) -> tuple[Path, Path, dict]:
    """(lake folder of bench/marts.py's cache, this bench's work folder, the base build's figures or {} if cached)."""
    folder, summary, gen_s = marts.cached_lake(p, cache)
    print(("lake generated in {:.1f}s".format(gen_s) if gen_s is not None else "lake generated before (cached)")
          + f": {folder}", flush=True)
    work = work_root / folder.name
    base = work / "base.duckdb"
    if base.exists() and (work / "base.json").exists():
        return folder, work, {}
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    linked = marts.link_tree(folder / "lake", work / "lake")
    print(f"linked {linked:,} files of days 1..D into {work / 'lake'}; full build of base.duckdb...", flush=True)
    built = marts.run_child("build", job(folder, work, base, full_refresh=True), work)
    if "error" in built:
        raise SystemExit(f"the base build failed:\n{built['error']}")
    (work / "base.json").write_text(json.dumps({"seconds": built["seconds"], "warehouse_mb": built["warehouse_mb"]}))
    print(f"  {built['seconds']:.1f}s, {built['warehouse_mb']:,.0f} MB", flush=True)
    return folder, work, built


def job(folder: Path, work: Path, warehouse: Path, full_refresh: bool) -> dict:
    return {"lake": str(work / "lake"), "warehouse": str(warehouse), "accounts": str(folder / "accounts.yaml"),
            "data_dir": str(work / "data"), "full_refresh": full_refresh}


def samples(base: Path, folder: Path, n: int) -> dict:
    """What the bench asks, read from the base warehouse (read-only) and the +1 day's lake files."""
    import duckdb

    con = duckdb.connect(str(base), read_only=True)
    try:
        out = {kind: [row[0] for row in con.execute(
            f"select distinct identifier from ({sql}) order by hash(identifier) limit ?", [n]).fetchall()]
            for kind, sql in SAMPLE_SQL.items()}
        columns = "resource_type, account_id, region, resource_id"
        most_versions = con.execute(f"select {columns} from marts.inventory_history group by {columns} "
                                    "order by count(*) desc, hash(resource_id) limit ?", [n - n // 2]).fetchall()
        instances = con.execute(f"select {columns} from marts.inventory_current where resource_type = 'ec2_instance' "
                                "order by hash(resource_id) limit ?", [n // 2]).fetchall()
        out["resources"] = [list(row) for row in most_versions + instances]
        counts = con.execute("select resource_type, count(*) from marts.inventory_current group by 1 "
                             "order by 2 desc").fetchall()
        largest = counts[0][0]
        first = con.execute("select account_id, region, environment from marts.inventory_current "
                            "where resource_type = ? order by hash(resource_id) limit 1", [largest]).fetchone()
        out["tables"] = [{"resource_type": largest}, {"resource_type": largest, "offset": 500}] + [
            {"resource_type": largest, name: value}
            for name, value in zip(("account_id", "region", "environment"), first) if value is not None]
        out["csv"] = csv_filter(con)
        extra = folder / "extra" / "raw" / "aws" / "ec2_instance"
        out["new_on_extra_day"] = [row[0] for row in con.execute(
            "select distinct resource_id from read_parquet(?) where resource_id not in "
            "(select resource_id from marts.inventory_current where resource_type = 'ec2_instance') "
            "order by resource_id limit 5", [str(extra / "**" / "*.parquet")]).fetchall()] if extra.exists() else []
    finally:
        con.close()
    return out


def csv_filter(con) -> tuple[dict, int]:
    """The filter whose rows are the fewest at or above CSV_ROWS (the most rows, when none reaches it)."""
    options = []
    for columns in ([], ["environment"], ["region"], ["account_id"]):
        select = ", ".join(["resource_type", *columns])
        for row in con.execute(f"select {select}, count(*) from marts.inventory_current group by all").fetchall():
            options.append((dict(zip(["resource_type", *columns], row[:-1])), row[-1]))
    above = [option for option in options if option[1] >= CSV_ROWS]
    return min(above, key=lambda o: o[1]) if above else max(options, key=lambda o: o[1])


# --------------------------------------------------------------------------------------------------
# the explorer and its clients


class Explorer:
    """GET on the explorer as the viewer: through HTTP to the real api-server, or in-process (TestClient)."""

    def __init__(self, via: str, work: Path, warehouse: Path, workers: int, airflow_db: Path | None = None):
        self.via, self.server, self.app = via, None, None
        home = work / "airflow"
        self.env = {"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                    "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                    # not a line per request on the bench's output (in-process) or in the server's log
                    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
        os.environ.update(self.env)
        home.mkdir(parents=True, exist_ok=True)
        if airflow_db is not None:  # one migrated already (the tests' session database)
            shutil.copyfile(airflow_db, home / "airflow.db")
        elif not (home / "airflow.db").exists():  # Airflow's metadata database, migrated once and kept
            print("airflow db migrate (once)...", flush=True)
            subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], check=True,
                           capture_output=True, env={**os.environ})
        if via == "server":
            ApiServer = api_server_class()
            server_home = work / "api-server"
            shutil.rmtree(server_home, ignore_errors=True)
            started = time.monotonic()
            self.server = ApiServer(server_home, home / "airflow.db", warehouse, USERS, PASSWORDS, workers=workers,
                                    extra_env={"INVENTORY_LAKE_URI": str(work / "lake")})
            self.server.start()
            print(f"airflow api-server ({workers} worker(s)) answering on {self.server.url} after "
                  f"{time.monotonic() - started:.1f}s", flush=True)
            self.base_url = self.server.url
        else:
            passwords = work / "passwords.json"
            passwords.write_text(json.dumps(PASSWORDS))
            os.environ.update({
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
                "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager."
                                               "SimpleAuthManager",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                "INVENTORY_WAREHOUSE_PATH": str(warehouse), "INVENTORY_LAKE_URI": str(work / "lake")})
            warnings.simplefilter("ignore")  # Airflow's and Starlette's deprecation notes, once per import
            from airflow.api_fastapi.app import create_app
            from fastapi.testclient import TestClient

            self.app = TestClient(create_app("core"), base_url="http://localhost")
            self.app.__enter__()
            self.base_url = "http://localhost"
        self.local = threading.local()
        answer = self.client().post("/auth/token", json={"username": "viewer", "password": PASSWORDS["viewer"]})
        if answer.status_code != 201:
            raise SystemExit(f"cannot log in as the viewer: {answer.status_code} {answer.text[:300]}")
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def client(self):
        """This thread's client (its own connection to the server; the shared TestClient in-process)."""
        if self.app is not None:
            return self.app
        if not hasattr(self.local, "client"):
            import httpx

            self.local.client = httpx.Client(base_url=self.base_url, timeout=120)
        return self.local.client

    def get(self, path: str) -> tuple[int, bytes, float]:
        """(status, body, seconds) of one GET, the body read whole."""
        started = time.perf_counter()
        answer = self.client().get(path, headers=self.headers)
        body = answer.content
        return answer.status_code, body, time.perf_counter() - started

    def close(self) -> None:
        if self.app is not None:
            self.app.__exit__(None, None, None)
        if self.server is not None:
            self.server.stop()


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile of seconds, in ms."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


def search_path(text: str) -> str:
    return "/inventory/api/search?" + urlencode({"q": text, "limit": 50})


def resource_paths(resource: list) -> tuple[str, str]:
    kind, account, region, resource_id = resource
    tail = f"{quote(kind)}/{quote(account)}/{quote(region)}/{quote(resource_id, safe='/')}"
    return f"/inventory/resources/{tail}", f"/inventory/api/resources/{tail}"


def table_paths(filters: dict) -> tuple[str, str]:
    return (f"/inventory/resources?{urlencode(filters)}",
            f"/inventory/api/resources?{urlencode({**filters, 'limit': 50})}")


class Timing:
    """Latencies of one kind of request; `errors` for any answer but 200."""

    def __init__(self, label: str):
        self.label, self.seconds, self.errors, self.matches = label, [], [], []

    def line(self) -> str:
        if not self.seconds:
            return f"  {self.label:34s} no answers: {self.errors[:1]}"
        extra = f"  {sum(self.matches) / len(self.matches):8.1f}" if self.matches else ""
        return (f"  {self.label:34s} {len(self.seconds):6d} {pct(self.seconds, .5):8.1f} {pct(self.seconds, .95):8.1f} "
                f"{max(self.seconds) * 1000:8.1f}{extra}" + (f"  ({len(self.errors)} errors: {self.errors[0]})"
                                                           if self.errors else ""))


def measure(explorer: Explorer, label: str, paths: list[str], rounds: int, warm_up: int = 3,
            count_matches: bool = False) -> Timing:
    timing = Timing(label)
    for path in paths[:warm_up]:
        explorer.get(path)
    for _ in range(rounds):
        for path in paths:
            status, body, seconds = explorer.get(path)
            if status != 200:
                timing.errors.append(f"{status} {path}: {body[:200]!r}")
                continue
            timing.seconds.append(seconds)
            if count_matches:
                timing.matches.append(len(json.loads(body)["matches"]))
    return timing


# --------------------------------------------------------------------------------------------------
# under load, during a rebuild


def load(explorer: Explorer, mix: list[tuple[str, list[str]]], clients: int, seconds: float, rebuild) -> dict:
    """`clients` threads loop over `mix` for `seconds` (and until the rebuild is done); the rebuild starts 5 s in."""
    records: list[tuple[str, float, float, int]] = []  # (label, started, seconds, status)
    failures: list[str] = []
    stop = threading.Event()

    def client(number: int) -> None:
        turn = number
        while not stop.is_set():
            label, paths = mix[turn % len(mix)]
            path = paths[(turn // len(mix)) % len(paths)]
            turn += 1
            started = time.monotonic()
            try:
                status, body, took = explorer.get(path)
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                failures.append(f"{label}: {type(error).__name__}: {error}")
                records.append((label, started, time.monotonic() - started, -1))
                continue
            if status != 200:
                failures.append(f"{label}: {status} {path}: {body[:200]!r}")
            records.append((label, started, took, status))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(min(5.0, seconds / 2))
    build: dict = {}
    builder = threading.Thread(target=lambda: build.update(rebuild()), daemon=True)
    build_started = time.monotonic()
    builder.start()
    while time.monotonic() - began < seconds or builder.is_alive():
        time.sleep(0.2)
    time.sleep(max(0.0, build.get("finished_at", 0) + 2 - time.monotonic()))  # answers from the new build too
    stop.set()
    for thread in threads:
        thread.join(120)
    return {"records": records, "failures": failures, "build": build, "began": began, "ended": time.monotonic(),
            "build_started": build_started, "build_finished": build.get("finished_at")}


# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--accounts", type=int, default=25)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--end-date", type=date.fromisoformat, default=None,
                        help="the added day (default today, UTC), as bench/marts.py")
    parser.add_argument("--cache-dir", type=Path, default=marts.DEFAULT_CACHE, help="bench/marts.py's lake cache")
    parser.add_argument("--work-dir", type=Path, default=None, help=f"default {DEFAULT_WORK}, or <cache-dir>/explorer "
                        "when --cache-dir is given")
    parser.add_argument("--via", choices=("server", "testclient"), default="server")
    parser.add_argument("--workers", type=int, default=1, help="the api-server's workers (Airflow's default: 1)")
    parser.add_argument("--samples", type=int, default=50, help="identifiers of each kind, resources, ...")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the samples, one client")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--airflow-db", type=Path, default=None,
                        help="a migrated Airflow metadata database (SQLite) to copy instead of migrating one")
    parser.add_argument("--quick", action="store_true", help="5,000 resources x 5 days, 10 samples, 5 s of load")
    args = parser.parse_args(argv)
    if args.quick:
        args.resources, args.days, args.accounts, args.regions, args.clusters = 5000, 5, 5, 2, 1
        args.samples, args.rounds, args.seconds = 10, 1, 5
    work_root = args.work_dir or (args.cache_dir / "explorer" if args.cache_dir != marts.DEFAULT_CACHE else DEFAULT_WORK)
    end = args.end_date or datetime.now(timezone.utc).date()
    p = marts_lake.Params(resources=args.resources, days=args.days, accounts=args.accounts, regions=args.regions,
                          clusters=args.clusters, namespace_copies=1 if args.quick else 8,
                          dumps_per_day=2 if args.quick else 4, end=end)
    print(f"lake: {args.resources:,} resources, {args.accounts} accounts x {args.regions} regions, {args.clusters} "
          f"clusters; days {p.dates[0]}..{p.dates[-2]} (+1 day {p.dates[-1]}); {os.cpu_count()} CPUs", flush=True)
    folder, work, base_build = prepare(p, args.cache_dir, work_root)
    base, warehouse = work / "base.duckdb", work / "warehouse.duckdb"
    for leftover in work.glob("warehouse.duckdb*"):  # the last run's warehouse (with day D+1), its lock, a dead build
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    shutil.copyfile(base, warehouse)
    asked = samples(base, folder, args.samples)
    import duckdb

    with duckdb.connect(str(base), read_only=True) as con:
        current = con.execute("select count(*) from marts.inventory_current").fetchone()[0]
        history = con.execute("select count(*) from marts.inventory_history").fetchone()[0]
    print(f"warehouse {base.stat().st_size / 2 ** 20:,.0f} MB: {current:,} resources now, {history:,} versions in "
          f"marts.inventory_history; copied to {warehouse}", flush=True)

    explorer = Explorer(args.via, work, warehouse, args.workers, args.airflow_db)
    try:
        return run(args, explorer, asked, folder, work, warehouse)
    finally:
        explorer.close()


def run(args, explorer: Explorer, asked: dict, folder: Path, work: Path, warehouse: Path) -> int:
    print(f"\none client, via {args.via} ({args.rounds} pass(es) over the samples after 3 warm-up requests):", flush=True)
    print(f"  {'':34s} {'count':>6s} {'p50_ms':>8s} {'p95_ms':>8s} {'max_ms':>8s}  matches/query")
    timings: dict[str, Timing] = {}
    for kind in KINDS:
        timings[f"search {kind}"] = measure(explorer, f"search {kind}", [search_path(x) for x in asked[kind]],
                                            args.rounds, count_matches=True)
        print(timings[f"search {kind}"].line(), flush=True)
    pages = [resource_paths(r) for r in asked["resources"]]
    tables = [table_paths(f) for f in asked["tables"]]
    for label, paths in (("resource page (HTML, history)", [page for page, _ in pages]),
                         ("resource (JSON)", [api for _, api in pages]),
                         ("type table page (HTML)", [page for page, _ in tables] * max(1, args.samples // 10)),
                         ("type table (JSON, 50 rows)", [api for _, api in tables] * max(1, args.samples // 10))):
        timings[label] = measure(explorer, label, paths, args.rounds)
        print(timings[label].line(), flush=True)

    csv_filters, expected_rows = asked["csv"]
    csv_path = f"/inventory/api/resources?{urlencode({**csv_filters, 'format': 'csv'})}"
    status, body, seconds = explorer.get(csv_path)
    rows = len(list(csv.reader(io.StringIO(body.decode())))) - 1 if status == 200 else None
    csv_line = (f"{rows:,} rows ({expected_rows:,} in marts.inventory_current for {csv_filters}), "
                f"{len(body) / 2 ** 20:.1f} MB in {seconds:.2f}s" if status == 200 else
                f"ERROR {status}: {body[:300]!r}")
    print(f"  {'CSV':34s} {csv_line}", flush=True)

    # under load, during a rebuild
    mix = [(f"search {kind}", [search_path(x) for x in asked[kind]]) for kind in KINDS]
    for label, paths in (("resource page (HTML, history)", [page for page, _ in pages]),
                         ("type table page (HTML)", [page for page, _ in tables])):
        mix.append((label, paths))
    new_ids = asked["new_on_extra_day"]
    before_switch = {x: len(json.loads(explorer.get(search_path(x))[1])["matches"]) for x in new_ids}

    def rebuild() -> dict:
        linked = marts.link_tree(folder / "extra", work / "lake")
        result = marts.run_child("build", job(folder, work, warehouse, full_refresh=False), work)
        return {**result, "linked": linked, "finished_at": time.monotonic()}

    print(f"\n{args.clients} clients for {args.seconds:g}s (and until the rebuild is done), via {args.via}; "
          "day D+1 linked in and built incrementally 5 s in...", flush=True)
    under = load(explorer, mix, args.clients, args.seconds, rebuild)
    after_switch = {x: len(json.loads(explorer.get(search_path(x))[1])["matches"]) for x in new_ids}
    records, build = under["records"], under["build"]
    elapsed = under["ended"] - under["began"]
    print(f"  {len(records):,} requests in {elapsed:.1f}s ({len(records) / elapsed:,.1f}/s); rebuild "
          + (f"{build['seconds']:.1f}s (own clock; {build['finished_at'] - under['build_started']:.1f}s with its "
             f"process start), {build['linked']:,} files linked" if "error" not in build else "FAILED"), flush=True)
    print(f"  {'':34s} {'count':>6s} {'p50_ms':>8s} {'p95_ms':>8s} {'max_ms':>8s}")
    loaded: dict[str, Timing] = {}
    for label, _ in mix:
        timing = loaded[label] = Timing(label)
        timing.seconds = [took for lab, _, took, status in records if lab == label and status == 200]
        timing.errors = [str(status) for lab, _, _, status in records if lab == label and status != 200]
        print(timing.line())
    all_ok = [took for *_, took, status in records if status == 200]
    if all_ok:
        print(f"  {'all':34s} {len(all_ok):6d} {pct(all_ok, .5):8.1f} {pct(all_ok, .95):8.1f} {max(all_ok) * 1000:8.1f}")
    swapped = under["build_finished"]
    during = sum(1 for _, started, _, _ in records if swapped and under["build_started"] <= started < swapped)
    after = sum(1 for _, started, _, _ in records if swapped and started >= swapped)

    targets = []
    for kind in KINDS:
        t = timings[f"search {kind}"]
        targets.append((f"search p95 < {TARGET_SEARCH_P95_MS} ms, {kind}", t, TARGET_SEARCH_P95_MS))
    for label in ("resource page (HTML, history)", "resource (JSON)"):
        targets.append((f"{label} p95 < {TARGET_RESOURCE_P95_MS} ms", timings[label], TARGET_RESOURCE_P95_MS))
    status_code = 0
    print("\ntargets (one client):")
    for label, timing, limit in targets:
        if not timing.seconds:
            print(f"  [MISSED] {label}: no answers ({timing.errors[:1]})")
            status_code = max(status_code, 1)
        else:
            p95 = pct(timing.seconds, .95)
            print(f"  [{'MET' if p95 < limit else 'MISSED'}] {label}: {p95:.1f} ms")
            if p95 >= limit:
                status_code = max(status_code, 1)

    errors = under["failures"] + [e for t in timings.values() for e in t.errors] + (
        [csv_line] if csv_line.startswith("ERROR") else [])
    checks = [
        ("0 errors (one client and under load)", not errors,
         f"{len(errors)} of {len(records) + sum(len(t.seconds) + len(t.errors) for t in timings.values()):,} requests"
         + (f"; first: {errors[0]}" if errors else "")),
        ("the rebuild succeeded and replaced the warehouse during the load", "error" not in build and bool(swapped),
         f"{during:,} requests while it ran, {after:,} after it" if "error" not in build
         else build["error"].splitlines()[-1][:300]),
        ("requests answered after the swap", after > 0, f"{after:,}"),
    ]
    if new_ids:
        checks.append(("answers switched to the new build: EC2 instances new on day D+1 found after, not before",
                       all(n == 0 for n in before_switch.values()) and all(n > 0 for n in after_switch.values()),
                       f"matches before {list(before_switch.values())}, after {list(after_switch.values())}"))
    print("\nchecks:")
    for label, passed, value in checks:
        print(f"  [{'OK' if passed else 'FAILED'}] {label}: {value}")
    if not all(passed for _, passed, _ in checks):
        return 2
    if args.quick:
        print("  (--quick: a smoke test; the warehouse is too small for the targets, so only a failed check fails it)")
        return 0
    return status_code


if __name__ == "__main__":
    sys.exit(main())
