"""Benchmark of the scoring engine: full-year scoring at province and national scale.

    python benchmarks/bench_scoring.py                 # province (2,000 units) and national (40,000 units)
    python benchmarks/bench_scoring.py --scale province --repeat 3
    python benchmarks/bench_scoring.py --units 500     # any size

Each scale runs in a fresh subprocess, so peak memory (VmHWM) belongs to that scale alone. The synthetic scheme has
40 indicators × 12 months with every rule family, groups, staged targets, plan curves, quarterly and annual
indicators, bonus/deduction items and vetoes. Reported beside the engine: a bare NumPy pass over the same arrays
(float completion × weight, summed and ranked per month), the floor no engine can beat, and the ratio to it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kaohe.scoring import (
    Adjustment,
    AdjustmentCategory,
    AdjustmentKind,
    Frequency,
    IndicatorSpec,
    Kind,
    Scheme,
    Stage,
    TieBreak,
    Unit,
    Veto,
    VetoEffect,
    YearArrays,
    grade_rule_from_dict,
    rule_from_dict,
    score_arrays,
)

SCALES = {"province": 2_000, "national": 40_000}
GOALS = {"province": (2.0, None), "national": (30.0, 4.0)}
D = Decimal


def _spec(code: str, kind: Kind, weight: str, rule: dict[str, Any] | None, **kw: Any) -> IndicatorSpec:
    return IndicatorSpec(code, kind, D(weight), None if rule is None else rule_from_dict(rule), **kw)


def build_scheme(n_units: int, n_groups: int) -> Scheme:
    """40 indicators: every family, mostly the common ratio-type ones, as a district's scheme would be."""
    specs = []
    curve = tuple(
        D(x) for x in ("0.04", "0.1", "0.2", "0.28", "0.36", "0.48", "0.56", "0.64", "0.74", "0.84", "0.92", "1")
    )
    for k in range(18):
        cap = "1.2" if k % 4 == 0 else "1"
        basis = "schedule" if k % 5 == 0 else "annual"
        specs.append(
            _spec(
                f"r{k}",
                Kind.CUMULATIVE,
                "2.5",
                {"family": "ratio", "cap": cap, "basis": basis},
                plan_curve=curve if k % 7 == 3 else None,
                frequency=Frequency.QUARTERLY if k % 8 == 5 else Frequency.MONTHLY,
            )
        )
    specs.append(_spec("part_n", Kind.COUNT, "0", None))
    specs.append(_spec("part_amt", Kind.CUMULATIVE, "0", None))
    combo = {
        "family": "combo",
        "parts": [{"indicator": "part_n", "share": "0.5"}, {"indicator": "part_amt", "share": "0.5"}],
    }
    specs.append(_spec("combo", Kind.CUMULATIVE, "3", combo))
    for k in range(4):
        specs.append(
            _spec(
                f"b{k}",
                Kind.CUMULATIVE,
                "3",
                {
                    "family": "base_per_pp",
                    "base": "3",
                    "over_points": "0.05",
                    "max_bonus": "1",
                    "basis": "schedule" if k % 2 else "annual",
                },
            )
        )
    segments = [
        {"from": "0", "to": "1", "per_pp": "-0.1"},
        {"from": "1", "to": "1.3", "per_pp": "0.2"},
        {"from": "1.3", "per_pp": "0.1"},
    ]
    for k in range(3):
        specs.append(
            _spec(f"p{k}", Kind.CUMULATIVE, "0", {"family": "piecewise_pp", "segments": segments, "limit": "10"})
        )
    bands = [{"min": "1", "points": "4"}, {"min": "0.8", "points": "3"}, {"min": "0.5", "points": "2"}]
    for k in range(3):
        specs.append(_spec(f"d{k}", Kind.COUNT, "4", {"family": "bands", "bands": bands}))
    specs.append(_spec("eff", Kind.CUMULATIVE, "4", {"family": "efficacy"}))
    specs.append(_spec("eff_all", Kind.CUMULATIVE, "4", {"family": "efficacy", "pool": "all"}))
    specs.append(
        _spec("rank", Kind.CUMULATIVE, "6", {"family": "rank_points", "points": ["6", "5.7", "5.4", "5.1", "4.8"]})
    )
    specs.append(
        _spec("rank_c", Kind.CUMULATIVE, "6", {"family": "rank_points", "points": ["6", "5", "4"], "by": "completion"})
    )
    specs.append(_spec("share", Kind.CUMULATIVE, "5", {"family": "share_of_total"}))
    specs.append(_spec("items", Kind.COUNT, "0", {"family": "per_item", "points": "2", "cap": "6"}))
    specs.append(_spec("events", Kind.COUNT, "5", {"family": "per_event", "points": "1.5"}))
    specs.append(
        _spec(
            "growth",
            Kind.GROWTH,
            "5",
            {
                "family": "growth_vs_target",
                "over_points": "0.4",
                "under_points": "0.4",
                "max_bonus": "2",
                "max_penalty": "5",
            },
        )
    )
    specs.append(_spec("annual", Kind.ANNUAL, "3", {"family": "ratio"}, frequency=Frequency.ANNUAL))
    assert len(specs) == 40, len(specs)
    units = tuple(Unit(f"u{k:05d}", f"g{k % n_groups:03d}") for k in range(n_units))
    categories = (
        AdjustmentCategory("project", AdjustmentKind.BONUS, D("6")),
        AdjustmentCategory("report", AdjustmentKind.DEDUCTION, D("3")),
    )
    grades = grade_rule_from_dict(
        {"method": "bands", "bands": [{"min": "90", "grade": "优秀"}, {"min": "80", "grade": "良好"}], "else": "一般"}
    )
    return Scheme(tuple(specs), units, categories, grades, TieBreak.ON_SCHEDULE_COUNT)


