"""The named test world: the demo district (云溪区) with one user per role, plus login helpers."""

from __future__ import annotations

from typing import ClassVar

from django.test import Client, TestCase

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.demo import services as demo
from kaohe.org.models import Unit

OWN_UNIT = "qingshi"  # the demo's township clerk and leader belong here
OTHER_UNIT = "baisha"
DEMO_YEAR = demo.DEMO_YEAR
DEMO_MONTH = demo.DEMO_MONTH  # the latest month with data in the demo


class WorldTestCase(TestCase):
    """TestCase on the demo district (loaded once per test session by conftest.py).

    `self.users[role]` is the demo's account of that role.
    """

    users: ClassVar[dict[str, User]]
    own_unit: ClassVar[Unit]
    other_unit: ClassVar[Unit]

    @classmethod
    def setUpTestData(cls) -> None:
        accounts = {a.username for a in demo.ACCOUNTS}
        cls.users = {u.role: u for u in User.objects.filter(username__in=accounts).select_related("unit", "department")}
        cls.own_unit = Unit.objects.get(code=OWN_UNIT)
        cls.other_unit = Unit.objects.get(code=OTHER_UNIT)

    def client_for(self, role: str) -> Client:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(self.users[role])
        return client


ALL_ROLES = [r.value for r in Role]
