"""docker-compose.yaml must describe the topology the native Celery test runs (`native.py`): the same services
and commands, executor, broker / result backend / database schemes, mounted folders, pool and key settings."""
from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path

import pytest
import yaml

from . import native

COMPOSE_FILE = native.PROJECT_ROOT / "docker-compose.yaml"
ENV_EXAMPLE = native.PROJECT_ROOT / ".env.example"
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's `${VAR:-default}` with nothing set: the default (or ""); `$$` is a literal `$` for the shell."""
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return match.group("arg") if match.group("op") in (":-", "-") else ""
    return _VARIABLE.sub(replace, value)


def load_compose(path: Path = COMPOSE_FILE) -> dict:
    return yaml.safe_load(path.read_text())


def command_of(service: dict) -> list[str]:
    command = service.get("command") or []
    return shlex.split(interpolate(command)) if isinstance(command, str) else [interpolate(str(c)) for c in command]


def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: interpolate(str(value)) for key, value in env.items()}


def mounts_of(service: dict) -> dict[str, str]:
    """source -> target, for short-syntax volumes (`./dags:/opt/airflow/dags`, `named:/path`)."""
    mounts = {}
    for volume in service.get("volumes") or []:
        source, target, *_ = interpolate(volume).split(":") if isinstance(volume, str) else (volume["source"], volume["target"])
        mounts[source] = target
    return mounts


def init_commands(service: dict) -> list[list[str]]:
    """The `airflow ...` invocations of the init service's shell script, in order, as argument lists."""
    script = "\n".join(command_of(service)) if isinstance(service.get("command"), list) else str(service.get("command", ""))
    script = interpolate(script) if isinstance(service.get("command"), str) else script
    found = []
    for line in script.splitlines():
        words = shlex.split(line, comments=True) if line.strip() else []
        if words[:1] == ["airflow"]:
            found.append(words[1:])
    return found


def drift(compose: dict) -> list[str]:
    """Every way `compose` differs from the native topology; empty when they agree."""
    problems: list[str] = []
    services = compose.get("services") or {}
    named_volumes = set((compose.get("volumes") or {}).keys())

    airflow_services = {name for name, svc in services.items()
                        if name.startswith("airflow-") or "AIRFLOW__CORE__EXECUTOR" in environment_of(svc)}
    expected = set(native.COMPONENTS) | {native.INIT_SERVICE}
    for extra in sorted(airflow_services - expected):
        problems.append(f"{extra}: an Airflow service the native topology does not run")

    for name in [*native.COMPONENTS, native.INIT_SERVICE]:
        service = services.get(name)
        if service is None:
            problems.append(f"{name}: service missing")
            continue
        if name in native.COMPONENTS:
            if command_of(service) != native.COMPONENTS[name]:
                problems.append(f"{name}: command {command_of(service)} != native {native.COMPONENTS[name]}")
            if "healthcheck" not in service:
                problems.append(f"{name}: no healthcheck")
            init_dep = (service.get("depends_on") or {}).get(native.INIT_SERVICE) if isinstance(
                service.get("depends_on"), dict) else None
            if not init_dep or init_dep.get("condition") != "service_completed_successfully":
                problems.append(f"{name}: does not wait for {native.INIT_SERVICE} to complete successfully")
        if service.get("profiles"):
            problems.append(f"{name}: only in profile(s) {service['profiles']}")

        env = environment_of(service)
        for key, value in native.FIXED_SETTINGS.items():
            if env.get(key) != value:
                problems.append(f"{name}: {key}={env.get(key)!r}, native runs {value!r}")
        for key in native.REQUIRED_SETTINGS:
            if key not in env:
                problems.append(f"{name}: {key} not set")
        for key, scheme in (("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", native.DB_SCHEME),
                            ("AIRFLOW__CELERY__RESULT_BACKEND", native.RESULT_BACKEND_SCHEME),
                            ("AIRFLOW__CELERY__BROKER_URL", native.BROKER_SCHEME)):
            if key in env and not env[key].startswith(f"{scheme}://"):
                problems.append(f"{name}: {key} is not {scheme}:// ({env[key].split('://')[0]}://)")

        mounts = mounts_of(service)
        for folder, setting in native.MOUNTED_FOLDERS.items():
            target = mounts.get(f"./{folder}")
            if target is None:
                problems.append(f"{name}: ./{folder} not mounted")
            elif setting and env.get(setting) != target:
                problems.append(f"{name}: {setting}={env.get(setting)!r} but ./{folder} is mounted at {target}")
        plugins_target = mounts.get("./plugins")
        if plugins_target and plugins_target not in env.get("PYTHONPATH", "").split(":"):
            problems.append(f"{name}: PYTHONPATH does not include the plugins folder {plugins_target}")
        data_dir = env.get(native.DATA_DIR_SETTING)
        data_sources = [source for source, target in mounts.items() if target == data_dir]
        if not data_sources or data_sources[0] not in named_volumes:
            problems.append(f"{name}: {native.DATA_DIR_SETTING}={data_dir!r} is not a named volume")

    worker = services.get(native.SCALABLE_SERVICE) or {}
    if worker and ("container_name" in worker or worker.get("ports")):
        problems.append(f"{native.SCALABLE_SERVICE}: container_name or host ports prevent --scale")

    init = services.get(native.INIT_SERVICE)
    if init is not None:
        ran = init_commands(init)
        position = -1
        for wanted in native.INIT_COMMANDS:
            hits = [i for i, args in enumerate(ran) if args[:len(wanted)] == wanted]
            if not hits:
                problems.append(f"{native.INIT_SERVICE}: does not run `airflow {shlex.join(wanted)}`")
            elif hits[-1] < position:
                problems.append(f"{native.INIT_SERVICE}: `airflow {shlex.join(wanted)}` out of order")
            else:
                position = hits[-1]
    return problems


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


