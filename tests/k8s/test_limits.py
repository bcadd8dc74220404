"""The dump limits: the scan measures what a byte-at-a-time reading measures, however the bytes are cut, and
each hostile shape is refused with its limit and byte offset, reading no further than the limit.

`reference` reads a document one byte at a time, the plain way; the scan (numpy over blocks) must agree
with it on random documents full of escapes, brackets in strings and odd layouts, for every block size.
"""
from __future__ import annotations

import gzip
import io
import json
import random
import re
from dataclasses import replace

import pytest

from cloud_inventory.k8s import parser
from cloud_inventory.k8s.limits import LimitExceeded, Scanner
from cloud_inventory.k8s.parser import DumpError, iter_objects, parse_dump
from cloud_inventory.settings import DumpLimits

from .conftest import SOURCE, synthetic_pod

SPACE = b" \t\r\n"
UNLIMITED = DumpLimits(max_depth=10**9, max_item_bytes=10**12, max_string_bytes=10**12,
                       max_whitespace_bytes=10**12, max_dump_bytes=10**12)


def reference(doc: bytes) -> dict:
    """What the limits measure, byte by byte: deepest nesting, longest string, longest whitespace run outside
    strings, the List items' sizes and ends, and the bytes outside the items array."""
    depth = deepest = 0
    reached = {}  # depth -> where it was first reached
    in_string = escaped = False
    string_start = longest_string = 0
    run = longest_run = 0
    last_string = (b"", -1)  # the last string's text and where its closing quote is
    items_open = None  # where the open items array starts
    item_start = None
    items, outside = [], len(doc)
    for at, byte in enumerate(doc):
        char = bytes([byte])
        if in_string:
            if escaped:
                escaped = False
            elif char == b"\\":
                escaped = True
            elif char == b'"':
                in_string = False
                longest_string = max(longest_string, at - string_start - 1)
                last_string = (doc[string_start + 1:at], at)
            continue
        if char in SPACE:
            run += 1
            longest_run = max(longest_run, run)
            continue
        run = 0
        if char == b'"':
            in_string, string_start = True, at
        elif char in b"{[":
            depth += 1
            deepest = max(deepest, depth)
            reached.setdefault(depth, at)
            if depth == 2 and char == b"[":
                text, end = last_string
                if text == b"items" and doc[end + 1:at].strip(SPACE) == b":":
                    items_open = at
            if depth == 3 and items_open is not None:
                item_start = at
        elif char in b"}]":
            if depth == 3 and item_start is not None:
                items.append((item_start, at))
                item_start = None
            if depth == 2 and items_open is not None:
                outside -= at - items_open + 1
                items_open = None
            depth -= 1
    return {"depth": deepest, "reached": reached, "string": longest_string, "whitespace": longest_run, "items": items,
            "outside": outside - (len(doc) - items_open if items_open is not None else 0)}


def scan(doc: bytes, block: int, limits: DumpLimits = UNLIMITED) -> list[int]:
    """Every item end the scan reports (with blocks of one byte it reports them all)."""
    scanner, ends = Scanner(limits), []
    for start in range(0, len(doc), block):
        end = scanner.scan(doc[start:start + block])
        if end >= 0:
            ends.append(start + end)
    return ends


def _text(rng: random.Random) -> str:
    pieces = ['"', "\\", "\\\\", '\\"', "{", "}", "[", "]", '"items": [', "\n        }", " " * rng.randint(1, 9),
              "é", "\u2028", "a", "items"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))


def _value(rng: random.Random, depth: int):
    roll = rng.random()
    if depth > 6 or roll < 0.35:
        return rng.choice([_text(rng), rng.randint(-5, 10**6), 1.5, True, None, ""])
    if roll < 0.7:
        return {_text(rng) or "k": _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def random_document(seed: int) -> bytes:
    rng = random.Random(seed)
    items = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"}, "spec": _value(rng, 3)}
             for i in range(rng.randint(0, 5))]
    top = {"apiVersion": "v1", "kind": "List", "metadata": {_text(rng) or "m": _value(rng, 2)}, "items": items}
    if rng.random() < 0.3:
        top = {"kind": "List", "apiVersion": "v1", **{_text(rng) + "x": _value(rng, 2)}, "items": items}
    if rng.random() < 0.2:  # a single object, no items
        top = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "one"}, "spec": _value(rng, 1)}
    layout = rng.choice([{"indent": 4}, {"separators": (",", ":")}, {}, {"indent": "\t"}, {"indent": 1}])
    text = json.dumps(top, ensure_ascii=rng.random() < 0.5, **layout)
    return (" " * rng.randint(0, 3) + text + "\n" * rng.randint(0, 2)).encode()


def _offset(error: LimitExceeded) -> int:
    return int(re.search(r"at byte ([\d,]+)", error.reason)[1].replace(",", ""))


