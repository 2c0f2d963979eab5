"""Kaohe settings, read from the environment (every variable is listed in .env.example)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KAOHE_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"环境变量 {name} 的取值 {raw!r} 无法识别：请填写 true 或 false。")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name} 应为整数，当前为 {raw!r}。") from None


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit written N/S: N requests in a window of S seconds (core.ratelimit)."""
    raw = env_str(name, default) or default
    count, _, seconds = raw.strip().partition("/")
    try:
        rate = (int(count), int(seconds))
    except ValueError:
        rate = (0, 0)
    if min(rate) < 1:
        raise ImproperlyConfigured(f"环境变量 {name} 应写作“次数/秒数”，如 20/60，当前为 {raw!r}。")
    return rate


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# --- Database -------------------------------------------------------------------------------------
DEFAULT_SQLITE = VAR_DIR / "kaohe.sqlite3"


def _database_from_url(url: str, variable: str = "DATABASE_URL") -> dict[str, object]:
    import dj_database_url

    if "://" not in url:
        raise ImproperlyConfigured(
            f"环境变量 {variable} 格式不正确：{url!r}。"
            "应为 postgres://用户:密码@主机:端口/库名 或 sqlite:////绝对路径/文件.sqlite3。"
        )
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"环境变量 {variable} 无法解析（{exc}）：{url!r}。") from None
    engine = str(config.get("ENGINE", ""))
    if engine not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured(
            f"环境变量 {variable} 使用了不支持的数据库：{url.split('://', 1)[0]!r}。仅支持 postgres 与 sqlite。"
        )
    if engine == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured(f"环境变量 {variable} 缺少数据库名（路径部分）。")
    if engine == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        # WAL lets the scoreboard be read while a submission is being written; IMMEDIATE avoids
        # "database is locked" upgrades from read to write transactions under gunicorn workers.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    return config


_database_url = env_str("DATABASE_URL").strip()
EMBEDDED_DATABASE = not _database_url
DATABASES = {"default": _database_from_url(_database_url or f"sqlite:///{DEFAULT_SQLITE}")}


def _owner_from_url(url: str, database: dict[str, object]) -> dict[str, object] | None:
    """The role that owns the tables (PostgreSQL): `kaohe migrate` and `kaohe flush` connect as it, the
    application never does (core.database.as_owner). It must name the same database as DATABASE_URL."""
    if not url:
        return None
    owner = _database_from_url(url, "DATABASE_OWNER_URL")
    if owner["ENGINE"] != "django.db.backends.postgresql" or database["ENGINE"] != owner["ENGINE"]:
        raise ImproperlyConfigured("环境变量 DATABASE_OWNER_URL 仅用于 PostgreSQL，且 DATABASE_URL 也须是 PostgreSQL。")
    if owner["NAME"] != database["NAME"]:
        raise ImproperlyConfigured(
            f"环境变量 DATABASE_OWNER_URL 的数据库 {owner['NAME']!r} 与 DATABASE_URL 的 {database['NAME']!r} 不同。"
        )
    return {key: owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}


# Set only where migrations run (see docs/deployment.md), never in the web server's environment.
DATABASE_OWNER = _owner_from_url(env_str("DATABASE_OWNER_URL").strip(), DATABASES["default"])

# --- Secret key -----------------------------------------------------------------------------------
# Production must supply SECRET_KEY; only the embedded demo database may generate one under var/.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not EMBEDDED_DATABASE:
        raise ImproperlyConfigured("生产环境必须设置环境变量 SECRET_KEY（至少 50 个随机字符）。")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# --- Applications ---------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "kaohe.core",
    "kaohe.org",
    "kaohe.accounts",
    "kaohe.web",
    "kaohe.schemes",
    "kaohe.collection",
    "kaohe.assessment",
    "kaohe.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kaohe.core.middleware.HostileInputMiddleware",  # NUL and control characters never reach a view
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kaohe.accounts.middleware.SessionRenewalMiddleware",  # the idle timeout's renewal, once a minute
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Default deny: every view needs a login unless it is explicitly marked public.
    "kaohe.accounts.middleware.LoginRequired",
    "kaohe.accounts.middleware.PasswordChangeRequired",  # a one-time password is replaced before any other page
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kaohe.core.middleware.SecurityHeadersMiddleware",
    "kaohe.assessment.middleware.SchemeStateMiddleware",  # a refused or returned scheme: a Chinese page, not a 500
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kaohe.urls"
WSGI_APPLICATION = "kaohe.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kaohe" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kaohe.web.context.navigation",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kaohe.accounts.validators.CharacterClassValidator"},
]

