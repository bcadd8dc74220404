"""`make airflow`: the Airflow UI (standalone: api-server, scheduler, dag-processor, triggerer) on the demo estate.

Starts the AWS emulator seeded with the demo estate, points every Airflow component at it through
AWS_ENDPOINT_URL, and runs `airflow standalone` until SIGINT (Ctrl-C) or SIGTERM.

What it exposes (README, "What make airflow exposes"):
- It listens on INVENTORY_AIRFLOW_HOST (default 127.0.0.1) and AIRFLOW_PORT (default 8080), and sets
  `[api] base_url` and `[core] execution_api_server_url` to them, so tasks reach the API server it started.
- On a loopback address everyone who can connect is admin, with no login (the simple auth manager's
  "all admins"): anyone with a shell on this machine can. On any other address it never does that: the
  simple auth manager's users log in (`admin` by default) with a password Airflow generates, prints once
  and keeps in its passwords file; asking for "all admins" there is refused.
- It prints where the inventory explorer is (<base_url>/inventory/) and how to log in.
- On SIGINT or SIGTERM it stops every process it started: this process is a child subreaper, so processes
  whose parent died (task runners sit in process groups of their own) come back to it instead of init.
  `airflow standalone` gets SIGINT (it stops its components in order); whatever is left after
  STOP_GRACE_SECONDS gets SIGTERM, then SIGKILL; the emulator stops last. The order matters: the LocalExecutor
  workers ignore SIGTERM (they inherit the scheduler's handler) and leave only on the scheduler's "stop"
  message, and `airflow standalone` relays its components' output, so it must outlive their shutdown.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.demo.run import DEMO_FAULTS
from cloud_inventory.explorer.mount import PREFIX as EXPLORER_PREFIX
from cloud_inventory.settings import DemoUI, SettingsError, demo_ui

# How long `airflow standalone` gets to stop its components (LocalExecutor workers wait for their running tasks, the
# api-server for open connections: 120 s) before everything left gets SIGTERM, and then SIGKILL.
STOP_GRACE_SECONDS = 20
TERM_TO_KILL_SECONDS = 5
_PR_SET_CHILD_SUBREAPER = 36


class Refused(Exception):
    """A combination of settings `make airflow` will not run; the message says which and why."""


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def airflow_environment(ui: DemoUI, environ: dict[str, str]) -> dict[str, str]:
    """The Airflow settings for serving on `ui`; refuses "all admins" on an address other machines can reach."""
    all_admins = environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "").strip().lower() == "true"
    if not ui.loopback and all_admins:
        raise Refused(f"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True with INVENTORY_AIRFLOW_HOST={ui.host}: "
                      "that would make everyone on the network admin; unset it to log in with a password")
    unspecified = ui.host in ("0.0.0.0", "::")
    # A browser elsewhere needs a name for this machine; tasks (LocalExecutor, this machine) use loopback when
    # the server listens on every address, else the one address it listens on.
    public = socket.getfqdn() if unspecified else ui.host
    local = ("::1" if ui.host == "::" else "127.0.0.1") if unspecified else ui.host
    return {
        "AIRFLOW__API__HOST": ui.host,
        "AIRFLOW__API__PORT": str(ui.port),
        "AIRFLOW__API__BASE_URL": f"http://{url_host(public)}:{ui.port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{url_host(local)}:{ui.port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True" if ui.loopback else "False",
    }


def explorer_url(overrides: dict[str, str]) -> str:
    """The inventory explorer's page on the api-server airflow_environment() configures."""
    return f"{overrides['AIRFLOW__API__BASE_URL']}{EXPLORER_PREFIX}/"


def passwords_file(environ: dict[str, str]) -> str:
    """Where the simple auth manager keeps the passwords it generates (Airflow's [core] setting, or its default)."""
    configured = environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", "").strip()
    home = environ.get("AIRFLOW_HOME", "").strip() or os.path.expanduser("~/airflow")
    return configured or os.path.join(home, "simple_auth_manager_passwords.json.generated")


def login_hint(ui: DemoUI, environ: dict[str, str]) -> str:
    """How people log in to the UI (and so to the explorer) that `make airflow` serves on `ui`."""
    if ui.loopback:
        return "no login: on a loopback address everyone who can connect is admin"
    users = environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "").strip() or "admin:admin"
    names = " or ".join(entry.split(":")[0].strip() for entry in users.split(",") if entry.strip())
    return (f"log in as {names} with the password Airflow prints the first time it starts and keeps in "
            f"{passwords_file(environ)}")


def check_port_free(ui: DemoUI) -> None:
    family = socket.AF_INET6 if ":" in ui.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no obstacle
        try:
            probe.bind((ui.host, ui.port))
        except OSError as error:
            raise Refused(f"cannot listen on {url_host(ui.host)}:{ui.port} (INVENTORY_AIRFLOW_HOST, AIRFLOW_PORT): "
                          f"{error.strerror}") from None


