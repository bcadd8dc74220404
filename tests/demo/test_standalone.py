"""`make airflow` (demo/standalone.py): what it listens on, who is admin, `api.base_url`, and that SIGTERM and
SIGINT stop every process it started.

The two real starts run `python -m cloud_inventory.demo.standalone` the way the Makefile does, each in an Airflow
home and SQLite database of its own under the test's temporary folder (its scheduler must not schedule anything
in the session's shared test database), on free ports, with Airflow's log servers moved to free ports too.
"""
from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cloud_inventory.demo import standalone
from cloud_inventory.settings import DemoUI

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 150
STOP_BOUND = standalone.STOP_GRACE_SECONDS + 15  # seconds from the signal until no process of the tree is left


# -- settings and refusals, without starting anything -----------------------------------------------------------

def test_everyone_is_admin_only_on_loopback():
    loopback = standalone.airflow_environment(DemoUI("127.0.0.1", 8111), {})
    assert loopback == {"AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": "8111",
                        "AIRFLOW__API__BASE_URL": "http://127.0.0.1:8111",
                        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://127.0.0.1:8111/execution/",
                        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}
    assert standalone.airflow_environment(DemoUI("::1", 8111), {})["AIRFLOW__API__BASE_URL"] == "http://[::1]:8111"
    one_address = standalone.airflow_environment(DemoUI("192.0.2.7", 8111), {})
    assert one_address["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert one_address["AIRFLOW__API__BASE_URL"] == "http://192.0.2.7:8111"
    assert one_address["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://192.0.2.7:8111/execution/"
    every_address = standalone.airflow_environment(DemoUI("0.0.0.0", 8111), {})
    assert every_address["AIRFLOW__API__BASE_URL"] == f"http://{socket.getfqdn()}:8111"
    assert every_address["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8111/execution/"
    with pytest.raises(standalone.Refused, match="everyone on the network admin"):
        standalone.airflow_environment(DemoUI("0.0.0.0", 8111), {"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "true"})


def test_it_says_where_the_explorer_is_and_how_to_log_in():
    loopback = DemoUI("127.0.0.1", 8111)
    assert standalone.explorer_url(standalone.airflow_environment(loopback, {})) == "http://127.0.0.1:8111/inventory/"
    assert standalone.login_hint(loopback, {"AIRFLOW_HOME": "/srv/airflow"}) == \
        "no login: on a loopback address everyone who can connect is admin"
    every_address = DemoUI("0.0.0.0", 8111)
    assert standalone.explorer_url(standalone.airflow_environment(every_address, {})) == \
        f"http://{socket.getfqdn()}:8111/inventory/"
    assert standalone.login_hint(every_address, {"AIRFLOW_HOME": "/srv/airflow"}) == (
        "log in as admin with the password Airflow prints the first time it starts and keeps in "
        "/srv/airflow/simple_auth_manager_passwords.json.generated")
    assert standalone.login_hint(DemoUI("192.0.2.7", 8111), {
        "AIRFLOW_HOME": "/srv/airflow", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "alice:admin, bob:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": "/etc/airflow/passwords.json"}) == (
        "log in as alice or bob with the password Airflow prints the first time it starts and keeps in "
        "/etc/airflow/passwords.json")


def run_refused(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cloud_inventory.demo.standalone"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def test_make_airflow_refuses_before_starting_anything():
    with socket.socket() as taken:  # every case runs on a taken port, so none can start anything if a check fails
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        bad_host = run_refused({"INVENTORY_AIRFLOW_HOST": "airflow.example.org", "AIRFLOW_PORT": port})
        open_admin = run_refused({"INVENTORY_AIRFLOW_HOST": "0.0.0.0", "AIRFLOW_PORT": port,
                                  "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"})
        busy = run_refused({"INVENTORY_AIRFLOW_HOST": "", "AIRFLOW_PORT": port})
    assert bad_host.returncode == 2 and "INVENTORY_AIRFLOW_HOST='airflow.example.org' is not an IP" in bad_host.stderr
    assert open_admin.returncode == 2 and "everyone on the network admin" in open_admin.stderr
    assert busy.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "AWS emulator" not in bad_host.stdout + open_admin.stdout + busy.stdout  # nothing was started


# -- the stop's escalation, on a cheap tree that ignores SIGINT and SIGTERM --------------------------------------------
# In a process of its own (a subreaper is one for good): `first` ignores both signals, like a component stuck in its
# shutdown; another process starts a child in a session of its own and exits, so that child is re-parented.
ESCALATION = """
import subprocess, sys, time
from cloud_inventory.demo import standalone

standalone.TERM_TO_KILL_SECONDS = 1
assert standalone.become_subreaper()
STUBBORN = ("import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
            "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(600)")
ORPHAN_MAKER = ("import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', %r], stdout=subprocess.PIPE, "
                "stderr=subprocess.DEVNULL, start_new_session=True); child.stdout.readline(); print(child.pid, flush=True)") % STUBBORN
first = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True)
first.stdout.readline()
orphan = int(subprocess.run([sys.executable, "-c", ORPHAN_MAKER], capture_output=True, text=True).stdout)
print("TREE", first.pid, orphan, flush=True)
started = time.monotonic()
standalone.stop_descendants(keep=set(), first=first, grace=1)
print("STOPPED", round(time.monotonic() - started, 1), flush=True)
"""


def test_what_ignores_the_stop_is_killed_orphans_included():
    done = subprocess.run([sys.executable, "-c", ESCALATION], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    tree = [int(pid) for pid in done.stdout.split("TREE ")[1].split("\n")[0].split()]
    survivors = [pid for pid in tree if "SIG_IGN" in command_line(pid)]
    for pid in survivors:  # so a failure leaves nothing running
        os.kill(pid, signal.SIGKILL)
    assert not survivors, done.stdout  # both gone, the orphan too
    assert "make airflow: killing 2 process(es) still running" in done.stdout
    assert float(done.stdout.split("STOPPED ")[1]) < 5  # grace 1 s, then SIGTERM, then SIGKILL 1 s later


# -- the real thing ----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (so a reused pid is not taken for the old process), None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()[19]  # field 22, starttime (a zombie still counts: nobody reaped it)


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # /proc/net/tcp{,6} prints each 32-bit word of the address in host (little-endian) order
    return str(ipaddress.ip_address(b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))))


def listening_sockets(pids) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the processes `pids` listen on."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:["):-1])
        except OSError:
            continue
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    address, port = fields[1].split(":")
                    found.add((_address(address), int(port, 16)))
    return found


def http(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict, str]:
    """(status, headers, body) without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class MakeAirflow:
    """`python -m cloud_inventory.demo.standalone` with the Makefile's environment, in an Airflow home of its own."""

    def __init__(self, root: Path, **settings: str):
        self.root, self.home = root, root / "airflow"
        self.home.mkdir(parents=True)
        self.port = free_port()
        self.log_ports = {free_port(), free_port()}
        worker_logs, trigger_logs = sorted(self.log_ports)
        bin_dir = Path(sys.executable).parent
        self.env = {**{name: value for name, value in os.environ.items()  # nothing of the caller's Airflow or UI
                       if not name.startswith(("AIRFLOW_", "INVENTORY_AIRFLOW_"))},
                    "AIRFLOW_HOME": str(self.home),
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                    "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
                    "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
                    "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker_logs),
                    "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(trigger_logs),
                    "INVENTORY_DATA_DIR": str(root / "data"),
                    "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
                    "AIRFLOW_PORT": str(self.port), **settings}
        self.log = root / "make-airflow.log"
        self.process: subprocess.Popen | None = None
        self.seen: dict[int, str] = {}  # every process of its tree seen so far, for the clean-up

    def __enter__(self) -> "MakeAirflow":
        with self.log.open("w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "cloud_inventory.demo.standalone"], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
        return self

    def __exit__(self, *exc) -> None:
        """After a failed assertion too, nothing it started may outlive the test."""
        tree = {**self.seen, **(self.tree() if self.process.poll() is None else {})}
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_BOUND)
            except subprocess.TimeoutExpired:
                pass
        for pid, start in tree.items():
            if process_start(pid) == start:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.process.poll() is None:
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_healthy(self) -> None:
        """Until the api-server answers and the scheduler, dag-processor and triggerer heartbeat."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make airflow exited {self.process.returncode}:\n{self.output()}"
            try:
                status, _, body = http("GET", self.url("/api/v2/monitor/health"))
                if status == 200 and all(json.loads(body)[part]["status"] == "healthy"
                                         for part in ("scheduler", "dag_processor", "triggerer")):
                    return
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(0.5)
        pytest.fail(f"make airflow not healthy after {START_TIMEOUT} s:\n{self.output()}")

    def tree(self) -> dict[int, str]:
        """pid -> start time of every process started under it (and itself)."""
        pids = [self.process.pid, *standalone.descendants(self.process.pid)]
        tree = {pid: start for pid in pids if (start := process_start(pid))}
        self.seen.update(tree)
        return tree

    def stop(self, signum: int, tree: dict[int, str]) -> float:
        """Signal it, wait for it to exit 0, and return the seconds until no process of `tree` is left."""
        started = time.monotonic()
        self.process.send_signal(signum)
        assert self.process.wait(STOP_BOUND) == 0, self.output()
        while time.monotonic() - started < STOP_BOUND:
            left = {pid: command_line(pid) for pid, start in tree.items() if process_start(pid) == start}
            if not left:
                return time.monotonic() - started
            time.sleep(0.2)
        pytest.fail(f"still running {STOP_BOUND} s after signal {signum}: {left}")


def components(tree) -> str:
    return "\n".join(command_line(pid) for pid in tree)


def assert_whole_tree(tree) -> None:
    """The snapshot holds every kind of process make airflow starts, so "all gone" means something."""
    names = components(tree)
    for part in ("cloud_inventory.demo.emulator", "airflow standalone", "airflow scheduler", "airflow triggerer",
                 "dag-processor", "api_server", "LocalExecutor"):
        assert part in names, f"no {part!r} among the processes:\n{names}"


def wait_for(check, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.airflow
def test_on_loopback_everyone_is_admin_tasks_reach_its_port_and_sigterm_stops_everything(tmp_path):
    with MakeAirflow(tmp_path) as airflow:
        airflow.wait_healthy()

        listening = listening_sockets(airflow.tree())
        assert {(address, port) for address, port in listening if port == airflow.port} == {("127.0.0.1", airflow.port)}
        # Airflow's own log servers listen on every address (hard-coded in 3.3.2); they answer only requests signed
        # with the installation's secret. Everything else is on loopback.
        assert {port for address, port in listening if not ipaddress.ip_address(address).is_loopback} <= airflow.log_ports
        for port in airflow.log_ports:
            assert http("GET", f"http://127.0.0.1:{port}/log/anything.log")[0] == 403

        # documented: on loopback, no login; /auth/token hands anyone here an admin token
        assert http("GET", airflow.url("/api/v2/dags"))[0] == 200
        assert http("GET", airflow.url("/auth/token"))[0] == 201
        # the api-server's base_url is this host and port (after login it sends the browser there)
        status, headers, _ = http("GET", airflow.url("/auth/token/login"))
        assert (status, headers["location"]) == (307, f"http://127.0.0.1:{airflow.port}")

        # the explorer is where it says, with no login on loopback
        assert f"Inventory explorer: http://127.0.0.1:{airflow.port}/inventory/ (no login: " in airflow.log.read_text()
        assert http("GET", airflow.url("/inventory/"))[0] == 200

        # a task started from the UI reaches the execution API on this port (not 8080)
        wait_for(lambda: http("GET", airflow.url("/api/v2/dags/k8s_inventory"))[0] == 200, "k8s_inventory parsed")
        assert http("PATCH", airflow.url("/api/v2/dags/k8s_inventory"), {"is_paused": False})[0] == 200
        status, _, body = http("POST", airflow.url("/api/v2/dags/k8s_inventory/dagRuns"), {"logical_date": None})
        assert status == 200, body
        run_id = json.loads(body)["dag_run_id"]
        task = airflow.url(f"/api/v2/dags/k8s_inventory/dagRuns/{run_id}/taskInstances/validate_config")

        def validated() -> bool:
            state = json.loads(http("GET", task)[2]).get("state")
            assert state not in ("failed", "upstream_failed"), f"validate_config {state}:\n{airflow.output()}"
            return state == "success"

        wait_for(validated, "validate_config to succeed")

        tree = airflow.tree()
        assert_whole_tree(tree)
        seconds = airflow.stop(signal.SIGTERM, tree)
    assert seconds < STOP_BOUND
    assert "make airflow: stopping Airflow" in airflow.output()
    assert "make airflow: killing" not in airflow.output()  # `airflow standalone` stopped its components in order


# One real start (the default, loopback) is enough for the suite: what another address changes is the environment
# `airflow standalone` is given (test_everyone_is_admin_only_on_loopback above), and what Airflow then does with
# all-admins off (401 without a token, a login with a password) is what the explorer's tests meet on the real
# api-server (tests/explorer/test_auth.py, test_browser.py). SIGINT's path is SIGTERM's (test_what_ignores_the_stop...).
