-- materialized: table
-- One row per version of each AWS resource: a run of consecutive ok snapshots with the same config_hash,
-- or a deletion (the resource absent from a later ok snapshot of its source, or in a terminal state such
-- as an EC2 instance `terminated`). A day on which the source was denied or failed is no snapshot at all
-- here: it neither ends a version nor deletes anything.
--
-- Cost: one window pass (lag/lead) over the narrow columns of the snapshot rows (resource key, snapshot date and
-- time, config_hash, state, the source's neighbouring ok dates); every later step sees only the first and last
-- snapshot of each version. No JSON is parsed (staging did that once per day, incrementally). Name, ARN, tags
-- and created_at are joined back for the version starts only. docs/data-dictionary/inventory_history.md
-- says how this scales.
--
-- change_kind of a version:
--   first_seen  in the first ok snapshot of its source (the inventory's baseline, not a creation)
--   created     absent from its source's previous ok snapshot, present in this one (also a re-creation)
--   modified    config_hash differs from the previous snapshot's
--   deleted     absent from a later ok snapshot of its source, or moved into a terminal state
with resource_snapshots as (
    -- the narrow columns the version computation sorts
    select resource_type, account_id, region, resource_id, snapshot_date, snapshot_at, config_hash, state
    from intermediate.int_inventory__aws_resources
),

resource_descriptions as (
    -- joined back for the first snapshot of each version only
    select resource_type, account_id, region, resource_id, snapshot_date, name, arn, tags, created_at
    from intermediate.int_inventory__aws_resources
),

source_dates as (
    select * from intermediate.int_inventory__aws_source_dates
),

global_types as (
    select distinct resource_type from source_dates where is_global
),

-- only rows of an ok snapshot of their source count, with that source's neighbouring ok snapshots
observations as (
    select
        resource_snapshots.*,
        source_dates.source_region,
        source_dates.previous_ok_snapshot_date,
        source_dates.next_ok_snapshot_date,
        source_dates.next_ok_snapshot_at
    from resource_snapshots
    left join global_types
        on global_types.resource_type = resource_snapshots.resource_type
    inner join source_dates
        on source_dates.account_id = resource_snapshots.account_id
        and source_dates.resource_type = resource_snapshots.resource_type
        and source_dates.source_region = if(global_types.resource_type is null, resource_snapshots.region, 'global')
        and source_dates.snapshot_date = resource_snapshots.snapshot_date
),

-- the one pass over every snapshot row: each row's neighbours in the resource's own snapshots
sequenced as (
    select
        *,
        lag(snapshot_date) over resource_window                     as previous_seen_date,
        lag(config_hash) over resource_window                       as previous_config_hash,
        lead(snapshot_date) over resource_window                    as next_seen_date,
        lead(config_hash) over resource_window                      as next_config_hash
    from observations
    window resource_window as (partition by resource_type, account_id, region, resource_id order by snapshot_date)
),

flagged as (
    select
        *,
        -- not in the source's previous ok snapshot (or no earlier snapshot of the resource at all)
        previous_seen_date is null or previous_seen_date < previous_ok_snapshot_date as has_appeared,
        -- not in the source's next ok snapshot: deleted as of that snapshot
        next_ok_snapshot_date is not null
            and (next_seen_date is null or next_seen_date > next_ok_snapshot_date) as has_vanished
    from sequenced
),

-- only the first and last snapshot of each version are kept (a few rows per resource, not one per day)
boundaries as (
    select
        *,
        has_appeared or config_hash is distinct from previous_config_hash as is_version_start,
        next_seen_date is null or has_vanished
            or next_config_hash is distinct from config_hash        as is_version_end,
        case
            when not has_appeared then 'modified'
            when previous_ok_snapshot_date is null then 'first_seen'
            else 'created'
        end                                                         as start_kind,
        case when has_vanished then next_ok_snapshot_date end       as vanished_on,
        case when has_vanished then next_ok_snapshot_at end         as vanished_at
    from flagged
    where has_appeared
        or config_hash is distinct from previous_config_hash
        or next_seen_date is null
        or has_vanished
        or next_config_hash is distinct from config_hash
),

paired as (
    select
        *,
        lead(snapshot_date) over boundary_window                    as next_boundary_date,
        lead(snapshot_at) over boundary_window                      as next_boundary_at,
        lead(vanished_on) over boundary_window                      as next_boundary_vanished_on,
        lead(vanished_at) over boundary_window                      as next_boundary_vanished_at
    from boundaries
    window boundary_window as (partition by resource_type, account_id, region, resource_id order by snapshot_date)
),

live_versions as (
    select
        resource_type,
        account_id,
        region,
        source_region,
        resource_id,
        start_kind,
        snapshot_date                                               as valid_from_date,
        snapshot_at                                                 as valid_from,
        if(is_version_end, snapshot_date, next_boundary_date)       as last_seen_date,
        if(is_version_end, snapshot_at, next_boundary_at)           as last_seen_at,
        config_hash,
        state,
        coalesce(state in ('terminated', 'deleted'), false)         as is_terminal,
        if(is_version_end, vanished_on, next_boundary_vanished_on)  as vanished_on,
        if(is_version_end, vanished_at, next_boundary_vanished_at)  as vanished_at
    from paired
    where is_version_start
),

-- name, ARN, tags and created_at as of each version's first snapshot
described as (
    select
        live_versions.*,
        resource_descriptions.name,
        resource_descriptions.arn,
        resource_descriptions.tags,
        resource_descriptions.created_at,
        coalesce(lag(live_versions.is_terminal) over (
            partition by live_versions.resource_type, live_versions.account_id, live_versions.region,
                live_versions.resource_id
            order by live_versions.valid_from_date
        ), false)                                                   as follows_terminal
    from live_versions
    inner join resource_descriptions
        on resource_descriptions.resource_type = live_versions.resource_type
        and resource_descriptions.account_id = live_versions.account_id
        and resource_descriptions.region = live_versions.region
        and resource_descriptions.resource_id = live_versions.resource_id
        and resource_descriptions.snapshot_date = live_versions.valid_from_date
),

live_rows as (
    select
        resource_type,
        account_id,
        region,
        source_region,
        resource_id,
        case
            when start_kind = 'modified' and is_terminal and not follows_terminal then 'deleted'
            else start_kind
        end                                                         as change_kind,
        is_terminal                                                 as is_deleted,
        valid_from,
        valid_from_date,
        last_seen_at,
        last_seen_date,
        config_hash,
        state,
        name,
        arn,
        tags,
        created_at
    from described
),

-- a version ending because the resource was absent from its source's next ok snapshot
deletion_rows as (
    select
        resource_type,
        account_id,
        region,
        source_region,
        resource_id,
        'deleted'                                                   as change_kind,
        true                                                        as is_deleted,
        vanished_at                                                 as valid_from,
        vanished_on                                                 as valid_from_date,
        null::timestamptz                                           as last_seen_at,
        null::date                                                  as last_seen_date,
        null::varchar                                               as config_hash,
        null::varchar                                               as state,
        name,
        arn,
        tags,
        created_at
    from described
    where vanished_on is not null
        and not is_terminal
),

all_versions as (
    select * from live_rows
    union all
    select * from deletion_rows
),

final as (
    select
        resource_type,
        account_id,
        region,
        source_region,
        resource_id,
        row_number() over resource_versions                         as version_number,
        change_kind,
        is_deleted,
        valid_from,
        lead(valid_from) over resource_versions                     as valid_to,
        valid_from_date,
        lead(valid_from_date) over resource_versions                as valid_to_date,
        last_seen_at,
        last_seen_date,
        config_hash,
        state,
        name,
        arn,
        tags,
        created_at
    from all_versions
    window resource_versions as (
        partition by resource_type, account_id, region, resource_id order by valid_from_date
    )
)

select * from final
