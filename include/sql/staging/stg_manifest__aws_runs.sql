-- The AWS run manifest: one row per (snapshot date, account, region, resource type) and extraction outcome.
-- status ok with 0 rows means "none exist"; denied or failed means "could not look" (the source is stale,
-- its resources are not deleted). A rerun of a date replaces that date's manifest.
with source as (
    select * from lake_manifest_aws
),

renamed as (
    select
        snapshot_date,
        run_id,
        account_id,
        account_name,
        region,  -- or "global"
        resource_type,
        status,  -- ok, denied, failed
        rows                                                        as row_count,
        api_calls,
        seconds                                                     as duration_seconds,
        error_class,
        error_message,
        started_at,
        finished_at,
        path                                                        as partition_path
    from source
)

select * from renamed
