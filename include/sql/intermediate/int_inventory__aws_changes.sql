-- materialized: incremental
-- What changed on each AWS resource (marts.resource_changes without the account's name, which that view
-- joins on): one row per field (or tag, rule, attached group or volume) whose value differs between the
-- snapshot that noticed a modification (snapshot_date) and its source's previous ok snapshot, plus one row
-- (field "resource") per creation and deletion.
--   created   absent from the source's previous ok snapshot, present in this one (not a source's baseline)
--   deleted   absent from this ok snapshot, or moved into a terminal state (an instance terminated)
--   modified  a scalar field's value, or an item's value (a tag's), changed
--   added / removed   an item (tag, rule, security group, volume) appeared / disappeared
-- A changed config_hash none of whose tracked fields changed gets one row, field "configuration", with the
-- old and new config_hash, so no change goes unseen. Fields tracked: intermediate.int_inventory__aws_field_values.
--
-- Incremental like intermediate.int_inventory__aws_events: the rows of a date depend only on that date's
-- events, the two snapshots each compares and the versions up to that date, so a build recomputes the dates
-- from getvariable('rebuild_from') and keeps the others.
with events as (
    select * from intermediate.int_inventory__aws_events
    where snapshot_date >= coalesce(getvariable('rebuild_from'), date '0001-01-01')
),

versions as (
    select * from intermediate.int_inventory__aws_versions
    where valid_from_date >= coalesce(getvariable('rebuild_from'), date '0001-01-01')
),

field_values as (
    select * from intermediate.int_inventory__aws_field_values
),

modifications as (
    select
        resource_type,
        account_id,
        region,
        resource_id,
        snapshot_date,
        previous_snapshot_date,
        config_hash,
        previous_config_hash
    from events
    where event_kind = 'modified'
        and not (is_terminal and not previous_is_terminal)
),

new_values as (
    select
        modifications.snapshot_date                                 as change_date,
        field_values.*
    from field_values
    inner join modifications
        on modifications.resource_type = field_values.resource_type
        and modifications.account_id = field_values.account_id
        and modifications.region = field_values.region
        and modifications.resource_id = field_values.resource_id
        and modifications.snapshot_date = field_values.snapshot_date
),

old_values as (
    select
        modifications.snapshot_date                                 as change_date,
        field_values.*
    from field_values
    inner join modifications
        on modifications.resource_type = field_values.resource_type
        and modifications.account_id = field_values.account_id
        and modifications.region = field_values.region
        and modifications.resource_id = field_values.resource_id
        and modifications.previous_snapshot_date = field_values.snapshot_date
),

field_changes as (
    select
        coalesce(new_values.resource_type, old_values.resource_type) as resource_type,
        coalesce(new_values.account_id, old_values.account_id)      as account_id,
        coalesce(new_values.region, old_values.region)              as region,
        coalesce(new_values.resource_id, old_values.resource_id)    as resource_id,
        coalesce(new_values.change_date, old_values.change_date)    as snapshot_date,
        coalesce(new_values.field, old_values.field)                as field,
        old_values.value                                            as old_value,
        new_values.value                                            as new_value,
        case
            when old_values.field is null then 'added'
            when new_values.field is null then 'removed'
            else 'modified'
        end                                                         as change_kind
    from new_values
    full outer join old_values
        on old_values.resource_type = new_values.resource_type
        and old_values.account_id = new_values.account_id
        and old_values.region = new_values.region
        and old_values.resource_id = new_values.resource_id
        and old_values.change_date = new_values.change_date
        and old_values.field = new_values.field
        and old_values.item = new_values.item
    where new_values.value is distinct from old_values.value
        or new_values.field is null
        or old_values.field is null
),

-- a changed config_hash none of whose tracked fields changed
untracked_changes as (
    select
        modifications.resource_type,
        modifications.account_id,
        modifications.region,
        modifications.resource_id,
        modifications.snapshot_date,
        'configuration'                                             as field,
        modifications.previous_config_hash                          as old_value,
        modifications.config_hash                                   as new_value,
        'modified'                                                  as change_kind
    from modifications
    anti join field_changes
        on field_changes.resource_type = modifications.resource_type
        and field_changes.account_id = modifications.account_id
        and field_changes.region = modifications.region
        and field_changes.resource_id = modifications.resource_id
        and field_changes.snapshot_date = modifications.snapshot_date
),

-- a move into a terminal state, or a disappearance from a live state, is the resource's deletion
lifecycle_changes as (
    select
        resource_type,
        account_id,
        region,
        resource_id,
        snapshot_date,
        'resource'                                                  as field,
        case when event_kind <> 'created' then previous_state end   as old_value,
        state                                                       as new_value,
        case when event_kind = 'created' then 'created' else 'deleted' end as change_kind
    from events
    where event_kind = 'created'
        or (event_kind = 'vanished' and not previous_is_terminal)
        or (event_kind = 'modified' and is_terminal and not previous_is_terminal)
),

changes as (
    select * from field_changes
    union all
    select * from untracked_changes
    union all
    select * from lifecycle_changes
),

final as (
    select
        versions.valid_from                                         as changed_at,
        changes.snapshot_date,
        -- the last snapshot that still showed the old value (null for a creation)
        case when changes.change_kind <> 'created' then events.previous_snapshot_date end
                                                                    as previous_snapshot_date,
        changes.account_id,
        changes.region,
        changes.resource_type,
        changes.resource_id,
        events.name,
        changes.field,
        changes.old_value,
        changes.new_value,
        changes.change_kind,
        versions.version_number
    from changes
    inner join versions
        on versions.resource_type = changes.resource_type
        and versions.account_id = changes.account_id
        and versions.region = changes.region
        and versions.resource_id = changes.resource_id
        and versions.valid_from_date = changes.snapshot_date
    inner join events
        on events.resource_type = changes.resource_type
        and events.account_id = changes.account_id
        and events.region = changes.region
        and events.resource_id = changes.resource_id
        and events.snapshot_date = changes.snapshot_date
)

select * from final