# -- the process tree ------------------------------------------------------------------------------------------

def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to this process instead of init (Linux), so none escapes the stop."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state letter), from /proc."""
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    text = stat.read()
            except OSError:  # gone meanwhile
                continue
            state, parent = text[text.rindex(")") + 2:].split()[:2]  # the command name may hold spaces and ")"
            found[int(entry.name)] = (int(parent), state)
    return found


def descendants(root: int, processes: dict[int, tuple[int, str]] | None = None) -> dict[int, str]:
    """Every descendant of `root` (not `root`), pid -> state letter ("Z": exited, not yet reaped)."""
    processes = _processes() if processes is None else processes
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    found, todo = {}, list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        found[pid] = processes[pid][1]
        todo.extend(children.get(pid, ()))
    return found


def _signal(pids, signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def stop_descendants(keep: set[int], first: subprocess.Popen | None = None, grace: float = STOP_GRACE_SECONDS,
                     kill_now=lambda: False) -> None:
    """Stop every descendant of this process except `keep`, reaping the orphans re-parented here, until none is left.

    SIGINT to `first` (`airflow standalone`: it stops its components in order, and they keep an open stdout to
    log their shutdown), SIGTERM to everything left once it has exited or after `grace` seconds, SIGKILL to
    everything left TERM_TO_KILL_SECONDS later; straight to SIGKILL when kill_now() says so.
    """
    me = os.getpid()
    phase, since = "asked", time.monotonic()
    if first is not None and first.poll() is None:
        first.send_signal(signal.SIGINT)
    else:
        phase = "terminated"
    terminated: set[int] = set()
    while True:
        if first is not None:
            first.poll()  # reaps it, keeping its exit status
        processes = _processes()
        left = {pid: state for pid, state in descendants(me, processes).items() if pid not in keep}
        for pid, state in left.items():
            if state == "Z" and processes[pid][0] == me and (first is None or pid != first.pid):
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        alive = {pid for pid, state in left.items() if state != "Z"}
        if not left:
            return
        elapsed = time.monotonic() - since
        if kill_now() and phase != "killed" or phase == "terminated" and elapsed > TERM_TO_KILL_SECONDS:
            phase = "killed"
            print(f"make airflow: killing {len(alive)} process(es) still running", flush=True)
        elif phase == "asked" and (elapsed > grace or first.returncode is not None):
            phase, since = "terminated", time.monotonic()
        if phase == "killed":
            _signal(alive, signal.SIGKILL)
        elif phase == "terminated":
            _signal(alive - terminated, signal.SIGTERM)  # new ones too: a component may start one while stopping
            terminated |= alive
        time.sleep(0.1)


# -- the command -----------------------------------------------------------------------------------------------

class _Stop:
    """SIGINT and SIGTERM ask for a stop; a second one while stopping skips the grace period."""

    def __init__(self) -> None:
        self.signals: list[int] = []

    def __call__(self, signum, frame) -> None:
        self.signals.append(signum)

    @property
    def requested(self) -> bool:
        return bool(self.signals)

    def again(self) -> bool:
        return len(self.signals) > 1


def main() -> int:
    stop = _Stop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    try:
        ui = demo_ui()
        overrides = airflow_environment(ui, dict(os.environ))
        check_port_free(ui)
    except (SettingsError, Refused) as error:
        print(f"make airflow: {error}", file=sys.stderr)
        return 2
    if not become_subreaper():
        print("make airflow: cannot become a child subreaper (not Linux?): processes whose parent exits "
              "may survive the stop", file=sys.stderr)
    bin_dir = Path(sys.executable).parent
    airflow = None
    with Emulator(seed_demo=True) as emulator:
        emulator.set_faults(DEMO_FAULTS)
        env = {**os.environ, **emulator.env(), **overrides,
               # `airflow standalone` starts its components as "airflow" from PATH: the same installation
               "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])}
        print(f"AWS emulator with the demo estate on {emulator.url}; Airflow UI on {overrides['AIRFLOW__API__BASE_URL']}"
              f" listening on {url_host(ui.host)}:{ui.port} (Ctrl-C stops both)", flush=True)
        print(f"Inventory explorer: {explorer_url(overrides)} ({login_hint(ui, env)})", flush=True)
        try:
            if not stop.requested:
                # its own session: Ctrl-C in the terminal reaches only this process, which stops the tree in order
                airflow = subprocess.Popen([str(bin_dir / "airflow"), "standalone"], env=env, start_new_session=True)
                while airflow.poll() is None and not stop.requested:
                    time.sleep(0.2)
        finally:
            print("make airflow: stopping Airflow", flush=True)
            stop_descendants(keep={emulator.pid} if emulator.pid else set(), first=airflow, kill_now=stop.again)
    stop_descendants(keep=set(), kill_now=stop.again)  # anything the emulator left
    if stop.requested or airflow is None:
        return 0
    return airflow.returncode


if __name__ == "__main__":
    sys.exit(main())
