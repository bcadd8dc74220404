-- One row per AWS source (account, region or "global", resource type) and snapshot date whose extraction
-- was ok, with that source's previous and next ok snapshot. A resource missing from the source's next ok
-- snapshot was deleted; a date on which the source was denied or failed has no row here, so it never
-- reads as a deletion (the source's staleness itself is intermediate.int_aws__source_snapshots' job).
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
        lag(snapshot_date) over source_window                           as previous_ok_snapshot_date,
        lead(snapshot_date) over source_window                          as next_ok_snapshot_date,
        lead(snapshot_at) over source_window                            as next_ok_snapshot_at
    from ok_runs
    window source_window as (partition by account_id, source_region, resource_type order by snapshot_date)
)

select * from final
