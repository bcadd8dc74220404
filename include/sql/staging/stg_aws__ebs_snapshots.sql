-- EBS snapshots owned by the account (ec2:DescribeSnapshots): one row per snapshot per snapshot date.
with source as (
    select * from lake_aws_ebs_snapshot
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "VolumeId": "VARCHAR",
            "VolumeSize": "INTEGER",
            "StartTime": "TIMESTAMPTZ",
            "OwnerId": "VARCHAR",
            "OwnerAlias": "VARCHAR",
            "Description": "VARCHAR",
            "Encrypted": "BOOLEAN",
            "KmsKeyId": "VARCHAR",
            "Progress": "VARCHAR",
            "StorageTier": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as snapshot_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- pending, completed, error, recoverable, recovering
        created_at,
        api.VolumeId                                                as volume_id,  -- vol-ffffffff for copied snapshots
        api.VolumeSize                                              as volume_size_gib,
        api.StartTime                                               as started_at,
        api.OwnerId                                                 as owner_id,
        api.OwnerAlias                                              as owner_alias,
        nullif(api.Description, '')                                 as description,
        api.Encrypted                                               as is_encrypted,
        api.KmsKeyId                                                as kms_key_id,
        api.Progress                                                as progress,
        api.StorageTier                                             as storage_tier,  -- standard, archive
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
