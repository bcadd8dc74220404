-- Kubernetes cron jobs: one row per cron job per dump.
with source as (
    select * from lake_k8s_cronjob
),

renamed as (
    select
        uid                                                         as cronjob_uid,
        resource_id,  -- namespace/name
        cluster,
        account_id,
        region,
        kind,
        api_version,
        namespace,
        name,
        labels,
        created_at,
        schedule,
        suspend                                                     as is_suspended,
        active                                                      as active_jobs,
        last_schedule_at,
        last_success_at,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
