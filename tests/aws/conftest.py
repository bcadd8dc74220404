"""Fixtures shared by the AWS tests: a clean fake-AWS environment, settings, a local lake."""
from __future__ import annotations

import pytest

from cloud_inventory import settings as settings_module
from cloud_inventory.lake import Lake

from .support import fake_aws_environment, load_response


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch, tmp_path):
    fake_aws_environment(monkeypatch, tmp_path)


@pytest.fixture
def settings():
    return settings_module.load()


@pytest.fixture
def lake(tmp_path):
    return Lake(str(tmp_path / "lake"))


@pytest.fixture
def api_response():
    return load_response
