from __future__ import annotations

import gzip
import io
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "k8s" / "parser"
DUMP_AT = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
SNAPSHOT_DATE = date(2026, 11, 20)
SOURCE = {"cluster": "prod-use1", "account_id": "111122223333", "region": "us-east-1", "dump_at": DUMP_AT,
          "snapshot_date": SNAPSHOT_DATE}


def fixture(name: str) -> io.BytesIO:
    return io.BytesIO((FIXTURES / name).read_bytes())


def synthetic_pod(index: int) -> dict:
    name = f"load-{index // 100:04d}-{index:06d}"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": f"team-{index % 40}", "uid": f"00000000-0000-4000-9000-{index:012d}",
                     "creationTimestamp": "2026-11-19T10:00:00Z", "labels": {"app": "load", "shard": str(index % 7)},
                     },
        "spec": {"nodeName": f"ip-10-0-{index % 250}-1.ec2.internal",
                 "containers": [{"name": "app", "image": "app:1", "resources": {
                     "requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}]},
        "status": {"phase": "Running", "podIP": f"10.1.{index // 250 % 250}.{index % 250}", "hostIP": "10.0.0.1",
                   "qosClass": "Burstable",
                   "containerStatuses": [{"name": "app", "ready": True, "restartCount": index % 3,
                                          "state": {"running": {"startedAt": "2026-11-19T10:00:06Z"}}, "lastState": {}}]},
    }


def synthetic_dump(pods: int) -> tuple[bytes, int]:
    """A gzipped List of `pods` pods, written in pieces so its text is never whole in memory; (gzip, text size)."""
    buffer = io.BytesIO()
    size = 0
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1, mtime=0) as out:
        def write(text: str) -> None:
            nonlocal size
            data = text.encode()
            size += len(data)
            out.write(data)
        write('{\n    "apiVersion": "v1",\n    "items": [\n')
        for index in range(pods):
            write(("," if index else "") + json.dumps(synthetic_pod(index), indent=1))
        write('\n    ],\n    "kind": "List",\n    "metadata": {"resourceVersion": ""}\n}\n')
    return buffer.getvalue(), size


@pytest.fixture(scope="session")
def big_dump() -> tuple[bytes, int]:
    return synthetic_dump(50_000)
