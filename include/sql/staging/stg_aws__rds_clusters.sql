-- RDS DB clusters, Aurora and Multi-AZ clusters (rds:DescribeDBClusters): one row per cluster per snapshot.
-- Its member instances are rows of stg_aws__rds_instances (db_cluster_id).
with source as (
    select * from lake_aws_rds_cluster
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "Engine": "VARCHAR",
            "EngineVersion": "VARCHAR",
            "EngineMode": "VARCHAR",
            "DatabaseName": "VARCHAR",
            "Endpoint": "VARCHAR",
            "ReaderEndpoint": "VARCHAR",
            "CustomEndpoints": "VARCHAR[]",
            "Port": "INTEGER",
            "HostedZoneId": "VARCHAR",
            "MultiAZ": "BOOLEAN",
            "AllocatedStorage": "INTEGER",
            "StorageType": "VARCHAR",
            "StorageEncrypted": "BOOLEAN",
            "DBClusterInstanceClass": "VARCHAR",
            "ServerlessV2ScalingConfiguration": {"MinCapacity": "DOUBLE", "MaxCapacity": "DOUBLE"},
            "DBClusterMembers": [{"DBInstanceIdentifier": "VARCHAR", "IsClusterWriter": "BOOLEAN"}],
            "DBSubnetGroup": "VARCHAR",
            "VpcSecurityGroups": [{"VpcSecurityGroupId": "VARCHAR"}],
            "AvailabilityZones": "VARCHAR[]",
            "PubliclyAccessible": "BOOLEAN",
            "BackupRetentionPeriod": "INTEGER",
            "DeletionProtection": "BOOLEAN"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as db_cluster_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,
        created_at,
        api.Engine                                                  as engine,
        api.EngineVersion                                           as engine_version,
        api.EngineMode                                              as engine_mode,  -- provisioned, serverless, ...
        api.DatabaseName                                            as database_name,
        api.Endpoint                                                as endpoint_address,
        api.ReaderEndpoint                                          as reader_endpoint_address,
        api.CustomEndpoints                                         as custom_endpoint_addresses,
        api.Port                                                    as port,
        api.HostedZoneId                                            as hosted_zone_id,
        api.MultiAZ                                                 as is_multi_az,
        api.AllocatedStorage                                        as allocated_storage_gib,
        api.StorageType                                             as storage_type,
        api.StorageEncrypted                                        as is_storage_encrypted,
        api.DBClusterInstanceClass                                  as instance_class,  -- Multi-AZ DB clusters only
        api.ServerlessV2ScalingConfiguration.MinCapacity            as serverless_v2_min_acu,
        api.ServerlessV2ScalingConfiguration.MaxCapacity            as serverless_v2_max_acu,
        list_transform(api.DBClusterMembers, lambda m: {
            'db_instance_id': m.DBInstanceIdentifier, 'is_writer': m.IsClusterWriter
        })                                                          as members,
        api.DBSubnetGroup                                           as db_subnet_group_name,
        list_transform(api.VpcSecurityGroups, lambda g: g.VpcSecurityGroupId) as security_group_ids,
        api.AvailabilityZones                                       as availability_zones,
        api.PubliclyAccessible                                      as is_publicly_accessible,
        api.BackupRetentionPeriod                                   as backup_retention_days,
        api.DeletionProtection                                      as has_deletion_protection,
        -- leaves out what changes by itself (the point-in-time restore window moves every few minutes)
        md5(json_merge_patch(raw, '{"LatestRestorableTime": null, "EarliestRestorableTime": null}'))
                                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
