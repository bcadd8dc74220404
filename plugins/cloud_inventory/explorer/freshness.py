"""Freshness of every source, with links to the failed task and the Great Expectations Data Docs.

The Data Docs (the folder inventory_quality builds: pipeline/inventory_quality.data_docs_dir) are served
under /data-docs/ behind the same login, file by file from inside that folder only. Their pages load jQuery,
Bootstrap, bootstrap-table and Vega from public CDNs and drive them with inline scripts; the explorer loads
nothing from the network, so those responses get a CSP of their own that allows GE's inline styles and no
script at all (the inline ones only drive the CDN libraries, which are blocked anyway). What GE renders as
HTML (the validation results, the expectation suites) reads fine offline, with static/data-docs.css linked into
each page in place of the CDN's icons (a passed or failed expectation is otherwise an empty icon); its index is a
table that only a CDN script fills, so /data-docs/ is the explorer's own index of the same pages.
"""
from __future__ import annotations

from html import escape
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from fastapi import HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from cloud_inventory import settings as inventory_settings
from cloud_inventory.explorer import reports
from cloud_inventory.explorer.queries import normalised_rows
from cloud_inventory.explorer.common import Limit, OptionalText, render, routers, warehouse
from cloud_inventory.quality.digest import Digest
from cloud_inventory.explorer.queries import freshness as queries
from cloud_inventory.explorer.warehouse import WarehouseMissing
from cloud_inventory.pipeline.inventory_quality import data_docs_dir

api, pages = routers("freshness")

Status = Literal["failing", "never", "stale", "fresh", ""]  # "" (a form's "any") is no filter
SourceKind = Literal["aws", "k8s", ""]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
PAGE_SIZE = 500

# The task that records each kind of source, and the label its map_index_template renders (dags/aws_inventory.py's
# extract, dags/k8s_inventory.py's ingest). The warehouse knows the run of an attempt but not its map index (a
# position in that run's plan), so links go to the mapped task's instances in that run, where this label is shown.
RECORDING_TASK = {"aws": ("aws_inventory", "extract"), "k8s": ("k8s_inventory", "ingest")}

DATA_DOCS_CSP = ("default-src 'none'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                 "font-src 'self'; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
DATA_DOCS_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".json": "application/json",
    ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".ico": "image/x-icon", ".svg": "image/svg+xml",
    ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff", ".woff2": "font/woff2",
}
MAX_DATA_DOCS_PATH = 1024
MAX_DATA_DOCS_LISTED = 10_000
MAX_DATA_DOCS_PAGE = 32 * 1024 * 1024  # larger pages are sent as they are


# --- freshness ----------------------------------------------------------------------------------------------------

def last_problem(request: Request, row: dict) -> dict | None:
    """The source's latest attempt that was not ok, with the Airflow run and task that recorded it."""
    if row["problem_run_id"] is None and row["problem_at"] is None:
        return None
    dag_id, task_id = RECORDING_TASK[row["source_kind"]]
    if row["source_kind"] == "aws":
        label = f"{row['problem_account_name'] or row['account_name'] or row['account_id']} {row['account_id']}"
    else:
        label = f"{row['cluster']} ({row['account_id']} {row['region']})"
    run_id = row["problem_run_id"]
    return {"status": row["problem_status"], "at": row["problem_at"], "error": row["problem_error"],
            "dump_key": row["problem_dump_key"], "run_id": run_id, "dag_id": dag_id, "task_id": task_id,
            "map_index": None, "task_label": label,
            "run_url": reports.airflow_run_url(request, dag_id, run_id) if run_id else None,
            "task_url": reports.airflow_task_url(request, dag_id, run_id, task_id) if run_id else None}


def freshness_report(request: Request, filters: dict, limit: int, offset: int) -> dict:
    filters = {name: value or None for name, value in filters.items()}
    with warehouse().cursor() as cursor:
        counts, rows = queries.sources(cursor, filters, limit, offset)
        quality = queries.latest_quality_run(cursor)
    rows = normalised_rows(rows)
    for row in rows:
        row["last_problem"] = last_problem(request, row)
        for name in ("problem_at", "problem_status", "problem_run_id", "problem_error", "problem_account_name",
                     "problem_dump_key"):
            del row[name]
    if quality is not None:
        quality = normalised_rows([quality])[0]
        quality["run_url"] = reports.airflow_run_url(request, "inventory_quality", quality["run_id"])
    root = reports.explorer_root(request)
    return {"filters": filters, "counts": {status: counts.get(status, 0) for status in queries.STATUS_ORDER},
            "total": sum(counts.values()), "limit": limit, "offset": offset, "sources": rows, "quality": quality,
            "data_docs": {"url": f"{root}/data-docs/", "built": (data_docs_root() / "index.html").is_file()}}


@api.get("/freshness", summary="Every source the configuration expects: its status, last success, last problem")
def freshness(request: Request, status: Status | None = None, source_kind: SourceKind | None = None,
              account_id: OptionalText = None, region: OptionalText = None, resource_type: OptionalText = None,
              cluster: OptionalText = None, limit: Limit = PAGE_SIZE, offset: Offset = 0) -> dict:
    """Rows of marts.source_freshness (the worst first), each with `last_problem`: its latest attempt that was
    not ok (failed, denied, quarantined) with the Airflow run that recorded it and links to that run and to the
    instances of the task that did (`map_index` is null: the warehouse does not know which instance; find
    `task_label` among them). `quality` is the latest inventory_quality run; `data_docs` where its Data Docs are."""
    filters = {"status": status, "source_kind": source_kind, "account_id": account_id, "region": region,
               "resource_type": resource_type, "cluster": cluster}
    return freshness_report(request, filters, limit, offset)


