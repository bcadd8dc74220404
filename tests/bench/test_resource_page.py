"""The resource page benchmark still runs: on the demo warehouse, every sampled resource answers, and the figures
and the verdict are printed."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "resource_page.py"


def test_the_benchmark_requests_every_sampled_resource_and_reports_p95(demo_warehouse, demo_world):
    result = subprocess.run([sys.executable, str(BENCH), "--warehouse", str(demo_warehouse), "--lake",
                             demo_world["lake"].uri, "--per-type", "1", "--repeat", "1", "--partition-rows", "1000"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stdout[-4000:] + result.stderr[-3000:]  # 1: the target missed
    assert "ERROR" not in result.stdout, result.stdout[-4000:]
    assert re.search(r"^ALL\s+api\s+\d+\s", result.stdout, re.M) and re.search(r"^lake config\s", result.stdout, re.M)
    assert re.search(r"^\s+1,000\s+\d+", result.stdout, re.M)
    assert re.search(r"\[(MET|MISSED)\] resource page p95 < 300 ms", result.stdout)
