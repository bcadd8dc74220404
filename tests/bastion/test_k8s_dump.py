"""include/bastion/k8s-dump.sh, run for real under `sh`: a stand-in kubectl first on PATH, the real
AWS CLI (the venv's) against the emulator's S3."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest

from cloud_inventory.demo.emulator import Emulator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT_ROOT / "include" / "bastion" / "k8s-dump.sh"
FIXTURE = PROJECT_ROOT / "tests" / "data" / "k8s" / "dump-list.json"
VENV_BIN = Path(sys.executable).parent
KINDS = ("pods,services,ingresses,deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs,nodes,"
         "persistentvolumeclaims,persistentvolumes,namespaces,events")
KEY_RE = re.compile(r"^dumps/cluster=prod-eu-1/dt=(\d{4}-\d{2}-\d{2})/(\d{8}T\d{6}Z)\.json\.gz$")

pytestmark = pytest.mark.skipif(shutil.which("sh") is None or not (VENV_BIN / "aws").exists(),
                                reason="needs sh and the venv's AWS CLI")


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture
def s3(emulator):
    emulator.set_faults([])
    yield boto3.client("s3", endpoint_url=emulator.url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    emulator.set_faults([])


@pytest.fixture
def bucket(s3) -> str:
    name = f"dumps-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


class Bastion:
    """A bastion's environment in tmp_path: a stand-in kubectl that records its arguments, its own TMPDIR."""

    def __init__(self, tmp_path: Path, emulator: Emulator) -> None:
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        self.argv_file = tmp_path / "kubectl.argv"
        self.emulator = emulator
        self.kubectl(output=FIXTURE)

    def kubectl(self, output: Path | None = None, status: int = 0, stderr: str = "", sleep: float = 0) -> None:
        lines = ["#!/bin/sh", f"printf '%s\\n' \"$@\" > '{self.argv_file}'"]
        if stderr:
            lines.append(f"echo '{stderr}' >&2")
        if output is not None:
            lines.append(f"cat '{output}'")
        if sleep:
            lines.append(f"exec sleep {sleep}")
        lines.append(f"exit {status}")
        path = self.bin / "kubectl"
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o755)

    def kubectl_argv(self) -> list[str] | None:
        return self.argv_file.read_text().splitlines() if self.argv_file.exists() else None

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "KUBE", "CLUSTER_NAME", "DUMPS_URI", "INVENTORY_DUMPS_URI"))}
        env.update(self.emulator.env())
        env.update({
            "PATH": os.pathsep.join([str(self.bin), str(VENV_BIN), "/usr/bin", "/bin"]),
            "TMPDIR": str(self.tmp),
            "AWS_CONFIG_FILE": str(self.tmp.parent / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.tmp.parent / "no-aws-credentials"),
            "AWS_MAX_ATTEMPTS": "1",
        })
        env.update(extra)
        return env

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", str(SCRIPT), *args], env=self.env(**extra_env), capture_output=True,
                              text=True, timeout=60)

    def leftovers(self) -> list[Path]:
        return list(self.tmp.iterdir())


@pytest.fixture
def bastion(tmp_path, emulator) -> Bastion:
    return Bastion(tmp_path, emulator)


def _keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _check_uploaded(s3, bucket: str, proc: subprocess.CompletedProcess[str], started: dt.datetime,
                    finished: dt.datetime) -> str:
    assert proc.returncode == 0, proc.stderr
    keys = _keys(s3, bucket)
    assert len(keys) == 1, keys
    match = KEY_RE.match(keys[0])
    assert match, keys[0]
    day, stamp = match.groups()
    taken = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    assert started <= taken <= finished
    assert day == taken.strftime("%Y-%m-%d")  # the partition is the UTC date of the same instant

    obj = s3.get_object(Bucket=bucket, Key=keys[0])
    body = obj["Body"].read()
    assert gzip.decompress(body) == FIXTURE.read_bytes()
    assert json.loads(gzip.decompress(body))["kind"] == "List"
    head = s3.head_object(Bucket=bucket, Key=keys[0])
    assert head["ServerSideEncryption"] == "AES256"  # moto records the x-amz-server-side-encryption header
    assert head["ContentType"] == "application/gzip"

    # one line on stdout: the object and its size
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    assert f"s3://{bucket}/{keys[0]}" in lines[0]
    assert f"{head['ContentLength']} bytes gzip" in lines[0]
    assert proc.stderr == ""
    return keys[0]


