"""Column paths read directly give what JMESPath gives, on every fixture object and on odd shapes."""
from __future__ import annotations

import json

import jmespath
import pytest

from cloud_inventory.k8s import kinds
from cloud_inventory.values import to_json

from .conftest import FIXTURES

PATHS = sorted({column.path for entry in kinds.KINDS for column in entry.columns if isinstance(column.path, str)})
OBJECTS = json.loads((FIXTURES / "cluster.json").read_text())["items"]
ODD = [{}, {"status": None}, {"status": "Running"}, {"status": [{"phase": "x"}]}, {"status": {"phase": 0}},
       {"status": {"phase": False}}, {"spec": {"claimRef": {"namespace": ["a"]}}}, {"involvedObject": 7},
       {"spec": {"csi": {"driver": {"x": 1}}}}, {"type": ""}, {"status": {"nodeInfo": {"kubeletVersion": None}}}]


def test_every_string_path_is_plain():
    assert PATHS and all(kinds._PLAIN_PATH.fullmatch(path) for path in PATHS)


@pytest.mark.parametrize("path", PATHS)
def test_plain_paths_read_like_jmespath(path):
    read = kinds._reader(path)
    for obj in OBJECTS + ODD:
        assert read(obj) == jmespath.search(path, obj), (path, obj)


def test_other_expressions_still_go_through_jmespath():
    obj = {"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "X", "status": "False"}]}}
    read = kinds._reader("status.conditions[?type=='Ready'].status | [0]")
    assert read(obj) == "True"
    assert kinds._reader('metadata."weird-key"')({"metadata": {"weird-key": 1}}) == 1


def test_raw_is_sorted_compact_json():
    obj = {"b": [1, {"d": None, "c": "é"}], "a": 1.5}
    assert to_json(obj) == '{"a":1.5,"b":[1,{"c":"\\u00e9","d":null}]}'
