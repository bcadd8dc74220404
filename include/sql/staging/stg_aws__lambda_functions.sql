-- Lambda functions (lambda:ListFunctions): one row per function per snapshot. The API gives no creation
-- time: the lake's created_at is the function's LastModified, renamed here to last_modified_at.
with source as (
    select * from lake_aws_lambda_function
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "Runtime": "VARCHAR",
            "Handler": "VARCHAR",
            "PackageType": "VARCHAR",
            "Architectures": "VARCHAR[]",
            "MemorySize": "INTEGER",
            "Timeout": "INTEGER",
            "CodeSize": "BIGINT",
            "EphemeralStorage": {"Size": "INTEGER"},
            "Role": "VARCHAR",
            "Version": "VARCHAR",
            "LastUpdateStatus": "VARCHAR",
            "VpcConfig": {"VpcId": "VARCHAR", "SubnetIds": "VARCHAR[]", "SecurityGroupIds": "VARCHAR[]"}
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as function_name,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for functions (ListFunctions returns none): always empty
        state,  -- Pending, Active, Inactive, Failed
        cast(null as timestamptz)                                   as created_at,
        created_at                                                  as last_modified_at,
        api.Runtime                                                 as runtime,  -- null for container images
        api.Handler                                                 as handler,
        api.PackageType                                             as package_type,  -- Zip, Image
        api.Architectures                                           as architectures,
        api.MemorySize                                              as memory_mb,
        api.Timeout                                                 as timeout_seconds,
        api.CodeSize                                                as code_size_bytes,
        api.EphemeralStorage.Size                                   as ephemeral_storage_mb,
        api.Role                                                    as role_arn,
        api.Version                                                 as version,
        api.LastUpdateStatus                                        as last_update_status,
        nullif(api.VpcConfig.VpcId, '')                             as vpc_id,
        api.VpcConfig.SubnetIds                                     as subnet_ids,
        api.VpcConfig.SecurityGroupIds                              as security_group_ids,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
