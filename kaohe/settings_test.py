"""Test settings: PostgreSQL by default (the production database); KAOHE_TEST_DB=sqlite for the smoke set."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789abcdef")

from .settings import *  # noqa: F403
from .settings import _database_from_url, _owner_from_url

if os.environ.get("KAOHE_TEST_DB", "postgres") == "sqlite":
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
    DATABASES = {"default": _database_from_url("sqlite:///" + str(VAR_DIR / "test.sqlite3"))}  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-smoke.sqlite3")}  # noqa: F405
else:
    # As in production (docs/deployment.md): the suite connects as an application role that owns no table
    # (TEST_APPLICATION_ROLE, created by conftest the first time); TEST_DATABASE_URL names the server's superuser,
    # the owner, which creates, migrates, snapshots and cleans the test database.
    _owner_url = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    DATABASES = {"default": _database_from_url(_owner_url)}
    DATABASE_OWNER = _owner_from_url(_owner_url, DATABASES["default"])
    DATABASES["default"]["USER"] = os.environ.get("TEST_APPLICATION_ROLE", "kaohe_app")
    DATABASES["default"]["PASSWORD"] = TEST_APPLICATION_PASSWORD = "kaohe-test-only"
    # Two checkouts testing at once on one server must not share the throw-away test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("KAOHE_TEST_DB_NAME", "test_kaohe")}

# Hashing with Argon2 costs ~50 ms a user; tests create hundreds. Production keeps Argon2 (tested).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The suite logs in hundreds of times from 127.0.0.1; the rate-limit tests set their own small limits.
KAOHE_RATE_LIMITS = {"login": (100_000, 60), "export": (100_000, 60)}
