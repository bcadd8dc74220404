-- EC2 instances (ec2:DescribeInstances): one row per instance per snapshot.
-- `raw` is parsed once (json_transform: typed, null where the API left a field out).
with source as (
    select * from lake_aws_ec2_instance
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "InstanceType": "VARCHAR",
            "ImageId": "VARCHAR",
            "LaunchTime": "TIMESTAMPTZ",
            "StateTransitionReason": "VARCHAR",
            "StateReason": {"Code": "VARCHAR", "Message": "VARCHAR"},
            "Platform": "VARCHAR",
            "PlatformDetails": "VARCHAR",
            "Architecture": "VARCHAR",
            "InstanceLifecycle": "VARCHAR",
            "KeyName": "VARCHAR",
            "Placement": {"AvailabilityZone": "VARCHAR", "Tenancy": "VARCHAR"},
            "VpcId": "VARCHAR",
            "SubnetId": "VARCHAR",
            "SecurityGroups": [{"GroupId": "VARCHAR", "GroupName": "VARCHAR"}],
            "IamInstanceProfile": {"Arn": "VARCHAR"},
            "BlockDeviceMappings": [{"DeviceName": "VARCHAR", "Ebs": {"VolumeId": "VARCHAR"}}],
            "RootDeviceName": "VARCHAR",
            "NetworkInterfaces": [{
                "NetworkInterfaceId": "VARCHAR",
                "PrivateIpAddresses": [{"PrivateIpAddress": "VARCHAR"}],
                "Ipv6Addresses": [{"Ipv6Address": "VARCHAR"}],
                "Association": {"PublicIp": "VARCHAR"}
            }],
            "PrivateIpAddress": "VARCHAR",
            "PublicIpAddress": "VARCHAR",
            "PrivateDnsName": "VARCHAR",
            "PublicDnsName": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as instance_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,
        created_at,
        api.InstanceType                                            as instance_type,
        api.LaunchTime                                              as launched_at,
        nullif(api.StateTransitionReason, '')                       as state_transition_reason,
        -- "User initiated (2026-10-01 12:00:00 GMT)": when the instance was last stopped or terminated
        try_strptime(regexp_extract(api.StateTransitionReason,
                                    '\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (GMT|UTC)\)', 1),
                     '%Y-%m-%d %H:%M:%S') at time zone 'UTC'        as state_transition_at,
        nullif(api.StateReason.Code, '')                            as state_reason_code,
        nullif(api.StateReason.Message, '')                         as state_reason_message,
        api.ImageId                                                 as image_id,
        api.Platform                                                as platform,  -- 'windows' or null (Linux/UNIX)
        api.PlatformDetails                                         as platform_details,
        api.Architecture                                            as architecture,
        -- spot, scheduled; null: on-demand
        api.InstanceLifecycle                                       as instance_lifecycle,
        api.KeyName                                                 as key_name,
        api.Placement.AvailabilityZone                              as availability_zone,
        api.Placement.Tenancy                                       as tenancy,
        api.VpcId                                                   as vpc_id,
        api.SubnetId                                                as subnet_id,
        list_transform(api.SecurityGroups, lambda g: g.GroupId)     as security_group_ids,
        list_transform(api.SecurityGroups, lambda g: g.GroupName)   as security_group_names,
        api.IamInstanceProfile.Arn                                  as iam_instance_profile_arn,
        list_filter(list_transform(api.BlockDeviceMappings, lambda b: b.Ebs.VolumeId),
                    lambda v: v is not null)                        as volume_ids,
        api.RootDeviceName                                          as root_device_name,
        list_transform(api.NetworkInterfaces, lambda n: n.NetworkInterfaceId) as network_interface_ids,
        api.PrivateIpAddress                                        as private_ip_address,
        flatten(list_transform(api.NetworkInterfaces,
                lambda n: list_transform(n.PrivateIpAddresses, lambda a: a.PrivateIpAddress))) as private_ip_addresses,
        api.PublicIpAddress                                         as public_ip_address,
        list_filter(list_transform(api.NetworkInterfaces, lambda n: n.Association.PublicIp),
                    lambda ip: ip is not null)                      as public_ip_addresses,
        flatten(list_transform(api.NetworkInterfaces,
                lambda n: list_transform(n.Ipv6Addresses, lambda a: a.Ipv6Address))) as ipv6_addresses,
        nullif(api.PrivateDnsName, '')                              as private_dns_name,
        nullif(api.PublicDnsName, '')                               as public_dns_name,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
