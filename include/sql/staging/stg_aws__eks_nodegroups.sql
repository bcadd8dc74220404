-- EKS managed node groups (eks:ListNodegroups + DescribeNodegroup per cluster): one row per node group
-- per snapshot. resource_id is "<cluster>/<node group>".
with source as (
    select * from lake_aws_eks_nodegroup
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "clusterName": "VARCHAR",
            "nodegroupName": "VARCHAR",
            "capacityType": "VARCHAR",
            "instanceTypes": "VARCHAR[]",
            "amiType": "VARCHAR",
            "version": "VARCHAR",
            "releaseVersion": "VARCHAR",
            "scalingConfig": {"minSize": "INTEGER", "maxSize": "INTEGER", "desiredSize": "INTEGER"},
            "diskSize": "INTEGER",
            "subnets": "VARCHAR[]",
            "nodeRole": "VARCHAR",
            "labels": "MAP(VARCHAR, VARCHAR)",
            "launchTemplate": {"id": "VARCHAR", "name": "VARCHAR", "version": "VARCHAR"},
            "resources": {"autoScalingGroups": [{"name": "VARCHAR"}], "remoteAccessSecurityGroup": "VARCHAR"},
            "health": {"issues": [{"code": "VARCHAR"}]},
            "modifiedAt": "TIMESTAMPTZ"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as nodegroup_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- status: CREATING, ACTIVE, UPDATING, DELETING, CREATE_FAILED, DELETE_FAILED, DEGRADED
        created_at,
        coalesce(api.clusterName, parent_id)                        as cluster_name,
        api.nodegroupName                                           as nodegroup_name,
        -- ON_DEMAND, SPOT, CAPACITY_BLOCK
        api.capacityType                                            as capacity_type,
        -- null when a launch template sets it
        api.instanceTypes                                           as instance_types,
        api.amiType                                                 as ami_type,
        api.version                                                 as kubernetes_version,
        api.releaseVersion                                          as release_version,
        api.scalingConfig.minSize                                   as min_size,
        api.scalingConfig.maxSize                                   as max_size,
        api.scalingConfig.desiredSize                               as desired_size,
        api.diskSize                                                as disk_size_gib,
        api.subnets                                                 as subnet_ids,
        api.nodeRole                                                as node_role_arn,
        api.labels                                                  as kubernetes_labels,
        api.launchTemplate.id                                       as launch_template_id,
        api.launchTemplate.name                                     as launch_template_name,
        api.launchTemplate.version                                  as launch_template_version,
        list_transform(api.resources.autoScalingGroups, lambda g: g.name) as auto_scaling_group_names,
        api.resources.remoteAccessSecurityGroup                     as remote_access_security_group_id,
        list_transform(api.health.issues, lambda i: i.code)         as health_issue_codes,
        api.modifiedAt                                              as modified_at,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
