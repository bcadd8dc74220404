"""plain(): warehouse values as the API and the CLI's JSON write them."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from cloud_inventory.plain import csv_cell, plain


def test_numbers_stay_numbers():
    assert plain(Decimal("12.50")) == 12.5 and isinstance(plain(Decimal("12.50")), float)
    assert plain(Decimal("300.00")) == 300 and isinstance(plain(Decimal("300.00")), int)
    assert plain(Decimal("NaN")) is None and plain(float("inf")) is None and plain(float("nan")) is None
    assert plain(True) is True and plain(7) == 7


def test_times_are_iso_8601_in_utc():
    india = timezone(timedelta(hours=5, minutes=30))
    assert plain(datetime(2026, 12, 7, 10, 0, tzinfo=india)) == "2026-12-07T04:30:00+00:00"
    assert plain(datetime(2026, 12, 7, 10, 0)) == "2026-12-07T10:00:00+00:00"  # the warehouse's naive times are UTC
    assert plain(date(2026, 12, 7)) == "2026-12-07"
    assert plain(timedelta(minutes=2)) == 120.0


def test_nested_values_are_converted_all_the_way_down():
    value = {"tags": {"team": "web"}, "sizes": [Decimal("1.5"), None], "at": (datetime(2026, 1, 1),),
             "id": UUID(int=1), "blob": b"\x00\xff"}
    assert plain(value) == {"tags": {"team": "web"}, "sizes": [1.5, None], "at": ["2026-01-01T00:00:00+00:00"],
                            "id": "00000000-0000-0000-0000-000000000001", "blob": "AP8="}
    json.dumps(plain(value), allow_nan=False)


def test_csv_cells_join_lists_and_write_maps_as_json():
    assert csv_cell(["i-1", "i-2"]) == "i-1;i-2"
    assert csv_cell({"b": 1, "a": "x"}) == '{"a": "x", "b": 1}'
    assert csv_cell([{"how": "alias"}]) == '[{"how": "alias"}]'
    assert csv_cell(Decimal("2.50")) == "2.5" and csv_cell(None) == "" and csv_cell(True) == "true"


def test_csv_cells_a_spreadsheet_would_run_are_quoted():
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert csv_cell("@SUM(1)") == "'@SUM(1)" and csv_cell(-3) == "-3" and csv_cell("i-1") == "i-1"
