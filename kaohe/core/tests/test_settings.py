"""Start-up configuration errors name the setting in Chinese and never show a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run_kaohe(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}}
    environment.update({"KAOHE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kaohe.settings", **env})
    return subprocess.run(
        [sys.executable, "-m", "kaohe.cli", *args], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL 格式不正确"),
        ({"DATABASE_URL": "mysql://root@127.0.0.1/kaohe"}, "DATABASE_URL 使用了不支持的数据库"),
        ({"DATABASE_URL": "postgres://127.0.0.1:5432/"}, "DATABASE_URL 缺少数据库名"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}, "必须设置环境变量 SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG 的取值"),
        ({"DATABASE_OWNER_URL": "postgres://owner@127.0.0.1/kaohe"}, "DATABASE_URL 也须是 PostgreSQL"),
        (
            {
                "DATABASE_URL": "postgres://app@127.0.0.1/kaohe",
                "SECRET_KEY": "k" * 50,
                "DATABASE_OWNER_URL": "postgres://owner@127.0.0.1/other",
            },
            "DATABASE_OWNER_URL 的数据库 'other' 与 DATABASE_URL 的 'kaohe' 不同",
        ),
        ({"DATABASE_OWNER_URL": "owner"}, "DATABASE_OWNER_URL 格式不正确"),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_clear_message(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = run_kaohe(tmp_path, "check", **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.smoke
def test_the_embedded_default_generates_a_secret_key_under_var(tmp_path: Path) -> None:
    result = run_kaohe(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_production_settings_hash_with_argon2_and_run_sqlite_in_wal(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PASSWORD_HASHERS[0]); print(s.DATABASES['default']['OPTIONS']['init_command']); "
        "print(s.TIME_ZONE, s.LANGUAGE_CODE, s.DEBUG)"
    )
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}}
    environment.update({"KAOHE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kaohe.settings"})
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "journal_mode=WAL" in out[1]
    assert out[2] == "Asia/Shanghai zh-hans False"
