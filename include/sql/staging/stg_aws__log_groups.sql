-- CloudWatch Logs log groups (logs:DescribeLogGroups): one row per log group per snapshot.
with source as (
    select * from lake_aws_log_group
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "retentionInDays": "INTEGER",
            "storedBytes": "BIGINT",
            "metricFilterCount": "INTEGER",
            "logGroupClass": "VARCHAR",
            "kmsKeyId": "VARCHAR",
            "dataProtectionStatus": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as log_group_name,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for log groups: always empty
        state,
        created_at,
        api.retentionInDays                                         as retention_days,  -- null: kept forever
        api.storedBytes                                             as stored_bytes,
        api.metricFilterCount                                       as metric_filter_count,
        api.logGroupClass                                           as log_group_class,  -- STANDARD, INFREQUENT_ACCESS
        api.kmsKeyId                                                as kms_key_id,
        api.dataProtectionStatus                                    as data_protection_status,
        -- leaves out what changes by itself (storedBytes grows with every log event)
        md5(json_merge_patch(raw, '{"storedBytes": null}'))
                                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
