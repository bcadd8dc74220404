"""The docker-compose topology (see `docker-compose.yaml`), run natively as processes, and described as data.

The constants below are what the native run starts and with which settings; `test_compose_drift.py`
compares them with `docker-compose.yaml`, so the compose file and the tested topology cannot drift apart
unnoticed. `NativeStack` starts them: a fresh PostgreSQL database, a flushed Redis db, `airflow db migrate`,
the pool and the SMTP connection (what `airflow-init` does), then one process group per component.
"""
from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_BIN = Path(sys.executable).parent / "airflow"

# ---- the topology, as data (compared with docker-compose.yaml by test_compose_drift.py) ----------------------
EXECUTOR = "CeleryExecutor"
DB_SCHEME = "postgresql+psycopg2"           # AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
RESULT_BACKEND_SCHEME = "db+postgresql"     # AIRFLOW__CELERY__RESULT_BACKEND (Celery's SQLAlchemy backend)
BROKER_SCHEME = "redis"                     # AIRFLOW__CELERY__BROKER_URL
POOL_NAME = "aws_inventory"
POOL_SLOTS = 8
POOL_DESCRIPTION = "AWS API callers (aws_inventory)"
SMTP_CONN_ID = "smtp_default"

# What the `airflow-init` service runs, in order (arguments after `airflow`).
INIT_COMMANDS: list[list[str]] = [
    ["db", "migrate"],
    ["pools", "set", POOL_NAME, str(POOL_SLOTS), POOL_DESCRIPTION],
    ["connections", "add", SMTP_CONN_ID],   # followed by the connection's fields (host/port from the settings)
]

# compose service -> `airflow` sub-command it runs (the image's entrypoint prepends `airflow`).
COMPONENTS: dict[str, list[str]] = {
    "airflow-apiserver": ["api-server"],
    "airflow-scheduler": ["scheduler"],
    "airflow-dag-processor": ["dag-processor"],
    "airflow-triggerer": ["triggerer"],
    "airflow-worker": ["celery", "worker"],
}
INIT_SERVICE = "airflow-init"
SCALABLE_SERVICE = "airflow-worker"

# Project folders every Airflow component sees, and the setting that must point at each mount.
MOUNTED_FOLDERS: dict[str, str | None] = {
    "dags": "AIRFLOW__CORE__DAGS_FOLDER",
    "plugins": "AIRFLOW__CORE__PLUGINS_FOLDER",
    "include": None,  # found by the library relative to plugins/ (include/config/accounts.demo.yaml)
}
DATA_DIR_SETTING = "INVENTORY_DATA_DIR"   # the lake and warehouse: a named volume in compose, a temp dir here

# Settings with the same value in both topologies.
FIXED_SETTINGS: dict[str, str] = {
    "AIRFLOW__CORE__EXECUTOR": EXECUTOR,
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
}
# Settings both topologies must set (values differ: hosts, secrets, paths).
REQUIRED_SETTINGS: tuple[str, ...] = (
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__PLUGINS_FOLDER",
    "PYTHONPATH",
    DATA_DIR_SETTING,
    "INVENTORY_TASK_RETRIES",
)

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 13


def reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def celery_executor_import_error() -> str | None:
    """Why the CeleryExecutor cannot be imported with the installed packages (None when it can).

    Every component that loads the executor (scheduler, worker) dies on such an error, so the native run
    checks it first and says so instead of timing out.
    """
    done = subprocess.run([sys.executable, "-c", "import airflow.providers.celery.executors.celery_executor"],
                          capture_output=True, text=True, timeout=120)
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or ["(no output)"])[-1]


def _redis_flush(db: int) -> None:
    import redis

    redis.Redis(host=REDIS[0], port=REDIS[1], db=db, socket_timeout=5).flushdb()


def pg_admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


