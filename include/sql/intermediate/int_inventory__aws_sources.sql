-- One row per AWS source (account, region or "global", resource type), as intermediate.int_aws__source_snapshots
-- has it (last ok snapshot, last attempt, is_stale), plus stale_since: when a stale source first missed a
-- snapshot, i.e. its first attempt after its last ok snapshot, or, if it was not attempted since, the start
-- of the first pipeline run after that snapshot. Null when the source is not stale.
with sources as (
    select * from intermediate.int_aws__source_snapshots
),

runs as (
    select * from staging.stg_manifest__aws_runs
),

run_days as (
    select
        snapshot_date,
        min(started_at)                                             as run_started_at
    from runs
    group by snapshot_date
),

missed as (
    select
        sources.account_id,
        sources.source_region,
        sources.resource_type,
        min(runs.started_at)                                        as first_missed_attempt_at
    from sources
    inner join runs
        on runs.account_id = sources.account_id
        and runs.region = sources.source_region
        and runs.resource_type = sources.resource_type
        and runs.snapshot_date > coalesce(sources.last_ok_snapshot_date, date '0001-01-01')
    where sources.is_stale
    group by all
),

first_run_after as (
    select
        sources.account_id,
        sources.source_region,
        sources.resource_type,
        min(run_days.run_started_at)                                as first_run_after_at
    from sources
    inner join run_days
        on run_days.snapshot_date > coalesce(sources.last_ok_snapshot_date, date '0001-01-01')
    where sources.is_stale
    group by all
),

final as (
    select
        sources.*,
        case when sources.is_stale then
            coalesce(missed.first_missed_attempt_at, first_run_after.first_run_after_at)
        end                                                         as stale_since
    from sources
    left join missed
        using (account_id, source_region, resource_type)
    left join first_run_after
        using (account_id, source_region, resource_type)
)

select * from final
