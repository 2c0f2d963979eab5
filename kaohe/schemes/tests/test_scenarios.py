"""A year has one official scheme and any number of scenarios beside it: every lookup says which it means."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]  # the kaohe package
LOOKUP = re.compile(r"Scheme\.objects\.(?!official\(\)|published\(\)|scenarios\(\)|select_for_update\(\)\.get\(pk=)")


class SchemeLookupTests(SimpleTestCase):
    def test_every_scheme_lookup_names_official_published_or_scenarios(self) -> None:
        found = [
            f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for path in sorted(ROOT.rglob("*.py"))
            if "tests" not in path.parts and "migrations" not in path.parts
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            if LOOKUP.search(line)
        ]
        self.assertEqual(found, [], "a scheme looked up by year alone would find a scenario as the year's scheme")

    def test_the_scan_sees_a_bare_lookup(self) -> None:
        self.assertTrue(LOOKUP.search("scheme = Scheme.objects.filter(year=year).first()"))
        self.assertFalse(LOOKUP.search("scheme = Scheme.objects.official().filter(year=year).first()"))
