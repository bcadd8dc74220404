-- materialized: incremental
-- One row per event in an AWS resource's life, at the ok snapshot of its source in which it was noticed:
--   first_seen  present in the first ok snapshot of its source (the inventory's baseline, not a creation)
--   created     present, and absent from its source's previous ok snapshot (also a re-creation)
--   modified    present with a config_hash other than in the previous ok snapshot
--   vanished    absent, and present in the previous ok snapshot
-- A day on which the source was denied or failed is no snapshot here: it neither ends nor starts anything,
-- the next ok snapshot is compared with the last ok one.
--
-- Incremental: an event at date t depends only on the snapshots at t and at the source's previous ok date,
-- so a build recomputes the dates from the earliest changed one (getvariable('rebuild_from'), null on a
-- full build) and keeps the rest: adding a day compares that day with the one before it, not all history.
-- intermediate.int_inventory__aws_versions turns the events into versions.
with source_dates as (
    select * from intermediate.int_inventory__aws_source_dates
),

resources as (
    select * from intermediate.int_inventory__aws_resources
),

global_types as (
    select distinct resource_type from source_dates where is_global
),

-- the ok snapshots this build computes events for, each with its source's previous ok snapshot
rebuilt_snapshots as (
    select
        account_id,
        source_region,
        resource_type,
        snapshot_date,
        snapshot_at,
        previous_ok_snapshot_date
    from source_dates
    where snapshot_date >= coalesce(getvariable('rebuild_from'), date '0001-01-01')
),

-- every resource row with the source it came from (a global type's rows carry the resource's own region)
sourced as (
    select
        resources.resource_type,
        resources.account_id,
        resources.region,
        if(global_types.resource_type is null, resources.region, 'global') as source_region,
        resources.resource_id,
        resources.snapshot_date,
        resources.snapshot_at,
        resources.config_hash,
        resources.state,
        coalesce(resources.state in ('terminated', 'deleted'), false) as is_terminal,
        resources.name,
        resources.arn,
        resources.tags,
        resources.created_at
    from resources
    left join global_types
        on global_types.resource_type = resources.resource_type
    -- only the dates a rebuilt snapshot or its predecessor can be: a day's build reads two days of rows
    where resources.snapshot_date >= (
        select min(coalesce(previous_ok_snapshot_date, snapshot_date)) from rebuilt_snapshots
    )
),

-- the rows of the rebuilt snapshots (only ok snapshots' rows: a failed date's rows, if any, are not read)
current_rows as (
    select
        sourced.*,
        rebuilt_snapshots.previous_ok_snapshot_date
    from sourced
    inner join rebuilt_snapshots
        on rebuilt_snapshots.account_id = sourced.account_id
        and rebuilt_snapshots.source_region = sourced.source_region
        and rebuilt_snapshots.resource_type = sourced.resource_type
        and rebuilt_snapshots.snapshot_date = sourced.snapshot_date
),

-- the rows of the snapshots just before them, as (source, date it precedes) pairs
previous_rows as (
    select
        sourced.*,
        rebuilt_snapshots.snapshot_date                             as next_snapshot_date,
        rebuilt_snapshots.snapshot_at                               as next_snapshot_at
    from sourced
    inner join rebuilt_snapshots
        on rebuilt_snapshots.account_id = sourced.account_id
        and rebuilt_snapshots.source_region = sourced.source_region
        and rebuilt_snapshots.resource_type = sourced.resource_type
        and rebuilt_snapshots.previous_ok_snapshot_date = sourced.snapshot_date
),

compared as (
    select
        coalesce(current_rows.resource_type, previous_rows.resource_type)     as resource_type,
        coalesce(current_rows.account_id, previous_rows.account_id)           as account_id,
        coalesce(current_rows.region, previous_rows.region)                   as region,
        coalesce(current_rows.source_region, previous_rows.source_region)     as source_region,
        coalesce(current_rows.resource_id, previous_rows.resource_id)         as resource_id,
        coalesce(current_rows.snapshot_date, previous_rows.next_snapshot_date) as snapshot_date,
        coalesce(current_rows.snapshot_at, previous_rows.next_snapshot_at)    as snapshot_at,
        case
            when previous_rows.resource_id is not null and current_rows.resource_id is null then 'vanished'
            when previous_rows.resource_id is not null then 'modified'
            when current_rows.previous_ok_snapshot_date is null then 'first_seen'
            else 'created'
        end                                                                   as event_kind,
        previous_rows.snapshot_date                                           as previous_snapshot_date,
        previous_rows.snapshot_at                                             as previous_snapshot_at,
        current_rows.config_hash,
        current_rows.state,
        coalesce(current_rows.is_terminal, false)                             as is_terminal,
        previous_rows.config_hash                                             as previous_config_hash,
        previous_rows.state                                                   as previous_state,
        coalesce(previous_rows.is_terminal, false)                            as previous_is_terminal,
        -- what the resource was called: as of the event, or for a disappearance as last seen
        coalesce(current_rows.name, previous_rows.name)                       as name,
        coalesce(current_rows.arn, previous_rows.arn)                         as arn,
        coalesce(current_rows.tags, previous_rows.tags)                       as tags,
        coalesce(current_rows.created_at, previous_rows.created_at)           as created_at
    from current_rows
    full outer join previous_rows
        on previous_rows.resource_type = current_rows.resource_type
        and previous_rows.account_id = current_rows.account_id
        and previous_rows.region = current_rows.region
        and previous_rows.resource_id = current_rows.resource_id
        and previous_rows.next_snapshot_date = current_rows.snapshot_date
),

final as (
    select * from compared
    where previous_config_hash is distinct from config_hash
)

select * from final
