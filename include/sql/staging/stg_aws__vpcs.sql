-- VPCs (ec2:DescribeVpcs): one row per VPC per snapshot.
with source as (
    select * from lake_aws_vpc
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "CidrBlock": "VARCHAR",
            "CidrBlockAssociationSet": [{"CidrBlock": "VARCHAR", "CidrBlockState": {"State": "VARCHAR"}}],
            "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "VARCHAR", "Ipv6CidrBlockState": {"State": "VARCHAR"}}],
            "IsDefault": "BOOLEAN",
            "OwnerId": "VARCHAR",
            "InstanceTenancy": "VARCHAR",
            "DhcpOptionsId": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as vpc_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,
        created_at,
        api.CidrBlock                                               as cidr_block,  -- the primary IPv4 block
        list_transform(list_filter(api.CidrBlockAssociationSet, lambda a: a.CidrBlockState.State = 'associated'),
                       lambda a: a.CidrBlock)                       as cidr_blocks,
        list_transform(list_filter(api.Ipv6CidrBlockAssociationSet,
                                   lambda a: a.Ipv6CidrBlockState.State = 'associated'),
                       lambda a: a.Ipv6CidrBlock)                   as ipv6_cidr_blocks,
        api.IsDefault                                               as is_default,
        api.OwnerId                                                 as owner_id,
        api.InstanceTenancy                                         as instance_tenancy,
        api.DhcpOptionsId                                           as dhcp_options_id,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
