-- Daily CloudWatch statistics of NAT gateways (cloudwatch:GetMetricData): one row per gateway, metric, statistic
-- and day (the last 14 whole UTC days before each snapshot, so days repeat across snapshots).
-- Metrics: AWS/NATGateway BytesInFromSource, BytesInFromDestination (together: the bytes the gateway processed,
-- what data processing is billed on), BytesOutToDestination, BytesOutToSource; statistic Sum.
with source as (
    select * from lake_aws_nat_gateway_metric
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
        resource_id                                                 as nat_gateway_id,
        resource_id,
        resource_type,
        api.ResourceType                                            as measured_resource_type,
        account_id,
        region,
        api.Namespace                                               as metric_namespace,
        api.MetricName                                              as metric_name,  -- BytesInFromSource, ...
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
