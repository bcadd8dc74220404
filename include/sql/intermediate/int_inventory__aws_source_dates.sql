-- One row per AWS source (account, region or "global", resource type) and snapshot date whose extraction
-- was ok, with that source's previous ok snapshot: intermediate.int_inventory__aws_events compares each ok
-- snapshot with it. A date on which the source was denied or failed has no row here, so it never reads as a
-- deletion (the source's staleness itself is intermediate.int_aws__source_snapshots' job).
with runs as (
    select * from staging.stg_manifest__aws_runs
),

ok_runs as (
    select
        account_id,
        region                                                          as source_region,
        resource_type,
        snapshot_date,
        min(started_at)                                                 as snapshot_at
    from runs
    where status = 'ok'
    group by all
),

final as (
    select
        account_id,
        source_region,
        resource_type,
        source_region = 'global'                                        as is_global,
        snapshot_date,
        snapshot_at,
        lag(snapshot_date) over source_window                           as previous_ok_snapshot_date
    from ok_runs
    window source_window as (partition by account_id, source_region, resource_type order by snapshot_date)
)

select * from final
