-- One row per EBS volume per snapshot, as the EC2 API describes it.
with source as (
    select * from lake_aws_ebs_volume
),

renamed as (
    select
        resource_id                                         as volume_id,
        account_id,
        region,
        arn,
        name,
        tags,
        state,
        created_at,
        raw ->> '$.AvailabilityZone'                        as availability_zone,
        cast(raw ->> '$.Size' as integer)                   as size_gib,
        raw ->> '$.VolumeType'                              as volume_type,
        cast(raw ->> '$.Iops' as integer)                   as iops,
        cast(raw ->> '$.Throughput' as integer)             as throughput_mibps,
        cast(raw ->> '$.Encrypted' as boolean)              as encrypted,
        raw ->> '$.SnapshotId'                              as source_snapshot_id,
        cast(raw -> '$.Attachments[*].InstanceId' as varchar[]) as attached_instance_ids,
        md5(raw)                                            as config_hash,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
