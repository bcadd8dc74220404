"""The real `airflow api-server` with the explorer plugin, as a process for the tests that need one (the browser
tests, the explorer benchmark's server mode).

It runs in an Airflow home of its own (a copy of the session's migrated metadata database, so nothing it does
touches the database other tests use), on a free loopback port, with the simple auth manager's users and passwords
of tests/explorer/conftest.py in a passwords file, the plugin loaded from plugins/ and the warehouse it is given.
It runs in a process group of its own; `stop()` ends the whole group (SIGTERM, then SIGKILL) and waits until no
process of it is left.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

START_TIMEOUT = 180  # seconds; the api-server imports Airflow, FastAPI's apps and the plugins on 2 shared cores
STOP_TIMEOUT = 30
AIRFLOW = Path(sys.executable).parent / "airflow"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, str]:
    """(status, body) of a GET, without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


class ApiServer:
    """`airflow api-server` on 127.0.0.1:<free port>; a context manager (started on enter, stopped on exit)."""

    def __init__(self, home: Path, metadata_db: Path, warehouse: Path, users: dict[str, str],
                 passwords: dict[str, str], extra_env: dict[str, str] | None = None, workers: int = 1):
        self.home, self.port, self.workers = Path(home), free_port(), workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.home / "api-server.log"
        self.process: subprocess.Popen | None = None
        self.home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(metadata_db, self.home / "airflow.db")  # migrated once per session (airflow_db)
        passwords_file = self.home / "simple_auth_manager_passwords.json"
        passwords_file.write_text(json.dumps(passwords))
        self.env = {
            **os.environ,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{user}:{role}" for user, role in users.items()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__API__BASE_URL": self.url,  # where the login sends the browser back to
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
            "INVENTORY_WAREHOUSE_PATH": str(warehouse),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT / "plugins"), os.environ.get("PYTHONPATH")])),
            **(extra_env or {}),
        }

    def __enter__(self) -> "ApiServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(AIRFLOW), "api-server", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.home, start_new_session=True)
        try:
            self.wait_until_it_answers()
        except BaseException:
            self.stop()
            raise

    def output(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def wait_until_it_answers(self) -> None:
        """Until Airflow's health check answers and the explorer is mounted (401 without a login, not 404)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"airflow api-server exited {self.process.returncode}:\n{self.output()}")
            try:
                if get(f"{self.url}/api/v2/monitor/health")[0] == 200:
                    status, body = get(f"{self.url}/inventory/api/search?q=x")
                    if status != 401:
                        raise RuntimeError(f"the api-server answers, but /inventory/api/search without a login "
                                           f"gave {status} (plugin not loaded?): {body[:300]}\n{self.output()}")
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"airflow api-server did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def group_alive(self) -> list[int]:
        """The processes of its process group that still run (not zombies)."""
        alive = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid and fields[0] != "Z":  # fields[2]: process group id
                alive.append(int(entry.name))
        return alive

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL to what is left after STOP_TIMEOUT; waits until none runs."""
        if self.process is None:
            return
        for signum, patience in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + patience
            while time.monotonic() < deadline:
                self.process.poll()  # reaps the leader
                if not self.group_alive():
                    break
                time.sleep(0.2)
            else:
                continue
            break
        if self.process.poll() is None:
            self.process.wait(10)
        left = self.group_alive()
        if left:
            raise RuntimeError(f"processes of the api-server's group still run after SIGKILL: {left}")