@pytest.mark.parametrize("seed", range(60))
def test_the_scan_agrees_with_a_byte_by_byte_reading(seed):
    doc = random_document(seed)
    expected = reference(doc)
    if expected["items"]:  # the reference's items are the document's
        assert [json.loads(doc[start:end + 1]) for start, end in expected["items"]] == json.loads(doc)["items"]
    assert scan(doc, 1) == [end for _, end in expected["items"]]
    exact = DumpLimits(max_depth=expected["depth"], max_string_bytes=max(expected["string"], 1),
                       max_whitespace_bytes=max(expected["whitespace"], 1), max_dump_bytes=len(doc),
                       max_item_bytes=max([expected["outside"]] + [e - s + 1 for s, e in expected["items"]]))
    for block in (1, 3, 7, 64, 4096):
        scanned = scan(doc, block, exact)  # every limit exactly at what the document has: nothing is refused
        assert set(scanned) <= {end for _, end in expected["items"]}
        if expected["items"]:
            assert expected["items"][-1][1] in scanned  # the last end is always reported


def _refused(doc: bytes, limits: DumpLimits, block: int) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as error:
        scan(doc, block, limits)
    return error.value


@pytest.mark.parametrize("seed", range(0, 60, 3))
@pytest.mark.parametrize("block", [1, 5, 4096])
def test_one_below_what_the_document_has_is_refused_naming_the_limit(seed, block):
    doc = random_document(seed)
    expected = reference(doc)
    if expected["depth"] > 1:
        error = _refused(doc, replace(UNLIMITED, max_depth=expected["depth"] - 1), block)
        assert "levels of nesting (INVENTORY_K8S_DUMP_MAX_DEPTH)" in error.reason
        assert _offset(error) == expected["reached"][expected["depth"]]
    if expected["string"] > 1:
        error = _refused(doc, replace(UNLIMITED, max_string_bytes=expected["string"] - 1), block)
        assert "bytes in one string (INVENTORY_K8S_DUMP_MAX_STRING_SIZE)" in error.reason
    if expected["whitespace"] > 1:
        error = _refused(doc, replace(UNLIMITED, max_whitespace_bytes=expected["whitespace"] - 1), block)
        assert "bytes of whitespace in a row (INVENTORY_K8S_DUMP_MAX_WHITESPACE)" in error.reason
    error = _refused(doc, replace(UNLIMITED, max_dump_bytes=len(doc) - 1), block)
    assert "bytes of JSON in one dump (INVENTORY_K8S_DUMP_MAX_SIZE)" in error.reason
    largest_item = max([e - s + 1 for s, e in expected["items"]], default=0)
    limit = max(largest_item, expected["outside"]) - 1
    error = _refused(doc, replace(UNLIMITED, max_item_bytes=limit), block)
    assert "(INVENTORY_K8S_DUMP_MAX_ITEM_SIZE)" in error.reason


def _list(*items: bytes, top: bytes = b'"apiVersion": "v1", "kind": "List", ') -> bytes:
    return b"{" + top + b'"items": [' + b", ".join(items) + b"]}"


def _pod(spec: bytes, name: bytes = b"p") -> bytes:
    return b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "' + name + b'"}, "spec": ' + spec + b"}"


