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
with versions as (
    select * from intermediate.int_inventory__aws_versions
),

field_values as (
    select * from intermediate.int_inventory__aws_field_values
),

accounts as (
    select * from intermediate.int_inventory__accounts
),

sequenced as (
    select
        *,
        lag(state) over resource_versions                           as previous_state,
        lag(config_hash) over resource_versions                     as previous_config_hash,
        lag(last_seen_date) over resource_versions                  as previous_last_seen_date
    from versions
    window resource_versions as (
        partition by resource_type, account_id, region, resource_id order by version_number
    )
),

modified_versions as (
    select * from sequenced where change_kind = 'modified'
),

new_values as (
    select
        field_values.*
    from field_values
    inner join modified_versions
        on modified_versions.resource_type = field_values.resource_type
        and modified_versions.account_id = field_values.account_id
        and modified_versions.region = field_values.region
        and modified_versions.resource_id = field_values.resource_id
        and modified_versions.version_number = field_values.version_number
),

old_values as (
    select
        field_values.* replace (field_values.version_number + 1 as version_number)
    from field_values
    inner join modified_versions
        on modified_versions.resource_type = field_values.resource_type
        and modified_versions.account_id = field_values.account_id
        and modified_versions.region = field_values.region
        and modified_versions.resource_id = field_values.resource_id
        and modified_versions.version_number = field_values.version_number + 1
),

field_changes as (
    select
        coalesce(new_values.resource_type, old_values.resource_type) as resource_type,
        coalesce(new_values.account_id, old_values.account_id)      as account_id,
        coalesce(new_values.region, old_values.region)              as region,
        coalesce(new_values.resource_id, old_values.resource_id)    as resource_id,
        coalesce(new_values.version_number, old_values.version_number) as version_number,
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
        and old_values.version_number = new_values.version_number
        and old_values.field = new_values.field
        and old_values.item = new_values.item
    where new_values.value is distinct from old_values.value
        or new_values.field is null
        or old_values.field is null
),

-- a changed config_hash none of whose tracked fields changed
untracked_changes as (
    select
        modified_versions.resource_type,
        modified_versions.account_id,
        modified_versions.region,
        modified_versions.resource_id,
        modified_versions.version_number,
        'configuration'                                             as field,
        modified_versions.previous_config_hash                      as old_value,
        modified_versions.config_hash                               as new_value,
        'modified'                                                  as change_kind
    from modified_versions
    anti join field_changes
        on field_changes.resource_type = modified_versions.resource_type
        and field_changes.account_id = modified_versions.account_id
        and field_changes.region = modified_versions.region
        and field_changes.resource_id = modified_versions.resource_id
        and field_changes.version_number = modified_versions.version_number
),

lifecycle_changes as (
    select
        resource_type,
        account_id,
        region,
        resource_id,
        version_number,
        'resource'                                                  as field,
        case when change_kind = 'deleted' then previous_state end   as old_value,
        state                                                       as new_value,
        change_kind
    from sequenced
    where change_kind in ('created', 'deleted')
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
        sequenced.valid_from                                        as changed_at,
        sequenced.valid_from_date                                   as snapshot_date,
        -- the last snapshot that still showed the old value (null for a creation)
        case when changes.change_kind <> 'created' then sequenced.previous_last_seen_date end
                                                                    as previous_snapshot_date,
        changes.account_id,
        accounts.account_name,
        changes.region,
        changes.resource_type,
        changes.resource_id,
        sequenced.name,
        changes.field,
        changes.old_value,
        changes.new_value,
        changes.change_kind,
        changes.version_number
    from changes
    inner join sequenced
        on sequenced.resource_type = changes.resource_type
        and sequenced.account_id = changes.account_id
        and sequenced.region = changes.region
        and sequenced.resource_id = changes.resource_id
        and sequenced.version_number = changes.version_number
    left join accounts
        on accounts.account_id = changes.account_id
)

select * from final
