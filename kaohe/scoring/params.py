"""Each rule family's parameters, declared once: Chinese label, unit, help, type, default and bounds.

The scheme workbook (one sheet per family) reads and writes rules through these declarations, and the rule forms
build their fields from them; neither spells a parameter out again. A parameter is shown as people write it — a
completion of 1.2 as 120 (%) — and stored as the engine's parser takes it (`parse.rule_from_dict`), which stays
the one validator: `rule_from_fields` builds the stored form and the parser judges it, so a bound declared here
is for help texts and input hints, never a second rule (a test holds the two to agreeing).

List parameters (分档 bands, piecewise segments, combo parts, rank points) are `Item`s: one row, or one form line,
each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kaohe.scoring.errors import RuleError
from kaohe.scoring.parse import grade_rule_from_dict, rule_from_dict, rule_to_dict
from kaohe.scoring.types import Basis, GradeMethod, Measure, Pool, UnderMode

HUNDRED = Decimal(100)
PERCENT_PLACES = 4  # a stored fraction has at most 6 places (parse.MAX_PLACES): 4 once shown in %


class ParamType(StrEnum):
    NUMBER = "number"  # shown as stored
    PERCENT = "percent"  # stored as a fraction (1.2), shown ×100 (120, unit %)
    CHOICE = "choice"
    FLAG = "flag"
    TEXT = "text"


@dataclass(frozen=True)
class Param:
    key: str  # the key in the stored rule
    label: str  # the Chinese label: a workbook column header, a form field label
    type: ParamType
    unit: str = ""  # 分, %, 个百分点 …
    help: str = ""
    required: bool = False  # blank is refused; otherwise blank means `default`, or what `blank` says
    default: Any = None  # in the stored form ("1" for a cap of 100 %); None: no value (the engine's meaning)
    blank: str = ""  # what leaving it blank means, when that is not simply the default
    minimum: Decimal | None = None  # stored form, inclusive
    positive: bool = False  # must be > 0
    choices: tuple[tuple[str, str], ...] = ()  # (stored value, Chinese label)

    @property
    def header(self) -> str:
        return f"{self.label}（{self.unit}）" if self.unit else self.label

    def describe(self, *, choices: bool = True) -> str:
        """One line for a help sheet or a form's help text (`choices=False` where a drop-down lists them)."""
        parts = [self.help] if self.help else []
        if self.type is ParamType.CHOICE and choices:
            parts.append("可选：" + "、".join(label for _, label in self.choices))
        bound = self.bound_text()
        if bound:
            parts.append(bound)
        if self.required:
            parts.append("必填")
        elif self.blank:
            parts.append(f"不填{self.blank}")
        elif self.default is not None:
            parts.append(f"不填为 {self.display_text(self.default)}")
        return "；".join(parts)

    def bound_text(self) -> str:
        if self.positive:
            return "须大于0"
        if self.minimum is not None:
            return f"不小于 {self.display_text(str(self.minimum))}"
        return ""

    def display_text(self, stored: Any) -> str:
        value = self.to_display(stored)
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, Decimal):
            return plain(value)
        return str(value)

    def to_display(self, stored: Any) -> Any:
        """The stored value as a person reads it: Decimal (percent ×100), a choice's label, bool or text."""
        if stored is None:
            return None
        if self.type is ParamType.PERCENT:
            return Decimal(plain(Decimal(str(stored)) * HUNDRED))  # 120, not 120.0
        if self.type is ParamType.NUMBER:
            return Decimal(str(stored))
        if self.type is ParamType.CHOICE:
            return dict(self.choices).get(str(stored), str(stored))
        return stored

    def from_display(self, value: Any) -> Any:
        """What a person gave (Decimal, label or value, bool, text; None for blank) in the stored form."""
        if value is None or value == "":
            return None
        if self.type in (ParamType.NUMBER, ParamType.PERCENT):
            number = value if isinstance(value, Decimal) else Decimal(str(value))
            if self.type is ParamType.PERCENT:
                if _places(number) > PERCENT_PLACES:
                    raise RuleError(self.key, f"百分比最多 {PERCENT_PLACES} 位小数，收到 {plain(number)}")
                number = number / HUNDRED
            return plain(number)
        if self.type is ParamType.CHOICE:
            text = str(value).strip()
            for stored, label in self.choices:
                if text in (stored, label):
                    return stored
            raise RuleError(self.key, "须为" + "、".join(f"“{label}”" for _, label in self.choices) + "之一")
        return value


