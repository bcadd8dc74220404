-- Waste among current RDS DB instances, one row per finding (the shared int_waste__*_findings shape):
--   idle_rds_instance: available (running), with a daily maximum DatabaseConnections statistic on each
--     of the last idle_rds_window_days days, none above idle_rds_max_connections; costs a month of its
--     on-demand instance hours (storage, which a stopped or snapshotted database keeps paying for in
--     some form, is left out). Wasteful since the day after the last day with a connection, or the
--     first day the statistics know of.
with db_instances as (
    select * from intermediate.int_pricing__rds_instances  -- with its price key (deployment, price_key)
),

daily_metrics as (
    select * from intermediate.int_waste__daily_metrics
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

thresholds as (
    select * from intermediate.int_waste__thresholds
),

current_db_instances as (
    select
        db_instances.*,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date
    from db_instances
    join source_snapshots
        on source_snapshots.resource_type = 'rds_instance'
       and source_snapshots.account_id = db_instances.account_id
       and source_snapshots.source_region = db_instances.region
       and db_instances.snapshot_date = source_snapshots.last_ok_snapshot_date
),

connections as (
    select
        account_id,
        region,
        resource_id                                                 as db_instance_id,
        max(metric_value) filter (where in_window)                  as highest_daily_max_connections,
        count(*) filter (where in_window)                           as window_days,
        max(metric_date) filter (where metric_value > idle_rds_max_connections) as last_connected_date,
        min(metric_date)                                            as first_metric_date,
        bool_or(is_stale)                                           as metrics_are_stale
    from (
        select
            daily_metrics.*,
            thresholds.idle_rds_max_connections,
            metric_date >= window_end_date - thresholds.idle_rds_window_days
                and metric_date < window_end_date                   as in_window
        from daily_metrics
        cross join thresholds
        where metric_source = 'rds_instance_metric'
          and metric_name = 'DatabaseConnections'
          and statistic = 'Maximum'
    )
    group by all
),

idle_db_instances as (
    select
        'idle_rds_instance'                                         as category,
        current_db_instances.account_id,
        current_db_instances.region,
        current_db_instances.resource_type,
        current_db_instances.db_instance_id                         as resource_id,
        current_db_instances.arn                                    as resource_arn,
        current_db_instances.name                                   as resource_name,
        current_db_instances.tags['team']                           as team_tag,
        coalesce(connections.last_connected_date + 1, connections.first_metric_date) as wasteful_since,
        format('{} {} {}, {} GiB {}; no connections on any of the last {} days',
               instance_class, engine, deployment, allocated_storage_gib, storage_type, connections.window_days)
                                                                    as detail,
        [{'price_key': price_key,
          'quantity': thresholds.hours_per_month, 'unit': 'hour'}]  as cost_lines,
        [current_db_instances.db_instance_id]                       as includes_resource_ids,
        current_db_instances.is_stale or coalesce(connections.metrics_are_stale, false) as is_stale,
        current_db_instances.snapshot_date                          as observed_on,
        current_db_instances.as_of_date
    from current_db_instances
    join connections
        on connections.account_id = current_db_instances.account_id
       and connections.region = current_db_instances.region
       and connections.db_instance_id = current_db_instances.db_instance_id
    cross join thresholds
    where current_db_instances.state = 'available'
      and connections.window_days >= thresholds.idle_rds_window_days
      and connections.highest_daily_max_connections <= thresholds.idle_rds_max_connections
),

final as (
    select * from idle_db_instances
)

select * from final
