-- materialized: table
-- The Kubernetes ledger: one row per drop-box dump the pipeline handled, per cluster (the latest attempt).
-- The ledger files are not dated, so this model is rebuilt whole on every build.
with source as (
    select * from lake_manifest_k8s
),

renamed as (
    select
        key                                                         as dump_key,
        cluster,
        account_id,
        region,
        etag,
        size                                                        as size_bytes,
        status,  -- ok, quarantined, failed
        rows                                                        as row_count,
        table_rows                                                  as table_row_counts,  -- map: table -> rows
        error_class,
        error_message,
        quarantine_uri,
        run_id,
        attempts,
        started_at,
        finished_at,
        seconds                                                     as duration_seconds,
        dump_at,
        snapshot_date,  -- null for a key that names no date (quarantined)
        dump_at                                                     as snapshot_at
    from source
)

select * from renamed
