"""Shared fixtures. The named world is the demo district: deterministic, small, one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Load the demo district once into the test database; TestCases run in transactions on top of it."""
    from kaohe.demo.services import demo_is_loaded, demo_load

    with django_db_blocker.unblock():
        if not demo_is_loaded():
            demo_load()


@pytest.fixture
def output_dir() -> Iterator[Path]:
    OUTPUT_DIR.mkdir(exist_ok=True)
    yield OUTPUT_DIR


@pytest.fixture
def client() -> Client:
    # The demo's ALLOWED_HOSTS is 127.0.0.1/localhost; the test client speaks as that host.
    return Client(HTTP_HOST="127.0.0.1")
