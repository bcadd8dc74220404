"""The explorer benchmark still runs: its quick mode fails when an answer is an error (one client, or 20 clients while a
build replaces the warehouse), when the build fails, or when answers do not switch to the new build; each figure it
reports is there.

In-process (--via testclient: Airflow's app in the benchmark's process), on the session's migrated metadata database:
the real api-server's start is paid once, by the browser tests (tests/explorer/test_browser.py).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "explorer.py"
FIGURES = r"\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+"  # count p50 p95 max
TIMED = ("resource page (HTML, history)", "resource (JSON)", "type table page (HTML)", "type table (JSON, 50 rows)",
         "CSV")


def test_quick_benchmark_times_every_query_and_has_no_error_while_a_build_replaces_the_warehouse(quick_bench_cache,
                                                                                                 airflow_db):
    result = subprocess.run([sys.executable, str(BENCH), "--quick", "--via", "testclient",
                             "--cache-dir", str(quick_bench_cache),
                             "--airflow-db", str(airflow_db / "airflow.db")],
                            capture_output=True, text=True, timeout=400)
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-3000:]
    assert "[OK] 0 errors (one client and under load): 0 of " in out
    assert "[OK] the rebuild succeeded and replaced the warehouse during the load" in out
    assert "[OK] answers switched to the new build" in out
    one_client = out.split("one client, via testclient")[1].split("clients for")[0]
    under_load = out.split("clients for")[1].split("targets (one client)")[0]
    for kind in ("ip", "dns", "id", "name", "tag"):
        assert re.search(rf"^  search {kind}{FIGURES}", one_client, re.M), one_client
        assert re.search(rf"^  search {kind}{FIGURES}", under_load, re.M), under_load
        assert re.search(rf"^  \[MET\] search p95 < 100 ms, {kind}: |^  \[MISSED\] search p95 < 100 ms, {kind}: ",
                         out, re.M)
    for label in TIMED:
        line = next(line for line in one_client.splitlines() if line.startswith(f"  {label} "))
        assert "MISSING" not in line and "ERROR" not in line, line
    assert re.search(r"^  resource page \(HTML, history\)" + FIGURES, under_load, re.M)
