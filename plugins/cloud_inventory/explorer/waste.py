"""Waste: dollars per month and year by account, team, environment, category and region; the findings; and
rightsizing (marts.rightsizing): what runs bigger than its CPU and memory need, with the next size's saving."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from cloud_inventory.explorer import reports
from cloud_inventory.explorer.queries import normalised_rows
from cloud_inventory.explorer.common import Limit, OptionalText, render, routers, warehouse
from cloud_inventory.explorer.queries import rightsizing as rightsizing_queries
from cloud_inventory.explorer.queries import waste as queries

api, pages = routers("waste")

GroupBy = Literal["account", "team", "environment", "category", "region"]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
OutputFormat = Annotated[Literal["json", "csv"], Query(alias="format")]
PAGE_SIZE = 100
CHART_BAR_WIDTH = 420  # the longest bar, in the chart's own units (the SVG scales to the page)
CHART_ROW_HEIGHT = 26


def row_url(request: Request, row: dict) -> str:
    """The page of the resource a finding or rightsizing row is about."""
    return reports.resource_url(request, row["resource_type"], row["account_id"], row["region"], row["resource_id"])


def report(request: Request, group_by: str, filters: dict, limit: int, offset: int) -> dict:
    filters = {name: value or None for name, value in filters.items()}  # an empty filter is no filter
    with warehouse().cursor() as cursor:
        summary = queries.summary(cursor, group_by, filters)
        total, findings = queries.findings(cursor, filters, limit, offset)
    findings = normalised_rows(findings)
    for finding in findings:
        finding["resource_url"] = row_url(request, finding)
    return {"group_by": group_by, "filters": filters, "as_of_date": summary["as_of_date"],
            "total": normalised_rows([summary["total"]])[0], "groups": normalised_rows(summary["groups"]),
            "findings_total": total, "limit": limit, "offset": offset, "findings": findings}


@api.get("/waste", response_model=None,
         summary="Waste in dollars a month and a year by a dimension, and the findings, filtered")
def waste(request: Request, group_by: GroupBy = "account", account_id: OptionalText = None,
          team: OptionalText = None, environment: OptionalText = None, category: OptionalText = None,
          region: OptionalText = None, output: OutputFormat = "json", limit: Limit = PAGE_SIZE,
          offset: Offset = 0) -> Response | dict:
    """Totals and groups add up the priced findings only; `unpriced_findings` says how many are left out (a
    total is then a lower bound). Filters are exact matches (an empty one is ignored) and apply to the totals,
    the groups and the findings alike. `format=csv` gives every finding the filters keep (not one page)."""
    filters = {"account_id": account_id, "team": team, "environment": environment, "category": category,
               "region": region}
    if output == "csv":
        query = queries.findings_query({name: value or None for name, value in filters.items()})
        with warehouse().cursor() as cursor:
            return reports.csv_response(cursor, *query, "waste.csv",
                                        extra={"resource_url": lambda finding: row_url(request, finding)})
    return report(request, group_by, filters, limit, offset)


def rightsizing_report(request: Request, filters: dict, limit: int, offset: int) -> dict:
    filters = {name: value or None for name, value in filters.items()}
    with warehouse().cursor() as cursor:
        summary = rightsizing_queries.summary(cursor, filters)
        total, found = rightsizing_queries.rows(cursor, filters, limit, offset)
    found = normalised_rows(found)
    for row in found:
        row["resource_url"] = row_url(request, row)
    summary = normalised_rows([summary])[0]
    return {"filters": filters, "as_of_date": summary.pop("as_of_date"), "summary": summary, "rows_total": total,
            "limit": limit, "offset": offset, "rows": found}


@api.get("/rightsizing", response_model=None,
         summary="Over-provisioned instances, DB instances and node groups: the next smaller size and its saving")
def rightsizing(request: Request, account_id: OptionalText = None, team: OptionalText = None,
                environment: OptionalText = None, region: OptionalText = None, resource_type: OptionalText = None,
                recommendation: OptionalText = None, output: OutputFormat = "json", limit: Limit = PAGE_SIZE,
                offset: Offset = 0) -> Response | dict:
    """marts.rightsizing's rows (downsizes first, the largest saving first) and a summary: rows per
    recommendation and the priced downsizes' monthly and annual saving (`unpriced_downsize` says how many are
    left out of it). Filters are exact matches (an empty one is ignored). `format=csv` gives every row the
    filters keep (not one page)."""
    filters = {"account_id": account_id, "team": team, "environment": environment, "region": region,
               "resource_type": resource_type, "recommendation": recommendation}
    if output == "csv":
        query = rightsizing_queries.rows_query({name: value or None for name, value in filters.items()})
        with warehouse().cursor() as cursor:
            return reports.csv_response(cursor, *query, "rightsizing.csv",
                                        extra={"resource_url": lambda row: row_url(request, row)})
    return rightsizing_report(request, filters, limit, offset)


@pages.get("/waste", response_class=HTMLResponse)
def waste_page(request: Request, group_by: GroupBy = "account", account_id: OptionalText = None,
               team: OptionalText = None, environment: OptionalText = None, category: OptionalText = None,
               region: OptionalText = None, offset: Offset = 0) -> HTMLResponse:
    filters = {"account_id": account_id, "team": team, "environment": environment, "category": category,
               "region": region}
    answer = report(request, group_by, filters, PAGE_SIZE, offset)
    # under the waste filters the mart has columns for (a waste category is not one); the first PAGE_SIZE rows
    # here, all of them in the section's CSV
    sized = rightsizing_report(request, filters, PAGE_SIZE, 0)
    with warehouse().cursor() as cursor:
        choices = queries.choices(cursor)
    query = {"group_by": group_by, **{name: value for name, value in answer["filters"].items() if value}}
    return render(request, "waste.html", report=answer, rightsizing=sized, choices=choices, query=query,
                  chart=chart(answer["groups"]), page_size=PAGE_SIZE,
                  dimensions=list(queries.GROUPS))


def chart(groups: list[dict]) -> dict:
    """Bars of monthly dollars, one per group, as SVG geometry (the template draws it; no script, no style)."""
    top = max((group["monthly_usd"] for group in groups), default=0) or 1
    bars = [{**group, "y": index * CHART_ROW_HEIGHT,
             "width": round(group["monthly_usd"] / top * CHART_BAR_WIDTH, 1)} for index, group in enumerate(groups)]
    return {"bars": bars, "height": max(len(bars), 1) * CHART_ROW_HEIGHT, "bar_width": CHART_BAR_WIDTH}
