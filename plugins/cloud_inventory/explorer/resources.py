"""Resources: every type with its counts by account; one table per type, filtered, sorted, paged, as CSV."""
from __future__ import annotations

import csv
import io
import re
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Annotated, Iterator, Literal
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.background import BackgroundTask

from cloud_inventory.explorer.common import Limit, OptionalText, render, routers, warehouse
from cloud_inventory.explorer.queries import resources as queries
from cloud_inventory.explorer.links import resource_url
from cloud_inventory.plain import csv_cell

api, pages = routers("resources")

MAX_OFFSET = 10_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip (paging)")]
CSV_CHUNK = 1000  # rows fetched from DuckDB and written at a time


@dataclass(frozen=True)
class Filters:
    """The filters every view of the resources shares (each bounded to 512 characters)."""

    resource_type: str | None = None
    account_id: str | None = None
    environment: str | None = None
    team: str | None = None
    region: str | None = None
    state: str | None = None
    tag: str | None = None
    q: str | None = None

    def without_type(self) -> dict[str, str | None]:
        return {name: value for name, value in asdict(self).items() if name != "resource_type"}


def filters(resource_type: Annotated[OptionalText, Query(description="one type's table (else counts by type)")] = None,
            account_id: OptionalText = None, environment: OptionalText = None, team: OptionalText = None,
            region: OptionalText = None,
            state: Annotated[OptionalText, Query(description="the state, any case (running, available, ...)")] = None,
            tag: Annotated[OptionalText, Query(description="key=value (that value, any case) or key= (any value)")] = None,
            q: Annotated[OptionalText, Query(description="a piece of the id or the name, any case")] = None) -> Filters:
    chosen = Filters(*(value.strip() or None if value is not None else None for value in (
        resource_type, account_id, environment, team, region, state, tag, q)))
    if chosen.tag is not None:
        try:
            queries.parse_tag(chosen.tag)
        except ValueError as error:
            raise HTTPException(422, f"tag: {error}") from None
    return chosen


Chosen = Annotated[Filters, Depends(filters)]
Sort = Annotated[OptionalText, Query(description="a column of the type's table; -column for descending")]


def _sort(chosen: Filters, sort: str | None) -> str | None:
    sort = (sort or "").strip() or None
    if sort is not None:
        allowed = queries.sortable(chosen.resource_type or "")
        if chosen.resource_type is None or sort.removeprefix("-") not in allowed:
            raise HTTPException(422, "sort must name a column of the type's table (" + ", ".join(allowed) +
                                "), with - before it for descending; it needs resource_type")
    return sort


def _answer(chosen: Filters, sort: str | None, limit: int, offset: int) -> dict:
    with warehouse().cursor() as cursor:
        if chosen.resource_type is None:
            return queries.summary(cursor, chosen.without_type())
        return queries.table(cursor, chosen.resource_type, chosen.without_type(), sort, limit, offset)


@api.get("/resources", summary="Every resource type's counts by account, or one type's table (filtered, sorted, "
                               "paged); format=csv: every filtered row as CSV")
def resources(chosen: Chosen, sort: Sort = None, limit: Limit = 100, offset: Offset = 0,
              format: Literal["json", "csv"] = "json"):
    """Without `resource_type`: {"total", "rows": [{resource_type, account_id, account_name, environment, team,
    resources, stale}]}. With it: {"total": rows matching the filters, "columns", "rows": one page}, the columns
    chosen for the type (README: Resources). `format=csv` streams every filtered row (all pages)."""
    sort = _sort(chosen, sort)
    if format == "csv":
        return _csv(chosen, sort)
    return _answer(chosen, sort, limit, offset)


def _csv(chosen: Filters, sort: str | None) -> StreamingResponse:
    """Every filtered row, fetched and written CSV_CHUNK at a time (memory stays bounded whatever the count); the
    query runs before the response starts, so an error is a proper status, not a cut-off file."""
    stack = ExitStack()
    try:
        cursor = stack.enter_context(warehouse().cursor())
        if chosen.resource_type is None:
            summary = queries.summary(cursor, chosen.without_type())["rows"]
            names = ["resource_type", "account_id", "account_name", "environment", "team", "resources", "stale"]
            chunks: Iterator[list] = iter([[tuple(row[name] for name in names) for row in summary]])
        else:
            names, chunks = queries.all_rows(cursor, chosen.resource_type, chosen.without_type(), sort, CSV_CHUNK)
    except BaseException:
        stack.close()
        raise

    def lines() -> Iterator[str]:
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(names)
            for chunk in chunks:
                writer.writerows([csv_cell(value) for value in row] for row in chunk)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()
        finally:
            stack.close()

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    what = re.sub(r"[^A-Za-z0-9_-]", "_", chosen.resource_type or "resource-types")[:64]
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", background=BackgroundTask(stack.close),
                             headers={"Content-Disposition": f'attachment; filename="inventory-{what}-{stamp}.csv"'})


@pages.get("/resources", response_class=HTMLResponse)
def resources_page(request: Request, chosen: Chosen, sort: Sort = None, limit: Limit = 100,
                   offset: Offset = 0) -> HTMLResponse:
    """Counts by type and account, or one type's table, with the filters as a form, sortable headers, a pager and
    a CSV link of the same filters."""
    sort = _sort(chosen, sort)
    answer = _answer(chosen, sort, limit, offset)
    base = request.scope.get("root_path", "").rstrip("/")
    given = {name: value for name, value in asdict(chosen).items() if value is not None}

    def here(**changes) -> str:
        """This page's URL with `changes` (None drops a parameter)."""
        query = {**given, "sort": sort, "limit": limit if limit != 100 else None, "offset": offset or None,
                 **changes}
        return f"{base}/resources?" + urlencode({k: v for k, v in query.items() if v is not None})

    csv_query = urlencode({**given, **({"sort": sort} if sort else {}), "format": "csv"})
    context = {"chosen": chosen, "answer": answer, "sort": sort, "limit": limit, "offset": offset, "here": here,
               "csv_url": f"{base}/api/resources?{csv_query}", "filter_names": queries.FILTERS,
               "type_names": sorted(queries.TYPE_COLUMNS)}
    if chosen.resource_type is None:
        accounts: dict[str, dict] = {}
        types: dict[str, dict[str, dict]] = {}
        for row in answer["rows"]:
            accounts.setdefault(row["account_id"], row)
            types.setdefault(row["resource_type"], {})[row["account_id"]] = row
        context |= {"accounts": [accounts[a] for a in sorted(accounts)], "types": types}
    else:
        for row in answer["rows"]:
            row["_page"] = _row_page(base, chosen.resource_type, row)
    return render(request, "resources.html", **context)


def _row_page(base: str, resource_type: str, row: dict) -> str:
    """A row's link: its resource page."""
    return resource_url(base, resource_type, row["account_id"], row["region"], row["resource_id"])