def test_dump_uploads_one_encrypted_object_under_the_cluster_and_utc_date(bastion, s3, bucket):
    started = _utc_now()
    proc = bastion.run("prod-eu-1", f"s3://{bucket}/dumps/")
    _check_uploaded(s3, bucket, proc, started, _utc_now())

    argv = bastion.kubectl_argv()
    assert argv[:2] == ["get", KINDS]
    assert "--all-namespaces" in argv
    assert argv[argv.index("-o") + 1] == "json"
    assert "--request-timeout=60s" in argv
    assert "--context" not in argv
    assert bastion.leftovers() == []


def test_dump_reads_env_and_passes_the_kubectl_context(bastion, s3, bucket):
    started = _utc_now()
    proc = bastion.run(CLUSTER_NAME="prod-eu-1", DUMPS_URI=f"s3://{bucket}/dumps", KUBECTL_CONTEXT="arn:aws:eks:eu-west-1:1:cluster/prod",
                       KUBECTL_REQUEST_TIMEOUT="2m")
    _check_uploaded(s3, bucket, proc, started, _utc_now())
    argv = bastion.kubectl_argv()
    assert argv[:3] == ["--context", "arn:aws:eks:eu-west-1:1:cluster/prod", "get"]
    assert "--request-timeout=2m" in argv


def test_kubectl_failure_uploads_nothing_and_exits_3(bastion, s3, bucket):
    # kubectl prints what it could list and fails on the rest: still nothing may be uploaded
    bastion.kubectl(output=FIXTURE, status=1,
                    stderr='Error from server (Forbidden): ingresses.networking.k8s.io is forbidden')
    proc = bastion.run("prod-eu-1", f"s3://{bucket}/dumps")
    assert proc.returncode == 3
    assert "cluster 'prod-eu-1'" in proc.stderr and "exit code 1" in proc.stderr
    assert "Forbidden" in proc.stderr  # kubectl's own message reaches the log too
    assert proc.stdout == ""
    assert _keys(s3, bucket) == []
    assert bastion.leftovers() == []


def test_empty_kubectl_output_uploads_nothing_and_exits_3(bastion, s3, bucket):
    bastion.kubectl(output=None, status=0)
    proc = bastion.run("prod-eu-1", f"s3://{bucket}/dumps")
    assert proc.returncode == 3
    assert "cluster 'prod-eu-1'" in proc.stderr and "printed nothing" in proc.stderr
    assert _keys(s3, bucket) == []
    assert bastion.leftovers() == []


@pytest.mark.parametrize("args, env, message", [
    ((), {}, "missing cluster name"),
    (("prod-eu-1",), {}, "missing cluster name or dumps uri"),
    (("Prod_EU", "s3://b-u-c/dumps"), {}, "invalid cluster name 'Prod_EU'"),
    (("-prod", "s3://b-u-c/dumps"), {}, "invalid cluster name"),
    (("prod-", "s3://b-u-c/dumps"), {}, "invalid cluster name"),
    (("prod/../other", "s3://b-u-c/dumps"), {}, "invalid cluster name"),
    (("a" * 64, "s3://b-u-c/dumps"), {}, "longer than 63"),
    (("prod-eu-1", "https://b-u-c/dumps"), {}, "invalid dumps uri"),
    (("prod-eu-1", "/var/dumps"), {}, "invalid dumps uri"),
    (("prod-eu-1", "s3://"), {}, "bad bucket name"),
    (("prod-eu-1", "s3://Bucket/dumps"), {}, "bad bucket name"),
    (("prod-eu-1", "s3://b-u-c//dumps"), {}, "invalid dumps uri"),
    (("prod-eu-1", "s3://b-u-c/dumps", "extra"), {}, "too many arguments"),
    ((), {"CLUSTER_NAME": "bad name", "DUMPS_URI": "s3://b-u-c/dumps"}, "invalid cluster name"),
    (("prod-eu-1", "s3://b-u-c/dumps"), {"KUBECTL_REQUEST_TIMEOUT": "1m; rm"}, "invalid KUBECTL_REQUEST_TIMEOUT"),
])
def test_usage_errors_exit_2_before_kubectl(bastion, args, env, message):
    proc = bastion.run(*args, **env)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert bastion.kubectl_argv() is None  # kubectl never ran
    assert bastion.leftovers() == []


def test_help(bastion):
    proc = bastion.run("--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage:")
    assert bastion.kubectl_argv() is None