@dataclass(frozen=True)
class Item:
    """A list parameter: each element is one row (workbook) or one line (form) with these fields."""

    key: str  # "bands", "segments", "parts", "points"
    label: str  # "档次"
    fields: tuple[Param, ...]
    help: str = ""


@dataclass(frozen=True)
class Family:
    name: str  # the stored family name
    label: str  # its Chinese name (the engine's rule label)
    summary: str  # how it scores, one sentence
    params: tuple[Param, ...] = ()
    item: Item | None = None

    def param(self, key: str) -> Param:
        return next(p for p in self.params if p.key == key)


def plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 120, 1.2, 0.0833."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _choices(enum_labels: Mapping[StrEnum, str]) -> tuple[tuple[str, str], ...]:
    return tuple((member.value, label) for member, label in enum_labels.items())


ZERO = Decimal(0)
BASIS = Param(
    "basis", "完成率口径", ParamType.CHOICE, default=Basis.ANNUAL.value,
    choices=_choices({Basis.ANNUAL: "对全年目标", Basis.SCHEDULE: "对序时进度"}),
    help="完成率按实际÷全年目标，或实际÷序时（分期）目标计算",
)  # fmt: skip
POOL = Param(
    "pool", "比较范围", ParamType.CHOICE, default=Pool.GROUP.value,
    choices=_choices({Pool.GROUP: "本组", Pool.ALL: "全区"}), help="与本考核分组的单位比较，或与全区所有单位比较",
)  # fmt: skip
CAP = Param("cap", "封顶", ParamType.PERCENT, "%", "完成率超过此值按此值计，如 120", default="1", positive=True)
BASE = Param("base", "基础分", ParamType.NUMBER, "分", "完成目标时的得分", blank="为指标分值")
OVER_POINTS = Param(
    "over_points", "超额加分", ParamType.NUMBER, "分", "每超过一个步长加的分", default="0", minimum=ZERO
)
OVER_STEP = Param(
    "over_step", "加分步长", ParamType.NUMBER, "个百分点", "每超多少个百分点加一次分，如“每超10%加1分”填 10",
    default="1", positive=True,
)  # fmt: skip
UNDER_POINTS = Param(
    "under_points", "欠额扣分", ParamType.NUMBER, "分", "每差一个步长扣的分", default="0", minimum=ZERO
)
UNDER_STEP = Param(
    "under_step", "扣分步长", ParamType.NUMBER, "个百分点", "每差多少个百分点扣一次分", default="1", positive=True
)
WHOLE_STEPS = Param(
    "whole_steps", "只计满整步", ParamType.FLAG, help="是：不满一个步长的部分不加不扣（“每满10%”）", default=False
)
MAX_BONUS = Param("max_bonus", "加分上限", ParamType.NUMBER, "分", blank="不设上限", minimum=ZERO)

