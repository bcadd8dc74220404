"""The parser reads the same objects whatever the JSON's layout and however the stream cuts its bytes.

A List's items are built by ijson's C parser; the scan of the dump's bytes (limits.py) tells where each
item ends, and the parser reads the top level after the items from there. These tests hold that to the
plain reading of the same document (`json.loads`).
"""
from __future__ import annotations

import gzip
import io
import json
import tracemalloc

import pytest

from cloud_inventory.k8s.parser import DumpError, iter_objects, parse_dump

from .conftest import FIXTURES, SOURCE, synthetic_pod

CLUSTER = json.loads((FIXTURES / "cluster.json").read_text())
LAYOUTS = {"kubectl": {"indent": 4}, "compact": {"separators": (",", ":")}, "spaced": {},
           "indent-1": {"indent": 1}, "indent-2": {"indent": 2}, "tabs": {"indent": "\t"}}


class Trickle(io.RawIOBase):
    """A stream that hands out at most `size` bytes a read, like a slow network body."""

    def __init__(self, data: bytes, size: int):
        self._data, self._size = io.BytesIO(data), size

    def readable(self):
        return True

    def read(self, size=-1):
        return self._data.read(min(size, self._size) if size is not None and size > 0 else self._size)


def render(doc: dict, layout: str) -> bytes:
    return json.dumps(doc, **LAYOUTS[layout]).encode()


def objects(data: bytes, read_size: int | None = None) -> list[dict]:
    return list(iter_objects(Trickle(data, read_size) if read_size else io.BytesIO(data)))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("read_size", [None, 1, 7, 1000, 9_000])
def test_every_layout_and_read_size_gives_the_items(layout, read_size):
    assert objects(render(CLUSTER, layout), read_size) == CLUSTER["items"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_gzipped_layouts(layout):
    assert objects(gzip.compress(render(CLUSTER, layout))) == CLUSTER["items"]


def _list(items: list, **top) -> dict:
    return {"apiVersion": "v1", "items": items, **top}


TAILS = {
    "kind before items": {"kind": "PodList", "metadata": {"resourceVersion": "7"}},
    "braces in the tail": {"kind": "List", "metadata": {"resourceVersion": "", "annotations": {
        "note": "} ] }, { \"items\": [", "nested": {"a": [{"b": {}}, [], {}]}}}},
    "more keys after kind": {"kind": "List", "metadata": {}, "x-extra": [1, {"y": "}"}]},
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("tail", TAILS)
def test_the_top_level_after_the_items_is_read(layout, tail):
    items = [synthetic_pod(i) for i in range(3)]
    doc = _list(items, **TAILS[tail])
    if tail == "kind before items":
        doc = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "7"}, "items": items}
    assert objects(render(doc, layout)) == items


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_tail_full_of_brackets_in_strings(layout):
    big = {f"k{i}": {"v": "}" * 50, "w": [{}]} for i in range(200)}
    items = [synthetic_pod(i) for i in range(2)]
    assert objects(render(_list(items, kind="List", metadata={"annotations": big}), layout)) == items
    with pytest.raises(DumpError, match="its kind is 'Pod', not a List"):
        objects(render(_list(items, metadata={"annotations": big}, kind="Pod"), layout))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_items_full_of_brackets_and_item_ends_in_strings(layout):
    """Strings that look like an item's end in kubectl's layout, or are all brackets, do not end an item."""
    huge = {"apiVersion": "example.com/v1", "kind": "Blob", "metadata": {"name": "blob", "namespace": "a"},
            "data": {f"key-{i}": {"text": "}}{{" * 20, "end": "\n        },\n        {", "list": [{"a": "}"}]}
                     for i in range(300)}}
    items = [synthetic_pod(0), huge, synthetic_pod(1), huge, synthetic_pod(2)]
    assert objects(render(_list(items, kind="List", metadata={}), layout)) == items


@pytest.mark.parametrize("layout", LAYOUTS)
def test_empty_list(layout):
    assert objects(render(_list([], kind="List", metadata={"resourceVersion": "", "x": {"y": {}}}), layout)) == []


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cut", [1, 2, 3, 30, "after an item"])
def test_truncated_anywhere_after_the_items_start(layout, cut):
    data = render(_list([synthetic_pod(i) for i in range(3)], kind="List", metadata={"resourceVersion": ""}), layout)
    end = data.rindex(b"}", 0, data.rindex(b"]")) + 1 if cut == "after an item" else len(data) - cut
    with pytest.raises(DumpError, match="truncated or invalid JSON"):
        objects(data[:end])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_trailing_garbage_after_a_list(layout):
    data = render(_list([synthetic_pod(0)], kind="List", metadata={}), layout) + b'\n{"kind": "List"}'
    with pytest.raises(DumpError, match="truncated or invalid JSON"):
        objects(data)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("bad, reason", [
    (42, "item 1 is not an object"), ("text", "item 1 is not an object"), ([{"kind": "Pod"}], "item 1 is not an object"),
    ({"kind": "Pod", "apiVersion": "v1"}, "item 1 (Pod) has no metadata"),
])
def test_bad_items_in_any_layout(layout, bad, reason):
    data = render(_list([synthetic_pod(0), bad, synthetic_pod(2)], kind="List", metadata={}), layout)
    with pytest.raises(DumpError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        objects(data)


@pytest.mark.parametrize("layout", ["kubectl", "compact"])
def test_list_kind_checked_after_the_items(layout):
    data = render(_list([synthetic_pod(0)], kind="Pod", metadata={}), layout)
    seen = []
    with pytest.raises(DumpError, match="not a List"):
        for obj in iter_objects(io.BytesIO(data)):
            seen.append(obj)
    assert len(seen) == 1


def test_rows_are_the_same_in_every_layout():
    expected = parse_dump(io.BytesIO(render(CLUSTER, "kubectl")), **SOURCE)
    for layout in LAYOUTS:
        assert parse_dump(io.BytesIO(render(CLUSTER, layout)), **SOURCE) == expected


def _compact_dump(pods: int) -> bytes:
    data = ('{"apiVersion":"v1","items":['
            + ",".join(json.dumps(synthetic_pod(i), separators=(",", ":")) for i in range(pods))
            + '],"kind":"List","metadata":{"resourceVersion":""}}').encode()
    return gzip.compress(data, compresslevel=1)


def _peak_reading(packed: bytes) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_objects(io.BytesIO(packed)))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_compact_dump_streams_in_bounded_memory():
    """Without line breaks, item ends are found all the same, and memory does not grow with the dump."""
    small, large = _compact_dump(2_000), _compact_dump(8_000)
    (small_count, small_peak), (large_count, large_peak) = _peak_reading(small), _peak_reading(large)
    assert (small_count, large_count) == (2_000, 8_000)
    assert large_peak < 1.2 * small_peak < 8_000_000, (small_peak, large_peak)  # the large one is 6 MB of JSON
