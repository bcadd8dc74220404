"""The Kubernetes dump parsing benchmark still runs, and its quick mode fails when the parser loses rows or a hostile
dump is not refused (or its peak memory reaches 1 GiB)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "k8s_parse.py"


def test_quick_benchmark_runs_and_keeps_every_object():
    result = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[MET] row counts per table equal the objects generated per kind: yes" in result.stdout
    assert "[MET] big dump >= 20 MiB" in result.stdout
    hostile = [line for line in result.stdout.splitlines() if line.startswith("  [MET] ") and "peak RSS < 1024" in line
               and ("refused" in line or "read whole" in line)]
    assert len(hostile) == 6 and sum("strings of braces" in line for line in hostile) == 1, result.stdout[-3000:]
