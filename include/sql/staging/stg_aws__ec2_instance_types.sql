-- The instance types EC2 offers in a region, every size of each family in use there (ec2:DescribeInstanceTypes,
-- aws/instance_types.py): one row per type per account, region and snapshot. A catalog, not a resource: the
-- sizes rightsizing chooses from. family and size split the name at its first dot (m5.2xlarge -> m5, 2xlarge).
with source as (
    select * from lake_aws_ec2_instance_type
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "InstanceType": "VARCHAR",
            "CurrentGeneration": "BOOLEAN",
            "BareMetal": "BOOLEAN",
            "BurstablePerformanceSupported": "BOOLEAN",
            "SupportedUsageClasses": "VARCHAR[]",
            "ProcessorInfo": {"SupportedArchitectures": "VARCHAR[]"},
            "VCpuInfo": {"DefaultVCpus": "INTEGER"},
            "MemoryInfo": {"SizeInMiB": "BIGINT"}
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as instance_type,
        resource_id,
        resource_type,
        account_id,
        region,
        split_part(resource_id, '.', 1)                             as family,
        split_part(resource_id, '.', 2)                             as size,
        api.VCpuInfo.DefaultVCpus                                   as vcpus,
        api.MemoryInfo.SizeInMiB                                    as memory_mib,
        api.CurrentGeneration                                       as is_current_generation,
        api.BareMetal                                               as is_bare_metal,
        api.BurstablePerformanceSupported                           as is_burstable,
        api.SupportedUsageClasses                                   as usage_classes,  -- on-demand, spot
        api.ProcessorInfo.SupportedArchitectures                    as architectures,  -- x86_64, arm64, i386
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
