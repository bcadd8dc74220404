"""Every setting the project reads, from environment variables, in one place.

Defaults run the demo estate from a fresh clone; each variable is documented in the README.
The AWS endpoint is boto3's own `AWS_ENDPOINT_URL` and is not read here: botocore honours it.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SettingsError(ValueError):
    """A setting has a value the project cannot use; the message names the variable."""


def _number(name: str, default: float, minimum: float, kind: type = float):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a {'whole number' if kind is int else 'number'}") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _int(name: str, default: int, minimum: int = 0) -> int:
    return _number(name, default, minimum, int)


def _float(name: str, default: float, minimum: float = 0.0) -> float:
    return _number(name, default, minimum, float)


def _location(name: str, default: Path) -> str:
    """A local folder (made absolute) or an `s3://bucket/prefix` URI."""
    raw = os.environ.get(name, "").strip() or str(default)
    if "://" in raw:
        if not raw.startswith("s3://") or len(raw) <= len("s3://"):
            raise SettingsError(f"{name}={raw!r} must be a local folder or s3://bucket/prefix")
        return raw.rstrip("/")
    return str(Path(raw).expanduser().resolve())


def _s3_uri(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip().rstrip("/") or default
    if not raw.startswith("s3://") or not raw[len("s3://"):].split("/", 1)[0]:
        raise SettingsError(f"{name}={raw!r} must be s3://bucket[/prefix]")
    return raw


def _memory(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", raw, re.IGNORECASE):
        raise SettingsError(f"{name}={raw!r} is not an amount of memory like 3.5GB or 800MB")
    return raw


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _size(name: str, default: int) -> int:
    """A number of bytes: plain (65536) or with a unit (16MiB, 8GB; KB/MB/GB are powers of 10, KiB/MiB/GiB of 2)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?", raw, re.IGNORECASE)
    if not match:
        raise SettingsError(f"{name}={raw!r} is not a size like 65536, 16MiB or 8GB")
    value = int(float(match[1]) * _UNITS[(match[2] or "").upper()])
    if value < 1:
        raise SettingsError(f"{name}={raw!r} must be at least one byte")
    return value


WHATS_NEW_EMAILS = ("quality", "daily")  # where the digest of what is new goes; the first is the default


def _choice(name: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r} must be one of: {', '.join(choices)}")
    return raw


def _names(name: str) -> tuple[str, ...] | None:
    """A comma-separated list of names; None when unset (meaning: all)."""
    names = tuple(dict.fromkeys(part.strip() for part in os.environ.get(name, "").split(",") if part.strip()))
    return names or None


@dataclass(frozen=True)
class DumpLimits:
    """Where a Kubernetes dump stops being read and is quarantined (k8s/limits.py); each has a setting."""

    max_depth: int = 100  # objects and arrays inside each other
    max_item_bytes: int = 16 * 2**20  # one object of a List, or all of the dump outside its items
    max_string_bytes: int = 4 * 2**20  # one string's JSON text
    max_whitespace_bytes: int = 64 * 2**10  # one run of whitespace between tokens
    max_dump_bytes: int = 8 * 2**30  # the whole dump, uncompressed


DUMP_LIMIT_SETTINGS = {"max_depth": "INVENTORY_K8S_DUMP_MAX_DEPTH",
                       "max_item_bytes": "INVENTORY_K8S_DUMP_MAX_ITEM_SIZE",
                       "max_string_bytes": "INVENTORY_K8S_DUMP_MAX_STRING_SIZE",
                       "max_whitespace_bytes": "INVENTORY_K8S_DUMP_MAX_WHITESPACE",
                       "max_dump_bytes": "INVENTORY_K8S_DUMP_MAX_SIZE"}


def _dump_limits() -> DumpLimits:
    defaults = DumpLimits()
    return DumpLimits(**{field: (_int(name, defaults.max_depth, minimum=2) if field == "max_depth"
                                 else _size(name, getattr(defaults, field)))
                         for field, name in DUMP_LIMIT_SETTINGS.items()})


@dataclass(frozen=True)
class Settings:
    accounts_file: Path
    lake_uri: str
    warehouse_path: Path
    dumps_uri: str
    alert_emails: tuple[str, ...]
    alert_from: str
    data_dir: Path
    max_snapshot_age_hours: float
    aws_pool: str
    aws_max_attempts: int
    aws_connect_timeout: float
    aws_read_timeout: float
    aws_session_seconds: int
    type_concurrency: int
    region_concurrency: int
    task_retries: int
    retry_delay_seconds: float
    k8s_schedule: str
    warehouse_memory_limit: str
    dump_limits: DumpLimits
    resource_types: tuple[str, ...] | None = None  # registry names to extract (checked by aws.registry.selected)
    whats_new_email: str = "quality"  # "quality": inside the quality digest; "daily": its own email, once a day

    @property
    def lake_is_s3(self) -> bool:
        return self.lake_uri.startswith("s3://")


