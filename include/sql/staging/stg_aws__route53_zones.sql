-- Route 53 hosted zones (route53:ListHostedZones): one row per zone per snapshot. Global: region is "global".
with source as (
    select * from lake_aws_route53_zone
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "Name": "VARCHAR",
            "Config": {"PrivateZone": "BOOLEAN", "Comment": "VARCHAR"},
            "ResourceRecordSetCount": "BIGINT",
            "CallerReference": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as hosted_zone_id,  -- Z123..., without /hostedzone/
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for hosted zones: always empty
        state,
        created_at,
        -- with the trailing dot: example.com.
        api.Name                                                    as zone_name,
        api.Config.PrivateZone                                      as is_private_zone,
        nullif(api.Config.Comment, '')                              as comment,
        api.ResourceRecordSetCount                                  as record_count,
        api.CallerReference                                         as caller_reference,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
