-- Subnets (ec2:DescribeSubnets): one row per subnet per snapshot.
with source as (
    select * from lake_aws_subnet
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "VpcId": "VARCHAR",
            "CidrBlock": "VARCHAR",
            "AvailableIpAddressCount": "INTEGER",
            "AvailabilityZone": "VARCHAR",
            "AvailabilityZoneId": "VARCHAR",
            "DefaultForAz": "BOOLEAN",
            "MapPublicIpOnLaunch": "BOOLEAN",
            "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "VARCHAR"}],
            "OwnerId": "VARCHAR",
            "OutpostArn": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as subnet_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,
        created_at,
        api.VpcId                                                   as vpc_id,
        api.CidrBlock                                               as cidr_block,
        api.AvailableIpAddressCount                                 as available_ip_count,
        api.AvailabilityZone                                        as availability_zone,
        api.AvailabilityZoneId                                      as availability_zone_id,
        api.DefaultForAz                                            as is_default_for_az,
        api.MapPublicIpOnLaunch                                     as maps_public_ip_on_launch,
        list_transform(api.Ipv6CidrBlockAssociationSet, lambda a: a.Ipv6CidrBlock) as ipv6_cidr_blocks,
        api.OwnerId                                                 as owner_id,
        api.OutpostArn                                              as outpost_arn,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
