-- Route 53 resource record sets (route53:ListResourceRecordSets per hosted zone): one row per record set
-- per snapshot. resource_id is "<name>|<type>[|<set identifier>]". Names are as Route 53 returns them:
-- lower case, with the trailing dot, special characters octal-escaped (\052 for *).
with source as (
    select * from lake_aws_route53_record
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "Name": "VARCHAR",
            "Type": "VARCHAR",
            "SetIdentifier": "VARCHAR",
            "TTL": "BIGINT",
            "ResourceRecords": [{"Value": "VARCHAR"}],
            "AliasTarget": {"DNSName": "VARCHAR", "HostedZoneId": "VARCHAR", "EvaluateTargetHealth": "BOOLEAN"},
            "Weight": "BIGINT",
            "Region": "VARCHAR",
            "Failover": "VARCHAR",
            "MultiValueAnswer": "BOOLEAN",
            "HealthCheckId": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as record_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for records: always empty
        state,
        created_at,
        parent_id                                                   as hosted_zone_id,
        api.Name                                                    as record_name,
        api.Type                                                    as record_type,
        api.SetIdentifier                                           as set_identifier,
        api.TTL                                                     as ttl_seconds,
        list_transform(api.ResourceRecords, lambda r: r.Value)      as record_values,  -- IPs, CNAME targets, ...
        -- an ELB, CloudFront, S3, ... name
        api.AliasTarget.DNSName                                     as alias_dns_name,
        api.AliasTarget.HostedZoneId                                as alias_hosted_zone_id,
        api.AliasTarget.EvaluateTargetHealth                        as alias_evaluates_target_health,
        api.Weight                                                  as routing_weight,
        api.Region                                                  as routing_region,  -- latency-based routing
        api.Failover                                                as routing_failover,  -- PRIMARY, SECONDARY
        api.MultiValueAnswer                                        as is_multi_value_answer,
        api.HealthCheckId                                           as health_check_id,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
