-- Elastic network interfaces (ec2:DescribeNetworkInterfaces): one row per ENI per snapshot.
-- Every private address in a subnet is an ENI's, so these are what fill subnets.
with source as (
    select * from lake_aws_network_interface
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "Description": "VARCHAR",
            "InterfaceType": "VARCHAR",
            "RequesterManaged": "BOOLEAN",
            "RequesterId": "VARCHAR",
            "OwnerId": "VARCHAR",
            "AvailabilityZone": "VARCHAR",
            "VpcId": "VARCHAR",
            "SubnetId": "VARCHAR",
            "MacAddress": "VARCHAR",
            "PrivateIpAddress": "VARCHAR",
            "PrivateDnsName": "VARCHAR",
            "PrivateIpAddresses": [{"PrivateIpAddress": "VARCHAR", "Primary": "BOOLEAN"}],
            "Ipv6Addresses": [{"Ipv6Address": "VARCHAR"}],
            "Ipv4Prefixes": [{"Ipv4Prefix": "VARCHAR"}],
            "Association": {
                "PublicIp": "VARCHAR", "PublicDnsName": "VARCHAR", "AllocationId": "VARCHAR", "IpOwnerId": "VARCHAR"
            },
            "Attachment": {
                "InstanceId": "VARCHAR", "InstanceOwnerId": "VARCHAR", "Status": "VARCHAR", "DeviceIndex": "INTEGER"
            },
            "Groups": [{"GroupId": "VARCHAR"}]
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as network_interface_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- available, in-use, attaching, detaching, associated
        created_at,
        nullif(api.Description, '')                                 as description,
        api.InterfaceType                                           as interface_type,
        api.RequesterManaged                                        as is_requester_managed,
        api.RequesterId                                             as requester_id,
        api.OwnerId                                                 as owner_id,
        api.AvailabilityZone                                        as availability_zone,
        api.VpcId                                                   as vpc_id,
        api.SubnetId                                                as subnet_id,
        api.MacAddress                                              as mac_address,
        api.PrivateIpAddress                                        as private_ip_address,
        nullif(api.PrivateDnsName, '')                              as private_dns_name,
        list_transform(api.PrivateIpAddresses, lambda a: a.PrivateIpAddress) as private_ip_addresses,
        list_transform(api.Ipv6Addresses, lambda a: a.Ipv6Address) as ipv6_addresses,
        list_transform(api.Ipv4Prefixes, lambda a: a.Ipv4Prefix)   as ipv4_prefixes,
        api.Association.PublicIp                                    as public_ip,
        nullif(api.Association.PublicDnsName, '')                   as public_dns_name,
        api.Association.AllocationId                                as elastic_ip_allocation_id,
        api.Association.IpOwnerId                                   as public_ip_owner_id,
        api.Attachment.InstanceId                                   as attached_instance_id,
        api.Attachment.InstanceOwnerId                              as attached_instance_owner_id,
        api.Attachment.Status                                       as attachment_status,
        api.Attachment.DeviceIndex                                  as device_index,
        list_transform(api.Groups, lambda g: g.GroupId)             as security_group_ids,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
