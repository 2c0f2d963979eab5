"""What `make demo` promises, end to end: gunicorn serves the demo district from an embedded SQLite file,
the login page renders, and every printed demo account logs in and sees only its own scope."""

from __future__ import annotations

import http.cookiejar
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from kaohe import serving

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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}}
    env.update({"KAOHE_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "kaohe.settings"})
    for args in (["migrate", "-v0"], ["demo"], ["collectstatic", "--noinput", "-v0"]):
        serving.kaohe(env, *args)
    with serving.served(env, workers=2) as base:
        yield base


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
