"""What the benchmarks' quick modes share: bench/marts.py's lake cache, so the quick lake is generated once a session
(bench/marts.py and bench/explorer.py both read it; each works in a folder of its own beside it)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def quick_bench_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("bench-cache")