FAMILIES: tuple[Family, ...] = (
    Family("ratio", "完成率×分值", "分值×完成率，完成率超过封顶按封顶计", (BASIS, CAP)),
    Family(
        "combo",
        "组合完成率",
        "分值×各组成指标完成率的加权和，超过封顶按封顶计；本指标不设目标、不填数据",
        (BASIS, CAP),
        Item(
            "parts",
            "组成指标",
            (
                Param("indicator", "组成指标编码", ParamType.TEXT, required=True, help="方案中另一指标的编码"),
                Param(
                    "share", "占比", ParamType.PERCENT, "%", "各组成指标占比之和须为 100", required=True, positive=True
                ),
            ),
        ),
    ),
    Family(
        "base_per_pp",
        "基本分+每百分点增减",
        "完成得基础分，每超一步长加分（可封顶）；未完成按完成比例计分或每差一步长扣分",
        (
            BASIS,
            BASE,
            OVER_POINTS,
            OVER_STEP,
            MAX_BONUS,
            Param(
                "under",
                "未完成时",
                ParamType.CHOICE,
                default=UnderMode.PROPORTIONAL.value,
                choices=_choices({UnderMode.PROPORTIONAL: "按完成比例计分", UnderMode.PER_PP: "每差一个步长扣分"}),
            ),
            UNDER_POINTS,
            UNDER_STEP,
            Param("floor", "最低得分", ParamType.NUMBER, "分", "扣分后不低于此分", blank="不设保底"),
            WHOLE_STEPS,
        ),
    ),
    Family(
        "piecewise_pp",
        "分段每百分点增减",
        "完成率落在各段的每个百分点加（负为减）该段的分，合计限在±上限内，再加基础分",
        (
            BASIS,
            Param(
                "limit",
                "增减上限",
                ParamType.NUMBER,
                "分",
                "增减合计的绝对值不超过此分",
                blank="不设上限",
                positive=True,
            ),
            Param("base", "基础分", ParamType.NUMBER, "分", default="0"),
        ),
        Item(
            "segments",
            "分段",
            (
                Param("from", "起点", ParamType.PERCENT, "%", "本段的起点完成率，如 100", required=True, minimum=ZERO),
                Param("to", "终点", ParamType.PERCENT, "%", "本段的终点完成率；最后一段可不填", blank="为不设终点"),
                Param("per_pp", "每个百分点得分", ParamType.NUMBER, "分", "扣分填负数，如 -0.1", required=True),
            ),
            help="分段由低到高排列、不重叠，不跨越 100%",
        ),
    ),
    Family(
        "bands",
        "分档计分",
        "完成率达到（或不超过）哪一档，得该档的分；都未达到得“其余得分”",
        (
            BASIS,
            Param(
                "compare",
                "分档方式",
                ParamType.CHOICE,
                default="min",
                choices=(("min", "达到（≥）"), ("max", "不超过（≤）")),
                help="“达到”各档由高到低排列；“不超过”（越低越好）各档由低到高排列",
            ),
            Param("else", "其余得分", ParamType.NUMBER, "分", "未达任何一档时的得分", default="0"),
        ),
        Item(
            "bands",
            "档次",
            (
                Param(
                    "threshold",
                    "完成率",
                    ParamType.PERCENT,
                    "%",
                    "本档的完成率界限，如 100",
                    required=True,
                    minimum=ZERO,
                ),
                Param("points", "得分", ParamType.NUMBER, "分", required=True),
            ),
            help="档次不重复",
        ),
    ),
    Family(
        "efficacy",
        "效能计分",
        "功效系数：最低值得下限分、最高值得上限分，其余按数值线性插值，再按分值折算",
        (
            POOL,
            Param("low", "下限分", ParamType.NUMBER, "分", default="60", minimum=ZERO),
            Param("high", "上限分", ParamType.NUMBER, "分", "须大于下限分", default="100"),
        ),
    ),
    Family(
        "rank_points",
        "按名次计分",
        "按名次得分（并列取较好名次的分），名次超出所列时得“其余得分”",
        (
            Param(
                "by",
                "排名依据",
                ParamType.CHOICE,
                default=Measure.VALUE.value,
                choices=_choices({Measure.VALUE: "按数值", Measure.COMPLETION: "按完成率"}),
            ),
            POOL,
            Param("default", "其余得分", ParamType.NUMBER, "分", default="0"),
        ),
        Item(
            "points",
            "名次得分",
            (Param("points", "得分", ParamType.NUMBER, "分", "第1名、第2名……依次的得分", required=True),),
        ),
    ),
    Family("share_of_total", "按占全区比重计分", "分值×本单位数值÷比较范围内数值合计", (POOL,)),
    Family(
        "per_item",
        "按项计分",
        "每项（个、亿元……）得分×数量，可封顶",
        (
            Param("points", "每项得分", ParamType.NUMBER, "分", required=True),
            Param("cap", "封顶", ParamType.NUMBER, "分", blank="不封顶", minimum=ZERO),
        ),
    ),
    Family(
        "per_event",
        "按次计分",
        "基础分减每次扣分×次数，扣完为止",
        (
            Param("points", "每次扣分", ParamType.NUMBER, "分", required=True, positive=True),
            BASE,
            Param("floor", "最低得分", ParamType.NUMBER, "分", default="0"),
        ),
    ),
    Family(
        "growth_vs_target",
        "增速对比目标",
        "增速达到目标得基础分，每高一个步长加分、每低一个步长扣分，可各自封顶",
        (
            BASE,
            OVER_POINTS,
            OVER_STEP,
            UNDER_POINTS,
            UNDER_STEP,
            WHOLE_STEPS,
            MAX_BONUS,
            Param("max_penalty", "扣分上限", ParamType.NUMBER, "分", blank="不设上限", minimum=ZERO),
        ),
    ),
)
_BY_NAME = {f.name: f for f in FAMILIES}