def test_compose_matches_the_native_topology(compose):
    assert drift(compose) == []


def test_native_stack_runs_what_it_declares(tmp_path):
    """The data the drift check compares is what NativeStack really starts with (no process is started here)."""
    stack = native.NativeStack(tmp_path, {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    for key, value in native.FIXED_SETTINGS.items():
        assert stack.env[key] == value
    assert set(native.REQUIRED_SETTINGS) <= set(stack.env)
    assert stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith(f"{native.DB_SCHEME}://")
    assert stack.env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith(f"{native.RESULT_BACKEND_SCHEME}://")
    assert stack.env["AIRFLOW__CELERY__BROKER_URL"].startswith(f"{native.BROKER_SCHEME}://")
    assert stack.env["AIRFLOW__CORE__PLUGINS_FOLDER"] in stack.env["PYTHONPATH"].split(":")
    assert stack.env[native.DATA_DIR_SETTING] == str(stack.data_dir)
    assert native.INIT_COMMANDS[1] == ["pools", "set", "aws_inventory", "8", "AWS API callers (aws_inventory)"]


def _drop_worker(c):
    del c["services"]["airflow-worker"]


def _set(service, key, value):
    def mutate(c):
        c["services"][service]["environment"] = {**c["services"][service]["environment"], key: value}
    return mutate


def _command(service, command):
    def mutate(c):
        c["services"][service]["command"] = command
    return mutate


def _drop_pool(c):
    init = c["services"]["airflow-init"]
    init["command"] = [line if not isinstance(line, str) else "\n".join(
        l for l in line.splitlines() if "pools set" not in l) for line in init["command"]]


def _unmount_plugins(c):
    c["services"]["airflow-scheduler"]["volumes"] = [v for v in c["services"]["airflow-scheduler"]["volumes"]
                                                     if not v.startswith("./plugins:")]


def _add_flower(c):
    c["services"]["airflow-flower"] = {**c["services"]["airflow-worker"], "command": "celery flower"}


@pytest.mark.parametrize("mutate, reported", [
    (_drop_worker, "airflow-worker: service missing"),
    (_command("airflow-scheduler", "standalone"), "airflow-scheduler: command ['standalone']"),
    (_command("airflow-worker", ["celery", "worker", "--queues", "other"]), "airflow-worker: command"),
    (_set("airflow-worker", "AIRFLOW__CORE__EXECUTOR", "LocalExecutor"), "AIRFLOW__CORE__EXECUTOR='LocalExecutor'"),
    (_set("airflow-scheduler", "AIRFLOW__CELERY__BROKER_URL", "amqp://guest@rabbitmq//"), "BROKER_URL is not redis://"),
    (_set("airflow-apiserver", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "sqlite:////tmp/a.db"),
     "SQL_ALCHEMY_CONN is not postgresql+psycopg2://"),
    (_set("airflow-worker", "AIRFLOW__CELERY__RESULT_BACKEND", "redis://redis:6379/1"), "RESULT_BACKEND is not db+postgresql://"),
    (_drop_pool, "does not run `airflow pools set aws_inventory 8"),
    (_unmount_plugins, "airflow-scheduler: ./plugins not mounted"),
    (_add_flower, "airflow-flower: an Airflow service the native topology does not run"),
], ids=["drop-worker", "scheduler-command", "worker-queue", "executor", "broker", "db", "result-backend",
        "pool", "plugins-mount", "extra-service"])
def test_drift_check_reports_a_changed_copy(compose, mutate, reported):
    changed = copy.deepcopy(compose)
    mutate(changed)
    problems = drift(changed)
    assert any(reported in problem for problem in problems), problems
    assert drift(compose) == [], "the original is untouched"


def test_demo_profile_has_the_emulator_and_a_mail_catcher(compose):
    services = compose["services"]
    emulator, mailpit = services["aws-emulator"], services["mailpit"]
    assert emulator["profiles"] == ["demo"] and mailpit["profiles"] == ["demo"]
    command = " ".join(command_of(emulator))
    assert "cloud_inventory.demo.emulator" in command and "--seed-demo" in command and "--port 5000" in command
    assert "--host 0.0.0.0" in command
    assert "healthcheck" in emulator and "8025:8025" in interpolate(" ".join(mailpit["ports"]))
    example = ENV_EXAMPLE.read_text()
    assert "AWS_ENDPOINT_URL=http://aws-emulator:5000" in example
    assert "SMTP_HOST=mailpit" in example


def test_env_example_lists_every_setting():
    example = ENV_EXAMPLE.read_text()
    readme_settings = set(re.findall(r"`(INVENTORY_[A-Z_]+)`", (native.PROJECT_ROOT / "README.md").read_text()))
    listed = set(re.findall(r"^#?(INVENTORY_[A-Z_]+)=", example, re.M))
    assert readme_settings and readme_settings <= listed, sorted(readme_settings - listed)
    compose_variables = {m.group("name") for m in _VARIABLE.finditer(COMPOSE_FILE.read_text().replace("$$", ""))
                         if m.group("name")}
    assert compose_variables <= set(re.findall(r"^#?([A-Z_][A-Z0-9_]*)=", example, re.M)), \
        sorted(compose_variables - set(re.findall(r"^#?([A-Z_][A-Z0-9_]*)=", example, re.M)))
