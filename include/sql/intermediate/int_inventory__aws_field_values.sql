-- The tracked fields of the AWS resource snapshot rows a modification compares (the snapshot that noticed it
-- and its source's previous ok one), one row per (resource, snapshot date, field, item): what
-- intermediate.int_inventory__aws_changes compares. A view; during a build only the modifications from
-- getvariable('rebuild_from') are read, so only their rows are unnested, not every snapshot row.
--
--   every type    state (scalar); tag:<key> (one item per tag)
--   ec2_instance  instance_type, image_id, subnet_id, iam_instance_profile_arn (scalars);
--                 security_group_id, volume_id (one item per attached group / EBS volume)
--   security_group ingress_rule, egress_rule: one item per rule and peer, e.g. "tcp 5432 from 0.0.0.0/0",
--                 "all traffic to ::/0", "tcp 8080 from sg-0abc"; the value adds the rule's description
--   rds_instance  instance_class, allocated_storage_gib, storage_type, engine_version, is_multi_az
--   eks_nodegroup instance_types (comma-separated, sorted), min_size, max_size, desired_size
--
-- is_item: false for a scalar (present in every snapshot, compared by value: "modified"), true for an item of
-- a set or map (present or not: "added", "removed"; or "modified" when its value changed).
with modifications as (
    select * from intermediate.int_inventory__aws_events
    where event_kind = 'modified'
        and not (is_terminal and not previous_is_terminal)  -- a move into a terminal state is a deletion
        and snapshot_date >= coalesce(getvariable('rebuild_from'), date '0001-01-01')
),

compared_rows as (
    select resource_type, account_id, region, resource_id, snapshot_date from modifications
    union
    select resource_type, account_id, region, resource_id, previous_snapshot_date from modifications
),

resources as (
    select * from intermediate.int_inventory__aws_resources
    semi join compared_rows using (resource_type, account_id, region, resource_id, snapshot_date)
),

ec2_instances as (
    select * from staging.stg_aws__ec2_instances
    semi join compared_rows using (resource_type, account_id, region, resource_id, snapshot_date)
),

security_groups as (
    select * from staging.stg_aws__security_groups
    semi join compared_rows using (resource_type, account_id, region, resource_id, snapshot_date)
),

rds_instances as (
    select * from staging.stg_aws__rds_instances
    semi join compared_rows using (resource_type, account_id, region, resource_id, snapshot_date)
),

eks_nodegroups as (
    select * from staging.stg_aws__eks_nodegroups
    semi join compared_rows using (resource_type, account_id, region, resource_id, snapshot_date)
),

common_fields as (
    select
        resource_type,
        account_id,
        region,
        resource_id,
        snapshot_date,
        unnest(list_concat(
            [{'field': 'state', 'item': '', 'value': state, 'is_item': false}],
            list_transform(map_entries(tags), lambda t: {
                'field': 'tag:' || t.key, 'item': '', 'value': t.value, 'is_item': true})
        ))                                                          as f
    from resources
),

ec2_fields as (
    select
        ec2.resource_type,
        ec2.account_id,
        ec2.region,
        ec2.resource_id,
        ec2.snapshot_date,
        unnest(list_concat(
            [
                {'field': 'instance_type', 'item': '', 'value': ec2.instance_type, 'is_item': false},
                {'field': 'image_id', 'item': '', 'value': ec2.image_id, 'is_item': false},
                {'field': 'subnet_id', 'item': '', 'value': ec2.subnet_id, 'is_item': false},
                {'field': 'iam_instance_profile_arn', 'item': '', 'value': ec2.iam_instance_profile_arn,
                 'is_item': false}
            ],
            list_transform(ec2.security_group_ids, lambda g: {
                'field': 'security_group_id', 'item': g, 'value': g, 'is_item': true}),
            list_transform(ec2.volume_ids, lambda v: {
                'field': 'volume_id', 'item': v, 'value': v, 'is_item': true})
        ))                                                          as f
    from ec2_instances as ec2
),

-- one item per rule and peer (CIDR, IPv6 CIDR, prefix list or security group)
security_group_rules as (
    select
        sg.resource_type,
        sg.account_id,
        sg.region,
        sg.resource_id,
        sg.snapshot_date,
        list_concat(
            flatten(list_transform(sg.ingress_rules, lambda p: list_transform(list_concat(
                list_transform(p.ipv4_ranges, lambda r: {'peer': r.cidr, 'description': r.description}),
                list_transform(p.ipv6_ranges, lambda r: {'peer': r.cidr, 'description': r.description}),
                list_transform(p.prefix_list_ids, lambda r: {'peer': r, 'description': null::varchar}),
                list_transform(p.source_groups, lambda g: {'peer': g.group_id, 'description': g.description})
            ), lambda peer: {
                'field': 'ingress_rule',
                'rule': case
                            when p.protocol = '-1' then 'all traffic'
                            when p.from_port is null then p.protocol
                            when p.from_port = p.to_port then p.protocol || ' ' || p.from_port
                            else p.protocol || ' ' || p.from_port || '-' || p.to_port
                        end || ' from ' || peer.peer,
                'description': peer.description
            }))),
            flatten(list_transform(sg.egress_rules, lambda p: list_transform(list_concat(
                list_transform(p.ipv4_ranges, lambda r: {'peer': r.cidr, 'description': r.description}),
                list_transform(p.ipv6_ranges, lambda r: {'peer': r.cidr, 'description': r.description}),
                list_transform(p.prefix_list_ids, lambda r: {'peer': r, 'description': null::varchar}),
                list_transform(p.source_groups, lambda g: {'peer': g.group_id, 'description': g.description})
            ), lambda peer: {
                'field': 'egress_rule',
                'rule': case
                            when p.protocol = '-1' then 'all traffic'
                            when p.from_port is null then p.protocol
                            when p.from_port = p.to_port then p.protocol || ' ' || p.from_port
                            else p.protocol || ' ' || p.from_port || '-' || p.to_port
                        end || ' to ' || peer.peer,
                'description': peer.description
            })))
        )                                                           as rules
    from security_groups as sg
),

security_group_fields as (
    select
        resource_type,
        account_id,
        region,
        resource_id,
        snapshot_date,
        unnest(list_transform(rules, lambda r: {
            'field': r.field,
            'item': r.rule,
            'value': r.rule || coalesce(' (' || nullif(r.description, '') || ')', ''),
            'is_item': true
        }))                                                         as f
    from security_group_rules
),

rds_fields as (
    select
        rds.resource_type,
        rds.account_id,
        rds.region,
        rds.resource_id,
        rds.snapshot_date,
        unnest([
            {'field': 'instance_class', 'item': '', 'value': rds.instance_class, 'is_item': false},
            {'field': 'allocated_storage_gib', 'item': '', 'value': rds.allocated_storage_gib::varchar,
             'is_item': false},
            {'field': 'storage_type', 'item': '', 'value': rds.storage_type, 'is_item': false},
            {'field': 'engine_version', 'item': '', 'value': rds.engine_version, 'is_item': false},
            {'field': 'is_multi_az', 'item': '', 'value': rds.is_multi_az::varchar, 'is_item': false}
        ])                                                          as f
    from rds_instances as rds
),

eks_nodegroup_fields as (
    select
        nodegroup.resource_type,
        nodegroup.account_id,
        nodegroup.region,
        nodegroup.resource_id,
        nodegroup.snapshot_date,
        unnest([
            {'field': 'instance_types', 'item': '', 'value': array_to_string(list_sort(nodegroup.instance_types), ','),
             'is_item': false},
            {'field': 'min_size', 'item': '', 'value': nodegroup.min_size::varchar, 'is_item': false},
            {'field': 'max_size', 'item': '', 'value': nodegroup.max_size::varchar, 'is_item': false},
            {'field': 'desired_size', 'item': '', 'value': nodegroup.desired_size::varchar, 'is_item': false}
        ])                                                          as f
    from eks_nodegroups as nodegroup
),

unioned as (
    select * from common_fields
    union all
    select * from ec2_fields
    union all
    select * from security_group_fields
    union all
    select * from rds_fields
    union all
    select * from eks_nodegroup_fields
),

final as (
    select
        resource_type,
        account_id,
        region,
        resource_id,
        snapshot_date,
        f.field                                                     as field,
        f.item                                                      as item,
        f.value                                                     as value,
        f.is_item                                                   as is_item
    from unioned
)

select * from final
