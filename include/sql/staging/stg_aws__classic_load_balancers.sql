-- Classic load balancers (elasticloadbalancing:DescribeLoadBalancers, v1): one row per load balancer per
-- snapshot. Registered instances are listed; their health (DescribeInstanceHealth) is not captured.
with source as (
    select * from lake_aws_classic_load_balancer
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "DNSName": "VARCHAR",
            "CanonicalHostedZoneName": "VARCHAR",
            "CanonicalHostedZoneNameID": "VARCHAR",
            "Scheme": "VARCHAR",
            "VPCId": "VARCHAR",
            "Subnets": "VARCHAR[]",
            "AvailabilityZones": "VARCHAR[]",
            "SecurityGroups": "VARCHAR[]",
            "Instances": [{"InstanceId": "VARCHAR"}],
            "ListenerDescriptions": [{"Listener": {
                "Protocol": "VARCHAR", "LoadBalancerPort": "INTEGER",
                "InstanceProtocol": "VARCHAR", "InstancePort": "INTEGER"}}]
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as load_balancer_name,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,
        created_at,
        api.DNSName                                                 as dns_name,
        api.CanonicalHostedZoneName                                 as canonical_hosted_zone_name,
        api.CanonicalHostedZoneNameID                               as canonical_hosted_zone_id,
        api.Scheme                                                  as scheme,
        api.VPCId                                                   as vpc_id,
        api.Subnets                                                 as subnet_ids,
        api.AvailabilityZones                                       as availability_zones,
        api.SecurityGroups                                          as security_group_ids,
        list_transform(api.Instances, lambda i: i.InstanceId)       as instance_ids,
        list_transform(api.ListenerDescriptions, lambda l: {
            'protocol': l.Listener.Protocol,
            'port': l.Listener.LoadBalancerPort,
            'instance_protocol': l.Listener.InstanceProtocol,
            'instance_port': l.Listener.InstancePort
        })                                                          as listeners,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