def rule_family(name: str) -> Family:
    if name not in _BY_NAME:
        raise RuleError("family", f"未知的计分方法 {name!r}")
    return _BY_NAME[name]


def rule_family_by_label(text: str) -> Family | None:
    """A family by its Chinese label or stored name, as typed in a cell."""
    text = text.strip()
    return next((f for f in FAMILIES if text in (f.label, f.name)), None)


# --- between the stored form and the shown fields --------------------------------------------------------------


def rule_fields(stored: Mapping[str, Any]) -> tuple[Family, dict[str, Any], list[dict[str, Any]]]:
    """A stored rule as its family, its scalar parameters and its list items, each in the stored form with every
    default filled in (the canonical form), keyed by the declared keys."""
    canonical = rule_to_dict(rule_from_dict(stored))
    fam = rule_family(canonical["family"])
    scalars: dict[str, Any] = {p.key: canonical.get(p.key, p.default) for p in fam.params}
    items: list[dict[str, Any]] = []
    if fam.name == "bands":
        word = "max" if canonical["bands"] and "max" in canonical["bands"][0] else "min"
        scalars["compare"] = word
        items = [{"threshold": b[word], "points": b["points"]} for b in canonical["bands"]]
    elif fam.name == "rank_points":
        items = [{"points": p} for p in canonical["points"]]
    elif fam.item is not None:
        items = [{p.key: raw.get(p.key) for p in fam.item.fields} for raw in canonical[fam.item.key]]
    return fam, scalars, items


