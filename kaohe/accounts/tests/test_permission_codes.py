"""Apps decide what a user may do by permission code (`user.has_kaohe_perm`, `role_has`), never by comparing role
names: a role's permissions live in one table (`ROLE_PERMISSIONS`), so a district can change who reviews or
unlocks there and nowhere else. Only the accounts app, which defines the roles, reads them."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]  # the kaohe package
ROLE_COMPARISON = re.compile(r"\.role\s*(==|!=|not\s+in\b|in\b)")


class PermissionCodesTests(SimpleTestCase):
    def test_no_app_outside_accounts_compares_role_names(self) -> None:
        offenders = []
        for path in sorted(ROOT.rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if parts[0] == "accounts" or "tests" in parts or "migrations" in parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ROLE_COMPARISON.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
        self.assertEqual(offenders, [])

    def test_the_pattern_finds_what_it_forbids(self) -> None:
        for line in ("if by.role != Role.DISTRICT_ADMIN:", "user.role in (Role.A, Role.B)", "u.role not in X"):
            self.assertTrue(ROLE_COMPARISON.search(line), line)
        self.assertIsNone(ROLE_COMPARISON.search("role_has(user.role, 'data.enter')"))
