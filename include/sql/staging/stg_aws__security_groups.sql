-- Security groups (ec2:DescribeSecurityGroups): one row per group per snapshot. The rules stay one list
-- per direction here (IpPermissions, renamed and typed); an intermediate model unnests them.
with source as (
    select * from lake_aws_security_group
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "GroupName": "VARCHAR",
            "Description": "VARCHAR",
            "VpcId": "VARCHAR",
            "OwnerId": "VARCHAR",
            "IpPermissions": [{
                "IpProtocol": "VARCHAR",
                "FromPort": "INTEGER",
                "ToPort": "INTEGER",
                "IpRanges": [{"CidrIp": "VARCHAR", "Description": "VARCHAR"}],
                "Ipv6Ranges": [{"CidrIpv6": "VARCHAR", "Description": "VARCHAR"}],
                "PrefixListIds": [{"PrefixListId": "VARCHAR", "Description": "VARCHAR"}],
                "UserIdGroupPairs": [{
                    "GroupId": "VARCHAR", "UserId": "VARCHAR", "VpcId": "VARCHAR", "Description": "VARCHAR"
                }]
            }],
            "IpPermissionsEgress": [{
                "IpProtocol": "VARCHAR",
                "FromPort": "INTEGER",
                "ToPort": "INTEGER",
                "IpRanges": [{"CidrIp": "VARCHAR", "Description": "VARCHAR"}],
                "Ipv6Ranges": [{"CidrIpv6": "VARCHAR", "Description": "VARCHAR"}],
                "PrefixListIds": [{"PrefixListId": "VARCHAR", "Description": "VARCHAR"}],
                "UserIdGroupPairs": [{
                    "GroupId": "VARCHAR", "UserId": "VARCHAR", "VpcId": "VARCHAR", "Description": "VARCHAR"
                }]
            }]
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as security_group_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,
        created_at,
        api.GroupName                                               as group_name,
        api.Description                                             as description,
        api.VpcId                                                   as vpc_id,
        api.OwnerId                                                 as owner_id,
        -- protocol '-1' is every protocol; from_port/to_port are null then (ICMP: type and code)
        list_transform(api.IpPermissions, lambda p: {
            'protocol': p.IpProtocol,
            'from_port': p.FromPort,
            'to_port': p.ToPort,
            'ipv4_ranges': list_transform(p.IpRanges, lambda r: {'cidr': r.CidrIp, 'description': r.Description}),
            'ipv6_ranges': list_transform(p.Ipv6Ranges, lambda r: {'cidr': r.CidrIpv6, 'description': r.Description}),
            'prefix_list_ids': list_transform(p.PrefixListIds, lambda r: r.PrefixListId),
            'source_groups': list_transform(p.UserIdGroupPairs, lambda g: {
                'group_id': g.GroupId, 'account_id': g.UserId, 'description': g.Description})
        })                                                          as ingress_rules,
        list_transform(api.IpPermissionsEgress, lambda p: {
            'protocol': p.IpProtocol,
            'from_port': p.FromPort,
            'to_port': p.ToPort,
            'ipv4_ranges': list_transform(p.IpRanges, lambda r: {'cidr': r.CidrIp, 'description': r.Description}),
            'ipv6_ranges': list_transform(p.Ipv6Ranges, lambda r: {'cidr': r.CidrIpv6, 'description': r.Description}),
            'prefix_list_ids': list_transform(p.PrefixListIds, lambda r: r.PrefixListId),
            'source_groups': list_transform(p.UserIdGroupPairs, lambda g: {
                'group_id': g.GroupId, 'account_id': g.UserId, 'description': g.Description})
        })                                                          as egress_rules,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
