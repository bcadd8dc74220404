"""Waste: what marts.waste finds, summed by a dimension, and the findings themselves, under the same filters."""
from __future__ import annotations

from typing import Any, Mapping

from cloud_inventory.explorer.queries import records

# group_by -> (the column grouped on, the label shown for a group): fixed names, never user text
GROUPS = {
    "account": ("account_id", "max(account_name)"),
    "team": ("team", "team"),
    "environment": ("environment", "environment"),
    "category": ("category", "category"),
    "region": ("region", "region"),
}
FILTERS = ("account_id", "team", "environment", "category", "region")  # parameter name = column name
SUMS = """
        count(*)                                                        as findings,
        count(*) filter (where price_known)                             as priced_findings,
        count(*) filter (where not price_known)                         as unpriced_findings,
        count(*) filter (where is_stale)                                as stale_findings,
        cast(coalesce(sum(est_monthly_usd), 0) as decimal(14, 2))       as monthly_usd,
        cast(coalesce(sum(est_monthly_usd), 0) * 12 as decimal(14, 2))  as annual_usd"""


def where(filters: Mapping[str, str | None]) -> tuple[str, list[Any]]:
    """The filters given (exact matches), as SQL on fixed column names and their `?` parameters."""
    given = [(name, filters[name]) for name in FILTERS if filters.get(name) is not None]
    sql = " and ".join(f"{name} = ?" for name, _ in given)
    return (f"where {sql}" if sql else ""), [value for _, value in given]


def summary(cursor: Any, group_by: str, filters: Mapping[str, str | None]) -> dict:
    """Dollars a month and a year (priced findings only; unpriced ones counted apart) in total and per group,
    the largest first."""
    key, label = GROUPS[group_by]
    condition, parameters = where(filters)
    total = records(cursor, f"select {SUMS} from marts.waste {condition}", parameters)[0]
    groups = records(cursor, f"""
        select {key} as key, {label} as label, {SUMS}
        from marts.waste {condition}
        group by {key}
        order by monthly_usd desc, unpriced_findings desc, key nulls last""", parameters)
    as_of = records(cursor, "select max(as_of_date) as as_of_date from marts.waste")[0]["as_of_date"]
    return {"total": total, "groups": groups, "as_of_date": as_of}


def findings_query(filters: Mapping[str, str | None], limit: int | None = None,
                   offset: int = 0) -> tuple[str, list[Any]]:
    """The findings the filters keep, the most expensive first, unpriced ones (whose cost is unknown) ahead of them;
    all of them when limit is None."""
    condition, parameters = where(filters)
    page = "" if limit is None else "limit ? offset ?"
    return f"""
        select category, account_id, account_name, environment, team, region, resource_type, resource_id,
               resource_name, resource_arn, detail, est_monthly_usd,
               cast(est_monthly_usd * 12 as decimal(14, 2)) as est_annual_usd, price_known, unpriced_price_keys,
               unpriced_reason, cost_breakdown, wasteful_since, days_wasteful, also_matches, includes_resource_ids, is_stale,
               observed_on, as_of_date
        from marts.waste {condition}
        order by est_monthly_usd desc nulls first, category, account_id, region, resource_id
        {page}""", parameters + ([] if limit is None else [limit, offset])


def findings(cursor: Any, filters: Mapping[str, str | None], limit: int, offset: int = 0) -> tuple[int, list[dict]]:
    """(how many findings the filters keep, a page of them from `offset`)."""
    condition, parameters = where(filters)
    count = records(cursor, f"select count(*) as n from marts.waste {condition}", parameters)[0]["n"]
    return count, records(cursor, *findings_query(filters, limit, offset))


def choices(cursor: Any) -> dict[str, list[dict]]:
    """The values each filter can take (for the page's menus): account ids with their names, the others as is."""
    found = {"account_id": records(cursor, """
        select account_id as value, coalesce(max(account_name), account_id) as label
        from marts.waste group by account_id order by label, value""")}
    for name in FILTERS[1:]:
        found[name] = records(cursor, f"""
            select distinct {name} as value, {name} as label from marts.waste
            where {name} is not null order by value""")
    return found
