"""`make demo`'s summary (demo/run.py): how to open the warehouse it left in the inventory explorer."""
from __future__ import annotations

from pathlib import Path

import pytest

from cloud_inventory.demo.run import explorer_note

WAREHOUSE = Path("/srv/demo/data/warehouse.duckdb")


@pytest.fixture
def environ(monkeypatch) -> dict[str, str]:
    for name in ("INVENTORY_AIRFLOW_HOST", "AIRFLOW_PORT", "INVENTORY_WAREHOUSE_PATH",
                 "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    return {"AIRFLOW_HOME": "/srv/demo/.airflow"}


def test_the_summary_says_to_run_make_airflow_and_where_the_explorer_will_be(environ):
    assert explorer_note(WAREHOUSE, environ) == (
        "explore it in the browser: run `make airflow` and open http://127.0.0.1:8080/inventory/ "
        "(no login: on a loopback address everyone who can connect is admin)")


def test_it_follows_make_airflows_settings(environ, monkeypatch):
    monkeypatch.setenv("INVENTORY_AIRFLOW_HOST", "192.0.2.7")
    monkeypatch.setenv("AIRFLOW_PORT", "9090")
    assert explorer_note(WAREHOUSE, environ) == (
        "explore it in the browser: run `make airflow` and open http://192.0.2.7:9090/inventory/ (log in as admin "
        "with the password Airflow prints the first time it starts and keeps in "
        "/srv/demo/.airflow/simple_auth_manager_passwords.json.generated)")
    monkeypatch.setenv("AIRFLOW_PORT", "99999")
    assert explorer_note(WAREHOUSE, environ) == ("explore it in the browser: `make airflow` would refuse to start "
                                                 "with these settings: AIRFLOW_PORT='99999' is not a TCP port (a "
                                                 "whole number from 1 to 65535)")


def test_it_says_when_the_explorer_would_read_another_warehouse(environ):
    assert explorer_note(WAREHOUSE, {**environ, "INVENTORY_WAREHOUSE_PATH": "/srv/other.duckdb"}).startswith(
        "explore it in the browser: unset INVENTORY_WAREHOUSE_PATH (the explorer would read /srv/other.duckdb), "
        "run `make airflow` and open http://127.0.0.1:8080/inventory/")
    assert "unset" not in explorer_note(WAREHOUSE, {**environ, "INVENTORY_WAREHOUSE_PATH": str(WAREHOUSE)})


def test_the_demo_digest_links_to_where_make_airflow_serves_the_explorer(environ, monkeypatch):
    from cloud_inventory.demo.run import demo_base_url

    assert demo_base_url(environ) == "http://127.0.0.1:8080"
    monkeypatch.setenv("AIRFLOW_PORT", "9090")
    assert demo_base_url(environ) == "http://127.0.0.1:9090"
    monkeypatch.setenv("AIRFLOW_PORT", "not-a-port")
    assert demo_base_url(environ) == ""  # make airflow would refuse: no links rather than wrong ones
