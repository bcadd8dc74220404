"""The instance type catalog rightsizing chooses sizes from: ec2:DescribeInstanceTypes for the families in use.

The families are those of the account's EC2 instances and RDS DB instances in the region (m5 of m5.2xlarge; r6g
of db.r6g.large: an RDS class is the EC2 type of its name without "db."), and every size of each that the
region offers is listed (a filter `instance-type` of `m5.*`, ...). A few dozen rows where the whole catalog is
hundreds of types per account, region and day. No family in use: nothing to list, an empty partition.
"""
from __future__ import annotations

from typing import Any, Iterator

IN_USE = "instance_type_in_use"  # the Extraction.collected key the measured types fill (registry `sized_as`)
FAMILIES_PER_CALL = 50  # filter values per request; each family's sizes are paginated apart from the others'
PAGE_SIZE = 100  # DescribeInstanceTypes' largest page


def families(instance_types: list[Any]) -> list[str]:
    """m5.2xlarge, m5.large, r6g.large -> m5, r6g (blanks and anything without a size left out)."""
    return sorted({text.split(".", 1)[0] for text in instance_types
                   if isinstance(text, str) and "." in text and text.split(".", 1)[0]})


def fetch_instance_types(context) -> Iterator[list[dict]]:
    """Pages of the region's instance types of the families this extraction saw in use."""
    found = families(context.collected.get(IN_USE, []))
    if not found:
        return
    paginator = context.client("ec2").get_paginator("describe_instance_types")
    for start in range(0, len(found), FAMILIES_PER_CALL):
        values = [f"{family}.*" for family in found[start:start + FAMILIES_PER_CALL]]
        for page in paginator.paginate(Filters=[{"Name": "instance-type", "Values": values}],
                                       PaginationConfig={"PageSize": PAGE_SIZE}):
            yield page.get("InstanceTypes", [])
