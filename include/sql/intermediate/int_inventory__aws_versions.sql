-- materialized: table
-- One row per version of each AWS resource: a run of consecutive ok snapshots with the same config_hash,
-- or a deletion (the resource absent from a later ok snapshot of its source, or in a terminal state such
-- as an EC2 instance `terminated`). A day on which the source was denied or failed is no snapshot at all
-- here: it neither ends a version nor deletes anything.
--
-- Built from intermediate.int_inventory__aws_events (one row per appearance, change or disappearance,
-- computed incrementally), so its cost follows the number of versions, not of stored snapshot rows; the
-- only snapshot rows read are those of each source's latest ok snapshot (the open versions' last sighting).
-- docs/data-dictionary/inventory_history.md says how this scales.
-- What a version was called (name, ARN, tags, created_at) is in the event that starts it: join
-- intermediate.int_inventory__aws_events on the resource and snapshot_date = valid_from_date. This table,
-- rewritten by every build, leaves those wide columns out.
--
-- change_kind of a version:
--   first_seen  in the first ok snapshot of its source (the inventory's baseline, not a creation)
--   created     absent from its source's previous ok snapshot, present in this one (also a re-creation)
--   modified    config_hash differs from the previous snapshot's
--   deleted     absent from a later ok snapshot of its source, or moved into a terminal state
with events as (
    select * from intermediate.int_inventory__aws_events
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

resources as (
    select * from intermediate.int_inventory__aws_resources
),

-- each event with the one after it: a version lasts until the next event, and was last seen in the snapshot
-- that event was compared with. A disappearance of a resource already in a terminal state starts no version
-- (it was deleted already): the numbering and the next version's start skip those events. One window, so
-- one sort of the events.
sequenced as (
    select
        resource_type,
        account_id,
        region,
        source_region,
        resource_id,
        snapshot_date,
        snapshot_at,
        event_kind,
        config_hash,
        state,
        is_terminal,
        previous_is_terminal,
        starts_version,
        lead(previous_snapshot_date) over resource_events           as next_event_previous_date,
        lead(previous_snapshot_at) over resource_events             as next_event_previous_at,
        cast(sum(starts_version::integer) over resource_events as bigint) as version_number,
        lead(if(starts_version, snapshot_at, null) ignore nulls) over resource_events as next_version_from,
        lead(if(starts_version, snapshot_date, null) ignore nulls) over resource_events as next_version_from_date
    from (
        select *, not (event_kind = 'vanished' and previous_is_terminal) as starts_version
        from events
    )
    window resource_events as (partition by resource_type, account_id, region, resource_id order by snapshot_date)
),

-- the latest ok snapshot of each source: where a version no later event ended was last seen
latest_snapshots as (
    select
        account_id,
        source_region,
        resource_type,
        last_ok_snapshot_date                                       as snapshot_date
    from source_snapshots
    where last_ok_snapshot_date is not null
),

open_versions as (
    select
        sequenced.resource_type,
        sequenced.account_id,
        sequenced.region,
        sequenced.resource_id,
        sequenced.snapshot_date,
        latest_snapshots.snapshot_date                              as latest_snapshot_date
    from sequenced
    inner join latest_snapshots
        on latest_snapshots.account_id = sequenced.account_id
        and latest_snapshots.source_region = sequenced.source_region
        and latest_snapshots.resource_type = sequenced.resource_type
    where sequenced.next_event_previous_date is null
        and sequenced.event_kind <> 'vanished'
),

latest_sightings as (
    select
        open_versions.resource_type,
        open_versions.account_id,
        open_versions.region,
        open_versions.resource_id,
        open_versions.snapshot_date                                 as event_date,
        resources.snapshot_date,
        resources.snapshot_at
    from open_versions
    inner join (
        -- a constant bound DuckDB can skip whole row groups with (the join alone reads every snapshot row)
        select * from resources where snapshot_date >= (select min(snapshot_date) from latest_snapshots)
    ) as resources
        on resources.resource_type = open_versions.resource_type
        and resources.account_id = open_versions.account_id
        and resources.region = open_versions.region
        and resources.resource_id = open_versions.resource_id
        and resources.snapshot_date = open_versions.latest_snapshot_date
),

final as (
    select
        sequenced.resource_type,
        sequenced.account_id,
        sequenced.region,
        sequenced.source_region,
        sequenced.resource_id,
        sequenced.version_number,
        case
            when sequenced.event_kind = 'vanished' then 'deleted'
            when sequenced.event_kind = 'modified' and sequenced.is_terminal and not sequenced.previous_is_terminal
                then 'deleted'
            else sequenced.event_kind
        end                                                         as change_kind,
        sequenced.event_kind = 'vanished' or sequenced.is_terminal  as is_deleted,
        sequenced.snapshot_at                                       as valid_from,
        sequenced.next_version_from                                 as valid_to,
        sequenced.snapshot_date                                     as valid_from_date,
        sequenced.next_version_from_date                            as valid_to_date,
        case
            when sequenced.event_kind = 'vanished' then null
            when sequenced.next_event_previous_date is not null then sequenced.next_event_previous_at
            else latest_sightings.snapshot_at
        end                                                         as last_seen_at,
        case
            when sequenced.event_kind = 'vanished' then null
            else coalesce(sequenced.next_event_previous_date, latest_sightings.snapshot_date)
        end                                                         as last_seen_date,
        sequenced.config_hash,
        sequenced.state
    from sequenced
    left join latest_sightings
        on latest_sightings.resource_type = sequenced.resource_type
        and latest_sightings.account_id = sequenced.account_id
        and latest_sightings.region = sequenced.region
        and latest_sightings.resource_id = sequenced.resource_id
        and latest_sightings.event_date = sequenced.snapshot_date
    where sequenced.starts_version
)

select * from final
