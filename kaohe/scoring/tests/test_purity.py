"""kaohe.scoring is pure Python: importing and using it never loads Django (or anything of the project but itself)."""

from __future__ import annotations

import ast
import subprocess
import sys
import unittest
from graphlib import TopologicalSorter
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[2]  # the kaohe package
SCORING = ROOT / "scoring"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT.parent).parent.parts)
    found: list[tuple[int, str]] = []
    # Imports under `if TYPE_CHECKING:` are for annotations only and never run: they cannot close a cycle.
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]) if base else ".".join(parent)
            found.append((node.lineno, base))
            # `from kaohe.scoring import fast` names a module too
            found += [
                (node.lineno, f"{base}.{a.name}")
                for a in node.names
                if (ROOT.parent / base.replace(".", "/") / f"{a.name}.py").exists()
            ]
    return found


class TestPublicApi(unittest.TestCase):
    def test_callers_import_only_the_package(self) -> None:
        """Outside kaohe/scoring, benchmarks included, code reaches the engine through `kaohe.scoring` alone (tests may
        share the engine's test helpers in `kaohe.scoring.tests`)."""
        offenders = [
            f"{path.relative_to(ROOT.parent)}:{line} imports {module}"
            for path in sorted([*ROOT.rglob("*.py"), *(ROOT.parent / "benchmarks").rglob("*.py")])
            if SCORING not in path.parents
            for line, module in imports(path)
            if module.startswith("kaohe.scoring.") and not module.startswith("kaohe.scoring.tests")
        ]
        self.assertEqual(offenders, [])

    def test_its_modules_import_one_another_without_cycles(self) -> None:
        modules = {
            ".".join(("kaohe", *p.relative_to(ROOT).with_suffix("").parts)): p
            for p in SCORING.glob("*.py")
            if p.name != "__init__.py"
        }
        graph = {name: {m for _, m in imports(path) if m in modules and m != name} for name, path in modules.items()}
        order = list(TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
        self.assertEqual(sorted(order), sorted(modules))
        self.assertNotIn("kaohe.scoring", {m for path in modules.values() for _, m in imports(path)})
