-- materialized: view
-- marts.inventory_history: one row per version of each AWS resource (a run of ok snapshots with the same
-- config_hash), including the versions that record a deletion. valid_to is null for a resource's latest
-- version. A day on which the resource's source failed or was denied changes nothing here.
-- The versions are computed in intermediate.int_inventory__aws_versions from the events of
-- intermediate.int_inventory__aws_events (built a day at a time); this mart adds, from the event that started
-- each version, its name, ARN, tags and creation time, and the account's name, environment and team.
-- Documented in docs/data-dictionary/inventory_history.md.
-- A view: the versions and events are tables already, so these are joined on when read.
with versions as (
    select * from intermediate.int_inventory__aws_versions
),

events as (
    select * from intermediate.int_inventory__aws_events
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
        events.name,
        events.arn,
        events.tags,
        events.created_at
    from versions
    -- what the version was called: in the event that started it
    inner join events
        on events.resource_type = versions.resource_type
        and events.account_id = versions.account_id
        and events.region = versions.region
        and events.resource_id = versions.resource_id
        and events.snapshot_date = versions.valid_from_date
    left join accounts
        on accounts.account_id = versions.account_id
)

select * from final
