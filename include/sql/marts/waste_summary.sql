-- Waste by account and category with totals: one row per (account, category) that has waste, one
-- 'TOTAL' row per account, one 'ALL' accounts row per category, and the grand total ('ALL', 'TOTAL').
-- Dollars add up only the priced findings; unpriced_resources says how many are left out (the figure is
-- then a lower bound). Columns and example queries: docs/data-dictionary/waste_summary.md.
with waste as (
    select * from marts.waste
),

grouped as (
    select
        case when grouping(account_id) = 1 then 'ALL' else account_id end as account_id,
        case when grouping(account_id) = 1 then 'all accounts' else account_name end as account_name,
        case when grouping(category) = 1 then 'TOTAL' else category end as category,
        case grouping(account_id, category)
            when 0 then 'account_category'
            when 1 then 'account_total'
            when 2 then 'category_total'
            else 'grand_total'
        end                                                         as row_kind,
        count(*)                                                    as resources,
        count(*) filter (where price_known)                         as priced_resources,
        count(*) filter (where not price_known)                     as unpriced_resources,
        count(*) filter (where is_stale)                            as stale_resources,
        cast(coalesce(sum(est_monthly_usd), 0) as decimal(14, 2))   as est_monthly_usd,
        cast(coalesce(sum(est_monthly_usd), 0) * 12 as decimal(14, 2)) as est_annual_usd,
        max(as_of_date)                                             as as_of_date
    from waste
    group by grouping sets ((account_id, account_name, category), (account_id, account_name), (category), ())
),

final as (
    select * from grouped
    -- the grand total exists even when there is no waste at all (then 0 resources, $0.00)
    where resources > 0 or row_kind = 'grand_total'
)

select * from final
