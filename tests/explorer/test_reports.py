"""What the report areas share: links (to resource pages and the Airflow UI, wherever the api-server is mounted),
JSON-ready values and CSV cells."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from starlette.requests import Request

from cloud_inventory.explorer import reports
from cloud_inventory.explorer.queries import normalised
from cloud_inventory.plain import csv_cell


def request_at(root_path: str) -> Request:
    return Request({"type": "http", "root_path": root_path, "path": root_path + "/freshness", "headers": []})


@pytest.mark.parametrize("root_path, airflow", [("/inventory", ""), ("/airflow/inventory", "/airflow"),
                                                ("/airflow/inventory/", "/airflow"), ("", "")])
def test_airflow_links_follow_where_the_api_server_is_mounted(root_path, airflow):
    request = request_at(root_path)
    run = "scheduled__2026-12-07T00:15:00+00:00"
    assert reports.airflow_run_url(request, "k8s_inventory", run) == \
        f"{airflow}/dags/k8s_inventory/runs/scheduled__2026-12-07T00%3A15%3A00%2B00%3A00"
    assert reports.airflow_task_url(request, "aws_inventory", "manual__x/y", "extract") == \
        f"{airflow}/dags/aws_inventory/runs/manual__x%2Fy/tasks/extract/mapped"
    assert reports.airflow_task_url(request, "aws_inventory", "r", "extract", 3) == \
        f"{airflow}/dags/aws_inventory/runs/r/tasks/extract/mapped/3"


def test_resource_links_encode_each_part_whole():
    request = request_at("/airflow/inventory")
    assert reports.resource_url(request, "log_group", "111111111111", "us-east-1", "/aws/lambda/x?y#z") == \
        "/airflow/inventory/resources/log_group/111111111111/us-east-1/%2Faws%2Flambda%2Fx%3Fy%23z"


def test_values_are_made_ready_for_json():
    assert normalised(Decimal("482.55")) == 482.55 and isinstance(normalised(Decimal("3")), float)
    paris = timezone(timedelta(hours=1))
    assert normalised(datetime(2026, 12, 7, 9, 0, tzinfo=paris)) == datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
    assert normalised(datetime(2026, 12, 7, 8, 0)).tzinfo == timezone.utc
    assert normalised([Decimal("1.5"), None]) == [1.5, None]


@pytest.mark.parametrize("value, cell", [
    (None, ""), (True, "true"), (False, "false"), (3, "3"), (-2.5, "-2.5"), (date(2026, 12, 7), "2026-12-07"),
    (["a", "b"], "a;b"), ([], ""), ("plain", "plain"), ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), (["=x"], "'=x"),
])
def test_csv_cells(value, cell):
    assert csv_cell(value) == cell


def test_the_report_apis_are_in_the_openapi_document_and_their_pages_are_not(explorer, viewer):
    document = explorer.get("/inventory/openapi.json", headers=viewer).json()
    paths = set(document["paths"])
    assert {"/api/waste", "/api/security-groups", "/api/subnets", "/api/kubernetes", "/api/freshness"} <= paths
    assert not {"/waste", "/security-groups", "/subnets", "/kubernetes", "/freshness", "/data-docs/{path}"} & paths
    parameters = {p["name"]: p for p in document["paths"]["/api/waste"]["get"]["parameters"]}
    assert parameters["group_by"]["schema"]["enum"] == ["account", "team", "environment", "category", "region"]
    assert set(parameters) >= {"format", "account_id", "team", "environment", "category", "region", "limit", "offset"}