def test_upload_denied_exits_4_and_leaves_nothing(bastion, emulator, s3, bucket):
    emulator.set_faults([{"service": "s3", "code": "AccessDenied", "status": 403}])
    proc = bastion.run("prod-eu-1", f"s3://{bucket}/dumps")
    emulator.set_faults([])
    assert proc.returncode == 4
    assert "cluster 'prod-eu-1'" in proc.stderr and f"s3://{bucket}/dumps/cluster=prod-eu-1/dt=" in proc.stderr
    assert "AccessDenied" in proc.stderr  # the CLI's own error reaches the log
    assert proc.stdout == ""
    assert _keys(s3, bucket) == []
    assert bastion.leftovers() == []
    stats = emulator.stats()["by_action"]
    assert stats.get("s3:PutObject", 0) >= 1  # it did try


def test_upload_to_missing_bucket_exits_4(bastion, s3):
    proc = bastion.run("prod-eu-1", f"s3://no-such-{uuid.uuid4().hex[:12]}/dumps")
    assert proc.returncode == 4
    assert "NoSuchBucket" in proc.stderr
    assert bastion.leftovers() == []


def test_terminated_run_removes_its_temp_files(bastion, s3, bucket):
    bastion.kubectl(output=FIXTURE, sleep=30)
    proc = subprocess.Popen(["sh", str(SCRIPT), "prod-eu-1", f"s3://{bucket}/dumps"], env=bastion.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 10
    while bastion.kubectl_argv() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bastion.leftovers(), "the dump should be in progress"
    os.killpg(proc.pid, signal.SIGTERM)  # what cron/systemd/flock -w timeouts do: the whole group
    proc.communicate(timeout=10)
    assert proc.returncode == 143
    assert bastion.leftovers() == []
    assert _keys(s3, bucket) == []


CRONTAB = PROJECT_ROOT / "include" / "bastion" / "crontab.example"


def _cron_command(bastion: Bastion, tmp_path: Path, bucket: str) -> tuple[str, Path]:
    """The example's command, with this test's script, lock file and bucket, and a stand-in logger."""
    [line] = [l for l in CRONTAB.read_text().splitlines() if l.startswith("*/5")]
    fields = line.split(None, 6)
    assert fields[:5] == ["*/5", "*", "*", "*", "*"] and fields[5] == "k8s-dump"
    lock = tmp_path / "dump.lock"
    command = (fields[6].replace("/usr/local/bin/k8s-dump.sh", str(SCRIPT))
               .replace("/home/k8s-dump/k8s-dump-prod-eu-1.lock", str(lock))
               .replace("s3://cloud-inventory-k8s-dumps/dumps", f"s3://{bucket}/dumps"))
    assert str(SCRIPT) in command and str(lock) in command and bucket in command
    log = tmp_path / "syslog"
    logger = bastion.bin / "logger"
    logger.write_text(f"#!/bin/sh\nwhile IFS= read -r line; do printf '%s|%s\\n' \"$*\" \"$line\" >> '{log}'; done\n")
    logger.chmod(0o755)
    return command, log


def test_crontab_example_logs_to_syslog_by_priority_and_skips_overlapping_runs(bastion, tmp_path, s3, bucket):
    import fcntl

    command, log = _cron_command(bastion, tmp_path, bucket)
    run = lambda: subprocess.run(["sh", "-c", command], env=bastion.env(), capture_output=True, text=True, timeout=60)

    proc = run()
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("-t k8s-dump -p user.info|k8s-dump: cluster=prod-eu-1 uploaded s3://")
    assert bastion.kubectl_argv()[:2] == ["--context", "prod-eu-1"]
    assert len(_keys(s3, bucket)) == 1

    log.unlink()
    bastion.kubectl(output=None, status=1, stderr="error: You must be logged in to the server (Unauthorized)")
    run()
    lines = log.read_text().splitlines()
    assert "-t k8s-dump -p user.err|error: You must be logged in to the server (Unauthorized)" in lines
    assert any(l.startswith("-t k8s-dump -p user.err|k8s-dump: error: cluster 'prod-eu-1'") for l in lines)
    assert not any("user.info" in l for l in lines)

    # a run still holding the lock: the next one does nothing
    bastion.argv_file.unlink()
    with open(tmp_path / "dump.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run()
    assert bastion.kubectl_argv() is None
    assert len(_keys(s3, bucket)) == 1


def test_the_script_never_asks_for_secrets_or_configmaps():
    """Their data would be in the drop box (the pipeline redacts them, but the bucket keeps the dumps as they came)."""
    (line,) = [line for line in SCRIPT.read_text().splitlines() if line.startswith("KINDS=")]
    kinds = line.removeprefix("KINDS=").split(",")
    assert ",".join(kinds) == KINDS  # what the stand-in kubectl is checked to receive, in the tests above
    assert not {kind.split(".")[0] for kind in kinds} & {"secret", "secrets", "configmap", "configmaps", "cm", "all"}
