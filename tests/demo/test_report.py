"""demo/report.py: what `make demo` prints from the demo warehouse (tests/conftest.py's demo_warehouse)."""
from __future__ import annotations

from cloud_inventory.demo import report


def test_the_report_prints_rightsizing_with_dollars(demo_warehouse, capsys):
    report.print_marts(demo_warehouse)
    printed = capsys.readouterr().out
    section = printed.split("Rightsizing:", 1)[1].split("\nChanges between the demo days", 1)[0]
    lines = [line for line in section.splitlines() if "prod-eu-" in line or "stg-orders-db" in line]
    assert [line.split()[2] for line in lines] == ["prod-eu-search-1", "stg-orders-db", "prod-eu-etl-1"]
    search, db, etl = lines
    assert "downsize" in search and "m5.xlarge" in search and "156.22" in search  # 730 h x ($0.428 - $0.214)
    assert "downsize" in db and "db.t3.small" in db and "26.28" in db  # 730 h x ($0.072 - $0.036)
    assert "needs memory data" in etl and "memory unknown" in etl
    assert "prod-eu-cache-1" not in section
