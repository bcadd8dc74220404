-- One row per AWS source (account, region or "global", resource type) the manifest has ever recorded:
-- its latest successful snapshot, its latest attempt, and whether it is stale.
-- A source is stale when its latest attempt was not ok (denied or failed) or it was not attempted on the
-- latest day the pipeline ran: its resources stay in the marts as of last_ok_snapshot_date, marked stale,
-- never read as deleted.
--
-- The current rows of a resource type are its staging rows from that source's last ok snapshot:
--   from staging.stg_aws__ebs_volumes as v
--   join intermediate.int_aws__source_snapshots as s
--     on s.resource_type = 'ebs_volume' and s.account_id = v.account_id and s.source_region = v.region
--    and v.snapshot_date = s.last_ok_snapshot_date
-- Global types (S3, Route 53, CloudFront) are filed under region "global" while their rows carry the
-- resource's own region: join those on source_region = 'global' (is_global says which types).
with runs as (
    select * from staging.stg_manifest__aws_runs
),

latest_day as (
    select max(snapshot_date) as latest_run_date from runs
),

per_source as (
    select
        account_id,
        region                                                          as source_region,
        resource_type,
        region = 'global'                                               as is_global,
        max(snapshot_date) filter (where status = 'ok')                 as last_ok_snapshot_date,
        max(finished_at) filter (where status = 'ok')                   as last_ok_at,
        max(snapshot_date)                                              as last_attempt_date,
        arg_max(status, snapshot_date)                                  as last_attempt_status,
        arg_max(error_class, snapshot_date)                             as last_error_class,
        arg_max(error_message, snapshot_date)                           as last_error_message,
        arg_max(account_name, snapshot_date)                            as account_name
    from runs
    group by all
),

final as (
    select
        per_source.*,
        latest_day.latest_run_date,
        last_ok_snapshot_date is null
            or last_ok_snapshot_date < latest_day.latest_run_date       as is_stale
    from per_source
    cross join latest_day
)

select * from final
