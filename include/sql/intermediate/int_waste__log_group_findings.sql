-- Waste among current CloudWatch Logs log groups, one row per finding (the shared
-- int_waste__*_findings shape):
--   log_group_no_retention: no retention policy (its events never expire); costs a month of storing
--     what it holds now (stored bytes as GB-months; it only grows). Wasteful since its creation.
--     Log groups carry no tags in the inventory: their team is the account's.
with log_groups as (
    select * from staging.stg_aws__log_groups
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

current_log_groups as (
    select
        log_groups.*,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date
    from log_groups
    join source_snapshots
        on source_snapshots.resource_type = 'log_group'
       and source_snapshots.account_id = log_groups.account_id
       and source_snapshots.source_region = log_groups.region
       and log_groups.snapshot_date = source_snapshots.last_ok_snapshot_date
),

no_retention as (
    select
        'log_group_no_retention'                                    as category,
        account_id,
        region,
        resource_type,
        log_group_name                                              as resource_id,
        arn                                                         as resource_arn,
        log_group_name                                              as resource_name,
        tags['team']                                                as team_tag,
        cast(timezone('UTC', created_at) as date)                   as wasteful_since,
        format('events never expire; {} stored', coalesce(format_bytes(stored_bytes), 'unknown bytes'))
                                                                    as detail,
        [{'price_key': 'logs:storage', 'quantity': stored_bytes / 1024.0 ^ 3, 'unit': 'GB-month'}]
                                                                    as cost_lines,
        [log_group_name]                                            as includes_resource_ids,
        is_stale,
        snapshot_date                                               as observed_on,
        as_of_date
    from current_log_groups
    where retention_days is null
),

final as (
    select * from no_retention
)

select * from final
