-- What we pay for that nobody uses: one row per wasteful resource and category, priced from the dated
-- list-price table. Columns, rules, prices and example queries: docs/data-dictionary/waste.md.
-- est_monthly_usd is the sum of the finding's cost lines (quantity x list price for the resource's
-- region, as of the latest run date); null, with price_known false and the missing keys in
-- unpriced_price_keys and why in unpriced_reason, when any line has no price: unknown is never 0. Overlapping findings are folded
-- (int_waste__findings), so summing est_monthly_usd over rows counts no saving twice.
with findings as (
    select * from intermediate.int_waste__findings
),

prices as (
    select * from intermediate.int_waste__prices
),

price_gaps as (
    select * from intermediate.int_waste__price_gaps
),

accounts as (
    select * from seed_accounts
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

priced_regions as (
    select distinct region from prices
),

manifest_account_names as (
    select account_id, arg_max(account_name, last_attempt_date) as account_name
    from source_snapshots
    group by all
),

cost_lines as (
    select
        category,
        account_id,
        region,
        resource_id,
        as_of_date,
        unnest(cost_lines)                                          as line,
        generate_subscripts(cost_lines, 1)                          as line_number
    from findings
),

priced_lines as (
    select
        cost_lines.category,
        cost_lines.account_id,
        cost_lines.region,
        cost_lines.resource_id,
        cost_lines.line.price_key                                   as price_key,
        cost_lines.line.quantity                                    as quantity,
        cost_lines.line.unit                                        as unit,
        cost_lines.line_number,
        prices.usd                                                  as unit_usd,
        prices.valid_from                                           as price_valid_from,
        cost_lines.line.quantity * prices.usd                       as line_usd,
        -- why a line has no price, most specific first
        case
            when prices.usd is not null and cost_lines.line.quantity is not null then null
            when cost_lines.line.quantity is null
                then format('quantity unknown for {}', cost_lines.line.price_key)
            when price_gaps.reason is not null
                then format('no price for {} in {}: {}', cost_lines.line.price_key, cost_lines.region,
                            price_gaps.reason)
            when priced_regions.region is null
                then format('region {} has no prices (no Price List answer and no seed row for it)',
                            cost_lines.region)
            else format('no price for {} in {} per {}', cost_lines.line.price_key, cost_lines.region,
                        cost_lines.line.unit)
        end                                                         as unpriced_reason
    from cost_lines
    left join prices
        on prices.price_key = cost_lines.line.price_key
       and prices.region = cost_lines.region
       and prices.unit = cost_lines.line.unit
       and prices.valid_from <= cost_lines.as_of_date
       and (prices.valid_to is null or cost_lines.as_of_date < prices.valid_to)
    left join price_gaps
        on price_gaps.price_key = cost_lines.line.price_key
       and price_gaps.region = cost_lines.region
    left join priced_regions
        on priced_regions.region = cost_lines.region
),

costs as (
    select
        category,
        account_id,
        region,
        resource_id,
        bool_and(line_usd is not null)                              as price_known,
        sum(line_usd)                                               as monthly_usd,
        list(distinct price_key order by price_key) filter (where line_usd is null) as unpriced_price_keys,
        string_agg(distinct unpriced_reason, '; ' order by unpriced_reason) as unpriced_reason,
        string_agg(
            case when quantity = round(quantity) then cast(cast(quantity as bigint) as varchar)
                 else cast(round(quantity, 6) as varchar) end
            || ' ' || unit || ' x '
            || coalesce(printf('$%.4f', unit_usd), 'no price')
            || ' (' || price_key || ')',
            ' + ' order by price_key, line_number)                  as cost_breakdown,  -- in the finding's order
        max(price_valid_from)                                       as prices_valid_from
    from priced_lines
    group by all
),

final as (
    select
        findings.category,
        findings.account_id,
        coalesce(accounts.account_name, manifest_account_names.account_name) as account_name,
        accounts.environment,
        coalesce(findings.team_tag, accounts.team)                  as team,
        findings.region,
        findings.resource_type,
        findings.resource_id,
        findings.resource_name,
        findings.resource_arn,
        findings.wasteful_since,
        date_diff('day', findings.wasteful_since, findings.as_of_date) as days_wasteful,
        findings.detail,
        case when coalesce(costs.price_known, true)
             then cast(round(coalesce(costs.monthly_usd, 0), 2) as decimal(12, 2))
        end                                                         as est_monthly_usd,
        coalesce(costs.price_known, true)                           as price_known,
        coalesce(costs.unpriced_price_keys, cast([] as varchar[]))  as unpriced_price_keys,
        case when not coalesce(costs.price_known, true) then costs.unpriced_reason end as unpriced_reason,
        coalesce(costs.cost_breakdown, 'nothing to price')          as cost_breakdown,
        costs.prices_valid_from,
        findings.also_matches,
        findings.includes_resource_ids,
        findings.is_stale,
        findings.observed_on,
        findings.as_of_date
    from findings
    left join costs
        on costs.category = findings.category
       and costs.account_id = findings.account_id
       and costs.region = findings.region
       and costs.resource_id = findings.resource_id
    left join accounts
        on accounts.account_id = findings.account_id
    left join manifest_account_names
        on manifest_account_names.account_id = findings.account_id
)

select * from final
