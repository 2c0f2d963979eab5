"""Shared fixtures. The named world is the demo district: deterministic, small, one user per role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"

# Property tests: 100 examples each and no deadline (speed lives in `make bench`, never in a test).
settings.register_profile("kaohe", max_examples=100, deadline=None)
# `make mutants` (mutmut) runs the scoring tests thousands of times in one process: fewer examples keep the survey
# within its bound, the same test meets several executors by design, and a fixed seed with no example database
# makes each mutant's verdict repeatable.
settings.register_profile(
    "mutants", parent=settings.get_profile("kaohe"), max_examples=20, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.differing_executors],
)  # fmt: skip
settings.load_profile(os.environ.get("KAOHE_HYPOTHESIS_PROFILE", "kaohe"))


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """Create the test database, load the demo district once and keep a snapshot of it. TestCases run in
    transactions on top of it; tests that commit (browser tests, TransactionTestCase) get it back from the
    snapshot (`kaohe.test.world_restore`), never by loading it again.

    The suite runs as the application role (core.database); the owner creates, migrates, snapshots and cleans.
    It replaces pytest-django's own, which sets up only the databases that the collected tests declare: browser
    tests declare none (they restore instead of flushing), and run alone they would find no test database.
    Under pytest-xdist (`make test` runs two workers) each worker has its own database (`django_db_modify_db_settings`
    suffixes the name), its own demo load and its own snapshot."""
    from django.test.utils import setup_databases, teardown_databases

    from kaohe.core.database import application_role, as_owner
    from kaohe.demo.services import demo_is_loaded
    from kaohe.test import application_role_ready, count_loads, world_load, world_snapshot

    count_loads()
    verbosity = request.config.option.verbose
    role = application_role()
    with django_db_blocker.unblock():
        with as_owner():  # the owner creates and migrates the test database, and grants the application role
            config = setup_databases(
                verbosity=verbosity, interactive=False, aliases={"default": {}}, serialized_aliases=set()
            )
            application_role_ready(role)
        if not demo_is_loaded():
            world_load()  # as the application role, as `kaohe demo` runs in production
        world_snapshot()
    yield
    with django_db_blocker.unblock(), as_owner():
        try:
            teardown_databases(config, verbosity=verbosity)
        except Exception as exc:  # as pytest-django's own: a database left behind is no test failure
            request.node.warn(pytest.PytestWarning(f"Error when trying to teardown test databases: {exc!r}"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run fails if the demo was loaded more than once (outside the test of the loader itself)."""
    from kaohe.test import LOADS

    if LOADS["count"] > 1:
        session.config.get_terminal_writer().line(
            f"the demo district was loaded {LOADS['count']} times in this run; tests must restore it "
            "(kaohe.test.world_restore) or roll back, never load it again",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session (one sync Playwright per thread at a time)."""
    from playwright.sync_api import sync_playwright

    from kaohe.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site_server(django_db_setup: None) -> Iterator[str]:
    """One live server (a thread of Django's LiveServerThread, static files served) for every browser test."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()
    server.join()  # its run() closes the thread's database connections, so the test database can be dropped


@pytest.fixture
def site(site_server: str, django_db_blocker: Any) -> Iterator[str]:
    """The live server's address, with the demo district in its database. What the test commits (through the
    browser or its own setup) is undone after it by restoring the snapshot."""
    from kaohe.demo.services import demo_is_loaded
    from kaohe.test import world_restore

    with django_db_blocker.unblock():
        if not demo_is_loaded():  # after a TransactionTestCase emptied the database
            world_restore()
        yield site_server
        world_restore()


@pytest.fixture(autouse=True)
def demo_back_after_a_commit(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    """A TransactionTestCase empties the database when it ends. Run alone, pytest-django orders them last; on
    two workers a worker may take another file after one, so the demo district is put back at once."""
    from django.test import TestCase, TransactionTestCase

    yield
    instance = getattr(request, "instance", None)
    if isinstance(instance, TransactionTestCase) and not isinstance(instance, TestCase):
        from kaohe.demo.services import demo_is_loaded
        from kaohe.test import world_restore

        with django_db_blocker.unblock():
            if not demo_is_loaded():
                world_restore()


@pytest.fixture
def output_dir() -> Iterator[Path]:
    OUTPUT_DIR.mkdir(exist_ok=True)
    yield OUTPUT_DIR


@pytest.fixture
def client() -> Client:
    # The demo's ALLOWED_HOSTS is 127.0.0.1/localhost; the test client speaks as that host.
    return Client(HTTP_HOST="127.0.0.1")