def build_arrays(scheme: Scheme, seed: int = 7) -> YearArrays:
    """Cumulative values that grow through the year around each unit's pace, with gaps, 4-decimal amounts."""
    rng = np.random.default_rng(seed)
    n_i, n_u, months = len(scheme.indicators), len(scheme.units), 12
    targets = rng.integers(100 * 10**4, 5_000_000 * 10**4, size=(n_i, n_u), dtype=np.int64)
    pace = rng.uniform(0.6, 1.4, size=(n_i, 1, n_u))
    wobble = rng.uniform(0.97, 1.03, size=(n_i, months, n_u))
    fraction = np.arange(1, months + 1)[None, :, None] / 12
    values = (targets[:, None, :] * fraction * pace * wobble).astype(np.int64)
    values = np.maximum.accumulate(values, axis=1)
    for i, spec in enumerate(scheme.indicators):
        if spec.kind is Kind.GROWTH:  # growth rates in %, targets around 6 %
            targets[i] = rng.integers(4 * 10**4, 9 * 10**4, size=n_u)
            values[i] = rng.integers(-2 * 10**4, 14 * 10**4, size=(months, n_u))
        elif spec.kind is Kind.COUNT:
            targets[i] = rng.integers(2, 30, size=n_u) * 10**4
            values[i] = np.minimum.accumulate(rng.integers(0, 40, size=(months, n_u))[::-1], axis=0)[::-1] * 10**4
    reported = rng.random((n_i, months, n_u)) > 0.03
    has_target = rng.random((n_i, n_u)) > 0.02
    for i, spec in enumerate(scheme.indicators):
        if spec.rule is not None and spec.rule.family == "combo":
            reported[i], has_target[i], values[i], targets[i] = False, False, 0, 0
    stages: dict[tuple[int, int], tuple[Stage, ...]] = {}
    for u in range(0, n_u, 50):  # 2 % of units have staged targets on the first indicator
        t = D(int(targets[0, u])).scaleb(-4)
        stages[0, u] = tuple(
            Stage(m, (t * D(f)).quantize(D("0.0001"))) for m, f in ((3, "0.2"), (6, "0.45"), (9, "0.7"))
        )
        has_target[0, u] = True
    adjustments = tuple(
        Adjustment(scheme.units[u].code, "project" if u % 2 else "report", D(2), int(1 + u % 12))
        for u in range(0, n_u, 7)
    )
    vetoes = tuple(Veto(scheme.units[u].code, VetoEffect.ZERO_TOTAL, 6) for u in range(0, n_u, 997))
    return YearArrays(
        units=tuple(u.code for u in scheme.units),
        groups=tuple(u.group for u in scheme.units),
        indicators=tuple(s.code for s in scheme.indicators),
        through=months,
        values=values,
        reported=reported,
        targets=targets,
        has_target=has_target,
        stages=stages,
        adjustments=adjustments,
        vetoes=vetoes,
    )


