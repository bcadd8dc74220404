-- RDS DB instances (rds:DescribeDBInstances), Aurora cluster members included: one row per instance
-- per snapshot.
with source as (
    select * from lake_aws_rds_instance
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "DBInstanceClass": "VARCHAR",
            "Engine": "VARCHAR",
            "EngineVersion": "VARCHAR",
            "LicenseModel": "VARCHAR",
            "AllocatedStorage": "INTEGER",
            "MaxAllocatedStorage": "INTEGER",
            "StorageType": "VARCHAR",
            "Iops": "INTEGER",
            "StorageThroughput": "INTEGER",
            "StorageEncrypted": "BOOLEAN",
            "MultiAZ": "BOOLEAN",
            "AvailabilityZone": "VARCHAR",
            "SecondaryAvailabilityZone": "VARCHAR",
            "Endpoint": {"Address": "VARCHAR", "Port": "INTEGER", "HostedZoneId": "VARCHAR"},
            "PubliclyAccessible": "BOOLEAN",
            "DBClusterIdentifier": "VARCHAR",
            "ReadReplicaSourceDBInstanceIdentifier": "VARCHAR",
            "DBName": "VARCHAR",
            "DbiResourceId": "VARCHAR",
            "DBSubnetGroup": {
                "DBSubnetGroupName": "VARCHAR", "VpcId": "VARCHAR", "Subnets": [{"SubnetIdentifier": "VARCHAR"}]
            },
            "VpcSecurityGroups": [{"VpcSecurityGroupId": "VARCHAR"}],
            "BackupRetentionPeriod": "INTEGER",
            "DeletionProtection": "BOOLEAN",
            "PerformanceInsightsEnabled": "BOOLEAN"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as db_instance_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- DBInstanceStatus: available, stopped, creating, modifying, ...
        created_at,
        api.DBInstanceClass                                         as instance_class,
        api.Engine                                                  as engine,
        api.EngineVersion                                           as engine_version,
        api.LicenseModel                                            as license_model,
        api.AllocatedStorage                                        as allocated_storage_gib,
        api.MaxAllocatedStorage                                     as max_allocated_storage_gib,
        api.StorageType                                             as storage_type,
        api.Iops                                                    as iops,
        api.StorageThroughput                                       as storage_throughput_mibps,
        api.StorageEncrypted                                        as is_storage_encrypted,
        api.MultiAZ                                                 as is_multi_az,
        api.AvailabilityZone                                        as availability_zone,
        api.SecondaryAvailabilityZone                               as secondary_availability_zone,
        api.Endpoint.Address                                        as endpoint_address,
        api.Endpoint.Port                                           as endpoint_port,
        api.Endpoint.HostedZoneId                                   as endpoint_hosted_zone_id,
        api.PubliclyAccessible                                      as is_publicly_accessible,
        api.DBClusterIdentifier                                     as db_cluster_id,
        api.ReadReplicaSourceDBInstanceIdentifier                   as read_replica_source_id,
        api.DBName                                                  as database_name,
        api.DbiResourceId                                           as dbi_resource_id,
        api.DBSubnetGroup.DBSubnetGroupName                         as db_subnet_group_name,
        api.DBSubnetGroup.VpcId                                     as vpc_id,
        list_transform(api.DBSubnetGroup.Subnets, lambda s: s.SubnetIdentifier) as subnet_ids,
        list_transform(api.VpcSecurityGroups, lambda g: g.VpcSecurityGroupId) as security_group_ids,
        api.BackupRetentionPeriod                                   as backup_retention_days,
        api.DeletionProtection                                      as has_deletion_protection,
        api.PerformanceInsightsEnabled                              as has_performance_insights,
        -- leaves out what changes by itself (the point-in-time restore window moves every few minutes)
        md5(json_merge_patch(raw, '{"LatestRestorableTime": null}'))
                                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
