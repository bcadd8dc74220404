-- materialized: view
-- marts.resource_changes: what changed on each AWS resource, one row per field (or tag, rule, attached
-- group or volume) that differs between two consecutive versions, plus one row per creation and deletion.
--   change_kind  created   the resource appeared in an ok snapshot of its source after being absent from
--                          the previous one (resources of a source's first snapshot are its baseline: none)
--                deleted   absent from a later ok snapshot of its source, or moved into a terminal state
--                          (an EC2 instance terminated); never because its source failed or was denied
--                modified  a scalar field's value, or an item's value (a tag's), changed
--                added / removed   an item (tag, rule, security group, volume) appeared / disappeared
-- A version whose config_hash changed without any tracked field changing gets one row, field
-- "configuration", with the old and new config_hash, so no change goes unseen.
-- Fields tracked: see intermediate.int_inventory__aws_field_values. Documented in
-- docs/data-dictionary/resource_changes.md.
-- A view: the rows are computed a day at a time in intermediate.int_inventory__aws_changes; the account's
-- name is joined on when read, so a renamed account reads renamed in all history.
with changes as (
    select * from intermediate.int_inventory__aws_changes
),

accounts as (
    select * from intermediate.int_inventory__accounts
),

final as (
    select
        changes.changed_at,
        changes.snapshot_date,
        changes.previous_snapshot_date,
        changes.account_id,
        accounts.account_name,
        changes.region,
        changes.resource_type,
        changes.resource_id,
        changes.name,
        changes.field,
        changes.old_value,
        changes.new_value,
        changes.change_kind,
        changes.version_number
    from changes
    left join accounts
        on accounts.account_id = changes.account_id
)

select * from final
