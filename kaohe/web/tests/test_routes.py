"""Route inventory: every view declares its permission, and the matrix of who may open what holds.

Both tests walk the URL resolver, so a new view is covered the moment it is routed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kaohe.accounts.models import User
from kaohe.accounts.permissions import PERMISSION_LABELS, PUBLIC, ROLE_PERMISSIONS
from kaohe.collection.models import Submission, Value
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Category, Indicator, ItemRecord, ItemType, Scheme, Target
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


def _department_indicator() -> str:
    """A department-owned indicator of the demo year (the department grid's key)."""
    rows = (
        Indicator.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="")
        .exclude(source="self")
        .order_by("sort_order")
    )
    return rows.values_list("code", flat=True)[0]


def _self_report(test: WorldTestCase, variant: str) -> Submission:
    unit = test.own_unit if variant == "own" else test.other_unit
    return Submission.objects.get(scheme__year=DEMO_YEAR, month=DEMO_MONTH, unit=unit, owner=None)


def _evidence_value(test: WorldTestCase, variant: str) -> int:
    """A value with an evidence file in the township's self-report of the demo month."""
    rows = Value.objects.filter(submission=_self_report(test, variant)).exclude(evidence="").order_by("pk")
    return rows.values_list("pk", flat=True)[0]


def _demo_target(test: WorldTestCase, variant: str) -> Target:
    unit = test.own_unit if variant == "own" else test.other_unit
    return Target.objects.filter(indicator__scheme__year=DEMO_YEAR, indicator__scheme__scenario="", unit=unit).order_by(
        "pk"
    )[0]


def _adjustment(test: WorldTestCase, variant: str) -> int:
    """A target adjustment of the township in the demo year (one is asked for if the demo has none)."""
    target = _demo_target(test, variant)
    existing = target.adjustments.order_by("pk").first()
    if existing is not None:
        return existing.pk
    return scheme_services.target_adjustment_request(
        target=target, effective_month=DEMO_MONTH, new_amount=target.amount + 1, reason="权限矩阵样例",
        by=test.users["district_admin"],
    ).pk  # fmt: skip


def _item_record(test: WorldTestCase, variant: str) -> int:
    """A bonus/deduction record of the township in the demo year (one is proposed if the demo has none)."""
    unit = test.own_unit if variant == "own" else test.other_unit
    existing = (
        ItemRecord.objects.filter(item_type__scheme__year=DEMO_YEAR, item_type__scheme__scenario="", unit=unit)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing.pk
    item_type = ItemType.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="", from_timeliness=False).order_by(
        "pk"
    )[0]
    return scheme_services.item_record_propose(
        item_type=item_type, unit=unit, month=DEMO_MONTH, reason="权限矩阵样例", by=test.users["district_admin"]
    ).pk


def _scenario(test: WorldTestCase, variant: str) -> str:
    """A scenario (模拟方案) of the demo year: only those who may simulate reach its pages."""
    official = Scheme.objects.published().get(year=DEMO_YEAR)
    found = Scheme.objects.scenarios().filter(year=DEMO_YEAR).first()
    if found is None:
        found = scheme_services.scenario_create(source=official, name="权限矩阵样例", by=test.users["district_admin"])
    return found.ref


# A sample value for every URL parameter, for the township user's own township ("own") and another
# township ("other"). A new view with a new parameter must add its sample here.
SAMPLES: dict[str, Callable[[WorldTestCase, str], Any]] = {
    "code": _unit,
    "department": lambda test, variant: "tongji",
    "category": lambda test, variant: (
        Category.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="").order_by("pk")[0].code
    ),
    "item_type": lambda test, variant: (
        ItemType.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="").order_by("pk")[0].code
    ),
    "user_id": _user,
    "year": lambda test, variant: DEMO_YEAR,
    "ref": _scenario,
    "month": lambda test, variant: DEMO_MONTH,
    "indicator": lambda test, variant: _department_indicator(),
    "submission_id": lambda test, variant: _self_report(test, variant).pk,
    "value_id": lambda test, variant: _evidence_value(test, variant),
    "indicator_id": lambda test, variant: (
        Indicator.objects.filter(scheme__year=DEMO_YEAR, scheme__scenario="").order_by("pk")[0].pk
    ),
    "target_id": lambda test, variant: _demo_target(test, variant).pk,
    "adjustment_id": _adjustment,
    "record_id": _item_record,
}
# Parameters naming an object that belongs to one township: township users may reach their own only.
UNIT_SCOPED: set[str] = {"code", "submission_id", "value_id", "target_id", "adjustment_id", "record_id"}


def sample_kwargs(test: WorldTestCase, pattern: URLPattern, variant: str) -> dict[str, Any]:
    """Sample values for a route's URL parameters (the own or another township's objects)."""
    kwargs = {}
    for key in pattern.pattern.regex.groupindex:
        test.assertIn(key, SAMPLES, f"add a sample value for URL parameter {key!r} to the permission matrix")
        kwargs[key] = SAMPLES[key](test, variant)
    return kwargs


class PermissionMatrixTests(WorldTestCase):
    """Every URL × every role × own unit / other unit → allowed, or 404."""

    def kwargs_for(self, pattern: URLPattern, variant: str) -> dict[str, Any]:
        return sample_kwargs(self, pattern, variant)

    @staticmethod
    def expected_allowed(role: str, permission: str, unit_scoped: bool, variant: str, scenario: bool = False) -> bool:
        if permission == PUBLIC:
            return True
        if permission not in ROLE_PERMISSIONS[role]:
            return False
        if scenario and "scheme.simulate" not in ROLE_PERMISSIONS[role]:
            return False  # a scenario's pages: never a township's
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
                    expected = self.expected_allowed(
                        role, permission, unit_scoped, variant, "ref" in pattern.pattern.regex.groupindex
                    )
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
