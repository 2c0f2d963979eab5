"""Route inventory: every view declares its permission, and the matrix of who may open what holds.

Both tests walk the URL resolver, so a new view is covered the moment it is routed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kaohe.accounts.models import User
from kaohe.accounts.permissions import PERMISSION_LABELS, PUBLIC, ROLE_PERMISSIONS
from kaohe.test import ALL_ROLES, DEMO_MONTH, DEMO_YEAR, WorldTestCase

TOWNSHIP_ROLES = {"township_clerk", "township_leader"}


def iter_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from iter_patterns(entry, namespace)
        elif entry.name:
            yield f"{prefix}{entry.name}", entry


def declared_permission(pattern: URLPattern) -> str | None:
    view: Any = pattern.callback
    return getattr(view, "kaohe_permission", None) or getattr(
        getattr(view, "view_class", None), "kaohe_permission", None
    )


class RouteInventoryTests(WorldTestCase):
    def test_every_routed_view_declares_a_known_permission(self) -> None:
        missing = []
        for name, pattern in iter_patterns():
            permission = declared_permission(pattern)
            if permission != PUBLIC and permission not in PERMISSION_LABELS:
                missing.append(f"{name}: {permission!r}")
        self.assertEqual(missing, [], "views without a permission declaration")

    def test_only_login_and_health_are_public(self) -> None:
        public = sorted(name for name, pattern in iter_patterns() if declared_permission(pattern) == PUBLIC)
        self.assertEqual(public, ["healthz", "login"])


def _user(test: WorldTestCase, variant: str) -> int:
    return User.objects.get(username="qingshi_tb" if variant == "own" else "tongjiju").pk


def _unit(test: WorldTestCase, variant: str) -> str:
    return (test.own_unit if variant == "own" else test.other_unit).code


# A sample value for every URL parameter, for the township user's own township ("own") and another
# township ("other"). A new view with a new parameter must add its sample here.
SAMPLES: dict[str, Callable[[WorldTestCase, str], Any]] = {
    "code": _unit,
    "user_id": _user,
    "year": lambda test, variant: DEMO_YEAR,
    "month": lambda test, variant: DEMO_MONTH,
}
# Parameters naming an object that belongs to one township: township users may reach their own only.
UNIT_SCOPED: set[str] = {"code"}


class PermissionMatrixTests(WorldTestCase):
    """Every URL × every role × own unit / other unit → allowed, or 404."""

    def kwargs_for(self, pattern: URLPattern, variant: str) -> dict[str, Any]:
        kwargs = {}
        for key in pattern.pattern.regex.groupindex:
            self.assertIn(key, SAMPLES, f"add a sample value for URL parameter {key!r} to the permission matrix")
            kwargs[key] = SAMPLES[key](self, variant)
        return kwargs

    @staticmethod
    def expected_allowed(role: str, permission: str, unit_scoped: bool, variant: str) -> bool:
        if permission == PUBLIC:
            return True
        if permission not in ROLE_PERMISSIONS[role]:
            return False
        # Township users may reach their own township only; everyone else with the permission, all.
        return not (unit_scoped and role in TOWNSHIP_ROLES and variant == "other")

    def test_matrix(self) -> None:
        mismatches = []
        checked = 0
        for name, pattern in iter_patterns():
            permission = declared_permission(pattern)
            assert permission is not None
            unit_scoped = bool(UNIT_SCOPED & set(pattern.pattern.regex.groupindex))
            for variant in ("own", "other"):
                url = reverse(name, kwargs=self.kwargs_for(pattern, variant))
                for role in ALL_ROLES:
                    status = self.client_for(role).get(url).status_code
                    allowed = status != 404
                    expected = self.expected_allowed(role, permission, unit_scoped, variant)
                    checked += 1
                    if allowed != expected or status >= 500:
                        mismatches.append(
                            f"{role} GET {url} ({variant}) → {status}, expected {'allow' if expected else '404'}"
                        )
        self.assertEqual(mismatches, [])
        self.assertGreater(checked, 100)

    def test_anonymous_is_sent_to_login_everywhere_but_public_views(self) -> None:
        for name, pattern in iter_patterns():
            url = reverse(name, kwargs=self.kwargs_for(pattern, "own"))
            response = self.client.get(url)
            if declared_permission(pattern) == PUBLIC:
                self.assertIn(response.status_code, (200, 405), url)
            else:
                self.assertEqual(response.status_code, 302, url)
                self.assertTrue(response["Location"].startswith("/login/"), url)

    def test_unknown_unit_code_answers_a_chinese_404(self) -> None:
        response = self.client_for("district_leader").get("/org/units/no-such-unit/")
        self.assertEqual(response.status_code, 404)
        self.assertIn("页面不存在或您无权访问", response.content.decode())
