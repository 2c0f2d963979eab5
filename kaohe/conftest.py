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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session (one sync Playwright per thread at a time)."""
    from playwright.sync_api import sync_playwright

    from kaohe.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server: Any, transactional_db: None) -> str:
    """The live server's address, with the demo district in its database."""
    from kaohe.demo.services import demo_is_loaded, demo_load

    # Transactional tests empty the database after each test; the first one still finds the demo.
    if not demo_is_loaded():
        demo_load()
    return str(live_server.url)


@pytest.fixture
def output_dir() -> Iterator[Path]:
    OUTPUT_DIR.mkdir(exist_ok=True)
    yield OUTPUT_DIR


@pytest.fixture
def client() -> Client:
    # The demo's ALLOWED_HOSTS is 127.0.0.1/localhost; the test client speaks as that host.
    return Client(HTTP_HOST="127.0.0.1")
