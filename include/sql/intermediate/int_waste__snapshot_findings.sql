-- Waste among current EBS snapshots owned by the account, one row per finding (the shared
-- int_waste__*_findings shape). A snapshot costs volume_size_gib GB-months of snapshot storage in its
-- tier: an upper bound, since snapshots are billed on the blocks they hold, not the volume's size.
--   orphaned_snapshot: its source volume is not among the region's current volumes and no current AMI
--     of the account in that region uses it. Judged only where the volume and AMI sources have an ok
--     snapshot at all (no evidence, no verdict); stale when either of them is stale.
--   old_snapshot: started at least old_snapshot_min_days before the latest run date. An orphaned
--     snapshot that is also old is listed once, as orphaned_snapshot (int_waste__findings).
with snapshots as (
    select * from staging.stg_aws__ebs_snapshots
),

volumes as (
    select * from intermediate.int_waste__ebs_volumes
),

amis as (
    select * from staging.stg_aws__amis
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

thresholds as (
    select * from intermediate.int_waste__thresholds
),

current_snapshots as (
    select
        snapshots.*,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date
    from snapshots
    join source_snapshots
        on source_snapshots.resource_type = 'ebs_snapshot'
       and source_snapshots.account_id = snapshots.account_id
       and source_snapshots.source_region = snapshots.region
       and snapshots.snapshot_date = source_snapshots.last_ok_snapshot_date
),

current_ami_snapshots as (
    select
        amis.account_id,
        amis.region,
        unnest(amis.snapshot_ids)                                   as snapshot_id,
        amis.image_id
    from amis
    join source_snapshots
        on source_snapshots.resource_type = 'ami'
       and source_snapshots.account_id = amis.account_id
       and source_snapshots.source_region = amis.region
       and amis.snapshot_date = source_snapshots.last_ok_snapshot_date
),

ami_use as (
    select account_id, region, snapshot_id, list(distinct image_id order by image_id) as image_ids
    from current_ami_snapshots
    group by all
),

evidence as (
    select
        current_snapshots.*,
        volumes.volume_id is not null                               as volume_exists,
        ami_use.image_ids                                           as used_by_image_ids,
        volume_source.last_ok_snapshot_date is not null
            and ami_source.last_ok_snapshot_date is not null        as can_judge_orphans,
        coalesce(volume_source.is_stale, true) or coalesce(ami_source.is_stale, true) as evidence_is_stale,
        date_diff('day', cast(timezone('UTC', started_at) as date), current_snapshots.as_of_date) as age_days
    from current_snapshots
    left join volumes
        on volumes.account_id = current_snapshots.account_id
       and volumes.region = current_snapshots.region
       and volumes.volume_id = current_snapshots.volume_id
    left join ami_use
        on ami_use.account_id = current_snapshots.account_id
       and ami_use.region = current_snapshots.region
       and ami_use.snapshot_id = current_snapshots.snapshot_id
    left join source_snapshots as volume_source
        on volume_source.resource_type = 'ebs_volume'
       and volume_source.account_id = current_snapshots.account_id
       and volume_source.source_region = current_snapshots.region
    left join source_snapshots as ami_source
        on ami_source.resource_type = 'ami'
       and ami_source.account_id = current_snapshots.account_id
       and ami_source.source_region = current_snapshots.region
),

priced as (
    select
        *,
        [{'price_key': 'ebs:snapshot:' || coalesce(storage_tier, 'standard'),
          'quantity': cast(volume_size_gib as double), 'unit': 'GB-month'}] as cost_lines
    from evidence
),

orphaned_snapshots as (
    select
        'orphaned_snapshot'                                         as category,
        account_id,
        region,
        resource_type,
        snapshot_id                                                 as resource_id,
        arn                                                         as resource_arn,
        name                                                        as resource_name,
        tags['team']                                                as team_tag,
        cast(timezone('UTC', started_at) as date)                   as wasteful_since,
        format('{} GiB snapshot of {}, a volume that no longer exists; used by no AMI; {} days old',
               volume_size_gib, volume_id, age_days)                as detail,
        cost_lines,
        [snapshot_id]                                               as includes_resource_ids,
        is_stale or evidence_is_stale                               as is_stale,
        snapshot_date                                               as observed_on,
        as_of_date
    from priced
    where can_judge_orphans
      and not volume_exists
      and used_by_image_ids is null
),

old_snapshots as (
    select
        'old_snapshot'                                              as category,
        account_id,
        region,
        resource_type,
        snapshot_id                                                 as resource_id,
        arn                                                         as resource_arn,
        name                                                        as resource_name,
        tags['team']                                                as team_tag,
        cast(timezone('UTC', started_at) as date)                   as wasteful_since,
        format('{} GiB snapshot of {} ({}), {} days old{}', volume_size_gib, volume_id,
               case when volume_exists then 'volume still exists' else 'volume gone' end, age_days,
               case when used_by_image_ids is not null
                    then '; used by ' || array_to_string(used_by_image_ids, ', ') else '' end)
                                                                    as detail,
        cost_lines,
        [snapshot_id]                                               as includes_resource_ids,
        is_stale,
        snapshot_date                                               as observed_on,
        as_of_date
    from priced
    cross join thresholds
    where age_days >= thresholds.old_snapshot_min_days
),

final as (
    select * from orphaned_snapshots
    union all by name
    select * from old_snapshots
)

select * from final
