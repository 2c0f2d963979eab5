"""Benchmark of the Excel import: a province-size file (2,000 townships × 40 indicators) validated and committed.

    KAOHE_TEST_DB_NAME=bench_import python benchmarks/bench_import.py              # 2,000 × 40, best of 3
    python benchmarks/bench_import.py --units 500 --indicators 20 --repeat 1       # any size

Builds a synthetic district in a throw-away PostgreSQL database (Django's test-database machinery, named by
KAOHE_TEST_DB_NAME, default bench_import), writes the department's values template with templates_xlsx, fills
every cell, and measures, best of --repeat runs:

  (a) the bare python_calamine read of the file (the floor: no checks, no Decimals, no database);
  (b) kaohe.lib.xlsx.read_workbook (the zip/XML checks, then the read, numbers as Decimal);
  (c) the whole import, importers.import_file: (b), then every cell validated and everything committed in one
      transaction: the values, one change-log row per value and one IMPORT row. Measured for a first import
      (80,000 new values in 2,000 new submissions) and a re-import changing every value (80,000 updates).

Also printed: a dry run (read and validate, no writes), and the database's floor for the same rows: a bare COPY of
80,000 values and 80,000 change-log rows, committed, with no reading, no checks and no Python per row.

Goals (PRODUCT.md): (c) ≤ 5 s and ≤ 4 × (a).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.settings_test")
os.environ.setdefault("KAOHE_TEST_DB_NAME", "bench_import")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from kaohe.accounts.choices import Role  # noqa: E402
from kaohe.accounts.models import User  # noqa: E402
from kaohe.collection import importers, templates_xlsx  # noqa: E402
from kaohe.collection.models import Submission, Value  # noqa: E402
from kaohe.core.models import ChangeLog  # noqa: E402
from kaohe.lib import xlsx  # noqa: E402
from kaohe.org.choices import UnitKind  # noqa: E402
from kaohe.org.models import Department, Unit  # noqa: E402
from kaohe.schemes import services as scheme_services  # noqa: E402
from kaohe.schemes.models import Indicator, Scheme  # noqa: E402

YEAR = 2030
GOAL_SECONDS = 5.0
GOAL_RATIO = 4.0


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "?",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return f"{os.cpu_count()} CPU ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB RAM, Python {platform.python_version()}"


def build_district(units: int, indicators: int) -> User:
    """A district of `units` townships, one department owning `indicators` indicators of a published scheme."""
    district = Unit.objects.create(code="bench", name="基准区", kind=UnitKind.DISTRICT)
    Unit.objects.bulk_create(
        Unit(code=f"z{k:05d}", name=f"基准镇{k:05d}", kind=UnitKind.TOWN, parent=district, sort_order=k)
        for k in range(units)
    )
    department = Department.objects.create(code="tongji", name="区统计局", short_name="统计局")
    officer = User.objects.create_user(username="tongjiju", password="unused-Bench-1", role=Role.DEPT_OFFICER,
                                       department=department)  # fmt: skip
    admin = User.objects.create_user(username="kaoheban", password="unused-Bench-1", role=Role.DISTRICT_ADMIN)
    scheme = scheme_services.scheme_create(year=YEAR, name=f"{YEAR}年基准方案", by=admin)
    category = scheme_services.category_create(scheme=scheme, code="economy", name="经济发展", by=admin)
    weight = Decimal(100) / indicators
    Indicator.objects.bulk_create(
        Indicator(
            scheme=scheme, category=category, code=f"i{k:03d}", name=f"基准指标{k:03d}", unit="万元",
            kind="cumulative", owner=department, source="statistics", weight=weight, decimal_places=2, sort_order=k,
        )
        for k in range(indicators)
    )  # fmt: skip
    scheme_services.scheme_publish(scheme=scheme, by=admin)
    return officer


def filled_file(officer: User, month: int, rng: random.Random) -> bytes:
    """The department's template for the month (as downloaded), every value cell filled in."""
    grid = templates_xlsx.values_grid(user=officer, year=YEAR, month=month)
    rows = [replace(row, values=[Decimal(rng.randrange(0, 10**9)) / 100 for _ in grid.columns]) for row in grid.rows]
    return templates_xlsx.render(replace(grid, rows=rows))


