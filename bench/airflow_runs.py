"""Our extraction as people run it, for bench/peers.py: `make dag`, and the scheduler path production runs.

Both only use commands and interfaces users have (make, the airflow CLI, the REST API, the metadata
database's task instances), so they keep working whatever the DAG's tasks look like inside.

* ``make_dag``: ``make dag ID=aws_inventory DATE=<today>`` in the project, with an Airflow home of its own
  (its database made by ``make airflow-db`` beforehand, as on any machine that ran it once).
* ``SchedulerStack``: ``airflow api-server``, ``scheduler`` and ``dag-processor`` as processes (LocalExecutor,
  PostgreSQL at 127.0.0.1:5432 when it answers, else SQLite), the pool ``aws_inventory`` with 8 slots; a run
  is triggered through the REST API once the DAG is parsed and timed from the trigger to the run's end.
"""
from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# the topology test's local PostgreSQL and ports, the same services this benchmark runs Airflow against
from topology.native import POSTGRES, free_port, pg_admin, reachable  # noqa: E402
AIRFLOW = Path(sys.executable).parent / "airflow"
DAG_ID = "aws_inventory"
POOL, POOL_SLOTS = "aws_inventory", 8
COMPONENTS = {"api-server": ["api-server"], "scheduler": ["scheduler"], "dag-processor": ["dag-processor"]}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def task_instances(db_url: str, run_id: str | None = None) -> list[dict]:
    """The DAG's task instances (of `run_id`, or of every run): task, map index, state, start, end, seconds."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(db_url)
    query = ("select task_id, map_index, state, start_date, end_date, duration, try_number from task_instance "
             "where dag_id = :dag" + (" and run_id = :run" if run_id else ""))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text(query), {"dag": DAG_ID, "run": run_id}).mappings().all()
    finally:
        engine.dispose()
    return [dict(row) for row in rows]


def make_dag(env: dict[str, str], home: Path, snapshot: str, log: Path) -> dict:
    """`make dag ID=aws_inventory DATE=<snapshot>` timed; `-o venv`: the venv is never (re)installed while timed."""
    env = {**env, "AIRFLOW_HOME": str(home)}
    home.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        subprocess.run(["make", "-s", "-o", "venv", "-C", str(ROOT), "airflow-db"], env=env, stdout=out,
                       stderr=subprocess.STDOUT, check=True)
        cpu, started = children_cpu(), time.monotonic()
        done = subprocess.run(["make", "-o", "venv", "-C", str(ROOT), "dag", f"ID={DAG_ID}", f"DATE={snapshot}"],
                              env=env, stdout=out, stderr=subprocess.STDOUT)
        wall, cpu = time.monotonic() - started, children_cpu() - cpu
    database = home / "airflow.db"  # make's default: SQLite in the Airflow home
    return {"wall_s": wall, "cpu_s": cpu, "exit": done.returncode,
            "tasks": task_instances(f"sqlite:///{database}") if database.exists() else []}


class SchedulerStack:
    """The Airflow components as processes, each in its own process group; `stop()` ends them and drops the DB."""

    def __init__(self, env: dict[str, str], home: Path, logs: Path) -> None:
        self.home, self.logs = home, logs
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.db_name = f"bench_peers_{uuid.uuid4().hex[:10]}" if reachable(*POSTGRES) else None
        self.db_url = (f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{self.db_name}" if self.db_name
                       else f"sqlite:///{home / 'airflow.db'}")
        self._token = ""
        self.env = {
            **env,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.db_url.replace("postgresql://", "postgresql+psycopg2://"),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            # as docker-compose.yaml: a finished task's successor queued within 0.2 s, not up to 1 s
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
            # only the run the benchmark triggers: no catch-up run of the @daily schedule competes with it
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "PYTHONPATH": str(ROOT / "plugins"),
        }
        self.startup: dict[str, float] = {}

    def start(self) -> "SchedulerStack":
        started = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.db_name:
            pg_admin(f'CREATE DATABASE "{self.db_name}"')
        self.airflow("db", "migrate")
        self.airflow("pools", "set", POOL, str(POOL_SLOTS), "AWS API callers (aws_inventory)")
        self.startup["db migrate + pool"] = time.monotonic() - started
        for name, args in COMPONENTS.items():
            with open(self.logs / f"{name}.log", "wb") as log:
                self.procs[name] = subprocess.Popen([str(AIRFLOW), *args], env=self.env, cwd=self.home, stdout=log,
                                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                    start_new_session=True)
        self.wait("api-server answers", lambda: self.request("GET", "/api/v2/monitor/health", auth=False), 180)
        self.wait("DAG parsed", lambda: self.request("GET", f"/api/v2/dags/{DAG_ID}"), 300)
        # The execution API builds its routes for every API version on its first request (seconds of CPU): a
        # production api-server paid that once, long before the run, so it is start-up here too.
        self.wait("execution API answers", lambda: self.request("GET", "/execution/health", auth=False), 180)
        self.startup["components up, DAG parsed"] = time.monotonic() - started - self.startup["db migrate + pool"]
        return self

    def airflow(self, *args: str) -> None:
        done = subprocess.run([str(AIRFLOW), *args], env=self.env, cwd=self.home, capture_output=True, text=True,
                              timeout=600)
        if done.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")

    def request(self, method: str, path: str, body=None, auth: bool = True):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            if not self._token:
                self._token = self.request("GET", "/auth/token", auth=False)["access_token"]
            headers["Authorization"] = f"Bearer {self._token}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def wait(self, what: str, probe, timeout: float, interval: float = 0.5):
        deadline = time.monotonic() + timeout
        while True:
            dead = [name for name, proc in self.procs.items() if proc.poll() is not None]
            if dead:
                raise RuntimeError(f"{what}: {dead} exited; logs in {self.logs}")
            try:
                answer = probe()
                if answer:
                    return answer
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {timeout:.0f}s; logs in {self.logs}")
            time.sleep(interval)

    def cpu(self) -> float:
        """CPU seconds of every component process and its descendants so far (ended ones included, via wait)."""
        import psutil

        total = 0.0
        for proc in self.procs.values():
            try:
                root = psutil.Process(proc.pid)
                family = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for member in family:
                try:
                    times = member.cpu_times()
                    total += times.user + times.system + times.children_user + times.children_system
                except psutil.NoSuchProcess:
                    pass
        return total

    def run_dag(self, timeout: float = 1800) -> dict:
        """Unpause, trigger one run now, wait for its end: trigger-to-end seconds, state, task instances, CPU."""
        self.request("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        cpu = self.cpu()
        triggered = datetime.now(timezone.utc)
        run = self.request("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": triggered.isoformat()})
        path = f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.request.quote(run['dag_run_id'], safe='')}"
        run = self.wait("run finished", lambda: (lambda r: r if r["state"] in ("success", "failed") else None)(
            self.request("GET", path)), timeout, interval=0.25)
        cpu = self.cpu() - cpu
        ended = datetime.fromisoformat(run["end_date"].replace("Z", "+00:00"))
        return {"wall_s": (ended - triggered).total_seconds(), "cpu_s": cpu, "state": run["state"],
                "tasks": task_instances(self.db_url, run["dag_run_id"])}

    def stop(self) -> None:
        import psutil

        family = []
        for proc in self.procs.values():
            try:
                family += psutil.Process(proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                pass
        for signum in (signal.SIGTERM, signal.SIGKILL):
            for proc in self.procs.values():
                try:
                    os.killpg(proc.pid, signum)
                except ProcessLookupError:
                    pass
            for proc in self.procs.values():
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    pass
        for leftover in family:  # task processes that left their group
            try:
                leftover.kill()
            except psutil.NoSuchProcess:
                pass
        self.procs.clear()
        if self.db_name:
            pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self.db_name = None

    def __enter__(self) -> "SchedulerStack":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
