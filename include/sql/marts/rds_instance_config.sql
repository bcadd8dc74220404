-- marts.rds_instance_config: one row per RDS DB instance (Aurora members included) as of the latest ok
-- snapshot of its source (stale ones kept, marked), with its configuration next to its CPU and connections
-- over the last 14 days (intermediate.int_inventory__rds_metrics_14d: the statistics window of the latest ok
-- snapshot of its metrics source; null when CloudWatch had none).
-- Documented in docs/data-dictionary/rds_instance_config.md.
with db_instances as (
    select * from staging.stg_aws__rds_instances
),

sources as (
    select * from intermediate.int_inventory__aws_sources
),

metrics as (
    select * from intermediate.int_inventory__rds_metrics_14d
),

accounts as (
    select * from intermediate.int_inventory__accounts
),

current_db_instances as (
    select
        db_instances.*,
        sources.is_stale,
        sources.stale_since,
        sources.last_ok_snapshot_date,
        sources.last_error_message
    from db_instances
    inner join sources
        on sources.resource_type = 'rds_instance'
        and sources.account_id = db_instances.account_id
        and sources.source_region = db_instances.region
        and db_instances.snapshot_date = sources.last_ok_snapshot_date
),

final as (
    select
        current_db_instances.account_id,
        accounts.account_name,
        accounts.environment,
        accounts.team,
        current_db_instances.region,
        current_db_instances.db_instance_id,
        current_db_instances.arn,
        current_db_instances.state                                  as status,
        current_db_instances.instance_class,
        current_db_instances.engine,
        current_db_instances.engine_version,
        current_db_instances.allocated_storage_gib,
        current_db_instances.max_allocated_storage_gib,
        current_db_instances.storage_type,
        current_db_instances.iops,
        current_db_instances.is_storage_encrypted,
        current_db_instances.is_multi_az,
        current_db_instances.availability_zone,
        current_db_instances.db_cluster_id,
        current_db_instances.read_replica_source_id,
        current_db_instances.is_publicly_accessible,
        current_db_instances.endpoint_address,
        current_db_instances.endpoint_port,
        current_db_instances.vpc_id,
        current_db_instances.backup_retention_days,
        current_db_instances.has_deletion_protection,
        current_db_instances.tags,
        current_db_instances.created_at,
        current_db_instances.snapshot_date,
        current_db_instances.is_stale,
        current_db_instances.stale_since,
        current_db_instances.last_ok_snapshot_date,
        case when current_db_instances.is_stale then current_db_instances.last_error_message end
                                                                    as last_error_message,
        metrics.max_daily_avg_cpu_percent,
        metrics.avg_cpu_percent,
        metrics.max_cpu_percent,
        metrics.avg_connections,
        metrics.max_connections,
        metrics.metric_days,
        metrics.first_metric_date,
        metrics.last_metric_date
    from current_db_instances
    left join metrics
        on metrics.account_id = current_db_instances.account_id
        and metrics.region = current_db_instances.region
        and metrics.db_instance_id = current_db_instances.db_instance_id
    left join accounts
        on accounts.account_id = current_db_instances.account_id
)

select * from final
