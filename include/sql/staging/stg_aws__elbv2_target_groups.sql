-- ELBv2 target groups (elasticloadbalancing:DescribeTargetGroups, with DescribeTargetHealth per group):
-- one row per target group per snapshot, its registered targets and their health as a list.
with source as (
    select * from lake_aws_elbv2_target_group
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "TargetGroupName": "VARCHAR",
            "Protocol": "VARCHAR",
            "Port": "INTEGER",
            "TargetType": "VARCHAR",
            "VpcId": "VARCHAR",
            "LoadBalancerArns": "VARCHAR[]",
            "HealthCheckProtocol": "VARCHAR",
            "HealthCheckPath": "VARCHAR",
            "TargetHealthDescriptions": [{
                "Target": {"Id": "VARCHAR", "Port": "INTEGER", "AvailabilityZone": "VARCHAR"},
                "TargetHealth": {"State": "VARCHAR", "Reason": "VARCHAR", "Description": "VARCHAR"}
            }]
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as target_group_arn,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for target groups (the registry reads no tags for them): always empty
        state,
        created_at,
        api.TargetGroupName                                         as target_group_name,
        api.Protocol                                                as protocol,
        api.Port                                                    as port,
        api.TargetType                                              as target_type,  -- instance, ip, lambda, alb
        api.VpcId                                                   as vpc_id,
        api.LoadBalancerArns                                        as load_balancer_arns,
        api.HealthCheckProtocol                                     as health_check_protocol,
        api.HealthCheckPath                                         as health_check_path,
        list_transform(api.TargetHealthDescriptions, lambda t: {
            'target_id': t.Target.Id,
            'port': t.Target.Port,
            'availability_zone': t.Target.AvailabilityZone,
            'health_state': t.TargetHealth.State,  -- initial, healthy, unhealthy, unused, draining, unavailable
            'health_reason': t.TargetHealth.Reason,
            'health_description': t.TargetHealth.Description
        })                                                          as targets,
        coalesce(len(api.TargetHealthDescriptions), 0)              as registered_target_count,
        coalesce(len(list_filter(api.TargetHealthDescriptions,
                                 lambda t: t.TargetHealth.State = 'healthy')), 0) as healthy_target_count,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
