"""Fixtures shared by the AWS tests: a clean fake-AWS environment, settings, a local lake."""
from __future__ import annotations

import os

import pytest

from cloud_inventory import settings as settings_module
from cloud_inventory.lake import Lake

from .support import ACCESS_KEY, SECRET_KEY, load_response


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch, tmp_path):
    """No real AWS, no inherited endpoint or INVENTORY_* settings, moto without its 1,300 bundled AMIs."""
    for name in list(os.environ):
        if name.startswith(("INVENTORY_", "AWS_")) and name != "AWS_CA_BUNDLE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_AWS_MAX_ATTEMPTS", "2")  # a test never waits long on retries of a fault it set


@pytest.fixture
def settings():
    return settings_module.load()


@pytest.fixture
def lake(tmp_path):
    return Lake(str(tmp_path / "lake"))


@pytest.fixture
def api_response():
    return load_response