# Lockout (SECURITY.md IA-4, accounts.lockout): 5 failures lock a name for 30 minutes wherever they come from;
# 20 failures lock an address, whatever names were tried. The three separated admins are locked at an address only.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
KAOHE_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_HANDLER = "kaohe.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = "kaohe.accounts.lockout.lockout_parameters"
# A successful log-in clears its own name's failures only (accounts.services.login_record), never an address's.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "kaohe.accounts.views.locked_out"
AXES_USERNAME_CALLABLE = "kaohe.accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "kaohe.core.clients.client_address"
AXES_VERBOSE = False

# Rate limits (SECURITY.md IV-8, core.ratelimit): log-in posts per client address, exports per user. The counts
# live in the shared cache, so every server process counts into the same window: the database by default (the
# table is made by `kaohe migrate`), or another cache shared by the processes (SHARED_CACHE_BACKEND, e.g.
# django.core.cache.backends.redis.RedisCache, and SHARED_CACHE_LOCATION, e.g. redis://127.0.0.1:6379).
KAOHE_RATE_LIMITS = {
    "login": env_rate("LOGIN_RATE_LIMIT", "20/60"),
    "export": env_rate("EXPORT_RATE_LIMIT", "20/60"),
}
KAOHE_RATE_LIMIT_CACHE = "shared"
DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"
SHARED_CACHE_BACKEND = env_str("SHARED_CACHE_BACKEND", DATABASE_CACHE) or DATABASE_CACHE
CACHES: dict[str, dict[str, object]] = {
    # Per process: the scoreboards' memo (assessment.selectors), keyed by the data's stamp, so never stale.
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": SHARED_CACHE_BACKEND, "LOCATION": env_str("SHARED_CACHE_LOCATION", "kaohe_cache")},
}
if SHARED_CACHE_BACKEND == DATABASE_CACHE:
    # Past MAX_ENTRIES rows the database cache sweeps the expired ones, then culls a third of the rest: at its
    # default of 300 a busy morning would cull live counts; 20000 holds far more than one window's worth.
    CACHES["shared"]["OPTIONS"] = {"MAX_ENTRIES": 20_000}
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Idle timeout: the session cookie lives 30 minutes and is renewed on every request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = False  # renewed once a minute by accounts.middleware.SessionRenewalMiddleware
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "kaohe.web.views.csrf_failure"

# --- Security headers -----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0)
# How many reverse proxies stand in front, each appending its peer to X-Forwarded-For (core.clients): 0 means
# clients connect directly. Lockout and rate limits count by the client address this yields.
KAOHE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None

# --- Locale ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files (served by whitenoise; front-end packages come from npm) -----------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# kaohe/static/vendor/ is filled from node_modules by `make` (see scripts/vendor_assets.py).
STATICFILES_DIRS = [BASE_DIR / "kaohe" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "kaohe.core.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Per-year default from PRODUCT.md: townships see each other's scores once they are published.
KAOHE_DEMO_PASSWORD = env_str("KAOHE_DEMO_PASSWORD", "Kaohe@2026demo")

# SQLite (the embedded demo database) cannot enforce one unique constraint with NULL owners; PostgreSQL does.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# Evidence files (佐证材料) are private: stored under var/media and served only through permission-checked
# views, never as public static files.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
