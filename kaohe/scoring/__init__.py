"""Kaohe's scoring engine: pure Python (never imports Django), exact, explained, fast.

Public API: rule_from_dict / plan_curve_from_list / grade_rule_from_dict (parse stored JSON), score_period (one
month, exact, with explanations), score_year (all months, vectorised, with on-demand per-month details), the
dataclasses in `types`, display helpers, and ENGINE_VERSION (persist it beside every published score run).
"""

from __future__ import annotations

from kaohe.scoring.display import exact_decimal, fmt_pct, fmt_points, fmt_pp, round_half_up
from kaohe.scoring.engine import ENGINE_VERSION, YearResult, score_month, score_period, score_year
from kaohe.scoring.errors import InputError, RuleError, ScoringError
from kaohe.scoring.fast import YearArrays, YearScores, score_arrays, to_arrays
from kaohe.scoring.parse import grade_rule_from_dict, plan_curve_from_list, rule_from_dict, rule_to_dict
from kaohe.scoring.schedule import evaluation_months, schedule_fraction, scheduled_amount
from kaohe.scoring.types import (
    ON_SCHEDULE as ON_SCHEDULE_STATUSES,
)
from kaohe.scoring.types import (
    STATUS_LABELS,
    Adjustment,
    AdjustmentCategory,
    AdjustmentKind,
    Basis,
    Direction,
    Frequency,
    GradeMethod,
    GradeRule,
    GradeStep,
    GroupWeights,
    IndicatorResult,
    IndicatorSpec,
    Kind,
    PeriodResult,
    Promotion,
    Rule,
    Scheme,
    Stage,
    Status,
    Target,
    TieBreak,
    Unit,
    UnitResult,
    Veto,
    VetoEffect,
    YearData,
)

__all__ = [
    "ENGINE_VERSION",
    "ON_SCHEDULE_STATUSES",
    "STATUS_LABELS",
    "Adjustment",
    "AdjustmentCategory",
    "AdjustmentKind",
    "Basis",
    "Direction",
    "Frequency",
    "GradeMethod",
    "GradeRule",
    "GradeStep",
    "GroupWeights",
    "IndicatorResult",
    "IndicatorSpec",
    "InputError",
    "Kind",
    "PeriodResult",
    "Promotion",
    "Rule",
    "RuleError",
    "Scheme",
    "ScoringError",
    "Stage",
    "Status",
    "Target",
    "TieBreak",
    "Unit",
    "UnitResult",
    "Veto",
    "VetoEffect",
    "YearArrays",
    "YearData",
    "YearResult",
    "YearScores",
    "evaluation_months",
    "exact_decimal",
    "fmt_pct",
    "fmt_points",
    "fmt_pp",
    "grade_rule_from_dict",
    "plan_curve_from_list",
    "round_half_up",
    "rule_from_dict",
    "rule_to_dict",
    "schedule_fraction",
    "scheduled_amount",
    "score_arrays",
    "score_month",
    "score_period",
    "score_year",
    "to_arrays",
]
