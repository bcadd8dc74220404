from decimal import Decimal

import pytest

from cloud_inventory.k8s.quantity import QuantityError, parse_quantity, to_cores, to_int, total


@pytest.mark.parametrize("text, expected", [
    ("100m", Decimal("0.1")),
    ("1", Decimal(1)),
    ("0.5", Decimal("0.5")),
    (".5", Decimal("0.5")),
    ("2k", Decimal(2000)),
    ("1e3", Decimal(1000)),
    ("1E3", Decimal(1000)),
    ("5e-3", Decimal("0.005")),
    ("512Mi", Decimal(512 * 2**20)),
    ("1Gi", Decimal(2**30)),
    ("1.5Gi", Decimal(3 * 2**29)),
    ("15896552Ki", Decimal(15896552 * 1024)),
    ("500G", Decimal(500 * 10**9)),
    ("1M", Decimal(10**6)),
    ("1Ti", Decimal(2**40)),
    ("250u", Decimal("0.00025")),
    ("100n", Decimal("1E-7")),
    ("+3", Decimal(3)),
    ("-1", Decimal(-1)),
    (" 4 ", Decimal(4)),
    (4, Decimal(4)),
    (0.25, Decimal("0.25")),
])
def test_parse_quantity(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", None])
def test_absent_quantity_is_none(text):
    assert parse_quantity(text) is None


@pytest.mark.parametrize("text", ["abc", "1KiB", "1mi", "Mi", "1 Gi", "1.2.3", "--1", "1e", "1ee3", True])
def test_bad_quantity(text):
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_cores_and_bytes():
    assert to_cores("100m") == pytest.approx(0.1)
    assert to_cores("3920m") == pytest.approx(3.92)
    assert to_cores(None) is None
    assert to_int("512Mi") == 536870912
    assert to_int("1Gi") == 1073741824
    assert to_int("1.5k") == 1500
    assert to_int("1m") == 1  # rounded up, like Quantity.Value()
    assert to_int("262144k") == 262144000


def test_total():
    assert total(["100m", "0.25", None]) == Decimal("0.35")
    assert total(["128Mi", "1Gi"]) == Decimal(128 * 2**20 + 2**30)
    assert total([None, ""]) is None
    assert total([]) is None
