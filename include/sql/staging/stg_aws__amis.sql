-- AMIs owned by the account (ec2:DescribeImages): one row per image per snapshot.
with source as (
    select * from lake_aws_ami
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "Name": "VARCHAR",
            "Description": "VARCHAR",
            "OwnerId": "VARCHAR",
            "ImageOwnerAlias": "VARCHAR",
            "Public": "BOOLEAN",
            "ImageType": "VARCHAR",
            "Architecture": "VARCHAR",
            "Platform": "VARCHAR",
            "PlatformDetails": "VARCHAR",
            "RootDeviceType": "VARCHAR",
            "VirtualizationType": "VARCHAR",
            "SourceInstanceId": "VARCHAR",
            "DeprecationTime": "TIMESTAMPTZ",
            "LastLaunchedTime": "TIMESTAMPTZ",
            "BlockDeviceMappings": [{
                "DeviceName": "VARCHAR",
                "Ebs": {"SnapshotId": "VARCHAR", "VolumeSize": "INTEGER"}
            }]
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as image_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- available, pending, failed, deregistered, ...
        created_at,
        api.Name                                                    as image_name,
        api.Description                                             as description,
        api.OwnerId                                                 as owner_id,
        api.ImageOwnerAlias                                         as owner_alias,
        api.Public                                                  as is_public,
        api.ImageType                                               as image_type,
        api.Architecture                                            as architecture,
        api.Platform                                                as platform,
        api.PlatformDetails                                         as platform_details,
        api.RootDeviceType                                          as root_device_type,
        api.VirtualizationType                                      as virtualization_type,
        api.SourceInstanceId                                        as source_instance_id,
        api.DeprecationTime                                         as deprecated_at,
        api.LastLaunchedTime                                        as last_launched_at,
        list_filter(list_transform(api.BlockDeviceMappings, lambda b: b.Ebs.SnapshotId),
                    lambda s: s is not null)                        as snapshot_ids,
        list_sum(list_transform(api.BlockDeviceMappings, lambda b: b.Ebs.VolumeSize)) as total_volume_size_gib,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
