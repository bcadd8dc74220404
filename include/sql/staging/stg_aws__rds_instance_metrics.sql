-- Daily CloudWatch statistics of RDS DB instances (cloudwatch:GetMetricData): one row per DB instance, metric,
-- statistic and day (the last 14 whole UTC days before each snapshot, so days repeat across snapshots).
-- Metrics: AWS/RDS CPUUtilization and DatabaseConnections (Average, Maximum), FreeableMemory (Minimum, bytes).
with source as (
    select * from lake_aws_rds_instance_metric
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "ResourceType": "VARCHAR",
            "Namespace": "VARCHAR",
            "MetricName": "VARCHAR",
            "Stat": "VARCHAR",
            "PeriodSeconds": "INTEGER",
            "Timestamp": "TIMESTAMPTZ",
            "Value": "DOUBLE"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as db_instance_id,
        resource_id,
        resource_type,
        api.ResourceType                                            as measured_resource_type,
        account_id,
        region,
        api.Namespace                                               as metric_namespace,
        -- CPUUtilization, DatabaseConnections, FreeableMemory
        api.MetricName                                              as metric_name,
        api.Stat                                                    as statistic,  -- Average, Maximum, Minimum
        api.PeriodSeconds                                           as period_seconds,
        cast(timezone('UTC', api.Timestamp) as date)                as metric_date,
        api.Timestamp                                               as period_start_at,
        api.Value                                                   as metric_value,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
