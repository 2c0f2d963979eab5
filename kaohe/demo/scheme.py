"""The demo district's assessment scheme: about 20 indicators from DOMAIN.md §3, weights summing to 100.

Several rule families are in use (ratio, combo, base_per_pp, piecewise_pp, bands, efficacy, per_item,
growth_vs_target), two groups weigh industry and services differently, and the item types cover
bonus, deduction (including 报表及时率) and veto.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CATEGORIES = [
    ("economy", "经济发展"),
    ("investment", "招商引资"),
    ("projects", "项目建设"),
    ("agriculture", "农业农村"),
]


@dataclass(frozen=True)
class DemoIndicator:
    code: str
    name: str
    unit: str
    kind: str
    owner: str  # department code
    source: str  # statistics / department / self
    weight: str
    category: str
    rule: dict[str, Any] | None
    base: str  # a mid-sized township's annual target (growth kinds: target growth in %)
    frequency: str = "monthly"
    group_weights: dict[str, str] = field(default_factory=dict)
    part_of: str = ""
    requires_evidence: bool = False
    decimals: int = 2
    counts: bool = True  # counts in the 序时 statistics
    stage_months: tuple[int, ...] = ()  # 分期目标月份: a column each in the targets workbook
    # 分期目标 as shares of each township's annual target, e.g. ((6, "0.42"), (9, "0.7")): 上半年 42 %, 前三季度 70 %.
    stage_shares: tuple[tuple[int, str], ...] = ()
    # Share of the year's total reached by the end of each month (seasonality of volumes).
    profile: str = "flat"


RATIO = {"family": "ratio", "basis": "annual", "cap": "1"}
RATIO_CAP_120 = {"family": "ratio", "basis": "annual", "cap": "1.2"}

INDICATORS: list[DemoIndicator] = [
    DemoIndicator("ybgg", "一般公共预算收入", "万元", "cumulative", "caizheng", "department", "10", "economy",
                  RATIO_CAP_120, "26000", profile="revenue"),
    DemoIndicator("shuishou", "税收收入", "万元", "cumulative", "shuiwu", "department", "6", "economy",
                  {"family": "base_per_pp", "basis": "annual", "over_points": "0.2", "max_bonus": "2",
                   "under": "proportional"}, "21000", profile="revenue"),
    DemoIndicator("gyzcz", "规上工业总产值", "万元", "cumulative", "tongji", "statistics", "6", "economy",
                  RATIO, "420000", group_weights={"service": "3"}, profile="industry"),
    DemoIndicator("gyzjz", "规上工业增加值增速", "%", "growth", "tongji", "statistics", "6", "economy",
                  {"family": "growth_vs_target", "over_points": "0.5", "under_points": "0.5", "max_bonus": "2",
                   "max_penalty": "6"}, "7.5", decimals=1),
    DemoIndicator("xrg", "新增规上工业企业", "个", "count", "tongji", "statistics", "4", "economy",
                  {"family": "bands", "basis": "annual", "bands": [{"min": "1", "points": "4"},
                                                                    {"min": "0.5", "points": "2"}]}, "4",
                  decimals=0, profile="lumpy"),
    DemoIndicator("gdzc", "固定资产投资", "万元", "cumulative", "tongji", "statistics", "8", "projects",
                  {"family": "base_per_pp", "basis": "schedule", "over_points": "0.1", "max_bonus": "2",
                   "under": "per_pp", "under_points": "0.1", "floor": "0"}, "180000", profile="investment",
                  stage_months=(6, 9), stage_shares=((6, "0.42"), (9, "0.7"))),
    DemoIndicator("gytz", "工业投资", "万元", "cumulative", "tongji", "statistics", "4", "projects", RATIO,
                  "80000", part_of="gdzc", profile="investment", stage_months=(6, 9),
                  stage_shares=((6, "0.4"), (9, "0.68"))),
    DemoIndicator("rkxm", "新入库固定资产投资项目", "个", "count", "fagai", "department", "4", "projects",
                  {"family": "ratio", "basis": "annual", "cap": "1"}, "10", decimals=0, profile="lumpy"),
    DemoIndicator("shelin", "社会消费品零售总额", "万元", "cumulative", "tongji", "statistics", "5", "economy",
                  RATIO, "160000", group_weights={"service": "8"}, profile="flat"),
    DemoIndicator("xsmy", "新增限上商贸企业", "户", "count", "shangwu", "department", "3", "economy", RATIO, "5",
                  decimals=0, profile="lumpy"),
    DemoIndicator("wmck", "外贸进出口总额", "万美元", "cumulative", "shangwu", "department", "3", "economy", RATIO,
                  "6000", profile="flat"),
    DemoIndicator("sjlywz", "实际利用外资", "万美元", "cumulative", "shangwu", "department", "3", "investment",
                  {"family": "base_per_pp", "basis": "annual", "over_points": "1", "over_step": "10",
                   "under": "per_pp", "under_points": "1", "under_step": "5", "whole_steps": True, "max_bonus": "2",
                   "floor": "0"}, "800", profile="lumpy"),
    DemoIndicator("dwzj", "招商引资实际到位资金", "万元", "cumulative", "shangwu", "self", "10", "investment",
                  RATIO, "60000", requires_evidence=True, profile="investment"),
    DemoIndicator("qyxm", "新签约亿元以上项目", "个", "count", "shangwu", "self", "0", "investment", None, "6",
                  decimals=0, profile="lumpy"),
    DemoIndicator("qyje", "签约项目投资总额", "万元", "cumulative", "shangwu", "self", "0", "investment", None,
                  "150000", profile="lumpy"),
    # Scored from its two parts (50 % count + 50 % amount, 2024年度全市招商引资考核): no figures of its own.
    DemoIndicator("qyzh", "招商签约综合完成率", "%", "cumulative", "shangwu", "self", "6", "investment",
                  {"family": "combo", "cap": "1", "basis": "annual",
                   "parts": [{"indicator": "qyxm", "share": "0.5"}, {"indicator": "qyje", "share": "0.5"}]}, "0",
                  counts=False),
    DemoIndicator("kgxm", "新开工亿元以上项目", "个", "count", "fagai", "self", "4", "projects",
                  {"family": "per_item", "points": "2", "cap": "4"}, "2", decimals=0, profile="lumpy"),
    DemoIndicator("zdxm", "重点项目年度投资", "万元", "cumulative", "fagai", "department", "8", "projects",
                  {"family": "piecewise_pp", "basis": "schedule", "base": "8", "limit": "2",
                   "segments": [{"from": "0", "to": "1", "per_pp": "-0.1"},
                                {"from": "1", "to": "1.3", "per_pp": "0.05"},
                                {"from": "1.3", "per_pp": "0.02"}]}, "90000", profile="investment"),
    DemoIndicator("sjzj", "争取上级资金", "万元", "cumulative", "caizheng", "department", "4", "economy",
                  {"family": "efficacy", "pool": "group"}, "5000", profile="lumpy"),
    DemoIndicator("nlmy", "农林牧渔业总产值", "万元", "cumulative", "tongji", "statistics", "3", "agriculture",
                  RATIO, "70000", frequency="quarterly", profile="agriculture"),
    DemoIndicator("ncsr", "农村居民人均可支配收入增速", "%", "growth", "tongji", "statistics", "3", "agriculture",
                  {"family": "growth_vs_target", "over_points": "0.5", "under_points": "1", "max_bonus": "1",
                   "max_penalty": "3"}, "6.5", frequency="quarterly", decimals=1),
]  # fmt: skip

ITEM_TYPES = [
    # kind, code, name, points each, cap, veto effect, owner, computed from 报表及时率
    ("bonus", "zdxmpz", "新进入全市重点项目盘子", "1", "3", "", "fagai", False),
    ("bonus", "tsgx", "特殊贡献加分", None, "5", "", "", False),
    ("deduction", "bbjs", "报表报送不及时", "0.5", "3", "", "tongji", True),
    ("deduction", "dbyq", "督办事项逾期", "1", "5", "", "ducha", False),
    ("veto", "aqsc", "安全生产重大责任事故", None, None, "fail_grade", "yingji", False),
]

GRADE_RULE = {
    "method": "bands",
    "bands": [{"min": "90", "grade": "优秀"}, {"min": "80", "grade": "良好"}, {"min": "60", "grade": "合格"}],
    "else": "不合格",
}

# Cumulative share of the year reached by the end of month 1..12, per seasonal profile.
PROFILES: dict[str, list[str]] = {
    "flat": ["0.075", "0.15", "0.235", "0.315", "0.4", "0.49", "0.57", "0.655", "0.745", "0.83", "0.915", "1"],
    "revenue": ["0.11", "0.19", "0.28", "0.37", "0.45", "0.54", "0.62", "0.69", "0.77", "0.84", "0.92", "1"],
    "industry": ["0.07", "0.13", "0.22", "0.3", "0.39", "0.49", "0.57", "0.65", "0.74", "0.83", "0.91", "1"],
    "investment": ["0.04", "0.09", "0.17", "0.25", "0.34", "0.45", "0.53", "0.62", "0.72", "0.81", "0.9", "1"],
    "lumpy": ["0", "0.08", "0.17", "0.25", "0.33", "0.42", "0.5", "0.58", "0.67", "0.75", "0.83", "1"],
    "agriculture": ["0.05", "0.1", "0.2", "0.27", "0.35", "0.5", "0.58", "0.65", "0.78", "0.86", "0.93", "1"],
}

# Each township's size (scales its targets) and pace (its performance against the target).
UNIT_PROFILES: dict[str, tuple[str, str]] = {
    "qingshi": ("1.4", "1.12"),
    "baisha": ("1.1", "0.97"),
    "longquan": ("1.3", "1.05"),
    "jinqiao": ("1.2", "1.18"),
    "shimen": ("0.9", "0.86"),
    "qinghe": ("0.8", "1.01"),
    "songlin": ("0.7", "0.9"),
    "taoyuan": ("0.6", "1.08"),
    "liutang": ("0.5", "0.78"),
    "meiling": ("0.5", "0.94"),
    "chengguan": ("1.0", "1.1"),
    "donghu": ("0.9", "1.03"),
    "xishan": ("0.7", "0.92"),
    "nanyuan": ("0.6", "0.99"),
}
# 招商引资 call-outs for the bulletin: one township has arrived nothing, another barely anything.
ZERO_INVESTMENT_UNIT = "meiling"
NEAR_ZERO_INVESTMENT_UNIT = "songlin"  # about 2 % of its target

# Industry-led townships weigh industry more; service-led ones weigh consumption more.
INDUSTRY_FREE_UNITS = {"chengguan", "donghu", "xishan", "nanyuan"}


def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)