def load() -> Settings:
    """Read the settings now (not at import), so tests and DAG runs see the current environment."""
    data_dir = Path(os.environ.get("INVENTORY_DATA_DIR", "").strip() or PROJECT_ROOT / "data").resolve()
    emails = tuple(
        address.strip()
        for address in os.environ.get("INVENTORY_ALERT_EMAILS", "").replace(";", ",").split(",")
        if address.strip()
    )
    for address in emails:
        if "@" not in address:
            raise SettingsError(f"INVENTORY_ALERT_EMAILS: {address!r} is not an email address")
    return Settings(
        accounts_file=Path(
            os.environ.get("INVENTORY_ACCOUNTS_FILE", "").strip()
            or PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml"
        ).resolve(),
        lake_uri=_location("INVENTORY_LAKE_URI", data_dir / "lake"),
        warehouse_path=Path(
            os.environ.get("INVENTORY_WAREHOUSE_PATH", "").strip() or data_dir / "warehouse.duckdb"
        ).resolve(),
        dumps_uri=_s3_uri("INVENTORY_DUMPS_URI", "s3://cloud-inventory-k8s-dumps/dumps"),
        alert_emails=emails,
        alert_from=os.environ.get("INVENTORY_ALERT_FROM", "").strip() or "cloud-inventory@localhost",
        data_dir=data_dir,
        max_snapshot_age_hours=_float("INVENTORY_MAX_SNAPSHOT_AGE_HOURS", 24.0),
        aws_pool=os.environ.get("INVENTORY_AWS_POOL", "").strip() or "aws_inventory",
        aws_max_attempts=_int("INVENTORY_AWS_MAX_ATTEMPTS", 10, minimum=1),
        aws_connect_timeout=_float("INVENTORY_AWS_CONNECT_TIMEOUT", 10.0, minimum=0.1),
        aws_read_timeout=_float("INVENTORY_AWS_READ_TIMEOUT", 60.0, minimum=0.1),
        aws_session_seconds=_int("INVENTORY_AWS_SESSION_SECONDS", 3600, minimum=900),
        type_concurrency=_int("INVENTORY_TYPE_CONCURRENCY", 4, minimum=1),
        region_concurrency=_int("INVENTORY_REGION_CONCURRENCY", 4, minimum=1),
        task_retries=_int("INVENTORY_TASK_RETRIES", 3),
        retry_delay_seconds=_float("INVENTORY_RETRY_DELAY_SECONDS", 60.0),
        k8s_schedule=os.environ.get("INVENTORY_K8S_SCHEDULE", "").strip() or "*/15 * * * *",
        warehouse_memory_limit=_memory("INVENTORY_WAREHOUSE_MEMORY_LIMIT", "3GB"),
        dump_limits=_dump_limits(),
        resource_types=_names("INVENTORY_RESOURCE_TYPES"),
        whats_new_email=_choice("INVENTORY_WHATS_NEW_EMAIL", WHATS_NEW_EMAILS),
    )


@dataclass(frozen=True)
class DemoUI:
    """Where `make airflow` serves the Airflow UI: INVENTORY_AIRFLOW_HOST (default 127.0.0.1) and AIRFLOW_PORT."""
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.host).is_loopback


def demo_ui() -> DemoUI:
    host = os.environ.get("INVENTORY_AIRFLOW_HOST", "").strip() or "127.0.0.1"
    if host == "localhost":
        host = "127.0.0.1"
    try:
        host = str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        raise SettingsError(f"INVENTORY_AIRFLOW_HOST={host!r} is not an IP address: use 127.0.0.1 (the default, "
                            f"this machine only), an address of one of its interfaces, or 0.0.0.0 for all") from None
    raw_port = os.environ.get("AIRFLOW_PORT", "").strip() or "8080"
    if not raw_port.isdigit() or not 1 <= int(raw_port) <= 65535:
        raise SettingsError(f"AIRFLOW_PORT={raw_port!r} is not a TCP port (a whole number from 1 to 65535)")
    return DemoUI(host, int(raw_port))
