-- materialized: table
-- (A table: three finding models read it.)
-- Current EBS volumes (each from its source's last ok snapshot) with what the waste rules need: the
-- price lines of a month of the volume's storage, and when it was last seen attached.
-- storage_cost_lines: [{price_key, quantity, unit}], priced in marts.waste against int_waste__prices:
--   size_gib GB-month of 'ebs:<type>:storage'; for gp3 the IOPS above the included 3,000 and the
--   throughput above the included 125 MB/s; for io1/io2 every provisioned IOPS.
with volumes as (
    select * from staging.stg_aws__ebs_volumes
),

-- the history the rules need, narrow: every snapshot of every volume is read here
volume_states as (
    select account_id, region, volume_id, state, snapshot_date from staging.stg_aws__ebs_volumes
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

attachment_history as (
    select
        account_id,
        region,
        volume_id,
        max(snapshot_date) filter (where state = 'in-use')          as last_seen_in_use_date
    from volume_states
    group by all
),

unattached_since as (
    select
        volume_states.account_id,
        volume_states.region,
        volume_states.volume_id,
        min(volume_states.snapshot_date)                                  as first_seen_unattached_date
    from volume_states
    left join attachment_history
        on attachment_history.account_id = volume_states.account_id
       and attachment_history.region = volume_states.region
       and attachment_history.volume_id = volume_states.volume_id
    where volume_states.state = 'available'
      and volume_states.snapshot_date > coalesce(attachment_history.last_seen_in_use_date, date '0001-01-01')
    group by all
),

current_volumes as (
    select
        volumes.*,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date
    from volumes
    join source_snapshots
        on source_snapshots.resource_type = 'ebs_volume'
       and source_snapshots.account_id = volumes.account_id
       and source_snapshots.source_region = volumes.region
       and volumes.snapshot_date = source_snapshots.last_ok_snapshot_date
),

final as (
    select
        current_volumes.*,
        attachment_history.last_seen_in_use_date,
        unattached_since.first_seen_unattached_date,
        [{'price_key': 'ebs:' || coalesce(volume_type, 'unknown') || ':storage',
          'quantity': cast(size_gib as double), 'unit': 'GB-month'}]
        || case when volume_type = 'gp3' and iops > 3000
                then [{'price_key': 'ebs:gp3:iops', 'quantity': cast(iops - 3000 as double), 'unit': 'IOPS-month'}]
                else [] end
        || case when volume_type = 'gp3' and throughput_mibps > 125
                then [{'price_key': 'ebs:gp3:throughput', 'quantity': cast(throughput_mibps - 125 as double),
                       'unit': 'MBps-month'}]
                else [] end
        || case when volume_type in ('io1', 'io2')
                then [{'price_key': 'ebs:' || volume_type || ':iops', 'quantity': cast(iops as double),
                       'unit': 'IOPS-month'}]
                else [] end                                         as storage_cost_lines
    from current_volumes
    left join attachment_history
        on attachment_history.account_id = current_volumes.account_id
       and attachment_history.region = current_volumes.region
       and attachment_history.volume_id = current_volumes.volume_id
    left join unattached_since
        on unattached_since.account_id = current_volumes.account_id
       and unattached_since.region = current_volumes.region
       and unattached_since.volume_id = current_volumes.volume_id
)

select * from final
