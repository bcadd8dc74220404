-- SageMaker endpoints (sagemaker:ListEndpoints): one row per endpoint per snapshot. ListEndpoints names no
-- instance type or count (those are in DescribeEndpointConfig, not captured).
with source as (
    select * from lake_aws_sagemaker_endpoint
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "LastModifiedTime": "TIMESTAMPTZ"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as endpoint_name,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for endpoints: always empty
        state,  -- OutOfService, Creating, Updating, InService, Failed, ...
        created_at,
        api.LastModifiedTime                                        as last_modified_at,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
