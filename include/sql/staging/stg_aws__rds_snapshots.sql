-- RDS DB instance snapshots (rds:DescribeDBSnapshots, manual and automated): one row per DB snapshot per
-- snapshot date.
with source as (
    select * from lake_aws_rds_snapshot
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "DBInstanceIdentifier": "VARCHAR",
            "SnapshotType": "VARCHAR",
            "Engine": "VARCHAR",
            "EngineVersion": "VARCHAR",
            "AllocatedStorage": "INTEGER",
            "StorageType": "VARCHAR",
            "Encrypted": "BOOLEAN",
            "VpcId": "VARCHAR",
            "AvailabilityZone": "VARCHAR",
            "SnapshotCreateTime": "TIMESTAMPTZ",
            "OriginalSnapshotCreateTime": "TIMESTAMPTZ",
            "InstanceCreateTime": "TIMESTAMPTZ",
            "SourceDBSnapshotIdentifier": "VARCHAR",
            "DbiResourceId": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as db_snapshot_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- Status: available, creating, ...
        created_at,
        api.DBInstanceIdentifier                                    as db_instance_id,
        api.DbiResourceId                                           as dbi_resource_id,
        -- manual, automated, shared, public, awsbackup
        api.SnapshotType                                            as snapshot_type,
        api.Engine                                                  as engine,
        api.EngineVersion                                           as engine_version,
        api.AllocatedStorage                                        as allocated_storage_gib,
        api.StorageType                                             as storage_type,
        api.Encrypted                                               as is_encrypted,
        api.VpcId                                                   as vpc_id,
        api.AvailabilityZone                                        as availability_zone,
        api.SnapshotCreateTime                                      as snapshot_created_at,
        api.OriginalSnapshotCreateTime                              as original_snapshot_created_at,
        api.InstanceCreateTime                                      as instance_created_at,
        api.SourceDBSnapshotIdentifier                              as source_db_snapshot_id,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
