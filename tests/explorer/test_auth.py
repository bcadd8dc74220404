"""Login and permission are Airflow's: every explorer route needs the UI's session or a Bearer token."""
from __future__ import annotations

import pytest

ROUTES = ["/inventory/", "/inventory/api/search?q=10.0.0.1", "/inventory/openapi.json",
          "/inventory/static/explorer.css"]


@pytest.mark.parametrize("route", ROUTES)
def test_without_a_login_every_route_answers_401(airflow_api, route):
    answer = airflow_api.get(route, headers={"Accept": "application/json"}, follow_redirects=False)
    assert answer.status_code == 401, answer.text
    assert answer.json() == {"detail": "Not authenticated"}


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
