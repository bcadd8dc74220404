-- Daily spend per service and linked account from Cost Explorer (ce:GetCostAndUsage, DAILY, grouped by SERVICE
-- and LINKED_ACCOUNT, UnblendedCost): one row per (querying account, linked account, service, day) per snapshot
-- (the last 14 whole UTC days before each snapshot, so days repeat across snapshots). A management account's
-- answer holds its members' spend too: the same (linked account, service, day) can come from two accounts.
with source as (
    select * from lake_aws_ce_service_cost
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "TimePeriod": {"Start": "DATE", "End": "DATE"},
            "Service": "VARCHAR",
            "LinkedAccountId": "VARCHAR",
            "Metric": "VARCHAR",
            "Amount": "VARCHAR",
            "Unit": "VARCHAR",
            "Estimated": "BOOLEAN"
        }') as api
    from source
),

renamed as (
    select
        resource_id,
        resource_type,
        account_id,  -- the account whose Cost Explorer answered
        region,  -- 'global': Cost Explorer answers for the whole account
        api.LinkedAccountId                                         as linked_account_id,  -- whose spend it is
        api.Service                                                 as service,  -- e.g. AmazonCloudWatch
        api.TimePeriod.Start                                        as cost_date,
        api.Metric                                                  as cost_metric,  -- UnblendedCost
        cast(api.Amount as double)                                  as amount,
        api.Unit                                                    as unit,  -- USD
        api.Estimated                                               as is_estimated,  -- the day is not final yet
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
