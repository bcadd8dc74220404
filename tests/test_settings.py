"""settings.py: defaults that run the demo from a fresh clone, every INVENTORY_* override, errors that name the variable."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloud_inventory import settings as settings_module
from cloud_inventory.settings import PROJECT_ROOT, DemoUI, SettingsError, demo_ui, load


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("INVENTORY_"):
            monkeypatch.delenv(name)


def test_project_root_is_the_repository():
    assert (PROJECT_ROOT / "plugins" / "cloud_inventory" / "settings.py").is_file()
    assert Path(settings_module.__file__).resolve().is_relative_to(PROJECT_ROOT)


def test_defaults():
    settings = load()
    assert settings.accounts_file == PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml"
    assert settings.accounts_file.is_file()
    assert settings.data_dir == PROJECT_ROOT / "data"
    assert settings.lake_uri == str(PROJECT_ROOT / "data" / "lake")
    assert not settings.lake_is_s3
    assert settings.warehouse_path == PROJECT_ROOT / "data" / "warehouse.duckdb"
    assert settings.dumps_uri == "s3://cloud-inventory-k8s-dumps/dumps"
    assert settings.alert_emails == ()
    assert settings.max_snapshot_age_hours == 24.0
    assert settings.aws_pool == "aws_inventory"
    assert settings.aws_max_attempts == 10
    assert (settings.aws_connect_timeout, settings.aws_read_timeout) == (10.0, 60.0)
    assert settings.aws_session_seconds == 3600
    assert settings.type_concurrency == 4
    assert settings.task_retries == 3
    assert settings.retry_delay_seconds == 60.0
    assert settings.whats_new_email == "quality"
    assert settings.resource_types is None


def test_whats_new_email_is_one_of_its_choices(monkeypatch):
    monkeypatch.setenv("INVENTORY_WHATS_NEW_EMAIL", " Daily ")
    assert load().whats_new_email == "daily"
    monkeypatch.setenv("INVENTORY_WHATS_NEW_EMAIL", "weekly")
    with pytest.raises(SettingsError, match="INVENTORY_WHATS_NEW_EMAIL='weekly' must be one of: quality, daily"):
        load()


def test_data_dir_moves_the_local_lake_and_warehouse(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "d"))
    settings = load()
    assert settings.data_dir == tmp_path / "d"
    assert settings.lake_uri == str(tmp_path / "d" / "lake")
    assert settings.warehouse_path == tmp_path / "d" / "warehouse.duckdb"


def test_read_at_call_time_not_import_time(monkeypatch):
    first = load()
    monkeypatch.setenv("INVENTORY_TYPE_CONCURRENCY", "9")
    assert load().type_concurrency == 9 != first.type_concurrency


@pytest.mark.parametrize("variable, value, attribute, expected", [
    ("INVENTORY_MAX_SNAPSHOT_AGE_HOURS", "36.5", "max_snapshot_age_hours", 36.5),
    ("INVENTORY_AWS_POOL", " inventory_pool ", "aws_pool", "inventory_pool"),
    ("INVENTORY_AWS_MAX_ATTEMPTS", "3", "aws_max_attempts", 3),
    ("INVENTORY_AWS_CONNECT_TIMEOUT", "2.5", "aws_connect_timeout", 2.5),
    ("INVENTORY_AWS_READ_TIMEOUT", "120", "aws_read_timeout", 120.0),
    ("INVENTORY_AWS_SESSION_SECONDS", "900", "aws_session_seconds", 900),
    ("INVENTORY_TYPE_CONCURRENCY", "16", "type_concurrency", 16),
    ("INVENTORY_REGION_CONCURRENCY", "8", "region_concurrency", 8),
    ("INVENTORY_TASK_RETRIES", "0", "task_retries", 0),
    ("INVENTORY_RETRY_DELAY_SECONDS", "5", "retry_delay_seconds", 5.0),
    ("INVENTORY_DUMPS_URI", "s3://drop-box/k8s/", "dumps_uri", "s3://drop-box/k8s"),
    ("INVENTORY_K8S_SCHEDULE", "*/5 * * * *", "k8s_schedule", "*/5 * * * *"),
    ("INVENTORY_ALERT_FROM", "inventory@example.com", "alert_from", "inventory@example.com"),
    ("INVENTORY_WAREHOUSE_MEMORY_LIMIT", "800MB", "warehouse_memory_limit", "800MB"),
    ("INVENTORY_LAKE_URI", "s3://my-lake/inventory/", "lake_uri", "s3://my-lake/inventory"),
    ("INVENTORY_RESOURCE_TYPES", " vpc,subnet,, vpc ", "resource_types", ("vpc", "subnet")),
    ("INVENTORY_ALERT_EMAILS", "ops@example.com; sre@example.com,,", "alert_emails",
     ("ops@example.com", "sre@example.com")),
])
def test_each_override(monkeypatch, variable, value, attribute, expected):
    monkeypatch.setenv(variable, value)
    assert getattr(load(), attribute) == expected


def test_path_overrides(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", "conf/accounts.yaml")
    monkeypatch.setenv("INVENTORY_LAKE_URI", "lake-here")
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(tmp_path / "w" / "wh.duckdb"))
    settings = load()
    assert settings.accounts_file == tmp_path / "conf" / "accounts.yaml"  # made absolute
    assert settings.lake_uri == str(tmp_path / "lake-here")
    assert settings.warehouse_path == tmp_path / "w" / "wh.duckdb"


def test_s3_lake(monkeypatch):
    monkeypatch.setenv("INVENTORY_LAKE_URI", "s3://bucket")
    settings = load()
    assert settings.lake_uri == "s3://bucket" and settings.lake_is_s3


def test_empty_values_mean_the_default(monkeypatch):
    monkeypatch.setenv("INVENTORY_TYPE_CONCURRENCY", "  ")
    monkeypatch.setenv("INVENTORY_LAKE_URI", "")
    settings = load()
    assert settings.type_concurrency == 4 and settings.lake_uri.endswith("/data/lake")


@pytest.mark.parametrize("variable, value", [
    ("INVENTORY_AWS_MAX_ATTEMPTS", "ten"),
    ("INVENTORY_AWS_MAX_ATTEMPTS", "0"),
    ("INVENTORY_AWS_MAX_ATTEMPTS", "2.5"),
    ("INVENTORY_TYPE_CONCURRENCY", "0"),
    ("INVENTORY_REGION_CONCURRENCY", "0"),
    ("INVENTORY_TASK_RETRIES", "-1"),
    ("INVENTORY_AWS_SESSION_SECONDS", "600"),  # STS refuses role sessions under 15 minutes
    ("INVENTORY_AWS_CONNECT_TIMEOUT", "fast"),
    ("INVENTORY_AWS_READ_TIMEOUT", "0"),
    ("INVENTORY_MAX_SNAPSHOT_AGE_HOURS", "-3"),
    ("INVENTORY_RETRY_DELAY_SECONDS", "a minute"),
    ("INVENTORY_LAKE_URI", "gs://bucket/lake"),
    ("INVENTORY_LAKE_URI", "s3://"),
    ("INVENTORY_ALERT_EMAILS", "ops@example.com, oncall"),
    ("INVENTORY_WHATS_NEW_EMAIL", "hourly"),
    ("INVENTORY_DUMPS_URI", "/var/dumps"),
    ("INVENTORY_WAREHOUSE_MEMORY_LIMIT", "lots"),
    ("INVENTORY_DUMPS_URI", "s3:///prefix"),
    ("INVENTORY_K8S_DUMP_MAX_DEPTH", "1"),
    ("INVENTORY_K8S_DUMP_MAX_STRING_SIZE", "lots"),
    ("INVENTORY_K8S_DUMP_MAX_ITEM_SIZE", "16 MiBs"),
    ("INVENTORY_K8S_DUMP_MAX_SIZE", "0"),
])
def test_bad_values_name_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load()


@pytest.mark.parametrize("value, expected", [("65536", 65536), ("64KiB", 65536), ("64 kib", 65536), ("1.5MB", 1_500_000),
                                             ("8GiB", 8 * 2**30), ("2TB", 2 * 10**12), ("100B", 100)])
def test_sizes_take_decimal_and_binary_units(monkeypatch, value, expected):
    monkeypatch.setenv("INVENTORY_K8S_DUMP_MAX_WHITESPACE", value)
    assert load().dump_limits.max_whitespace_bytes == expected


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


# make airflow's address ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "port", "message"), [
    ("example.org", "", r"INVENTORY_AIRFLOW_HOST='example.org' is not an IP address"),
    ("10.0.0.300", "", r"INVENTORY_AIRFLOW_HOST='10.0.0.300' is not an IP address"),
    ("", "http", r"AIRFLOW_PORT='http' is not a TCP port"),
    ("", "0", r"AIRFLOW_PORT='0' is not a TCP port"),
    ("", "65536", r"AIRFLOW_PORT='65536' is not a TCP port"),
])
def test_make_airflow_bad_address_is_named(monkeypatch, host, port, message):
    monkeypatch.setenv("INVENTORY_AIRFLOW_HOST", host)
    monkeypatch.setenv("AIRFLOW_PORT", port)
    with pytest.raises(SettingsError, match=message):
        demo_ui()


def test_make_airflow_listens_on_loopback_8080_by_default(monkeypatch):
    monkeypatch.delenv("INVENTORY_AIRFLOW_HOST", raising=False)
    monkeypatch.delenv("AIRFLOW_PORT", raising=False)
    assert demo_ui() == DemoUI("127.0.0.1", 8080) and demo_ui().loopback
    monkeypatch.setenv("INVENTORY_AIRFLOW_HOST", "localhost")
    assert demo_ui().host == "127.0.0.1"
    monkeypatch.setenv("INVENTORY_AIRFLOW_HOST", "[::1]")
    assert demo_ui() == DemoUI("::1", 8080) and demo_ui().loopback
