"""Login and permission are Airflow's: every explorer route needs the UI's session or a Bearer token."""
from __future__ import annotations

import re

import pytest

ROUTES = ["/inventory/", "/inventory/api/search?q=10.0.0.1", "/inventory/openapi.json",
          "/inventory/static/explorer.css"]
# a value for each path parameter of the explorer's routes (the login is checked before any is looked at)
PATH_VALUES = {"resource_type": "ec2_instance", "account_id": "111111111111", "region": "us-east-1",
               "resource_id": "i-0abc/x", "name": "explorer.css", "path": "index.html"}


def every_route() -> list[str]:
    """Every path the explorer's app answers (its own list of routes: a route added later is tested too)."""
    from cloud_inventory.explorer.app import create_app

    paths = set()
    for route in create_app().routes:
        if "GET" in getattr(route, "methods", ()) and route.path not in ("/docs", "/redoc"):
            paths.add("/inventory" + re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PATH_VALUES[m.group(1)], route.path))
    return sorted(paths)


@pytest.mark.parametrize("route", every_route())
def test_without_a_login_every_route_answers_401(airflow_api, route):
    answer = airflow_api.get(route, headers={"Accept": "application/json"}, follow_redirects=False)
    assert answer.status_code == 401, answer.text
    assert answer.json() == {"detail": "Not authenticated"}


def test_every_route_is_tested_for_its_login():
    assert {"/inventory/", "/inventory/api/search", "/inventory/api/waste", "/inventory/data-docs/index.html",
            "/inventory/resources/ec2_instance/111111111111/us-east-1/i-0abc/x", "/inventory/openapi.json",
            "/inventory/static/explorer.css"} <= set(every_route())


def test_a_browser_without_a_login_is_sent_to_airflows_login_and_back(airflow_api):
    answer = airflow_api.get("/inventory/?q=www", headers={"Accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/auth/login?next=%2Finventory%2F%3Fq%3Dwww"


def test_a_forged_token_is_refused(airflow_api):
    answer = airflow_api.get("/inventory/api/search?q=x", headers={"Authorization": "Bearer not.a.jwt"})
    assert answer.status_code == 403


@pytest.mark.parametrize("route", ROUTES)
def test_a_viewer_may_read(explorer, viewer, route):
    answer = explorer.get(route, headers=viewer)
    assert answer.status_code == 200, answer.text
    assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_the_ui_session_cookie_is_a_login_too(explorer):
    from .conftest import token

    explorer.cookies.set("_token", token(explorer, "viewer"))
    try:
        assert explorer.get("/inventory/api/search?q=x").status_code == 200
    finally:
        explorer.cookies.clear()
