-- Waste among current EC2 instances, one row per finding (the shape every int_waste__*_findings model
-- shares; int_waste__findings unions them):
--   stopped_instance: stopped at least stopped_instance_min_days (counted from the date in its
--     StateTransitionReason, or when that has none from the first snapshot that saw it stopped, to the
--     latest run date); costs its attached volumes' monthly storage.
--   idle_instance: running, with at least idle_instance_min_days days of CPU statistics in the last
--     idle_instance_window_days days and a highest daily average CPUUtilization under
--     idle_instance_max_cpu_percent; costs a month of its on-demand compute.
with instances as (
    select * from intermediate.int_pricing__ec2_instances  -- with its price key (price_variant, price_key)
),

-- the history the rules need, narrow: every snapshot of every instance is read here
instance_states as (
    select account_id, region, instance_id, state, snapshot_date from staging.stg_aws__ec2_instances
),

volumes as (
    select * from intermediate.int_waste__ebs_volumes
),

-- daily average CPU: every statistics snapshot repeats the 14 days before it, and each day's value is the latest
-- snapshot's that has it (a later snapshot sees late datapoints an earlier one missed)
cpu_statistics as not materialized (
    select account_id, region, instance_id, metric_date, metric_value, snapshot_date
    from staging.stg_aws__ec2_instance_metrics
    where metric_name = 'CPUUtilization' and statistic = 'Average'
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

thresholds as (
    select * from intermediate.int_waste__thresholds
),

stopped_history as (
    -- for an instance whose StateTransitionReason carries no date: the first snapshot that saw it
    -- stopped after it was last seen in another state
    select
        instance_states.account_id,
        instance_states.region,
        instance_states.instance_id,
        min(instance_states.snapshot_date)                          as first_seen_stopped_date
    from instance_states
    left join (
        select account_id, region, instance_id, max(snapshot_date) as last_seen_not_stopped_date
        from instance_states
        where state <> 'stopped'
        group by all
    ) as not_stopped
        on not_stopped.account_id = instance_states.account_id
       and not_stopped.region = instance_states.region
       and not_stopped.instance_id = instance_states.instance_id
    where instance_states.state = 'stopped'
      and instance_states.snapshot_date > coalesce(not_stopped.last_seen_not_stopped_date, date '0001-01-01')
    group by all
),

current_instances as (
    select
        instances.*,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date
    from instances
    join source_snapshots
        on source_snapshots.resource_type = 'ec2_instance'
       and source_snapshots.account_id = instances.account_id
       and source_snapshots.source_region = instances.region
       and instances.snapshot_date = source_snapshots.last_ok_snapshot_date
),

attached_volume_ids as (
    select
        account_id,
        region,
        instance_id,
        unnest(volume_ids)                                          as volume_id
    from current_instances
),

attached_volumes as (
    select
        attached_volume_ids.*,
        volumes.volume_id is not null                               as is_in_inventory,
        volumes.size_gib,
        volumes.volume_type,
        volumes.is_stale                                            as volume_is_stale,
        -- a volume the inventory does not have cannot be priced: a line without a price makes the
        -- finding's price unknown rather than too low
        coalesce(volumes.storage_cost_lines,
                 [{'price_key': 'ebs:volume-not-in-inventory', 'quantity': null::double, 'unit': 'GB-month'}])
                                                                    as storage_cost_lines
    from attached_volume_ids
    left join volumes
        on volumes.account_id = attached_volume_ids.account_id
       and volumes.region = attached_volume_ids.region
       and volumes.volume_id = attached_volume_ids.volume_id
),

volume_types as (
    select
        account_id,
        region,
        instance_id,
        string_agg(volume_type || ' ' || type_gib || ' GiB', ', ' order by volume_type) as size_by_type
    from (
        select account_id, region, instance_id, volume_type, sum(size_gib) as type_gib
        from attached_volumes
        where is_in_inventory
        group by all
    )
    group by all
),

instance_volumes as (
    select
        account_id,
        region,
        instance_id,
        count(*)                                                    as volume_count,
        coalesce(sum(size_gib), 0)                                  as volume_gib,
        count(*) filter (where not is_in_inventory)                 as volumes_not_in_inventory,
        coalesce(bool_or(volume_is_stale), false)                   as volumes_are_stale,
        list(volume_id order by volume_id)                          as volume_ids,
        flatten(list(storage_cost_lines order by volume_id))        as storage_cost_lines
    from attached_volumes
    group by all
),

-- an instance's window: the idle_instance_window_days days before its metrics source's latest ok snapshot
cpu_sources as (
    select
        account_id,
        source_region                                               as region,
        last_ok_snapshot_date                                       as window_end_date,
        is_stale
    from source_snapshots
    where resource_type = 'ec2_instance_metric'
),

cpu_window_days as (
    -- no window starts before the earliest source's: a constant bound, so only recent statistics are read
    -- (taking the latest value of every day of the history was most of this model's cost)
    select
        account_id,
        region,
        instance_id,
        metric_date,
        arg_max(metric_value, snapshot_date)                        as metric_value
    from cpu_statistics
    where metric_date >= (select min(cpu_sources.window_end_date - thresholds.idle_instance_window_days)
                          from cpu_sources cross join thresholds)
    group by all
),

cpu_window as (
    select
        cpu_window_days.account_id,
        cpu_window_days.region,
        cpu_window_days.instance_id,
        max(cpu_window_days.metric_value)                           as highest_daily_average_cpu,
        count(*)                                                    as window_days,
        bool_or(cpu_sources.is_stale)                               as metrics_are_stale
    from cpu_window_days
    join cpu_sources
        on cpu_sources.account_id = cpu_window_days.account_id
       and cpu_sources.region = cpu_window_days.region
    cross join thresholds
    where cpu_window_days.metric_date >= cpu_sources.window_end_date - thresholds.idle_instance_window_days
      and cpu_window_days.metric_date < cpu_sources.window_end_date
    group by all
),

idle_in_window as (
    select cpu_window.account_id, cpu_window.region, cpu_window.instance_id
    from cpu_window
    cross join thresholds
    where cpu_window.window_days >= thresholds.idle_instance_min_days
      and cpu_window.highest_daily_average_cpu < thresholds.idle_instance_max_cpu_percent
),

cpu_history as (
    -- the day after which an instance idle over its window stopped being busy: its whole history, read for those
    -- instances alone
    select
        history.account_id,
        history.region,
        history.instance_id,
        max(history.metric_date) filter (where history.metric_value >= thresholds.idle_instance_max_cpu_percent)
                                                                    as last_busy_date,
        min(history.metric_date)                                    as first_metric_date
    from (
        select
            cpu_statistics.account_id,
            cpu_statistics.region,
            cpu_statistics.instance_id,
            cpu_statistics.metric_date,
            arg_max(cpu_statistics.metric_value, cpu_statistics.snapshot_date) as metric_value
        from cpu_statistics
        semi join idle_in_window
            on idle_in_window.account_id = cpu_statistics.account_id
           and idle_in_window.region = cpu_statistics.region
           and idle_in_window.instance_id = cpu_statistics.instance_id
        group by all
    ) as history
    cross join thresholds
    group by all
),

instances_enriched as (
    select
        current_instances.*,
        coalesce(cast(timezone('UTC', state_transition_at) as date), stopped_history.first_seen_stopped_date)
                                                                    as stopped_since,
        instance_volumes.volume_count,
        instance_volumes.volume_gib,
        instance_volumes.volumes_not_in_inventory,
        instance_volumes.volumes_are_stale,
        instance_volumes.volume_ids                                 as attached_volume_ids,
        instance_volumes.storage_cost_lines,
        volume_types.size_by_type,
        cpu_window.highest_daily_average_cpu,
        cpu_window.window_days,
        cpu_history.last_busy_date,
        cpu_history.first_metric_date,
        cpu_window.metrics_are_stale
    from current_instances
    left join stopped_history
        on stopped_history.account_id = current_instances.account_id
       and stopped_history.region = current_instances.region
       and stopped_history.instance_id = current_instances.instance_id
    left join instance_volumes
        on instance_volumes.account_id = current_instances.account_id
       and instance_volumes.region = current_instances.region
       and instance_volumes.instance_id = current_instances.instance_id
    left join volume_types
        on volume_types.account_id = current_instances.account_id
       and volume_types.region = current_instances.region
       and volume_types.instance_id = current_instances.instance_id
    left join cpu_window
        on cpu_window.account_id = current_instances.account_id
       and cpu_window.region = current_instances.region
       and cpu_window.instance_id = current_instances.instance_id
    left join cpu_history
        on cpu_history.account_id = current_instances.account_id
       and cpu_history.region = current_instances.region
       and cpu_history.instance_id = current_instances.instance_id
),

stopped_instances as (
    select
        'stopped_instance'                                          as category,
        account_id,
        region,
        resource_type,
        instance_id                                                 as resource_id,
        arn                                                         as resource_arn,
        name                                                        as resource_name,
        tags['team']                                                as team_tag,
        stopped_since                                               as wasteful_since,
        format('stopped {} days ({}); {} {} {} GiB{}{}',
               date_diff('day', stopped_since, as_of_date), instance_type, coalesce(volume_count, 0),
               case when volume_count = 1 then 'volume' else 'volumes' end, volume_gib,
               case when size_by_type is not null then ' (' || size_by_type || ')' else '' end,
               case when volumes_not_in_inventory > 0
                    then format('; {} not in the inventory', volumes_not_in_inventory) else '' end)
                                                                    as detail,
        coalesce(storage_cost_lines, [])                            as cost_lines,
        coalesce(attached_volume_ids, [])                           as includes_resource_ids,
        is_stale or coalesce(volumes_are_stale, false)              as is_stale,
        snapshot_date                                               as observed_on,
        as_of_date
    from instances_enriched
    cross join thresholds
    where state = 'stopped'
      and date_diff('day', stopped_since, as_of_date) >= thresholds.stopped_instance_min_days
),

idle_instances as (
    select
        'idle_instance'                                             as category,
        account_id,
        region,
        resource_type,
        instance_id                                                 as resource_id,
        arn                                                         as resource_arn,
        name                                                        as resource_name,
        tags['team']                                                as team_tag,
        -- the day after the last day it was busy, or the first day the statistics know of
        coalesce(last_busy_date + 1, first_metric_date)             as wasteful_since,
        format('{} {} running; highest daily average CPU {}% over the last {} days (idle under {}%)',
               instance_type, price_variant, round(highest_daily_average_cpu, 1), window_days,
               thresholds.idle_instance_max_cpu_percent)            as detail,
        [{'price_key': price_key,
          'quantity': thresholds.hours_per_month, 'unit': 'hour'}]  as cost_lines,
        cast([] as varchar[])                                       as includes_resource_ids,
        is_stale or coalesce(metrics_are_stale, false)              as is_stale,
        snapshot_date                                               as observed_on,
        as_of_date
    from instances_enriched
    cross join thresholds
    where state = 'running'
      and window_days >= thresholds.idle_instance_min_days
      and highest_daily_average_cpu < thresholds.idle_instance_max_cpu_percent
),

final as (
    select * from stopped_instances
    union all by name
    select * from idle_instances
)

select * from final
