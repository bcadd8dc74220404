"""The demo world the mart tests share is what it claims to be (three days, dev failed on the last day,
stg-eks silent on the last day), so a mart test's expectations rest on known ground."""
from __future__ import annotations

from collections import Counter

from cloud_inventory.k8s.ledger import read_ledger
from cloud_inventory.manifest import read_manifests


def test_three_days_with_dev_failing_and_stg_eks_silent_on_the_last(demo_world):
    lake, days = demo_world["lake"], demo_world["days"]
    statuses = {day: Counter((row["account_name"], row["status"]) for row in read_manifests(lake, day).to_pylist())
                for day in days}
    for day in days[:-1]:
        assert statuses[day][("dev", "failed")] == 0 and statuses[day][("dev", "ok")] > 0
        assert statuses[day][("dev", "denied")] > 0  # SageMaker, by the simulated service control policy
    assert statuses[days[-1]][("dev", "ok")] == 0 and statuses[days[-1]][("dev", "failed")] > 0
    assert statuses[days[-1]][("prod", "failed")] == 0 and statuses[days[-1]][("staging", "failed")] == 0
    dumped = {cluster: {entry["dump_at"].date() for entry in read_ledger(lake, cluster) if entry["status"] == "ok"}
              for cluster in ("prod-eks", "stg-eks")}
    assert dumped == {"prod-eks": set(days), "stg-eks": set(days[:-1])}
    assert demo_world["changes"][1]["resized"]["to"] == "m5.xlarge"
