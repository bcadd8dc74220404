-- materialized: table
-- One row per AWS account the inventory knows: the accounts file's (seed_accounts: name, environment, team)
-- and any other account the run manifest names (accounts discovered through AWS Organizations), whose
-- name falls back to the manifest's account_name and whose environment and team are unknown (null).
with configured as (
    select * from seed_accounts
),

sources as (
    select * from intermediate.int_aws__source_snapshots
),

manifest_names as (
    select
        account_id,
        arg_max(account_name, last_attempt_date)                    as account_name
    from sources
    group by account_id
),

final as (
    select
        coalesce(configured.account_id, manifest_names.account_id)  as account_id,
        coalesce(configured.account_name, manifest_names.account_name) as account_name,
        configured.environment,
        configured.team,
        configured.account_id is not null                           as is_configured
    from configured
    full outer join manifest_names
        on manifest_names.account_id = configured.account_id
)

select * from final
