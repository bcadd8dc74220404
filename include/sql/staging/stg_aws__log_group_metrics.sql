-- Daily CloudWatch statistics of CloudWatch Logs log groups (cloudwatch:GetMetricData): one row per log group,
-- metric, statistic and day (the last 14 whole UTC days before each snapshot, so days repeat across snapshots).
-- Metric: AWS/Logs IncomingBytes, statistic Sum (the bytes the group took in that day: what ingestion is billed
-- on). A day without a datapoint is a day nothing was ingested: CloudWatch publishes no zeros for it.
with source as (
    select * from lake_aws_log_group_metric
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
        resource_id                                                 as log_group_name,
        resource_id,
        resource_type,
        api.ResourceType                                            as measured_resource_type,
        account_id,
        region,
        api.Namespace                                               as metric_namespace,
        api.MetricName                                              as metric_name,  -- IncomingBytes
        api.Stat                                                    as statistic,  -- Sum
        api.PeriodSeconds                                           as period_seconds,
        cast(timezone('UTC', api.Timestamp) as date)                as metric_date,
        api.Timestamp                                               as period_start_at,
        api.Value                                                   as metric_value,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
