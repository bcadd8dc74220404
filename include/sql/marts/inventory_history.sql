-- materialized: view
-- marts.inventory_history: one row per version of each AWS resource (a run of ok snapshots with the same
-- config_hash), including the versions that record a deletion. valid_to is null for a resource's latest
-- version. A day on which the resource's source failed or was denied changes nothing here.
-- The versions are computed in intermediate.int_inventory__aws_versions from the events of
-- intermediate.int_inventory__aws_events (built a day at a time), named in int_inventory__aws_named_versions
-- (name, ARN, tags and creation time); this mart adds the account's name, environment and team.
-- Documented in docs/data-dictionary/inventory_history.md.
-- A view: the versions and events are tables already, so they are joined when read.
with versions as (
    select * from intermediate.int_inventory__aws_named_versions
),

accounts as (
    select * from intermediate.int_inventory__accounts
),

final as (
    select
        versions.account_id,
        accounts.account_name,
        accounts.environment,
        accounts.team,
        versions.region,
        versions.source_region,
        versions.resource_type,
        versions.resource_id,
        versions.version_number,
        versions.change_kind,
        versions.is_deleted,
        versions.valid_from,
        versions.valid_to,
        versions.valid_from_date,
        versions.valid_to_date,
        versions.valid_to is null                                   as is_latest,
        versions.last_seen_at,
        versions.last_seen_date,
        versions.config_hash,
        versions.state,
        versions.name,
        versions.arn,
        versions.tags,
        versions.created_at
    from versions
    left join accounts
        on accounts.account_id = versions.account_id
)

select * from final
