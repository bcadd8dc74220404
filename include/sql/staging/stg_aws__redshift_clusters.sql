-- Redshift provisioned clusters (redshift:DescribeClusters): one row per cluster per snapshot.
with source as (
    select * from lake_aws_redshift_cluster
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "NodeType": "VARCHAR",
            "NumberOfNodes": "INTEGER",
            "DBName": "VARCHAR",
            "ClusterVersion": "VARCHAR",
            "Endpoint": {"Address": "VARCHAR", "Port": "INTEGER"},
            "VpcId": "VARCHAR",
            "ClusterSubnetGroupName": "VARCHAR",
            "AvailabilityZone": "VARCHAR",
            "PubliclyAccessible": "BOOLEAN",
            "Encrypted": "BOOLEAN",
            "VpcSecurityGroups": [{"VpcSecurityGroupId": "VARCHAR"}],
            "ClusterAvailabilityStatus": "VARCHAR",
            "TotalStorageCapacityInMegaBytes": "BIGINT"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as cluster_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- ClusterStatus: available, paused, creating, ...
        created_at,
        api.NodeType                                                as node_type,
        api.NumberOfNodes                                           as node_count,
        api.DBName                                                  as database_name,
        api.ClusterVersion                                          as cluster_version,
        api.Endpoint.Address                                        as endpoint_address,
        api.Endpoint.Port                                           as endpoint_port,
        api.VpcId                                                   as vpc_id,
        api.ClusterSubnetGroupName                                  as subnet_group_name,
        api.AvailabilityZone                                        as availability_zone,
        api.PubliclyAccessible                                      as is_publicly_accessible,
        api.Encrypted                                               as is_encrypted,
        list_transform(api.VpcSecurityGroups, lambda g: g.VpcSecurityGroupId) as security_group_ids,
        api.ClusterAvailabilityStatus                               as availability_status,
        api.TotalStorageCapacityInMegaBytes                         as total_storage_capacity_mb,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
