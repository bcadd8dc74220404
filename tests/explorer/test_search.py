"""Search answers what the lookup mart knows, through the API and the page."""
from __future__ import annotations


def test_a_dns_name_resolves_to_the_load_balancer_that_answers_for_it(explorer, viewer):
    answer = explorer.get("/inventory/api/search", params={"q": "https://WWW.shop.example.com/cart"}, headers=viewer)
    assert answer.status_code == 200
    body = answer.json()
    assert body["identifier"] == "www.shop.example.com" and body["matches"]
    record = next(m for m in body["matches"] if m["resource_type"] == "route53_record")
    assert record["matched_on"] == "route53_record" and record["account_name"] == "prod"
    assert record["via"] and record["via"][0]["resource_type"] == "elbv2_load_balancer"


def test_the_page_shows_the_matches_escaped(explorer, viewer):
    page = explorer.get("/inventory/", params={"q": "<script>alert(1)</script>"}, headers=viewer)
    assert page.status_code == 200 and "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
