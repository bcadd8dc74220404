"""Airflow on this machine: `make airflow-db` (the metadata database and the pool) and `make dag` (one DAG run).

`python -m cloud_inventory.airflow_local db --pool NAME --slots N` migrates Airflow's metadata database when its
schema is behind the installed Airflow and sets the pool, in one process.

`python -m cloud_inventory.airflow_local dag DAG_ID DATE --pool NAME --slots N` does the same, then runs
`airflow dags test DAG_ID DATE --use-executor` in this process with the LocalExecutor, so mapped tasks run
concurrently, at most N at once: the executor's parallelism, which is what bounds them here (`dags test` queues
every ready task to the executor without looking at pools). The exit status is the run's outcome.

The LocalExecutor's tasks talk to Airflow through its execution API, which `dags test` alone does not serve. A
child process serves it on a free port of 127.0.0.1, with a JWT secret made for this run only. It is forked after
Airflow is imported, so it does not import Airflow again, and it warms itself (the first request builds the API's
routes) on the other core while this process checks the database and parses the DAGs. Its only clients are this
run's tasks, whose Task SDK is the installed one, so it serves only that API version (`only_this_task_sdks_version`):
building the routes of every older version Airflow keeps for older workers took 4.7-5.0 CPU s, 0.7 s for one.
It is stopped when the run ends, whatever the outcome. While the run lasts, `dags test` looks for finished tasks
every POLL_SECONDS instead of every second (`polling_faster`).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import inspect
import logging
import multiprocessing
import os
import secrets
import socket
import sys
import threading
import time
import urllib.request
import warnings

LOOPBACK = "127.0.0.1"
SERVER_STOP_SECONDS = 10
POLL_SECONDS = 0.2  # how often `dags test` looks for finished tasks while some run (its own: 1 s)


def main(argv: list[str] | None = None) -> int:
    # Airflow's in-process API client imports Starlette's test client, which warns about its own httpx dependency
    # on every command: a line about Airflow's dependencies, nothing the caller can act on.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    parser = argparse.ArgumentParser(prog="python -m cloud_inventory.airflow_local", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("db", "migrate the metadata database if needed and set the pool"),
                            ("dag", "one DAG run through `airflow dags test --use-executor`, tasks concurrent")):
        command = commands.add_parser(name, help=help_text)
        if name == "dag":
            command.add_argument("dag_id")
            command.add_argument("logical_date", help="YYYY-MM-DD")
        command.add_argument("--pool", required=True, help="the pool the AWS API callers share")
        command.add_argument("--slots", type=int, required=True, help="its slots; for `dag` also the tasks at once")
    args = parser.parse_args(argv)
    if args.slots < 1:
        parser.error("--slots must be at least 1")
    if args.command == "db":
        prepare_database(args.pool, args.slots)
        return 0
    return run_dag(args.dag_id, args.logical_date, args.pool, args.slots)


def prepare_database(pool: str, slots: int) -> None:
    """`airflow db migrate` when the schema is not at the installed Airflow's head, then the pool."""
    from airflow.models.pool import Pool
    from airflow.utils import db

    try:
        db.check_migrations(timeout=0)  # one look: the heads in the database against Airflow's
    except TimeoutError:
        airflow_cli(["db", "migrate"])
    Pool.create_or_update_pool(pool, slots, f"AWS API callers ({pool})", include_deferred=False)


def run_dag(dag_id: str, logical_date: str, pool: str, slots: int) -> int:
    listener = loopback_listener()
    port = listener.getsockname()[1]
    # Read by Airflow's configuration when Airflow is first imported, so set before that.
    os.environ.update({
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(slots),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{LOOPBACK}:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),  # 64 bytes: HS512's recommended minimum
        # A task's supervisor can miss its process's exit and notice it only at its next heartbeat, 5 s later
        # by default, holding the slot (and, for the last tasks, the run's end) that long; 1 s bounds the wait.
        "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
        # The first task's first request can wait for the server's warm-up (seconds of CPU, more on a busy
        # machine); past the default 5 s the client would give up and send it again.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
    })
    os.environ.setdefault("AIRFLOW__LOGGING__NAMESPACE_LEVELS", "http.access=warning")  # one line per request
    import airflow.api_fastapi.app  # noqa: F401  imported before the fork, so the server inherits it

    server = multiprocessing.get_context("fork").Process(target=serve_execution_api, args=(listener,),
                                                         name="execution-api", daemon=True)
    server.start()
    listener.close()  # the server's copy stays open; tasks forked later must not hold the port
    print(f"make dag: execution API on {LOOPBACK}:{port} (pid {server.pid}); at most {slots} tasks at once",
          flush=True)
    try:
        prepare_database(pool, slots)
        preload(dag_id)
        with polling_faster():
            airflow_cli(["dags", "test", dag_id, logical_date, "--use-executor"])  # a failed run: SystemExit, 1
    finally:
        stop(server)
    return 0