@pages.get("/freshness", response_class=HTMLResponse)
def freshness_page(request: Request, status: Status | None = None, source_kind: SourceKind | None = None,
                   account_id: OptionalText = None, region: OptionalText = None, resource_type: OptionalText = None,
                   cluster: OptionalText = None, offset: Offset = 0) -> HTMLResponse:
    filters = {"status": status, "source_kind": source_kind, "account_id": account_id, "region": region,
               "resource_type": resource_type, "cluster": cluster}
    answer = freshness_report(request, filters, PAGE_SIZE, offset)
    with warehouse().cursor() as cursor:
        choices = queries.choices(cursor)
    choices["status"] = [{"value": s, "label": s} for s in queries.STATUS_ORDER]
    choices["source_kind"] = [{"value": "aws", "label": "AWS"}, {"value": "k8s", "label": "Kubernetes"}]
    query = {name: value for name, value in answer["filters"].items() if value}
    # what is wrong in short, first: one line per status, account, region and error, as the quality digest groups
    # them (58 types of one account failing on one denied role are one line, not 58)
    not_fresh = [row for row in answer["sources"] if row["status"] != "fresh"]
    problems = Digest().groups(not_fresh)
    return render(request, "freshness.html", report=answer, choices=choices, query=query, page_size=PAGE_SIZE,
                  problems=problems if len(problems) < len(not_fresh) else [])


# --- the Great Expectations Data Docs -----------------------------------------------------------------------------

def data_docs_root() -> Path:
    return data_docs_dir(inventory_settings.load())


def data_docs_file(root: Path, relative: str) -> Path | None:
    """The file `relative` names inside `root`, or None: nothing outside the folder (no '..', no absolute path,
    no symlink leading out), no hidden files, no folders, nothing missing."""
    if not relative or len(relative) > MAX_DATA_DOCS_PATH or "\x00" in relative or relative.startswith(("/", "\\")):
        return None
    if any(part == ".." or part.startswith(".") for part in PurePosixPath(relative).parts):
        return None
    try:
        root = root.resolve(strict=True)
        found = (root / relative).resolve(strict=True)  # follows symlinks: where the file really is
    except (OSError, RuntimeError, ValueError):
        return None
    return found if found.is_relative_to(root) and found.is_file() else None


def data_docs_index(root: Path) -> list[dict]:
    """Per table, its latest validation page and its expectation suite page, from the folder GE wrote
    (validations/<schema>/<table>/<run>/<time>/<batch>.html, expectations/<schema>/<table>.html)."""
    tables: dict[str, dict] = {}
    if not root.is_dir():
        return []
    for count, path in enumerate(sorted(root.glob("validations/**/*.html"))):
        if count >= MAX_DATA_DOCS_LISTED:
            break
        parts = path.relative_to(root).parts
        if len(parts) < 6:
            continue
        entry = tables.setdefault(".".join(parts[1:-3]), {"validations": [], "suite": None})
        entry["validations"].append({"run": parts[-3], "time": parts[-2], "path": "/".join(parts)})
    for count, path in enumerate(sorted(root.glob("expectations/**/*.html"))):
        if count >= MAX_DATA_DOCS_LISTED:
            break
        parts = path.relative_to(root).parts
        table = ".".join(parts[1:])[: -len(".html")]
        tables.setdefault(table, {"validations": [], "suite": None})["suite"] = "/".join(parts)
    return [{"table": table, **entry} for table, entry in sorted(tables.items())]


@pages.get("/data-docs", response_class=HTMLResponse)
@pages.get("/data-docs/", response_class=HTMLResponse)
def data_docs(request: Request) -> HTMLResponse:
    root = data_docs_root()
    try:
        with warehouse().cursor() as cursor:
            quality = queries.latest_quality_run(cursor)
    except WarehouseMissing:  # the Data Docs do not need it
        quality = None
    failed = {table["table_name"]: table for table in (quality or {}).get("tables", [])}
    return render(request, "data_docs.html", tables=data_docs_index(root), failed=failed,
                  built=(root / "index.html").is_file(), quality=normalised_rows([quality])[0] if quality else None)


@pages.get("/data-docs/{path:path}", response_model=None)
def data_docs_files(request: Request, path: str) -> FileResponse | HTMLResponse:
    found = data_docs_file(data_docs_root(), path)
    if found is None:
        raise HTTPException(404, "no such file in the Data Docs")
    headers = {"Content-Security-Policy": DATA_DOCS_CSP}
    if found.suffix.lower() == ".html" and found.stat().st_size <= MAX_DATA_DOCS_PAGE:
        # GE's icons and layout come from CDNs: its pages get the explorer's offline stand-in (static/data-docs.css)
        page = found.read_text(encoding="utf-8", errors="replace")
        sheet = f'<link rel="stylesheet" href="{escape(reports.explorer_root(request))}/static/data-docs.css">'
        head = page.lower().find("</head>")
        return HTMLResponse(page[:head] + sheet + page[head:] if head >= 0 else sheet + page, headers=headers)
    return FileResponse(found, media_type=DATA_DOCS_MEDIA_TYPES.get(found.suffix.lower(), "application/octet-stream"),
                        headers=headers)
