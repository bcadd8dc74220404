"""What we inventory: one declarative entry per AWS resource type, run by the generic extractor.

An entry names the boto3 service and list operation, the JMESPath to the items in each page,
and where the id, ARN, state, creation time and tags live. Optional parts: request parameters,
a parent type whose ids feed the request (Route 53 records per hosted zone), a per-item detail
call (target health, bucket location), a batched tag lookup (load balancers), or a custom
fetcher (CloudWatch statistics). Adding a resource type is adding an entry here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Callable, Literal

from botocore import xform_name

from cloud_inventory.aws.costs import cost_item_id, fetch_daily_service_costs
from cloud_inventory.aws.instance_types import IN_USE, fetch_instance_types
from cloud_inventory.aws.metrics import fetch_daily_statistics
from cloud_inventory.settings import SettingsError
from cloud_inventory.values import Field

Scope = Literal["regional", "global"]


@dataclass(frozen=True)
class Detail:
    """A call per item whose answer is added to the item (or replaces it, for list-names-only APIs)."""

    operation: str
    params: Callable[[Any, str | None], dict]  # (item, parent id) -> request parameters
    result: str | None = None  # JMESPath into the response; None: the whole response
    into: str | None = None  # key the result is stored under; None: the result becomes the item
    missing: tuple[str, ...] = ()  # error codes that mean "nothing to add" (e.g. NoSuchTagSet)


@dataclass(frozen=True)
class TagLookup:
    """A batched tags call (the ELB APIs return no tags with the resources)."""

    operation: str
    param: str  # request parameter taking a list of keys
    key: str  # the item field whose value is sent in `param`
    batch: int
    result: str  # JMESPath to the per-resource entries in the response
    result_key: str  # field of an entry naming the resource


@dataclass(frozen=True)
class ResourceType:
    name: str
    service: str
    operation: str
    items: str = ""
    id: Field = None
    scope: Scope = "regional"
    arn: Field = None  # a path, a function, or a template with {partition} {region} {account} {id}
    name_field: Field = None  # used when the item has no Name tag
    state: Field = None
    created: Field = None
    tags: Field = "Tags"  # list of {Key, Value} (any case) or a mapping; a tag_lookup fills "Tags"
    row_region: Field = None  # global types whose resources live in a region (S3 buckets)
    params: Callable[[dict], dict] | None = None  # context (account_id, region) -> request parameters
    page_size: int | None = None  # the API's largest page, so a page costs one call
    parent: tuple[str, str] | None = None  # (parent type, request parameter): one request per collected parent id
    details: tuple[Detail, ...] = ()
    tag_lookup: TagLookup | None = None
    fetch: Callable | None = None  # custom fetcher(extraction context) -> pages of items
    depends_on: tuple[str, ...] = ()  # types whose ids a custom fetcher needs (their failure is this type's)
    after: tuple[str, ...] = ()  # types run first whose values a custom fetcher uses if they were extracted
    collect: Field = None  # the value children or custom fetchers need from each item (also their parent_id)
    extra_operations: tuple[str, ...] = ()  # calls a custom fetcher makes besides `operation`
    sized_as: Field = None  # the EC2 instance type an item runs as: its family goes into the instance type catalog

    @property
    def required(self) -> tuple[str, ...]:
        """The types this one cannot run without: when one of them fails, this one is not attempted."""
        return ((self.parent[0],) if self.parent else ()) + self.depends_on

    @property
    def upstream(self) -> tuple[str, ...]:
        """Every type that runs before this one (in the same extraction)."""
        return self.required + self.after

    def api_operations(self) -> list[tuple[str, str]]:
        """(service, operation) pairs this entry calls, for the IAM policy."""
        calls = [(self.service, operation) for operation in (self.operation, *self.extra_operations)]
        calls.extend((self.service, detail.operation) for detail in self.details)
        if self.tag_lookup:
            calls.append((self.service, self.tag_lookup.operation))
        return calls


def _zone_id(item: dict) -> str:
    # "/hostedzone/Z123" -> "Z123": the form people paste, and what records carry as parent_id.
    return item["Id"].removeprefix("/hostedzone/")


def _owned_by_account(key: str) -> Callable[[dict], dict]:
    return lambda context: {key: [context["account_id"]]}


def _eip_state(item: dict) -> str:
    return "associated" if item.get("AssociationId") or item.get("InstanceId") else "unassociated"


def _record_id(item: dict) -> str:
    return "|".join([item["Name"], item["Type"], item.get("SetIdentifier", "")]).rstrip("|")


def _rds_instance_type(item: dict) -> str | None:
    # db.r6g.large runs as r6g.large: RDS classes are EC2 instance types
    klass = item.get("DBInstanceClass") or ""
    return klass.removeprefix("db.") if klass.startswith("db.") else None


def _bucket_region(item: dict) -> str:
    # GetBucketLocation answers null for us-east-1 and the legacy "EU" for eu-west-1.
    location = item.get("BucketRegion")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)


_ELBV2_TAGS = TagLookup("describe_tags", param="ResourceArns", key="LoadBalancerArn", batch=20,
                        result="TagDescriptions", result_key="ResourceArn")

REGISTRY: tuple[ResourceType, ...] = (
    ResourceType("ec2_instance", "ec2", "describe_instances", "Reservations[].Instances[]", id="InstanceId",
                 arn="arn:{partition}:ec2:{region}:{account}:instance/{id}", state="State.Name",
                 created="LaunchTime", page_size=1000, collect="InstanceId", sized_as="InstanceType"),
    ResourceType("ebs_volume", "ec2", "describe_volumes", "Volumes[]", id="VolumeId",
                 arn="arn:{partition}:ec2:{region}:{account}:volume/{id}", state="State", created="CreateTime",
                 page_size=500),
    ResourceType("ebs_snapshot", "ec2", "describe_snapshots", "Snapshots[]", id="SnapshotId",
                 arn="arn:{partition}:ec2:{region}::snapshot/{id}", state="State", created="StartTime",
                 params=_owned_by_account("OwnerIds"), page_size=1000),
    ResourceType("ami", "ec2", "describe_images", "Images[]", id="ImageId",
                 arn="arn:{partition}:ec2:{region}::image/{id}", name_field="Name", state="State",
                 created="CreationDate", params=_owned_by_account("Owners"), page_size=1000),
    ResourceType("elastic_ip", "ec2", "describe_addresses", "Addresses[]", id="AllocationId",
                 arn="arn:{partition}:ec2:{region}:{account}:elastic-ip/{id}", state=_eip_state),
    ResourceType("vpc", "ec2", "describe_vpcs", "Vpcs[]", id="VpcId",
                 arn="arn:{partition}:ec2:{region}:{account}:vpc/{id}", state="State", page_size=1000),
    ResourceType("subnet", "ec2", "describe_subnets", "Subnets[]", id="SubnetId", arn="SubnetArn",
                 state="State", page_size=1000),
    ResourceType("security_group", "ec2", "describe_security_groups", "SecurityGroups[]", id="GroupId",
                 arn="arn:{partition}:ec2:{region}:{account}:security-group/{id}", name_field="GroupName",
                 page_size=1000),
    ResourceType("network_interface", "ec2", "describe_network_interfaces", "NetworkInterfaces[]",
                 id="NetworkInterfaceId", arn="arn:{partition}:ec2:{region}:{account}:network-interface/{id}",
                 state="Status", tags="TagSet", page_size=1000),
    ResourceType("nat_gateway", "ec2", "describe_nat_gateways", "NatGateways[]", id="NatGatewayId",
                 arn="arn:{partition}:ec2:{region}:{account}:natgateway/{id}", state="State",
                 created="CreateTime", page_size=1000, collect="NatGatewayId"),
    ResourceType("elbv2_load_balancer", "elbv2", "describe_load_balancers", "LoadBalancers[]",
                 id="LoadBalancerArn", arn="LoadBalancerArn", name_field="LoadBalancerName", state="State.Code",
                 created="CreatedTime", tag_lookup=_ELBV2_TAGS, page_size=400),
    ResourceType("elbv2_target_group", "elbv2", "describe_target_groups", "TargetGroups[]", id="TargetGroupArn",
                 arn="TargetGroupArn", name_field="TargetGroupName", tags=None, page_size=400,
                 details=(Detail("describe_target_health",
                                 lambda item, _: {"TargetGroupArn": item["TargetGroupArn"]},
                                 result="TargetHealthDescriptions", into="TargetHealthDescriptions"),)),
    ResourceType("classic_load_balancer", "elb", "describe_load_balancers", "LoadBalancerDescriptions[]",
                 id="LoadBalancerName", arn="arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/{id}",
                 name_field="LoadBalancerName", created="CreatedTime", page_size=400,
                 tag_lookup=TagLookup("describe_tags", param="LoadBalancerNames", key="LoadBalancerName",
                                      batch=20, result="TagDescriptions", result_key="LoadBalancerName")),
    ResourceType("rds_instance", "rds", "describe_db_instances", "DBInstances[]", id="DBInstanceIdentifier",
                 arn="DBInstanceArn", name_field="DBInstanceIdentifier", state="DBInstanceStatus",
                 created="InstanceCreateTime", tags="TagList", page_size=100, collect="DBInstanceIdentifier",
                 sized_as=_rds_instance_type),
    ResourceType("rds_cluster", "rds", "describe_db_clusters", "DBClusters[]", id="DBClusterIdentifier",
                 arn="DBClusterArn", name_field="DBClusterIdentifier", state="Status", created="ClusterCreateTime",
                 tags="TagList", page_size=100),
    ResourceType("rds_snapshot", "rds", "describe_db_snapshots", "DBSnapshots[]", id="DBSnapshotIdentifier",
                 arn="DBSnapshotArn", state="Status", created="SnapshotCreateTime", tags="TagList", page_size=100),
    ResourceType("eks_cluster", "eks", "list_clusters", "clusters[]", id="name", arn="arn", name_field="name",
                 state="status", created="createdAt", tags="tags", page_size=100, collect="name",
                 details=(Detail("describe_cluster", lambda name, _: {"name": name}, result="cluster"),)),
    ResourceType("eks_nodegroup", "eks", "list_nodegroups", "nodegroups[]",
                 id=lambda item: f"{item['clusterName']}/{item['nodegroupName']}", arn="nodegroupArn",
                 name_field="nodegroupName", state="status", created="createdAt", tags="tags", page_size=100,
                 parent=("eks_cluster", "clusterName"),
                 details=(Detail("describe_nodegroup",
                                 lambda name, cluster: {"clusterName": cluster, "nodegroupName": name},
                                 result="nodegroup"),)),
    ResourceType("s3_bucket", "s3", "list_buckets", "Buckets[]", id="Name", scope="global",
                 arn="arn:{partition}:s3:::{id}", name_field="Name", created="CreationDate",
                 tags="TagSet", row_region=_bucket_region, page_size=10000,
                 details=(Detail("get_bucket_location", lambda item, _: {"Bucket": item["Name"]},
                                 result="LocationConstraint", into="BucketRegion"),
                          Detail("get_bucket_tagging", lambda item, _: {"Bucket": item["Name"]},
                                 result="TagSet", into="TagSet", missing=("NoSuchTagSet",)))),
    ResourceType("route53_zone", "route53", "list_hosted_zones", "HostedZones[]", id=_zone_id, scope="global",
                 arn="arn:{partition}:route53:::hostedzone/{id}", name_field="Name", tags=None, page_size=100,
                 collect=_zone_id),
    ResourceType("route53_record", "route53", "list_resource_record_sets", "ResourceRecordSets[]", id=_record_id,
                 scope="global", name_field="Name", tags=None, page_size=300,
                 parent=("route53_zone", "HostedZoneId")),
    ResourceType("cloudfront_distribution", "cloudfront", "list_distributions", "DistributionList.Items[]",
                 id="Id", scope="global", arn="ARN", name_field="DomainName", state="Status",
                 created="LastModifiedTime", tags=None, page_size=100),
    ResourceType("sagemaker_notebook", "sagemaker", "list_notebook_instances", "NotebookInstances[]",
                 id="NotebookInstanceName", arn="NotebookInstanceArn", name_field="NotebookInstanceName",
                 state="NotebookInstanceStatus", created="CreationTime", tags=None, page_size=100),
    ResourceType("sagemaker_endpoint", "sagemaker", "list_endpoints", "Endpoints[]", id="EndpointName",
                 arn="EndpointArn", name_field="EndpointName", state="EndpointStatus", created="CreationTime",
                 tags=None, page_size=100),
    ResourceType("redshift_cluster", "redshift", "describe_clusters", "Clusters[]", id="ClusterIdentifier",
                 arn="arn:{partition}:redshift:{region}:{account}:cluster:{id}", name_field="ClusterIdentifier",
                 state="ClusterStatus", created="ClusterCreateTime", page_size=100),
    ResourceType("ssm_managed_instance", "ssm", "describe_instance_information", "InstanceInformationList[]",
                 id="InstanceId", arn="arn:{partition}:ssm:{region}:{account}:managed-instance/{id}",
                 name_field="ComputerName", state="PingStatus", created="RegistrationDate", tags=None,
                 page_size=50),
    ResourceType("lambda_function", "lambda", "list_functions", "Functions[]", id="FunctionName",
                 arn="FunctionArn", name_field="FunctionName", state="State", created="LastModified", tags=None,
                 page_size=50),
    # The region's instance types (vCPUs, memory) of the families in use: the sizes rightsizing chooses from.
    # Not a resource: the inventory marts leave it out, like the statistics entries below. RDS denied in an
    # account costs the catalog its DB classes' families only, not the EC2 instances' ones.
    ResourceType("ec2_instance_type", "ec2", "describe_instance_types", id="InstanceType", name_field="InstanceType",
                 tags=None, fetch=fetch_instance_types, depends_on=("ec2_instance",), after=("rds_instance",)),
    ResourceType("log_group", "logs", "describe_log_groups", "logGroups[]", id="logGroupName",
                 arn=lambda item: item.get("logGroupArn") or item.get("arn", "").removesuffix(":*") or None,
                 name_field="logGroupName", created="creationTime", tags=None, page_size=50,
                 collect="logGroupName"),
)


# One statistics entry per measured type, so RDS being denied never costs the EC2 statistics.
REGISTRY += tuple(
    ResourceType(f"{measured}_metric", "cloudwatch", "get_metric_data", id="ResourceId", tags=None,
                 fetch=partial(fetch_daily_statistics, resource_type=measured), depends_on=(measured,),
                 extra_operations=extra)
    for measured, extra in (("ec2_instance", ("list_metrics",)), ("rds_instance", ()), ("log_group", ()),
                            ("nat_gateway", ())))
# Daily spend per service and linked account (Cost Explorer answers for the whole account, from us-east-1).
REGISTRY += (ResourceType("ce_service_cost", "ce", "get_cost_and_usage", id=cost_item_id, scope="global", tags=None,
                          fetch=fetch_daily_service_costs),)
BY_NAME: dict[str, ResourceType] = {entry.name: entry for entry in REGISTRY}


def types_for(scope: Scope) -> list[ResourceType]:
    return [entry for entry in REGISTRY if entry.scope == scope]


def selected(names: tuple[str, ...] | None, scope: Scope | None = None) -> list[ResourceType]:
    """The entries INVENTORY_RESOURCE_TYPES names (every entry when unset), in registry order, of `scope` if given.

    Refuses unknown names, and a type without the types it cannot run without (its parent, the type a statistics
    entry measures), rather than pulling them in unasked."""
    if names is None:
        chosen = list(REGISTRY)
    else:
        unknown = [name for name in names if name not in BY_NAME]
        if unknown:
            raise SettingsError(f"INVENTORY_RESOURCE_TYPES: unknown resource type(s) {', '.join(unknown)}; "
                                f"known: {', '.join(BY_NAME)}")
        missing = [f"{name} needs {required}" for name in names for required in BY_NAME[name].required
                   if required not in names]
        if missing:
            raise SettingsError(f"INVENTORY_RESOURCE_TYPES: {'; '.join(missing)} (add them to the list)")
        chosen = [entry for entry in REGISTRY if entry.name in names]
    return [entry for entry in chosen if scope is None or entry.scope == scope]


@lru_cache(maxsize=None)
def iam_action(service: str, operation: str) -> str:
    """The IAM action a boto3 call needs, e.g. ('elbv2', 'describe_tags') -> 'elasticloadbalancing:DescribeTags'."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    api_name = next(name for name in model.operation_names if xform_name(name) == operation)
    prefix = {"monitoring": "cloudwatch"}.get(model.signing_name, model.signing_name)
    if (prefix, api_name) == ("s3", "ListBuckets"):
        api_name = "ListAllMyBuckets"
    return f"{prefix}:{api_name}"
