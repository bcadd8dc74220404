"""The analyst CLI agrees with the API: `python -m cloud_inventory find --format json` prints, per identifier,
exactly what GET /inventory/api/search answers for it (the same matches, fields and values, as JSON)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

IDENTIFIERS = ["https://WWW.shop.example.com/cart", "prod-app-2", "10.9.9.9", "x'; select 1 --"]


@pytest.mark.parametrize("limit", ["50", "1"])
def test_find_as_json_is_the_search_api_answer(explorer, viewer, demo_warehouse, limit):
    result = subprocess.run([sys.executable, "-m", "cloud_inventory", "--warehouse", str(demo_warehouse), "find",
                             "--format", "json", "--limit", limit, *IDENTIFIERS], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr  # 10.9.9.9 and the quote are nowhere
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    answers = []
    for identifier in IDENTIFIERS:
        answer = explorer.get("/inventory/api/search", params={"q": identifier, "limit": limit}, headers=viewer)
        assert answer.status_code == 200
        answers.append(answer.json())
    assert printed == answers
    assert all(answer["matches"] for answer in answers[:2]) and not answers[2]["matches"]
    assert limit != "1" or max(len(answer["matches"]) for answer in answers) == 1


@pytest.mark.parametrize("params", [{}, {"recommendation": "downsize"}, {"environment": "staging"}])
def test_rightsizing_as_json_is_the_apis_rows(explorer, viewer, demo_warehouse, params):
    options = [item for name, value in params.items() for item in (f"--{name.replace('_', '-')}", value)]
    result = subprocess.run([sys.executable, "-m", "cloud_inventory", "--warehouse", str(demo_warehouse),
                             "rightsizing", "--format", "json", *options], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    answer = explorer.get("/inventory/api/rightsizing", params={**params, "limit": 1000}, headers=viewer).json()
    assert printed == [{k: v for k, v in row.items() if k != "resource_url"} for row in answer["rows"]]
    assert printed