def numpy_floor(scheme: Scheme, arrays: YearArrays) -> None:
    """The least any engine must do: completion × weight, capped, summed per unit, ranked per month."""
    weights = np.array([float(s.weight) for s in scheme.indicators])[:, None, None]
    t = np.where(arrays.has_target, arrays.targets, 1).astype(np.float64)[:, None, :]
    c = np.where(arrays.reported, arrays.values / t, 0.0)
    totals = (np.minimum(c, 1.2) * weights).sum(axis=0)
    np.argsort(-totals, axis=1)


def _peak_rss_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return float("nan")  # pragma: no cover


def run_one(n_units: int, repeat: int) -> dict[str, Any]:
    scheme = build_scheme(n_units, max(n_units // 200, 1))
    arrays = build_arrays(scheme)
    rss_inputs = _peak_rss_gb()
    floor = []
    for _ in range(repeat):
        start = time.perf_counter()
        numpy_floor(scheme, arrays)
        floor.append(time.perf_counter() - start)
    times = []
    fallbacks = 0
    for _ in range(repeat):
        scores = None  # let the previous run's results go before the next one is measured
        start = time.perf_counter()
        scores = score_arrays(scheme, arrays)
        times.append(time.perf_counter() - start)
        fallbacks = scores.fallbacks
    return {
        "units": n_units,
        "indicators": len(scheme.indicators),
        "months": 12,
        "cells": len(scheme.indicators) * 12 * n_units,
        "engine_s": min(times),
        "floor_s": min(floor),
        "ratio": min(times) / min(floor),
        "peak_rss_gb": _peak_rss_gb(),
        "inputs_rss_gb": rss_inputs,
        "exact_fallbacks": fallbacks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=[*SCALES, "all"], default="all")
    parser.add_argument("--units", type=int, help="score this many units instead of a named scale")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scale; the best time is reported")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.units, args.repeat)))
        return 0
    runs = {"custom": args.units} if args.units else SCALES if args.scale == "all" else {args.scale: SCALES[args.scale]}
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or platform.platform()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    ok = True
    for name, units in runs.items():
        cmd = [sys.executable, __file__, "--child", "--units", str(units), "--repeat", str(args.repeat)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        goal_s, goal_gb = GOALS.get(name, (None, None))
        verdict = ""
        if goal_s is not None:
            met = r["engine_s"] <= goal_s and (goal_gb is None or r["peak_rss_gb"] <= goal_gb)
            ok &= met
            verdict = (
                f"  goal ≤ {goal_s:g} s" + (f", ≤ {goal_gb:g} GB" if goal_gb else "") + (": met" if met else ": MISSED")
            )
        print(
            f"{name:9} {r['units']:>6} units × {r['indicators']} × {r['months']} = {r['cells']:>10,} cells: "
            f"engine {r['engine_s']:.2f} s, NumPy floor {r['floor_s']:.3f} s, ratio {r['ratio']:.0f}×, "
            f"peak RSS {r['peak_rss_gb']:.2f} GB (inputs {r['inputs_rss_gb']:.2f} GB), "
            f"exact fallbacks {r['exact_fallbacks']}{verdict}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
