-- S3 buckets (s3:ListAllMyBuckets + GetBucketLocation + GetBucketTagging): one row per bucket per snapshot.
-- A global type: the lake files it under region=global, but `region` is the bucket's own region.
with source as (
    select * from lake_aws_s3_bucket
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "Name": "VARCHAR",
            "BucketRegion": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as bucket_name,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,
        created_at,
        -- as answered: null is us-east-1, EU is eu-west-1
        api.BucketRegion                                            as location_constraint,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
