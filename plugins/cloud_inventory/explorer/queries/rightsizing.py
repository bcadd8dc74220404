"""Rightsizing: what marts.rightsizing proposes, with its total monthly saving, under the waste page's filters
(the same reads answer the JSON API, the waste page's section and the CLI's `rightsizing`)."""
from __future__ import annotations

from typing import Any, Mapping

from cloud_inventory.explorer.queries import records

# parameter name = column name; exact matches
FILTERS = ("account_id", "team", "environment", "region", "resource_type", "recommendation")
RECOMMENDATIONS = ("downsize", "needs memory data", "no smaller size")
# a row of the API, the CSV and the CLI: marts.rightsizing's columns people act on, in this order
FIELDS = ("resource_type", "account_id", "account_name", "environment", "team", "region", "resource_id",
          "resource_name", "recommendation", "current_type", "proposed_type", "node_count", "current_vcpus",
          "current_memory_gib", "proposed_vcpus", "proposed_memory_gib", "max_cpu_percent", "cpu_days",
          "max_memory_percent", "memory_days", "memory_data", "memory_metric", "detail", "current_monthly_usd",
          "proposed_monthly_usd", "monthly_saving_usd", "annual_saving_usd", "price_known", "unpriced_reason",
          "current_price_key", "proposed_price_key", "is_stale", "observed_on", "as_of_date")


def where(filters: Mapping[str, str | None]) -> tuple[str, list[Any]]:
    """The filters given (exact matches; those this mart has no column for are ignored), as SQL and parameters."""
    given = [(name, filters[name]) for name in FILTERS if filters.get(name) is not None]
    sql = " and ".join(f"{name} = ?" for name, _ in given)
    return (f"where {sql}" if sql else ""), [value for _, value in given]


def summary(cursor: Any, filters: Mapping[str, str | None]) -> dict:
    """Rows per recommendation, and the priced downsizes' monthly and annual saving (unpriced ones counted apart)."""
    condition, parameters = where(filters)
    return records(cursor, f"""
        select
            count(*)                                                            as rows,
            count(*) filter (where recommendation = 'downsize')                 as downsize,
            count(*) filter (where recommendation = 'downsize' and price_known) as priced_downsize,
            count(*) filter (where recommendation = 'downsize' and not price_known) as unpriced_downsize,
            count(*) filter (where recommendation = 'needs memory data')        as needs_memory_data,
            count(*) filter (where recommendation = 'no smaller size')          as no_smaller_size,
            cast(coalesce(sum(monthly_saving_usd), 0) as decimal(14, 2))        as monthly_saving_usd,
            cast(coalesce(sum(monthly_saving_usd), 0) * 12 as decimal(14, 2))   as annual_saving_usd,
            max(as_of_date)                                                     as as_of_date
        from marts.rightsizing {condition}""", parameters)[0]


def rows_query(filters: Mapping[str, str | None], limit: int | None = None, offset: int = 0) -> tuple[str, list]:
    """The rows the filters keep: downsizes first, the largest saving first (unpriced ones after the priced), then
    what needs memory data by what is at stake; all of them when limit is None."""
    condition, parameters = where(filters)
    page = "" if limit is None else "limit ? offset ?"
    columns = ", ".join("cast(monthly_saving_usd * 12 as decimal(14, 2)) as annual_saving_usd"
                        if name == "annual_saving_usd" else name for name in FIELDS)
    return f"""
        select {columns}
        from marts.rightsizing {condition}
        order by recommendation <> 'downsize', recommendation, monthly_saving_usd desc nulls last,
                 current_monthly_usd desc nulls last, account_id, region, resource_id
        {page}""", parameters + ([] if limit is None else [limit, offset])


def rows(cursor: Any, filters: Mapping[str, str | None], limit: int, offset: int = 0) -> tuple[int, list[dict]]:
    """(how many rows the filters keep, a page of them from `offset`)."""
    condition, parameters = where(filters)
    count = records(cursor, f"select count(*) as n from marts.rightsizing {condition}", parameters)[0]["n"]
    return count, records(cursor, *rows_query(filters, limit, offset))