class Endless(io.RawIOBase):
    """A dump that would go on for `size` bytes (gigabytes, never held), counting what the parser read."""

    def __init__(self, head: bytes, filler: bytes, size: int, tail: bytes = b""):
        self.parts = [head, tail]
        self.filler, self.left, self.read_bytes, self.phase = filler, size, 0, 0

    def readable(self):
        return True

    def read(self, size=-1):
        size = 1 << 20 if size is None or size < 0 else size
        if self.parts[0]:
            data, self.parts[0] = self.parts[0][:size], self.parts[0][size:]
        elif self.left > 0:
            data = (self.filler * (size // len(self.filler) + 2))[self.phase:self.phase + min(size, self.left)]
            self.left -= len(data)
            self.phase = (self.phase + len(data)) % len(self.filler)
        else:
            data, self.parts[1] = self.parts[1][:size], self.parts[1][size:]
        self.read_bytes += len(data)
        return data


HOSTILE = {  # name: (stream, the reason's words, the offset it names)
    "nested 100,000 levels": (lambda: io.BytesIO(_list(_pod(b'{"a":' * 100_000 + b"1" + b"}" * 100_000))),
                              "over the limit of 100 levels of nesting", None),
    "2 GiB of whitespace inside a pod": (lambda: Endless(b'{"apiVersion": "v1", "kind": "List", "items": [{"a":',
                                                         b" ", 2 << 30), "64Ki", None),
    "2 GiB of whitespace between items": (lambda: Endless(_list(_pod(b"{}"))[:-2] + b",", b"\n", 2 << 30),
                                          "bytes of whitespace in a row", None),
    "a 200 MB string": (lambda: Endless(b'{"apiVersion": "v1", "kind": "List", "items": [{"a": "', b"x", 200_000_000),
                        "bytes in one string", None),
    "a 200 MB item of small fields": (lambda: Endless(b'{"apiVersion": "v1", "kind": "List", "items": [{',
                                                      b'"k": 1, ', 200_000_000), "bytes in one item", None),
    "a 200 MB single object": (lambda: Endless(b'{"apiVersion": "v1", "kind": "Pod", "x": [',
                                                         b'"' + b"y" * 1000 + b'", ', 200_000_000),
                               "bytes outside the List's items", None),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_shapes_are_refused_at_their_limit_reading_no_further(name):
    make, words, _ = HOSTILE[name]
    stream = make()
    with pytest.raises(DumpError) as error:
        parse_dump(stream, **SOURCE)
    reason = error.value.reason
    assert "the dump is refused whole" in reason and re.search(r"at byte [\d,]+ of the uncompressed JSON", reason)
    assert words.replace("64Ki", "65,536 bytes of whitespace") in reason
    if isinstance(stream, Endless):  # stopped within a block or two of the limit, not at the end of the dump
        limit = max(DumpLimits().max_item_bytes, DumpLimits().max_string_bytes)
        assert stream.read_bytes < limit + 4 * parser.BLOCK


def test_a_gzip_bomb_stops_at_the_dump_size_limit():
    pods = b", ".join(_pod(b'{"containers": []}', name=b"p%d" % i) for i in range(20_000))
    bomb = gzip.compress(_list(pods))
    with pytest.raises(DumpError, match=r"over the limit of 262,144 bytes of JSON in one dump "
                                        r"\(INVENTORY_K8S_DUMP_MAX_SIZE\) at byte 262,144"):
        parse_dump(io.BytesIO(bomb), **SOURCE, limits=DumpLimits(max_dump_bytes=256 * 1024))


def test_limits_at_the_edge():
    """A value exactly at a limit passes; one byte or level more is refused (the limits are inclusive)."""
    string = _list(_pod(b'"' + b"x" * 1000 + b'"'))
    assert parse_dump(io.BytesIO(string), **SOURCE, limits=DumpLimits(max_string_bytes=1000))["pod"]
    with pytest.raises(DumpError, match="999 bytes in one string"):
        parse_dump(io.BytesIO(string), **SOURCE, limits=DumpLimits(max_string_bytes=999))
    deep = _list(_pod(b"[" * 5 + b"]" * 5))  # the pod's spec array is at depth 4 (top, items, pod, spec)
    assert parse_dump(io.BytesIO(deep), **SOURCE, limits=DumpLimits(max_depth=8))["pod"]
    with pytest.raises(DumpError, match="7 levels of nesting"):
        parse_dump(io.BytesIO(deep), **SOURCE, limits=DumpLimits(max_depth=7))
    pod = _pod(b"{}")
    assert parse_dump(io.BytesIO(_list(pod, pod)), **SOURCE, limits=DumpLimits(max_item_bytes=len(pod)))["pod"]
    with pytest.raises(DumpError, match="bytes in one item"):
        parse_dump(io.BytesIO(_list(pod, pod)), **SOURCE, limits=DumpLimits(max_item_bytes=len(pod) - 1))


def test_a_key_that_only_looks_like_items_is_not_the_items():
    """An escaped quote before `items"` makes a longer key: its array is part of the top level, and counted."""
    doc = b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "a\\"items": [' + b"{}, " * 100 + b"{}]}"
    with pytest.raises(DumpError, match="bytes outside the List's items"):
        parse_dump(io.BytesIO(doc), **SOURCE, limits=DumpLimits(max_item_bytes=300))
    assert reference(doc)["items"] == []


def test_brackets_inside_a_long_string_cost_nothing_special():
    """A 3 MB string of closing braces (which kubectl's layout would end items at) is one string to the scan."""
    pods = [_pod(b'"' + b"}" * 3_000_000 + b'"', name=b"braces"), _pod(b"{}", name=b"after")]
    objects = list(iter_objects(io.BytesIO(_list(*pods))))
    assert [o["metadata"]["name"] for o in objects] == ["braces", "after"]


def test_every_setting_reaches_the_scan(monkeypatch):
    from cloud_inventory.settings import load

    for variable, value in (("INVENTORY_K8S_DUMP_MAX_DEPTH", "12"), ("INVENTORY_K8S_DUMP_MAX_ITEM_SIZE", "2MiB"),
                            ("INVENTORY_K8S_DUMP_MAX_STRING_SIZE", "100KB"),
                            ("INVENTORY_K8S_DUMP_MAX_WHITESPACE", "4096"), ("INVENTORY_K8S_DUMP_MAX_SIZE", "1GB")):
        monkeypatch.setenv(variable, value)
    assert load().dump_limits == DumpLimits(max_depth=12, max_item_bytes=2 * 2**20, max_string_bytes=100_000,
                                            max_whitespace_bytes=4096, max_dump_bytes=10**9)
    pods = [synthetic_pod(i) for i in range(3)]
    assert len(parse_dump(io.BytesIO(json.dumps({"kind": "List", "apiVersion": "v1", "items": pods}).encode()),
                          **SOURCE, limits=load().dump_limits)["pod"]) == 3