def copy_floor(officer: User, run: int) -> float:
    """What PostgreSQL needs at least for the rows of a first import, whatever the application does: one COPY of
    the values and one of their change-log rows, committed (foreign keys are checked at commit). The submissions
    (of a department made for the run) and the text are prepared before the clock starts."""
    department = Department.objects.create(code=f"floor{run}", name=f"下限{run}")
    scheme = Scheme.objects.get(year=YEAR)
    subs = Submission.objects.bulk_create(
        Submission(scheme=scheme, unit=unit, month=1, owner=department) for unit in Unit.objects.filter(kind="town")
    )
    indicators = list(Indicator.objects.filter(scheme=scheme).values_list("pk", flat=True))
    now = timezone.now().isoformat()
    values = "".join(
        f"{now}\t{now}\t{sub.pk}\t{ind}\t{sub.pk % 997}.{ind % 100:02d}\tf\t\t\t{officer.pk}\n"
        for sub in subs
        for ind in indicators
    )
    after = '{"amount": "1.25", "is_revision": false, "note": "", "evidence": ""}'
    logs = "".join(
        f"{now}\t{officer.pk}\ttongjiju\tdept_officer\ttongji\t\\N\t\tcreate\tcollection.value\t{k}\t"
        f"基准镇00001 基准指标001 1-1月\t\\N\t{after}\tExcel 导入：bench.xlsx\tt\n"
        for k in range(len(subs) * len(indicators))
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY collection_value (created_at, updated_at, submission_id, indicator_id, amount, is_revision, note, "
            "evidence, entered_by_id) FROM STDIN"
        ) as copy:
            copy.write(values)
        with cursor.cursor.copy(
            "COPY core_changelog (at, actor_id, actor_username, actor_role, actor_scope, ip, request_id, action, "
            "object_type, object_id, object_repr, before, after, reason, success) FROM STDIN"
        ) as copy:
            copy.write(logs)
    return time.perf_counter() - start


def best(repeat: int, run: Callable[[int], Any]) -> tuple[float, Any]:
    """The fastest of `repeat` runs of run(i), and the last result."""
    times, result = [], None
    for i in range(repeat):
        start = time.perf_counter()
        result = run(i)
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"database: {connection.vendor}, test database {os.environ['KAOHE_TEST_DB_NAME']!r}")
    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        return measure(args.units, args.indicators, args.repeat)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)


def measure(units: int, indicators: int, repeat: int) -> int:
    rng = random.Random(20260101)
    start = time.perf_counter()
    officer = build_district(units, indicators)
    print(f"district: {units:,} townships × {indicators} indicators = {units * indicators:,} cells "
          f"(built in {time.perf_counter() - start:.1f} s)")  # fmt: skip
    start = time.perf_counter()
    files = {month: filled_file(officer, month, rng) for month in range(1, repeat + 1)}
    print(f"template: {len(files[1]) / 1024:.0f} KiB, written in {(time.perf_counter() - start) / repeat:.2f} s")
    data = files[1]

    def bare(_: int) -> int:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return len(book.get_sheet_by_name(templates_xlsx.VALUES_SHEET).to_python())

    t_bare, _ = best(repeat, bare)
    t_read, _ = best(repeat, lambda _: xlsx.read_workbook(data, filename="bench.xlsx"))
    t_dry, report = best(
        repeat, lambda _: importers.import_file(data=data, filename="b.xlsx", by=officer, dry_run=True)
    )
    assert report.ok and report.created == units * indicators, report.lines()

    # First import: a fresh month each run, so every run creates every value.
    logged = ChangeLog.objects.count()
    t_create, report = best(
        repeat, lambda i: importers.import_file(data=files[i + 1], filename=f"bench-{i + 1}.xlsx", by=officer)
    )
    assert report.ok and report.created == units * indicators, report.lines()
    assert Value.objects.count() == repeat * units * indicators
    assert ChangeLog.objects.count() - logged == repeat * (units * indicators + 1)

    # Re-import changing every value, from the template as downloaded now (current versions).
    changed = {month: filled_file(officer, month, rng) for month in files}
    t_update, report = best(
        repeat, lambda i: importers.import_file(data=changed[i + 1], filename="bench-u.xlsx", by=officer)
    )
    assert report.ok and report.updated == units * indicators, report.lines()
    t_floor = min(copy_floor(officer, run) for run in range(repeat))

    print(f"(a) bare python_calamine read      {t_bare:7.3f} s")
    print(f"(b) read_workbook (checks + read)  {t_read:7.3f} s   {t_read / t_bare:5.1f} × (a)")
    print(f"    validate only (dry run)        {t_dry:7.3f} s   {t_dry / t_bare:5.1f} × (a)")
    print(f"(c) import, {units * indicators:,} new values       {t_create:7.3f} s   {t_create / t_bare:5.1f} × (a)")
    print(f"(c) import, {units * indicators:,} changed values   {t_update:7.3f} s   {t_update / t_bare:5.1f} × (a)")
    print(f"    floor: COPY the same rows      {t_floor:7.3f} s   {t_floor / t_bare:5.1f} × (a)   (no checks)")
    worst = max(t_create, t_update)
    time_ok, ratio_ok = worst <= GOAL_SECONDS, worst / t_bare <= GOAL_RATIO
    print(f"goal ≤ {GOAL_SECONDS:g} s: {'met' if time_ok else 'NOT met'} ({worst:.2f} s)")
    print(f"goal ≤ {GOAL_RATIO:g} × bare read: {'met' if ratio_ok else 'NOT met'} ({worst / t_bare:.1f} ×)")
    return 0 if time_ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
