"""kaohe.scoring is pure Python: importing and using it never loads Django (or anything of the project but itself)."""

from __future__ import annotations

import subprocess
import sys
import unittest

PROGRAM = """
import sys
import kaohe.scoring
from kaohe.scoring import fast
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django.") or
                (m.startswith("kaohe.") and not m.startswith("kaohe.scoring")))
print(",".join(loaded))
"""


class TestPurity(unittest.TestCase):
    def test_it_never_imports_django(self) -> None:
        out = subprocess.run([sys.executable, "-c", PROGRAM], check=True, capture_output=True, text=True)
        self.assertEqual(out.stdout.strip(), "")
