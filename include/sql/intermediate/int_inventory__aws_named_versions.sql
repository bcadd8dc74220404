-- Each version of intermediate.int_inventory__aws_versions with what it was called: the name, ARN, tags and
-- creation time of the event that started it. The versions keep only keys, dates, state and config hash,
-- since every build rewrites them; what a version is called is read here, where the marts need it
-- (inventory_history, inventory_current, the lookup identifiers). A view: both sides are tables.
with versions as (
    select * from intermediate.int_inventory__aws_versions
),

events as (
    select * from intermediate.int_inventory__aws_events
),

final as (
    select
        versions.*,
        events.name,
        events.arn,
        events.tags,
        events.created_at
    from versions
    inner join events
        on events.resource_type = versions.resource_type
        and events.account_id = versions.account_id
        and events.region = versions.region
        and events.resource_id = versions.resource_id
        and events.snapshot_date = versions.valid_from_date
)

select * from final
