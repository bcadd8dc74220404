-- Daily CloudWatch statistics of EC2 instances (cloudwatch:GetMetricData): one row per instance, metric,
-- statistic and day (the last 14 whole UTC days before each snapshot, so days repeat across snapshots).
-- Metrics: AWS/EC2 CPUUtilization, and CWAgent mem_used_percent where the agent publishes it.
with source as (
    select * from lake_aws_ec2_instance_metric
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
        resource_id                                                 as instance_id,
        resource_id,
        resource_type,
        api.ResourceType                                            as measured_resource_type,
        account_id,
        region,
        api.Namespace                                               as metric_namespace,
        api.MetricName                                              as metric_name,  -- CPUUtilization, mem_used_percent
        api.Stat                                                    as statistic,  -- Average, Maximum
        api.PeriodSeconds                                           as period_seconds,
        cast(timezone('UTC', api.Timestamp) as date)                as metric_date,
        api.Timestamp                                               as period_start_at,
        api.Value                                                   as metric_value,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
