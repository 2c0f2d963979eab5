"""What `make demo` promises, end to end: gunicorn serves the demo district from an embedded SQLite file,
the login page renders, and every printed demo account logs in and sees only its own scope."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "Kaohe@2026demo"
# username → (text that must appear on the org page, text that must not)
SCOPES = {
    "kaoheban": ("白沙镇", None),
    "tongjiju": ("白沙镇", None),
    "qingshi_tb": ("青石镇", "白沙镇"),
    "qingshi_sj": ("青石镇", "白沙镇"),
    "shenhe": ("白沙镇", None),
    "lingdao": ("白沙镇", None),
    "ducha": ("白沙镇", None),
}
ADMINS = {"xitong": "/manage/system/", "anquan": "/accounts/users/", "shenji": "/manage/audit/"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}}
    env.update({"KAOHE_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "kaohe.settings"})
    kaohe = [sys.executable, "-m", "kaohe.cli"]
    for args in (["migrate", "-v0"], ["demo"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([*kaohe, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    server = subprocess.Popen(
        [*kaohe, "serve", "--port", str(port), "--workers", "2"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        # Workers import Django and NumPy before they answer; on a busy machine that takes seconds.
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def open_session(base: str, username: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the login form has a CSRF token"
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)})
    response = opener.open(urllib.request.Request(base + "/login/", data=form.encode(), headers={"Referer": base}))
    return opener, response.geturl()


@pytest.mark.smoke
def test_gunicorn_serves_the_login_page_with_its_assets(served: str) -> None:
    page = urllib.request.urlopen(served + "/login/").read().decode()
    assert "乡镇经济工作目标责任制考核" in page
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        assert urllib.request.urlopen(served + asset).status == 200, asset
    assert urllib.request.urlopen(served + "/healthz").read() == b'{"status": "ok", "database": "sqlite"}'


@pytest.mark.smoke
@pytest.mark.parametrize("username", sorted(SCOPES))
def test_each_business_account_logs_in_and_sees_its_scope(served: str, username: str) -> None:
    opener, landed = open_session(served, username)
    assert landed == served + "/", "login lands on the home page"
    org = opener.open(served + "/org/").read().decode()
    present, absent = SCOPES[username]
    assert present in org
    if absent:
        assert absent not in org
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(served + "/org/units/baisha/")
        assert caught.value.code == 404


@pytest.mark.smoke
@pytest.mark.parametrize("username", sorted(ADMINS))
def test_each_separated_admin_reaches_only_his_screen(served: str, username: str) -> None:
    opener, landed = open_session(served, username)
    assert landed == served + "/"
    assert opener.open(served + ADMINS[username]).status == 200
    for other in set(ADMINS.values()) - {ADMINS[username]} | {"/org/"}:
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(served + other)
        assert caught.value.code == 404
