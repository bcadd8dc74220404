-- Elastic IPs (ec2:DescribeAddresses): one row per allocation per snapshot.
with source as (
    select * from lake_aws_elastic_ip
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "PublicIp": "VARCHAR",
            "AllocationId": "VARCHAR",
            "AssociationId": "VARCHAR",
            "InstanceId": "VARCHAR",
            "NetworkInterfaceId": "VARCHAR",
            "NetworkInterfaceOwnerId": "VARCHAR",
            "PrivateIpAddress": "VARCHAR",
            "Domain": "VARCHAR",
            "PublicIpv4Pool": "VARCHAR",
            "NetworkBorderGroup": "VARCHAR",
            "CarrierIp": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as allocation_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- associated, unassociated (the registry's reading of AssociationId / InstanceId)
        created_at,
        api.PublicIp                                                as public_ip,
        nullif(api.AssociationId, '')                               as association_id,
        nullif(api.InstanceId, '')                                  as instance_id,
        api.NetworkInterfaceId                                      as network_interface_id,
        api.NetworkInterfaceOwnerId                                 as network_interface_owner_id,
        api.PrivateIpAddress                                        as private_ip_address,
        api.Domain                                                  as domain,
        api.PublicIpv4Pool                                          as public_ipv4_pool,
        api.NetworkBorderGroup                                      as network_border_group,
        api.CarrierIp                                               as carrier_ip,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
