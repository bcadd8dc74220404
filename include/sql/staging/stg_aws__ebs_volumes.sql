-- EBS volumes (ec2:DescribeVolumes): one row per volume per snapshot.
-- `raw` is parsed once (json_transform: typed, null where the API left a field out).
with source as (
    select * from lake_aws_ebs_volume
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "AvailabilityZone": "VARCHAR",
            "Size": "INTEGER",
            "VolumeType": "VARCHAR",
            "Iops": "INTEGER",
            "Throughput": "INTEGER",
            "Encrypted": "BOOLEAN",
            "KmsKeyId": "VARCHAR",
            "SnapshotId": "VARCHAR",
            "MultiAttachEnabled": "BOOLEAN",
            "Attachments": [{
                "InstanceId": "VARCHAR",
                "Device": "VARCHAR",
                "State": "VARCHAR",
                "AttachTime": "TIMESTAMPTZ",
                "DeleteOnTermination": "BOOLEAN"
            }]
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as volume_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- creating, available (unattached), in-use, deleting, deleted, error
        created_at,
        api.AvailabilityZone                                        as availability_zone,
        api.Size                                                    as size_gib,
        api.VolumeType                                              as volume_type,
        api.Iops                                                    as iops,
        api.Throughput                                              as throughput_mibps,
        api.Encrypted                                               as is_encrypted,
        api.KmsKeyId                                                as kms_key_id,
        nullif(api.SnapshotId, '')                                  as source_snapshot_id,
        api.MultiAttachEnabled                                      as is_multi_attach,
        list_transform(api.Attachments, lambda a: {
            'instance_id': a.InstanceId,
            'device': a.Device,
            'state': a.State,
            'attached_at': a.AttachTime,
            'delete_on_termination': a.DeleteOnTermination
        })                                                          as attachments,
        list_transform(api.Attachments, lambda a: a.InstanceId)     as attached_instance_ids,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
