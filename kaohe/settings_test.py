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
    # As in production (docs/deployment.md): the suite connects as an application role that owns no table; the
    # owner (the local server's superuser, which creates the test database) migrates, snapshots and cleans it.
    # A TEST_DATABASE_URL of one's own, without TEST_DATABASE_OWNER_URL, runs everything as that one role.
    _test_url = os.environ.get("TEST_DATABASE_URL", "")
    _owner_url = os.environ.get(
        "TEST_DATABASE_OWNER_URL", "" if _test_url else "postgres://postgres@127.0.0.1:5432/test"
    )
    DATABASES = {"default": _database_from_url(_test_url or "postgres://kaohe_app@127.0.0.1:5432/test")}
    DATABASE_OWNER = _owner_from_url(_owner_url, DATABASES["default"])
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
