-- Application, network and gateway load balancers (elasticloadbalancing:DescribeLoadBalancers, v2):
-- one row per load balancer per snapshot. Their targets are in stg_aws__elbv2_target_groups.
with source as (
    select * from lake_aws_elbv2_load_balancer
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "LoadBalancerName": "VARCHAR",
            "Type": "VARCHAR",
            "Scheme": "VARCHAR",
            "DNSName": "VARCHAR",
            "CanonicalHostedZoneId": "VARCHAR",
            "VpcId": "VARCHAR",
            "IpAddressType": "VARCHAR",
            "State": {"Reason": "VARCHAR"},
            "AvailabilityZones": [{"ZoneName": "VARCHAR", "SubnetId": "VARCHAR"}],
            "SecurityGroups": "VARCHAR[]"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as load_balancer_arn,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- active, provisioning, active_impaired, failed
        created_at,
        api.LoadBalancerName                                        as load_balancer_name,
        -- application, network, gateway
        api.Type                                                    as load_balancer_type,
        api.Scheme                                                  as scheme,  -- internet-facing, internal
        api.DNSName                                                 as dns_name,
        api.CanonicalHostedZoneId                                   as canonical_hosted_zone_id,
        api.VpcId                                                   as vpc_id,
        api.IpAddressType                                           as ip_address_type,
        api.State.Reason                                            as state_reason,
        list_transform(api.AvailabilityZones, lambda z: z.ZoneName) as availability_zones,
        list_transform(api.AvailabilityZones, lambda z: z.SubnetId) as subnet_ids,
        api.SecurityGroups                                          as security_group_ids,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