class NativeStack:
    """The compose topology as local processes, each in its own process group; `stop()` ends them all."""

    def __init__(self, workdir: Path, extra_env: dict[str, str]) -> None:
        self.workdir = workdir
        self.home = workdir / "airflow-home"
        self.logs = workdir / "logs"
        self.data_dir = workdir / "data"
        self.db_name = f"topology_{uuid.uuid4().hex[:12]}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.timings: dict[str, float] = {}
        self._db_created = False
        for folder in (self.home, self.logs, self.data_dir):
            folder.mkdir(parents=True, exist_ok=True)
        db_url = f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{self.db_name}"
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("AIRFLOW", "INVENTORY_", "AWS_"))}
        self.env = {
            **inherited,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url.replace("postgresql://", f"{DB_SCHEME}://", 1),
            "AIRFLOW__CELERY__BROKER_URL": f"{BROKER_SCHEME}://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}",
            "AIRFLOW__CELERY__RESULT_BACKEND": db_url.replace("postgresql://", f"{RESULT_BACKEND_SCHEME}://", 1),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "8",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "PYTHONPATH": str(PROJECT_ROOT / "plugins"),
            "PYTHONUNBUFFERED": "1",
            DATA_DIR_SETTING: str(self.data_dir),
            "INVENTORY_TASK_RETRIES": "0",
            **FIXED_SETTINGS,
            **extra_env,
        }

    # ---- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> "NativeStack":
        started = time.monotonic()
        pg_admin(f'CREATE DATABASE "{self.db_name}"')
        self._db_created = True
        _redis_flush(REDIS_DB)
        smtp = ["--conn-type", "smtp", "--conn-host", "127.0.0.1", "--conn-port", "1025"]
        for args in INIT_COMMANDS:
            self.airflow(*args, *(smtp if args[:2] == ["connections", "add"] else []))
        self.timings["init"] = time.monotonic() - started
        for service, args in COMPONENTS.items():
            log = open(self.logs / f"{service}.log", "wb")
            self.procs[service] = subprocess.Popen([str(AIRFLOW_BIN), *args], env=self.env, cwd=self.workdir,
                                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                   start_new_session=True)
            log.close()
        return self

    def airflow(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run([str(AIRFLOW_BIN), *args], env=self.env, cwd=self.workdir, capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"airflow {shlex.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                               f"{done.stderr[-3000:]}")
        return done.stdout

    def _signal_groups(self, signum: int) -> None:
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signum)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        import psutil

        family: list[psutil.Process] = []
        for proc in self.procs.values():
            try:
                family += [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
        self._signal_groups(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        self._signal_groups(signal.SIGKILL)
        for proc in self.procs.values():
            proc.wait(timeout=10)
        for leftover in family:  # anything that left its group (task runners, uvicorn/gunicorn children)
            try:
                leftover.kill()
            except psutil.NoSuchProcess:
                pass
        self.procs.clear()
        try:
            _redis_flush(REDIS_DB)
        finally:
            if self._db_created:
                pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
                self._db_created = False

    def __enter__(self) -> "NativeStack":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- observation -------------------------------------------------------------------------------------
    def log(self, service: str) -> str:
        path = self.logs / f"{service}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_tails(self, lines: int = 40) -> str:
        return "\n".join(f"----- {name} -----\n" + "\n".join(self.log(name).splitlines()[-lines:])
                         for name in COMPONENTS)

    def check_alive(self) -> None:
        dead = {name: proc.returncode for name, proc in self.procs.items() if proc.poll() is not None}
        if dead:
            raise RuntimeError(f"component(s) exited: {dead}\n{self.log_tails()}")

    # ---- REST API (Airflow 3: JWT bearer; with all-admins GET /auth/token issues one without credentials) --
    def token(self) -> str:
        if not getattr(self, "_token", None):
            self._token = self.request("GET", "/auth/token", auth=False)["access_token"]
        return self._token

    def request(self, method: str, path: str, body=None, auth: bool = True, timeout: float = 30):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null")

    def wait_for(self, what: str, probe, timeout: float, interval: float = 1.0):
        """Poll `probe()` until it returns something truthy; fail with the components' logs otherwise."""
        started = time.monotonic()
        last: object = None
        while time.monotonic() - started < timeout:
            self.check_alive()
            try:
                last = probe()
                if last:
                    self.timings[what] = time.monotonic() - started
                    return last
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
                last = error
            time.sleep(interval)
        raise TimeoutError(f"{what}: not within {timeout:.0f}s (last: {last!r})\n{self.log_tails()}")
