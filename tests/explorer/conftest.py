"""The explorer inside the real Airflow API app (airflow.api_fastapi.app.create_app, the plugin loaded from
plugins/ as the api-server loads it), with the simple auth manager's users: an admin and a viewer, logged in
through the real POST /auth/token; reading the shared demo warehouse (tests/conftest.py)."""
from __future__ import annotations

import json
import secrets

import pytest

USERS = {"admin": "admin", "viewer": "viewer"}  # name -> role
PASSWORDS = {"admin": "admin-password-1", "viewer": "viewer-password-1"}


@pytest.fixture(scope="session")
def airflow_api(airflow_db, tmp_path_factory):
    """A TestClient of Airflow's API app (core: the UI, the auth manager's routes and the plugins)."""
    from fastapi.testclient import TestClient

    passwords = tmp_path_factory.mktemp("simple-auth") / "passwords.json"
    passwords.write_text(json.dumps(PASSWORDS))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__AUTH_MANAGER",
                     "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", ",".join(f"{u}:{r}" for u, r in USERS.items()))
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
        patch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", secrets.token_urlsafe(64))  # HS512's minimum: no key warning
        from airflow.api_fastapi.app import create_app, purge_cached_app

        purge_cached_app()
        with TestClient(create_app("core"), base_url="http://localhost") as client:
            yield client
        purge_cached_app()


def token(client, user: str) -> str:
    answer = client.post("/auth/token", json={"username": user, "password": PASSWORDS[user]})
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


@pytest.fixture(scope="session")
def viewer(airflow_api) -> dict:
    """Headers of a logged-in viewer (the least role that may read the Airflow UI)."""
    return {"Authorization": f"Bearer {token(airflow_api, 'viewer')}"}


@pytest.fixture
def explorer(airflow_api, demo_world, demo_warehouse, monkeypatch):
    """The Airflow API client, with the explorer reading the demo warehouse (and its lake: configurations)."""
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(demo_warehouse))
    monkeypatch.setenv("INVENTORY_LAKE_URI", demo_world["lake"].uri)
    return airflow_api
