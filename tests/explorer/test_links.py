"""A resource page's link: readable where a path stays as written, encoded where a normaliser could rewrite it."""
from __future__ import annotations

import pytest

from cloud_inventory.explorer.links import resource_url


@pytest.mark.parametrize("resource_type, resource_id, link", [
    ("ec2_instance", "i-0abc", "/inventory/resources/ec2_instance/111111111111/us-east-1/i-0abc"),
    ("elbv2_load_balancer", "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/web/4913",
     "/inventory/resources/elbv2_load_balancer/111111111111/us-east-1/"
     "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/web/4913"),
    ("k8s_pod", "prod-eks/shop/web-1", "/inventory/resources/k8s_pod/111111111111/us-east-1/prod-eks/shop/web-1"),
    ("route53_record", "www.shop.example.com.|A",
     "/inventory/resources/route53_record/111111111111/us-east-1/www.shop.example.com.%7CA"),
    ("log_group", "/aws/lambda/x", "/inventory/resources/log_group/111111111111/us-east-1/%2Faws%2Flambda%2Fx"),
    ("log_group", "a/../b", "/inventory/resources/log_group/111111111111/us-east-1/a%2F..%2Fb"),
    ("s3_bucket", "x?y#z", "/inventory/resources/s3_bucket/111111111111/us-east-1/x%3Fy%23z"),
])
def test_links(resource_type, resource_id, link):
    assert resource_url("/inventory", resource_type, "111111111111", "us-east-1", resource_id) == link


def test_every_link_reaches_its_resource_page(explorer, viewer):
    """Each way of writing an id that the links use lands on the same page (ids with /, |, : and a leading /)."""
    found = explorer.get("/inventory/api/resources", params={"resource_type": "log_group", "limit": 1},
                         headers=viewer).json()["rows"][0]
    assert found["resource_id"].startswith("/")
    link = resource_url("/inventory/api", "log_group", found["account_id"], found["region"], found["resource_id"])
    answer = explorer.get(link, headers=viewer)
    assert answer.status_code == 200 and answer.json()["resource_id"] == found["resource_id"]
