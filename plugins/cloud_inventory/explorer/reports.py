"""What the report areas (waste, network, kubernetes, freshness) share: rows made ready for JSON, links to a
resource's page and to the Airflow UI, and CSV of exactly what the JSON holds."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from cloud_inventory.explorer.mount import PREFIX

# A spreadsheet runs a cell that starts with one of these as a formula: CSV cells of text starting so are
# prefixed with an apostrophe (OWASP's "CSV injection"), since names, tags and descriptions come from outside.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any) -> Any:
    """A warehouse value as JSON wants it: decimals as numbers, times in UTC, lists element by element."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def plain_rows(rows: Iterable[dict]) -> list[dict]:
    return [{name: plain(value) for name, value in row.items()} for row in rows]


def explorer_root(request: Request) -> str:
    """Where the explorer is mounted, as the browser sees it (`/inventory` on a plain api-server)."""
    return request.scope.get("root_path", "").rstrip("/")


def airflow_root(request: Request) -> str:
    """Where the Airflow UI is: the explorer's mount without its own prefix."""
    root = explorer_root(request)
    return root[: -len(PREFIX)] if root.endswith(PREFIX) else ""


def resource_url(request: Request, resource_type: str, account_id: str, region: str, resource_id: str) -> str:
    """The path of a resource's page (each part encoded whole: ids hold slashes, colons, leading slashes)."""
    parts = (resource_type, account_id, region, resource_id)
    return explorer_root(request) + "/resources/" + "/".join(quote(str(part), safe="") for part in parts)


def airflow_run_url(request: Request, dag_id: str, run_id: str) -> str:
    """A DAG run in the Airflow 3 UI (its route: /dags/<dag_id>/runs/<run_id>)."""
    return f"{airflow_root(request)}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def airflow_task_url(request: Request, dag_id: str, run_id: str, task_id: str, map_index: int | None = None) -> str:
    """A task of a run in the Airflow 3 UI: one task instance (/tasks/<task_id>/mapped/<map_index> for a mapped
    one), or with map_index None the list of a mapped task's instances (/tasks/<task_id>/mapped)."""
    task = f"{airflow_run_url(request, dag_id, run_id)}/tasks/{quote(task_id, safe='')}/mapped"
    return task if map_index is None else f"{task}/{int(map_index)}"


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(csv_cell(item) for item in value)
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def csv_response(columns: Sequence[str], rows: Iterable[dict], filename: str) -> Response:
    """CSV of `rows` (dicts, already plain) in `columns` order: see csv_cell for how values are written."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in columns])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
