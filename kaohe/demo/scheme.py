"""How the demo district's figures behave: seasonality per indicator, each township's pace, and the events.

The scheme itself (categories, indicators, rules, items) and every township's targets are not here: they are the
workbooks in `workbooks/`, read through the district's own imports. Only the monthly figures are generated, and
these are the parameters they follow.
"""

from __future__ import annotations

from decimal import Decimal

# Cumulative share of the year reached by the end of month 1..12, per seasonal profile.
PROFILES: dict[str, list[str]] = {
    "flat": ["0.075", "0.15", "0.235", "0.315", "0.4", "0.49", "0.57", "0.655", "0.745", "0.83", "0.915", "1"],
    "revenue": ["0.11", "0.19", "0.28", "0.37", "0.45", "0.54", "0.62", "0.69", "0.77", "0.84", "0.92", "1"],
    "industry": ["0.07", "0.13", "0.22", "0.3", "0.39", "0.49", "0.57", "0.65", "0.74", "0.83", "0.91", "1"],
    "investment": ["0.04", "0.09", "0.17", "0.25", "0.34", "0.45", "0.53", "0.62", "0.72", "0.81", "0.9", "1"],
    "lumpy": ["0", "0.08", "0.17", "0.25", "0.33", "0.42", "0.5", "0.58", "0.67", "0.75", "0.83", "1"],
    "agriculture": ["0.05", "0.1", "0.2", "0.27", "0.35", "0.5", "0.58", "0.65", "0.78", "0.86", "0.93", "1"],
}

# The seasonal profile of each volume indicator of the scheme workbook; any other volume follows "flat".
PROFILE_OF: dict[str, str] = {
    "ybgg": "revenue", "shuishou": "revenue", "gyzcz": "industry", "xrg": "lumpy", "gdzc": "investment",
    "gytz": "investment", "rkxm": "lumpy", "sjlywz": "lumpy", "dwzj": "investment", "qyxm": "lumpy",
    "qyje": "lumpy", "kgxm": "lumpy", "zdxm": "investment", "sjzj": "lumpy", "nlmy": "agriculture",
}  # fmt: skip

# Each township's pace: its performance against its targets (1 = exactly on target).
UNIT_PACE: dict[str, str] = {
    "qingshi": "1.12", "baisha": "0.97", "longquan": "1.05", "jinqiao": "1.18", "shimen": "0.86", "qinghe": "1.01",
    "songlin": "0.9", "taoyuan": "1.08", "liutang": "0.78", "meiling": "0.94", "chengguan": "1.1", "donghu": "1.03",
    "xishan": "0.92", "nanyuan": "0.99",
}  # fmt: skip
# A level in % (参保率, 化解率, 办结率) moves this many points per unit of pace away from its target, up to 100.
LEVEL_SPREAD = Decimal(20)

# 招商引资 call-outs for the bulletin: one township has arrived nothing, another barely anything.
ZERO_INVESTMENT_UNIT = "meiling"
NEAR_ZERO_INVESTMENT_UNIT = "songlin"  # about 2 % of its target

# Lower-is-better counts are events, not a pace: 生产安全事故死亡人数 by township and month. 桃源镇's September
# accident (three deaths) is also the demo's 一票否决: a township well up the table whose grade the veto sets.
DEATHS_INDICATOR = "aqsw"
SAFETY_DEATHS: dict[str, tuple[tuple[int, int], ...]] = {
    "taoyuan": ((9, 3),),
    "shimen": ((4, 1),),
    "songlin": ((2, 1), (7, 1)),
}
VETOED_UNIT = "taoyuan"


def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)
