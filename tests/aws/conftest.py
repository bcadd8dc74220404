"""Fixtures shared by the AWS tests: a clean fake-AWS environment, settings, a local lake."""
from __future__ import annotations

import pytest

from cloud_inventory import settings as settings_module
from cloud_inventory.demo.emulator import Emulator
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


@pytest.fixture(scope="module")
def emulator():
    """The AWS emulator in this process (its moto state is shared: tests use their own account ids)."""
    with Emulator(in_process=True) as emu:
        yield emu


@pytest.fixture
def emu(emulator, monkeypatch):
    """The emulator as AWS_ENDPOINT_URL, with no faults and fresh request counts."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    emulator.set_faults([])
    emulator.reset_stats()
    yield emulator
    emulator.set_faults([])
