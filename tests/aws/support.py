"""Helpers for the AWS tests: fake credentials, recorded API responses checked against botocore's model.

Recorded responses live in tests/data/aws/<service>.<Operation>.json as boto3 returns them (without
ResponseMetadata), timestamps written as ISO text. `load_response()` checks every key, type and enum
value against botocore's output shape for that operation, so a fixture cannot drift from the real API,
and turns timestamps into the datetimes boto3's parser would hand us.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import boto3
import botocore.session

DATA = Path(__file__).resolve().parents[1] / "data" / "aws"
# Look like real keys, so the "credentials never land anywhere" checks scan for something realistic.
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SNAPSHOT_DATE = date(2025, 3, 14)
RUN_ID = "manual__2025-03-14T00:00:00+00:00"


# recorded responses ---------------------------------------------------------------------------------

def _service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def _conform(shape, value, where: str):
    """Check `value` against a botocore shape; return it with timestamps parsed as boto3 would."""
    kind = shape.type_name
    if value is None:
        raise AssertionError(f"{where}: null is never in a boto3 response (omit the key)")
    if kind == "structure":
        assert isinstance(value, dict), f"{where}: expected an object"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{where}: not in {shape.name}: {sorted(unknown)} (allowed: {sorted(shape.members)})"
        return {key: _conform(shape.members[key], item, f"{where}.{key}") for key, item in value.items()}
    if kind == "list":
        assert isinstance(value, list), f"{where}: expected a list"
        return [_conform(shape.member, item, f"{where}[{index}]") for index, item in enumerate(value)]
    if kind == "map":
        assert isinstance(value, dict), f"{where}: expected a map"
        return {_conform(shape.key, key, f"{where} key"): _conform(shape.value, item, f"{where}[{key}]")
                for key, item in value.items()}
    if kind == "timestamp":
        assert isinstance(value, str), f"{where}: write timestamps as ISO text"
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if kind == "string":
        assert isinstance(value, str), f"{where}: expected text"
        if shape.enum:
            assert value in shape.enum, f"{where}: {value!r} not one of {shape.enum}"
        return value
    if kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: expected a whole number"
        return value
    if kind in ("double", "float"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{where}: expected a number"
        return value
    if kind == "boolean":
        assert isinstance(value, bool), f"{where}: expected true/false"
        return value
    raise AssertionError(f"{where}: unexpected shape type {kind}")


def conform_response(service: str, operation: str, data: dict) -> dict:
    shape = _service_model(service).operation_model(operation).output_shape
    return _conform(shape, data, f"{service}.{operation}")


def load_response(service: str, operation: str) -> dict:
    """A recorded response, validated against botocore's model and parsed like boto3 parses it."""
    data = json.loads((DATA / f"{service}.{operation}.json").read_text())
    return conform_response(service, operation, data)


# sessions --------------------------------------------------------------------------------------------

def plain_session(account, region, settings):
    """The session_factory for moto tests that need no role: the environment's (fake) keys as they are."""
    return boto3.Session(region_name=region)


def read_partition(lake, resource_type: str, account_id: str, region: str, snapshot_date=SNAPSHOT_DATE) -> list[dict]:
    import pyarrow.parquet as pq

    path = lake.aws_partition(resource_type, snapshot_date, account_id, region)
    rows = pq.read_table(path, filesystem=lake.fs).to_pylist()
    for row in rows:  # a Parquet map reads back as (key, value) pairs
        row["tags"] = dict(row["tags"]) if row["tags"] is not None else None
    return rows


def fake_aws_environment(monkeypatch, tmp_path) -> None:
    """No real AWS, no inherited endpoint or INVENTORY_* settings, moto without its 1,300 bundled AMIs."""
    import os

    for name in list(os.environ):
        if name.startswith(("INVENTORY_", "AWS_")) and name != "AWS_CA_BUNDLE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_AWS_MAX_ATTEMPTS", "2")  # a test never waits long on retries of a fault it set
