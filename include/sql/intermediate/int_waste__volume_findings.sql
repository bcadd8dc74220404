-- Waste among current EBS volumes, one row per finding (the shared int_waste__*_findings shape):
--   unattached_volume: state available (attached to nothing); costs its monthly storage. Wasteful since
--     its creation when the inventory never saw it attached (it may have been attached before the
--     inventory began), else since the first snapshot that saw it unattached after its last attachment.
--   gp2_volume: any gp2 volume; costs size x (gp2 - gp3 price), what moving it to gp3 saves at gp3's
--     included 3,000 IOPS and 125 MB/s. A gp2 volume whose whole storage another finding already
--     counts (unattached, or attached to a stopped instance) is folded into that finding by
--     int_waste__findings, so the saving is not counted twice.
with volumes as (
    select * from intermediate.int_waste__ebs_volumes
),

unattached_volumes as (
    select
        'unattached_volume'                                         as category,
        account_id,
        region,
        resource_type,
        volume_id                                                   as resource_id,
        arn                                                         as resource_arn,
        name                                                        as resource_name,
        tags['team']                                                as team_tag,
        case
            when last_seen_in_use_date is null then cast(timezone('UTC', created_at) as date)
            else first_seen_unattached_date
        end                                                         as wasteful_since,
        format('{} GiB {} volume attached to nothing{}', size_gib, volume_type,
               case when last_seen_in_use_date is not null
                    then format(' (last seen attached {})', last_seen_in_use_date) else '' end)
                                                                    as detail,
        storage_cost_lines                                          as cost_lines,
        [volume_id]                                                 as includes_resource_ids,
        is_stale,
        snapshot_date                                               as observed_on,
        as_of_date
    from volumes
    where state = 'available'
),

gp2_volumes as (
    select
        'gp2_volume'                                                as category,
        account_id,
        region,
        resource_type,
        volume_id                                                   as resource_id,
        arn                                                         as resource_arn,
        name                                                        as resource_name,
        tags['team']                                                as team_tag,
        cast(timezone('UTC', created_at) as date)                   as wasteful_since,
        format('{} GiB gp2 volume ({}); gp3 costs less for the same size', size_gib,
               case when len(attached_instance_ids) > 0
                    then 'attached to ' || array_to_string(attached_instance_ids, ', ')
                    else state end)                                 as detail,
        [{'price_key': 'ebs:gp2:storage', 'quantity': cast(size_gib as double), 'unit': 'GB-month'},
         {'price_key': 'ebs:gp3:storage', 'quantity': -cast(size_gib as double), 'unit': 'GB-month'}]
                                                                    as cost_lines,
        cast([] as varchar[])                                       as includes_resource_ids,
        is_stale,
        snapshot_date                                               as observed_on,
        as_of_date
    from volumes
    where volume_type = 'gp2'
),

final as (
    select * from unattached_volumes
    union all by name
    select * from gp2_volumes
)

select * from final