def rule_from_fields(fam: Family, scalars: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The stored form of a rule from its fields (stored-form values, None for blank), validated by the engine's
    parser and returned canonical. A RuleError names the field as `rule_error_at` reads it."""
    out: dict[str, Any] = {"family": fam.name}
    for p in fam.params:
        value = scalars.get(p.key)
        if p.key != "compare" and value is not None:
            out[p.key] = value
    if fam.name == "bands":
        word = scalars.get("compare") or "min"
        out["bands"] = [{word: i.get("threshold"), "points": i.get("points")} for i in items]
        out["bands"] = [{k: v for k, v in b.items() if v is not None} for b in out["bands"]]
    elif fam.name == "rank_points":
        out["points"] = [i.get("points") for i in items]
    elif fam.item is not None:
        out[fam.item.key] = [{k: v for k, v in i.items() if v is not None} for i in items]
    return rule_to_dict(rule_from_dict(out))


_PATH = re.compile(r"^(?P<list>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?$")


def rule_error_at(fam: Family, field: str) -> tuple[int | None, str | None]:
    """Where a RuleError's field lies: (item index or None, declared parameter key or None).

    "cap" → (None, "cap"); "bands[1].min" → (1, "threshold"); "points[2]" → (2, "points"); "parts" → (None, None).
    """
    match = _PATH.match(field)
    if match is None:
        known = {p.key for p in fam.params}
        if fam.name == "bands" and field in ("min", "max"):
            return None, "compare"
        return None, field if field in known else None
    index, key = int(match["index"]), match["field"]
    if fam.name == "bands" and key in ("min", "max"):
        key = "threshold"
    elif fam.name == "rank_points":
        key = "points"
    return index, key


# --- the grade rule ---------------------------------------------------------------------------------------------

GRADE_METHOD = Param(
    "method", "等次方法", ParamType.CHOICE, default=GradeMethod.BANDS.value,
    choices=_choices({GradeMethod.BANDS: "按总分分档", GradeMethod.RANK_SHARE: "按名次比例"}),
)  # fmt: skip
GRADE_PARAMS: tuple[Param, ...] = (
    GRADE_METHOD,
    Param(
        "pool",
        "名次比例范围",
        ParamType.CHOICE,
        default=Pool.ALL.value,
        choices=_choices({Pool.ALL: "全区", Pool.GROUP: "本组"}),
        help="按名次比例时，在全区还是本考核分组内排名",
    ),
    Param("else", "其余等次", ParamType.TEXT, help="未达任何一档的单位的等次，如“一般”；设了等次时必填"),
    Param("fail", "否决等次", ParamType.TEXT, help="一票否决（等次不合格）时的等次", default="不合格"),
)
GRADE_ITEM = Item(
    "steps", "等次", (
        Param("grade", "等次", ParamType.TEXT, "", "等次名称，如“优秀”", required=True),
        Param("min", "总分不低于", ParamType.NUMBER, "分", "按总分分档时填，各档由高到低"),
        Param("top", "名次前", ParamType.PERCENT, "%", "按名次比例时填累计比例，如前 30% 填 30，由小到大"),
    ),
)  # fmt: skip


def grade_error_at(field: str) -> tuple[int | None, str | None]:
    """Where a grade rule's RuleError lies: (step index, GRADE_ITEM field key) for "bands[1].min", "shares[0]";
    (None, GRADE_PARAMS key) for "else", "method"."""
    match = _PATH.match(field)
    if match is None:
        return None, field or None
    return int(match["index"]), match["field"] or "grade"


def grade_fields(stored: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stored grade rule as its scalar parameters and its steps (stored-form values, defaults filled in)."""
    rule = grade_rule_from_dict(stored)
    scalars = {"method": rule.method.value, "pool": rule.pool.value, "else": rule.otherwise, "fail": rule.fail}
    word = "min" if rule.method is GradeMethod.BANDS else "top"
    steps = [{"grade": s.grade, word: plain(s.threshold)} for s in rule.steps]
    return scalars, steps


def grade_from_fields(scalars: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The stored grade rule from its fields, validated by the engine's parser."""
    method = scalars.get("method") or GradeMethod.BANDS.value
    key, word = ("bands", "min") if method == GradeMethod.BANDS.value else ("shares", "top")
    out: dict[str, Any] = {"method": method, key: [{word: s.get(word), "grade": s.get("grade")} for s in steps]}
    out[key] = [{k: v for k, v in s.items() if v is not None} for s in out[key]]
    for name in ("pool", "else", "fail"):
        if scalars.get(name) is not None:
            out[name] = scalars[name]
    grade_rule_from_dict(out)
    return out
