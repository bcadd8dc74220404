-- Daily spend per linked account and service from Cost Explorer: one row per (linked account, service, day) over
-- the days the Cost Explorer answers covered for that account, a day without a row being a day of $0 (Cost
-- Explorer leaves out groups without cost). Every snapshot covers the 14 whole days before it was taken
-- (aws/costs.py); each day is taken from the latest snapshot that has it, and when a management account and the
-- member itself both answered for it, from the one whose snapshot is latest (the amounts are the same bill).
-- day_usd is null for an amount not in USD (not judged in dollars).
with costs as (
    select * from staging.stg_aws__ce_service_costs
),

latest_per_day as (
    select
        linked_account_id,
        service,
        cost_date,
        arg_max(case when unit = 'USD' then amount end, snapshot_at) as day_usd,
        arg_max(account_id, snapshot_at)                            as reported_by_account_id,
        arg_max(is_estimated, snapshot_at)                          as is_estimated
    from costs
    group by all
),

covered as (
    -- the days the answers covered for each linked account: each snapshot's 14 whole days before it, by the
    -- account that answered (a gap between snapshots longer than that stays a gap, never days of $0)
    select
        linked_account_id,
        cost_date,
        arg_max(account_id, taken_on)                               as reported_by_account_id
    from (
        select distinct
            linked_account_id,
            account_id,
            taken_on,
            cast(unnest(generate_series(taken_on - 14, taken_on - 1, interval 1 day)) as date) as cost_date
        from (select distinct linked_account_id, account_id, cast(timezone('UTC', snapshot_at) as date) as taken_on
              from costs)
    )
    group by all
),

services as (
    select distinct linked_account_id, service from latest_per_day
),

calendar as (
    select
        services.*,
        covered.reported_by_account_id,
        covered.cost_date
    from services
    join covered
        on covered.linked_account_id = services.linked_account_id
),

final as (
    select
        calendar.linked_account_id,
        calendar.service,
        calendar.cost_date,
        case when latest_per_day.cost_date is null then 0.0 else latest_per_day.day_usd end as day_usd,
        coalesce(latest_per_day.reported_by_account_id, calendar.reported_by_account_id) as reported_by_account_id,
        coalesce(latest_per_day.is_estimated, false)                as is_estimated
    from calendar
    left join latest_per_day
        on latest_per_day.linked_account_id = calendar.linked_account_id
       and latest_per_day.service = calendar.service
       and latest_per_day.cost_date = calendar.cost_date
)

select * from final
