"""Kubernetes resource quantities (`100m`, `512Mi`, `1e3`, `2k`) as exact decimals, cores and bytes.

The grammar is apimachinery's `resource.Quantity`: a signed decimal number followed by a binary SI
suffix (Ki Mi Gi Ti Pi Ei), a decimal SI suffix (n u m "" k M G T P E) or a decimal exponent (e3, E-2).
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
            "P": Decimal("1e15"), "E": Decimal("1e18")}
_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")


class QuantityError(ValueError):
    pass


def parse_quantity(value: Any) -> Decimal | None:
    """A quantity as an exact Decimal in base units (cores, bytes, count); None for None or ""."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise QuantityError(f"not a quantity: {value!r}")
    if isinstance(value, (int, float)):  # some tools write bare JSON numbers
        return Decimal(str(value))
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise QuantityError(f"not a quantity: {value!r}")
    number, exponent, suffix = match.groups()
    try:
        amount = Decimal(number)
        if exponent:
            return amount.scaleb(int(exponent[1:]))
    except (InvalidOperation, ValueError) as error:
        raise QuantityError(f"not a quantity: {value!r}") from error
    suffix = suffix or ""
    return amount * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])


def to_cores(value: Any) -> float | None:
    """CPU as cores: `100m` -> 0.1, `2` -> 2.0."""
    amount = parse_quantity(value)
    return None if amount is None else float(amount)


def to_int(value: Any) -> int | None:
    """Bytes or counts, rounded up like Quantity.Value(): `1Gi` -> 1073741824, `1.5k` -> 1500."""
    amount = parse_quantity(value)
    return None if amount is None else int(math.ceil(amount))


def total(values: Iterable[Any]) -> Decimal | None:
    """The sum of the quantities given; None when none was given (not 0: "no request" is not "0")."""
    result = None
    for value in values:
        amount = parse_quantity(value)
        if amount is not None:
            result = amount if result is None else result + amount
    return result
