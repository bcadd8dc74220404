-- NAT gateways (ec2:DescribeNatGateways): one row per gateway per snapshot.
with source as (
    select * from lake_aws_nat_gateway
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "VpcId": "VARCHAR",
            "SubnetId": "VARCHAR",
            "ConnectivityType": "VARCHAR",
            "DeleteTime": "TIMESTAMPTZ",
            "FailureCode": "VARCHAR",
            "NatGatewayAddresses": [{
                "AllocationId": "VARCHAR",
                "NetworkInterfaceId": "VARCHAR",
                "PrivateIp": "VARCHAR",
                "PublicIp": "VARCHAR"
            }]
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as nat_gateway_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- pending, failed, available, deleting, deleted
        created_at,
        api.VpcId                                                   as vpc_id,
        api.SubnetId                                                as subnet_id,
        api.ConnectivityType                                        as connectivity_type,  -- public, private
        api.DeleteTime                                              as deleted_at,
        api.FailureCode                                             as failure_code,
        list_filter(list_transform(api.NatGatewayAddresses, lambda a: a.PublicIp),
                    lambda ip: ip is not null)                      as public_ips,
        list_transform(api.NatGatewayAddresses, lambda a: a.PrivateIp) as private_ips,
        list_filter(list_transform(api.NatGatewayAddresses, lambda a: a.AllocationId),
                    lambda a: a is not null)                        as allocation_ids,
        list_transform(api.NatGatewayAddresses, lambda a: a.NetworkInterfaceId) as network_interface_ids,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