def preload(dag_id: str) -> None:
    """Before the executor forks its workers (and while the server warms up): the DAG's pipeline module
    (`cloud_inventory.pipeline.<dag_id>`, the project's convention) and, when it talks to AWS, the service models of
    the types INVENTORY_RESOURCE_TYPES names (all by default), so that every task's process inherits them instead
    of importing and parsing them again (about 0.4 s and 0.7 s of CPU a task)."""
    name = f"cloud_inventory.pipeline.{dag_id}"
    if importlib.util.find_spec(name) is None:
        return
    importlib.import_module(name)
    if "cloud_inventory.aws.sessions" in sys.modules:
        from cloud_inventory import settings
        from cloud_inventory.aws.registry import selected
        from cloud_inventory.aws.sessions import preload_clients

        try:
            entries = selected(settings.load().resource_types)
        except settings.SettingsError:
            return  # the run's first task reports it
        preload_clients(sorted({entry.service for entry in entries} | {"sts"}))


class _WhileTasksRun(logging.Filter):
    """Drops `dags test`'s "No tasks to run" warning: with an executor it means only that tasks are running."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No tasks to run.")


@contextlib.contextmanager
def polling_faster():
    """`dags test --use-executor` looks for finished tasks once a second (`time.sleep(1)` in `DAG.test` whenever
    no task is ready to queue), so each step of a DAG waited half a second on average, the run's end too. Within
    this block a sleep called from `DAG.test` itself lasts at most POLL_SECONDS (any other sleep is untouched), and
    the warning it logs at each look is dropped."""
    from airflow.sdk.definitions.dag import DAG, log

    polling_loop = inspect.unwrap(DAG.test).__code__
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        real_sleep(min(seconds, POLL_SECONDS) if sys._getframe(1).f_code is polling_loop else seconds)

    quiet = _WhileTasksRun()
    time.sleep = sleep
    log.addFilter(quiet)
    try:
        yield
    finally:
        time.sleep = real_sleep
        log.removeFilter(quiet)


def loopback_listener() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(128)
    return listener


def serve_execution_api(listener: socket.socket) -> None:
    """The child: Airflow's execution API alone (no UI, no public API) on the listener, until SIGTERM."""
    import uvicorn

    from airflow.api_fastapi.app import create_app

    only_this_task_sdks_version()
    server = uvicorn.Server(uvicorn.Config(create_app(apps="execution"), log_config=None, access_log=False,
                                           log_level="warning"))
    port = listener.getsockname()[1]
    threading.Thread(target=warm, args=(server, port), daemon=True).start()
    server.run(sockets=[listener])


def only_this_task_sdks_version() -> bool:
    """Makes the execution API apps created after it serve only the installed Task SDK's API version: Airflow's
    version bundle cut to its newest version, when that is the SDK's (else nothing changes: an SDK of another
    Airflow would need the older versions), and the routes kept only for older versions left out. True if cut."""
    from cadwyn import HeadVersion, Version, VersionBundle

    from airflow.api_fastapi.execution_api import versions
    from airflow.api_fastapi.execution_api.routes import execution_api_router
    from airflow.sdk.api.datamodels._generated import API_VERSION

    try:
        from cadwyn.route_generation import _DELETED_ROUTE_TAG  # how Cadwyn marks a route of older versions only
    except ImportError:  # another Cadwyn: serve every version, as Airflow does
        return False
    if versions.bundle.versions[0].value != API_VERSION:
        return False
    versions.bundle = VersionBundle(HeadVersion(), Version(API_VERSION))
    execution_api_router.routes[:] = [route for route in execution_api_router.routes
                                      if _DELETED_ROUTE_TAG not in (getattr(route, "tags", None) or ())]
    return True


def warm(server, port: int) -> None:
    """Sends the first request, which builds the routes of every API version, before any task needs an answer."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/execution/health", timeout=120) as answer:
        answer.read()


def stop(server) -> None:
    server.terminate()  # SIGTERM: uvicorn finishes the requests in flight and exits
    server.join(SERVER_STOP_SECONDS)
    if server.is_alive():
        server.kill()
        server.join()


def airflow_cli(arguments: list[str]) -> None:
    """Runs an `airflow` command in this process, as the `airflow` script would."""
    from airflow.cli import cli_parser

    args = cli_parser.get_parser().parse_args(arguments)
    args.func(args)


if __name__ == "__main__":
    try:
        status = main()
    except SystemExit as exiting:  # argparse's errors, and `dags test`'s "DagRun failed"
        status = exiting.code
    if isinstance(status, str):
        print(status, file=sys.stderr)
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything started here has stopped and been waited for: skip the interpreter's teardown of the thousands of
    # modules Airflow loaded, about a second of the run's end.
    os._exit(status or 0)
