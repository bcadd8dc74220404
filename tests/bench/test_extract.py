"""The extraction benchmark still runs: its quick mode fails when the extractor and the baseline disagree."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "extract.py"


def test_quick_benchmark_runs_and_both_runs_capture_the_same_resources():
    result = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[MET] same resources in both runs: yes" in result.stdout
    assert "[MET] API calls <= minimum + 5%" in result.stdout
