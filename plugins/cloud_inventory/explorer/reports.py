"""What the report areas (waste, network, kubernetes, freshness) share: rows made ready for JSON, links to a
resource's page and to the Airflow UI, and CSV of exactly what the JSON holds."""
from __future__ import annotations

import csv
import io
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import StreamingResponse

from cloud_inventory.explorer import links
from cloud_inventory.explorer.mount import PREFIX
from cloud_inventory.plain import csv_cell, guard_formula

CSV_BATCH = 2000  # rows written per chunk sent


def explorer_root(request: Request) -> str:
    """Where the explorer is mounted, as the browser sees it (`/inventory` on a plain api-server)."""
    return request.scope.get("root_path", "").rstrip("/")


def airflow_root(request: Request) -> str:
    """Where the Airflow UI is: the explorer's mount without its own prefix."""
    root = explorer_root(request)
    return root[: -len(PREFIX)] if root.endswith(PREFIX) else ""


def resource_url(request: Request, resource_type: str, account_id: str, region: str, resource_id: str) -> str:
    """The path of a resource's page, as the browser sees it (links.resource_url under the explorer's mount)."""
    return links.resource_url(explorer_root(request), resource_type, account_id, region, str(resource_id))


def airflow_run_url(request: Request, dag_id: str, run_id: str) -> str:
    """A DAG run in the Airflow 3 UI (its route: /dags/<dag_id>/runs/<run_id>)."""
    return f"{airflow_root(request)}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def airflow_task_url(request: Request, dag_id: str, run_id: str, task_id: str, map_index: int | None = None) -> str:
    """A task of a run in the Airflow 3 UI: one task instance (/tasks/<task_id>/mapped/<map_index> for a mapped
    one), or with map_index None the list of a mapped task's instances (/tasks/<task_id>/mapped)."""
    task = f"{airflow_run_url(request, dag_id, run_id)}/tasks/{quote(task_id, safe='')}/mapped"
    return task if map_index is None else f"{task}/{int(map_index)}"


def _text_cell(value: str | None) -> str:
    return "" if value is None else guard_formula(value)


def _number_cell(value: Any) -> str:
    return "" if value is None else str(float(value))


def csv_converter(type_name: str) -> Callable[[Any], str]:
    """csv_cell for a column of this DuckDB type, without asking each value what it is (a CSV of tens
    of thousands of rows is millions of cells)."""
    if type_name == "VARCHAR":
        return _text_cell
    if type_name.startswith("DECIMAL") or type_name in ("DOUBLE", "FLOAT"):
        return _number_cell
    if type_name in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return lambda value: "" if value is None else str(value)
    return csv_cell


def csv_response(cursor: Any, sql: str, parameters: Sequence[Any], filename: str,
                 extra: Mapping[str, Callable[[dict], str]] | None = None) -> StreamingResponse:
    """CSV of a query's rows, the cells as csv_cell writes the JSON's values, plus `extra` columns computed from each
    row (as a dict). The rows are read now (the cursor is the request's); the text is written as it is sent."""
    result = cursor.execute(sql, list(parameters))
    names = [column[0] for column in result.description]
    converters = [csv_converter(str(column[1])) for column in result.description]
    extra = dict(extra or {})
    found = result.fetchall()

    def text() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(names + list(extra))
        for start in range(0, len(found), CSV_BATCH):
            for row in found[start:start + CSV_BATCH]:
                cells = [convert(value) for convert, value in zip(converters, row)]
                if extra:
                    record = dict(zip(names, row))
                    cells += [_text_cell(column(record)) for column in extra.values()]
                writer.writerow(cells)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    return StreamingResponse(text(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
