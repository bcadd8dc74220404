-- CloudFront distributions (cloudfront:ListDistributions): one row per distribution per snapshot.
-- Global: region is "global". The API gives no creation time: the lake's created_at is the distribution's
-- LastModifiedTime, renamed here to last_modified_at.
with source as (
    select * from lake_aws_cloudfront_distribution
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "DomainName": "VARCHAR",
            "Aliases": {"Items": "VARCHAR[]"},
            "Origins": {"Items": [{"Id": "VARCHAR", "DomainName": "VARCHAR"}]},
            "Enabled": "BOOLEAN",
            "Comment": "VARCHAR",
            "PriceClass": "VARCHAR",
            "HttpVersion": "VARCHAR",
            "IsIPV6Enabled": "BOOLEAN",
            "WebACLId": "VARCHAR",
            "ViewerCertificate": {"ACMCertificateArn": "VARCHAR", "CloudFrontDefaultCertificate": "BOOLEAN"}
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as distribution_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for distributions: always empty
        state,  -- Deployed, InProgress
        cast(null as timestamptz)                                   as created_at,
        created_at                                                  as last_modified_at,
        api.DomainName                                              as domain_name,  -- d111111abcdef8.cloudfront.net
        api.Aliases.Items                                           as aliases,  -- CNAMEs: static.example.com
        list_transform(api.Origins.Items, lambda o: o.DomainName)   as origin_domain_names,
        api.Enabled                                                 as is_enabled,
        nullif(api.Comment, '')                                     as comment,
        api.PriceClass                                              as price_class,
        api.HttpVersion                                             as http_version,
        api.IsIPV6Enabled                                           as is_ipv6_enabled,
        nullif(api.WebACLId, '')                                    as web_acl_id,
        nullif(api.ViewerCertificate.ACMCertificateArn, '')         as acm_certificate_arn,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
