"""The year's scheme as one workbook (考核方案工作簿), the way a statistician already keeps it, out and back in.

Sheets: 方案 (name, settings and how grades are given), 等次 (the grade steps), 类别, 指标 (one row per indicator,
one 分值 column per group), 分月计划, one sheet per rule family (计分·…: the indicator's parameters in readable
Chinese columns, a list parameter — 分档 bands, segments, combo parts, rank points — one row each), 加扣分项 and
填写说明. Parameters come from `kaohe.scoring`'s declarations (`FAMILIES`, `GRADE_PARAMS`), shown as people write
them (a cap of 1.2 as 120 %).

The import reads every cell first, then writes through the scheme services in one transaction with the engine's
whole check deferred to the end (`deferred_check`): a rule that does not fit its indicator, a combo part that is
not in the scheme, is refused at the indicator's row. Any refused cell, or a dry run, rolls everything back.
Objects are recognised by code: known codes are changed, new ones added, and what the workbook leaves out stays.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction

from kaohe.assessment.checks import deferred_check
from kaohe.core.exceptions import ApplicationError
from kaohe.core.ledger import (
    CellError,
    Choice,
    ColumnType,
    Integer,
    LedgerColumn,
    Months,
    Number,
    SheetReport,
    TableRow,
    Text,
    YesNo,
    cell_text,
    header_row,
    parse_row,
    read_table,
    xlsx_columns,
)
from kaohe.lib import xlsx
from kaohe.lib.order import parents_first
from kaohe.lib.xlsx import CellProblem
from kaohe.org.models import Department, UnitGroup
from kaohe.scoring import (
    FAMILIES,
    GRADE_ITEM,
    GRADE_PARAMS,
    Family,
    Param,
    ParamType,
    RuleError,
    grade_error_at,
    grade_fields,
    grade_from_fields,
    grade_rule_from_dict,
    plain,
    rule_error_at,
    rule_fields,
    rule_from_dict,
    rule_from_fields,
)

from . import services
from .choices import UNIT_CHOICES, DataSource, Direction, Frequency, IndicatorKind, ItemKind, VetoEffect
from .models import Category, Indicator, Scheme

if TYPE_CHECKING:
    from kaohe.accounts.models import User

logger = logging.getLogger(__name__)

SETTINGS_SHEET, GRADES_SHEET, CATEGORIES_SHEET, INDICATORS_SHEET = "方案", "等次", "类别", "指标"
CURVE_SHEET, ITEMS_SHEET, HELP_SHEET = "分月计划", "加扣分项", "填写说明"
RULE_SHEET = "计分·{label}"
GROUP_WEIGHT = "分值：{group}"  # one column per group; blank: the group is scored with 分值
NOT_SCORED = "不计分"
NOT_ALLOWED = "用户“{user}”没有导入考核方案的权限。"
PUBLISHED = "{year}年考核方案已发布，不能导入。如需修改，请先在方案页“退回修改”。"
NO_SCENARIO = "{year}年没有名为“{name}”的模拟方案。请先在考核方案页建立模拟方案，再导入。"
DB_FAILED = "导入时数据库出错，已全部回滚，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"
NO_SHEET = "工作簿中没有“{sheet}”工作表。请使用本系统导出的考核方案工作簿。"


def rule_sheet_name(fam: Family) -> str:
    return RULE_SHEET.format(label=fam.label)


# --- columns -----------------------------------------------------------------------------------------------------


def _code(header: str = "编码", what: str = "") -> LedgerColumn:
    return LedgerColumn(header, "code", Text(32), required=True, help=what, width=14)


def param_type(param: Param) -> ColumnType:
    """The cell type of a declared parameter (its bounds shown as people write it)."""
    if param.type is ParamType.CHOICE:
        return Choice(param.choices)
    if param.type is ParamType.FLAG:
        return YesNo(default=bool(param.default))
    if param.type is ParamType.TEXT:
        return Text(32)
    scale = Decimal(100) if param.type is ParamType.PERCENT else Decimal(1)
    minimum = None if param.minimum is None else param.minimum * scale
    return Number(places=4 if param.type is ParamType.PERCENT else 6, minimum=minimum, positive=param.positive)


def param_column(param: Param, field_name: str | None = None) -> LedgerColumn:
    return LedgerColumn(
        param.header,
        field_name or param.key,
        param_type(param),
        help=param.describe(choices=False),
        width=max(10, len(param.header) * 2),
    )


SETTINGS: tuple[LedgerColumn, ...] = (
    LedgerColumn("年度", "year", Integer(2000, 9999, default=None), help="仅供查看：导入时以所选年度为准"),
    LedgerColumn("方案名称", "name", Text(100), required=True, help="如“2027年度乡镇经济工作目标责任考核方案”"),
    LedgerColumn(
        "满分",
        "total_points",
        Number(places=4, positive=True, default=Decimal(100)),
        help="各考核分组的指标分值合计须等于满分；整体考核为 100，专项考核可为 3 等",
    ),
    LedgerColumn("月报截止日", "report_deadline_day", Integer(1, 28, default=10), help="次月几日前报送视为及时"),
    LedgerColumn(
        "同类异常阈值（Z 分数）",
        "outlier_z",
        Number(places=2, positive=True, default=Decimal(3)),
        help="数据与同组单位相差超过几个标准差时提示核实",
    ),
    LedgerColumn(
        "同比异常阈值（倍）",
        "outlier_yoy",
        Number(places=2, positive=True, default=Decimal(3)),
        help="本期累计值高于上年同期的该倍数，或低于其倒数时提示",
    ),
    LedgerColumn("乡镇可查看其他乡镇得分", "townships_see_published_scores", YesNo(True), help="成绩单发布后"),
    *(param_column(p, f"grade.{p.key}") for p in GRADE_PARAMS),
)
GRADE_COLUMNS: tuple[LedgerColumn, ...] = tuple(param_column(p) for p in GRADE_ITEM.fields)
CATEGORY_COLUMNS: tuple[LedgerColumn, ...] = (
    _code(what="类别的编码，如 jjfz"),
    LedgerColumn("名称", "name", Text(64), required=True, help="如“经济发展”"),
    LedgerColumn("排序", "sort_order", Integer(), help="小的在前"),
)
FAMILY_CHOICE = Choice(tuple((f.name, f.label) for f in FAMILIES), aliases={NOT_SCORED: ""})
INDICATOR_COLUMNS: tuple[LedgerColumn, ...] = (
    _code(what="指标的编码，在本方案内唯一，如 gdp"),
    LedgerColumn("名称", "name", Text(100), required=True, width=22),
    LedgerColumn("类别编码", "category", Text(32), required=True, help="“类别”表中的编码"),
    LedgerColumn("计量单位", "unit", Choice(UNIT_CHOICES), required=True, width=10),
    LedgerColumn("类型", "kind", Choice(IndicatorKind.choices), required=True, width=10),
    LedgerColumn("方向", "direction", Choice(Direction.choices), width=10, help="不填为“越高越好”"),
    LedgerColumn("责任部门编码", "owner", Text(32), required=True, help="组织机构台账中部门的编码"),
    LedgerColumn("数据来源", "source", Choice(DataSource.choices), required=True),
    LedgerColumn("频次", "frequency", Choice(Frequency.choices), width=8, help="不填为“月报”"),
    LedgerColumn(
        "分值", "weight", Number(places=4, minimum=Decimal(0)), required=True, help="各分组的分值合计须为 100"
    ),
    LedgerColumn(
        "计分方法",
        "rule",
        FAMILY_CHOICE,
        width=16,
        help=f"参数填在对应的“计分·…”工作表；不填或填“{NOT_SCORED}”为只统计序时、不计分",
    ),
    LedgerColumn("计入序时统计", "counts_for_schedule", YesNo(True)),
    LedgerColumn(
        "分期目标月份",
        "stage_months",
        Months(),
        help="分期下达目标的月份，如 3,6,9（一季度、上半年、前三季度）；目标任务表为每个月份列一栏",
    ),
    LedgerColumn("分期目标按月插值", "interpolate_stages", YesNo(False), help="否：分期目标按阶段取值"),
    LedgerColumn("所属总量指标编码", "part_of", Text(32), help="本指标是另一指标的组成部分时填总量指标的编码"),
    LedgerColumn("须上传佐证材料", "requires_evidence", YesNo(False)),
    LedgerColumn("小数位数", "decimal_places", Integer(0, 4, default=2), help="填报与成绩单显示数值的小数位数"),
    LedgerColumn("完成率小数位数", "rate_places", Integer(0, 4, default=2), help="成绩单上完成%、序时差显示的小数位数"),
    LedgerColumn("排序", "sort_order", Integer(), help="小的在前"),
)
MONTH_PERCENT = Number(places=4, positive=True, maximum=Decimal(100))
CURVE_COLUMNS: tuple[LedgerColumn, ...] = (
    _code("指标编码", "“指标”表中的编码"),
    *(LedgerColumn(f"{m}月", f"m{m}", MONTH_PERCENT, help="1–N月累计应完成全年目标的百分比") for m in range(1, 13)),
)
ITEM_COLUMNS: tuple[LedgerColumn, ...] = (
    _code(what="加扣分项的编码"),
    LedgerColumn("名称", "name", Text(100), required=True, width=22),
    LedgerColumn("类型", "kind", Choice(ItemKind.choices), required=True),
    LedgerColumn("每项分值", "points", Number(places=4, minimum=Decimal(0)), help="每条记录默认的分值"),
    LedgerColumn(
        "封顶分值", "cap", Number(places=4, minimum=Decimal(0)), help="全年合计最多加（扣）的分值；不填不封顶"
    ),
    LedgerColumn("否决后果", "veto_effect", Choice(VetoEffect.choices), help="一票否决项必填"),
    LedgerColumn("提出部门编码", "owner", Text(32), help="组织机构台账中部门的编码"),
    LedgerColumn("按报表及时率自动计算", "from_timeliness", YesNo(False), help="扣分项：每迟报、漏报一期自动扣分"),
)


def rule_columns(fam: Family) -> tuple[LedgerColumn, ...]:
    key = _code("指标编码", "“指标”表中计分方法为本方法的指标；一个指标的多档（段、项）各占一行，编码可只在第一行填")
    items = () if fam.item is None else tuple(param_column(p, f"item.{p.key}") for p in fam.item.fields)
    return (key, *(param_column(p) for p in fam.params), *items)


# --- export ------------------------------------------------------------------------------------------------------


def _groups() -> list[UnitGroup]:
    return list(UnitGroup.objects.order_by("sort_order", "code"))


def _shown(param: Param, stored: Any) -> xlsx.WriteValue:
    value = param.to_display(stored)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value  # type: ignore[no-any-return]


def indicator_values(ind: Indicator, groups: Sequence[UnitGroup]) -> dict[str, Any]:
    """An indicator as the 指标 sheet holds it, codes for references (also how an import sees it unchanged)."""
    weights = {gw.group_id: gw.weight for gw in ind.group_weights.all()}
    return {
        "code": ind.code, "name": ind.name, "category": ind.category.code, "unit": ind.unit, "kind": ind.kind,
        "direction": ind.direction, "owner": ind.owner.code, "source": ind.source, "frequency": ind.frequency,
        "weight": ind.weight, "rule": (ind.rule or {}).get("family", ""),
        "counts_for_schedule": ind.counts_for_schedule, "interpolate_stages": ind.interpolate_stages,
        "stage_months": list(ind.stage_months or []),
        "part_of": ind.part_of.code if ind.part_of else "", "requires_evidence": ind.requires_evidence,
        "decimal_places": ind.decimal_places, "rate_places": ind.rate_places, "sort_order": ind.sort_order,
        **{f"group:{g.pk}": weights.get(g.pk) for g in groups},
    }  # fmt: skip


def _cells(columns: Sequence[LedgerColumn], values: dict[str, Any]) -> list[xlsx.WriteValue]:
    return [c.type.cell(values.get(c.field)) for c in columns]


def scheme_export(scheme: Scheme) -> bytes:
    """The whole scheme as one workbook; imported into an empty year (of any database with the same org) it gives
    the same scheme."""
    groups = _groups()
    indicators = list(
        scheme.indicators.select_related("category", "owner", "part_of").prefetch_related("group_weights")
    )
    grade_scalars, steps = grade_fields(scheme.grade_rule) if scheme.grade_rule else ({}, [])
    settings = {
        "year": scheme.year, "name": scheme.name, "total_points": scheme.total_points,
        "report_deadline_day": scheme.report_deadline_day,
        "outlier_z": scheme.outlier_z, "outlier_yoy": scheme.outlier_yoy,
        "townships_see_published_scores": scheme.townships_see_published_scores,
    }  # fmt: skip
    settings_rows: list[list[xlsx.WriteValue]] = [
        [c.header, c.type.cell(settings.get(c.field)), c.help] for c in SETTINGS
    ]
    for i, p in enumerate(GRADE_PARAMS, start=len(SETTINGS) - len(GRADE_PARAMS)):
        settings_rows[i][1] = _shown(p, grade_scalars.get(p.key)) if grade_scalars else None
    sheets = [
        xlsx.Sheet(
            SETTINGS_SHEET,
            columns=[
                xlsx.Column("项目", width=26),
                xlsx.Column("内容", width=40, locked=False),
                xlsx.Column("说明", width=60),
            ],
            rows=settings_rows,
        ),
        xlsx.Sheet(
            GRADES_SHEET,
            columns=xlsx_columns(GRADE_COLUMNS),
            rows=[[_shown(p, s.get(p.key)) for p in GRADE_ITEM.fields] for s in steps],
        ),
        xlsx.Sheet(
            CATEGORIES_SHEET,
            columns=xlsx_columns(CATEGORY_COLUMNS),
            rows=[[c.code, c.name, c.sort_order] for c in scheme.categories.order_by("sort_order", "code")],
        ),
    ]
    ind_columns = _indicator_columns(groups)
    ind_rows: list[list[xlsx.WriteValue]] = []
    for ind in indicators:
        values = indicator_values(ind, groups)
        ind_rows.append(_cells(ind_columns, values))
    sheets.append(xlsx.Sheet(INDICATORS_SHEET, columns=xlsx_columns(ind_columns), rows=ind_rows, freeze_columns=2))
    curves: list[list[xlsx.WriteValue]] = [
        [ind.code, *(Decimal(str(p)) * 100 for p in ind.plan_curve)] for ind in indicators if ind.plan_curve
    ]
    sheets.append(xlsx.Sheet(CURVE_SHEET, columns=xlsx_columns(CURVE_COLUMNS), rows=curves))
    for fam in FAMILIES:
        rows: list[list[xlsx.WriteValue]] = []
        for ind in indicators:
            if not ind.rule or ind.rule.get("family") != fam.name:
                continue
            _, scalars, items = rule_fields(ind.rule)
            head = [_shown(p, scalars.get(p.key)) for p in fam.params]
            fields = fam.item.fields if fam.item else ()
            for i, item in enumerate(items or [{}]):
                rows.append(
                    [ind.code, *(head if i == 0 else [None] * len(head)), *(_shown(p, item.get(p.key)) for p in fields)]
                )
        sheets.append(xlsx.Sheet(rule_sheet_name(fam), columns=xlsx_columns(rule_columns(fam)), rows=rows))
    item_rows = [
        [
            t.code, t.name, ItemKind(t.kind).label, t.points, t.cap,
            VetoEffect(t.veto_effect).label if t.veto_effect else "", t.owner.code if t.owner else "",
            "是" if t.from_timeliness else "否",
        ]
        for t in scheme.item_types.select_related("owner").order_by("kind", "code")
    ]  # fmt: skip
    sheets.append(xlsx.Sheet(ITEMS_SHEET, columns=xlsx_columns(ITEM_COLUMNS), rows=item_rows))
    sheets.append(_help_sheet(groups))
    return xlsx.write_workbook(sheets, meta={"workbook": "scheme", "year": str(scheme.year)})


def _indicator_columns(groups: Sequence[UnitGroup]) -> list[LedgerColumn]:
    columns = list(INDICATOR_COLUMNS)
    at = next(i for i, c in enumerate(columns) if c.field == "weight") + 1
    weights = [
        LedgerColumn(
            GROUP_WEIGHT.format(group=g.name), f"group:{g.pk}", Number(places=4, minimum=Decimal(0)),
            help=f"“{g.name}”的乡镇按此分值计；不填按“分值”",
        )
        for g in groups
    ]  # fmt: skip
    return [*columns[:at], *weights, *columns[at:]]


def _help_sheet(groups: Sequence[UnitGroup]) -> xlsx.Sheet:
    bold = xlsx.CellFormat(bold=True)
    wrap = xlsx.CellFormat(wrap=True)
    rows: list[list[xlsx.WriteValue | xlsx.Cell]] = [
        [xlsx.Cell("考核方案工作簿：一个年度的考核方案，全部在本工作簿中", bold), None, None],
        [xlsx.Cell("带 * 的列必须填写。按“编码”识别：编码已有的类别、指标、加扣分项按表中内容修改，新编码的新增，"
                   "表中没有的保持不变。已发布的方案不能导入，须先退回修改。", wrap), None, None],
        [xlsx.Cell("百分比直接写百分数：封顶 120% 写 120，完成率达到 80% 写 80。任何一格有误，整个文件都不导入，"
                   "并逐格列出错误所在的工作表、行和列；可先“试导入”只检查不写入。", wrap), None, None],
    ]  # fmt: skip
    sections: list[tuple[str, str, Sequence[LedgerColumn]]] = [
        (SETTINGS_SHEET, "每行一项：第一列是项目，第二列填内容。", SETTINGS),
        (GRADES_SHEET, "按总分分档时每档填“总分不低于”，由高到低；按名次比例时填“名次前”，由小到大。", GRADE_COLUMNS),
        (CATEGORIES_SHEET, "", CATEGORY_COLUMNS),
        (INDICATORS_SHEET, "每个指标一行。", _indicator_columns(groups)),
        (CURVE_SHEET, "可选：指标按分月计划考核序时时填写，12 个月的累计百分比，逐月不减，12月为 100。", CURVE_COLUMNS),
    ]
    for fam in FAMILIES:
        note = fam.summary + (
            f"。{fam.item.label}每项一行" + (f"，{fam.item.help}" if fam.item.help else "") if fam.item else ""
        )
        sections.append((rule_sheet_name(fam), note + "。", rule_columns(fam)))
    sections.append((ITEMS_SHEET, "加分、扣分和一票否决项，每项一行。", ITEM_COLUMNS))
    for name, note, columns in sections:
        rows += [
            [None, None, None],
            [xlsx.Cell(f"工作表“{name}”", bold), None, xlsx.Cell(note, wrap) if note else None],
        ]
        rows.append([xlsx.Cell(h, bold) for h in ("列", "必填", "要求")])
        for c in columns:
            rows.append(
                [c.header, "是" if c.required else "否", "；".join(x for x in (c.type.describe(), c.help) if x)]
            )
    rows += [[None, None, None], [xlsx.Cell("示例", bold), None, None]]
    rows += [[a, b, c] for a, b, c in EXAMPLES]
    layout = [xlsx.Column("", width=26), xlsx.Column("", width=8), xlsx.Column("", width=90)]
    return xlsx.Sheet(HELP_SHEET, columns=layout, rows=rows)


EXAMPLES = (
    (
        "指标",
        "",
        "gdp | 地区生产总值 | jjfz | 亿元 | 增速 | 越高越好 | tongji | 统计数据 | 季报 | 10 | … | 增速对比目标",
    ),
    ("计分·完成率×分值", "", "zsyz | 对全年目标 | 120：招商引资到位资金按完成率计分，最多按 120% 计"),
    (
        "计分·分档计分",
        "",
        "第1行 xmkg | 对全年目标 | 达到（≥） | 0 | 100 | 100；第2行 xmkg | | | | 80 | 75；第3行 xmkg | | | | 50 | 50",
    ),
    ("计分·组合完成率", "", "第1行 zsyz | 对全年目标 | 100 | qys | 50；第2行 zsyz | | | dwzj | 50"),
    (
        "计分·分段每百分点增减",
        "",
        "第1行 zdgc | 对全年目标 | 10 | 0 | 0 | 100 | -0.1；第2行 zdgc | | | | 100 | 130 | 0.2",
    ),
    ("等次", "", "优秀 | 90；良好 | 80；“方案”表中其余等次填“一般”"),
)


# --- import ------------------------------------------------------------------------------------------------------


@dataclass
class Planned:
    """One object the workbook asks for: its values, and where each came from (field → Excel column)."""

    code: str
    values: dict[str, Any]
    sheet: str
    row: int
    columns: dict[str, int]


@dataclass(kw_only=True)
class SchemeReport(SheetReport):
    year: int
    created: bool = False
    scenario: str = ""

    @property
    def summary(self) -> str:
        if not self.ok:
            return self.message
        what = f"{self.year}年考核方案" + (f"的模拟方案“{self.scenario}”" if self.scenario else "")
        if not self.written:
            return f"没有需要导入的修改：文件与{what}一致（{self.count('unchanged')} 项未变）。"
        head = f"新建{self.year}年考核方案（草稿）" if self.created else what
        parts = f"新增 {self.count('added')} 项、修改 {self.count('changed')} 项、未变 {self.count('unchanged')} 项"
        if self.dry_run:
            return f"试导入：{head}将{parts}（本次未写入任何数据）。"
        return f"已导入{head}：{parts}。"


class _Reader:
    """Reads every sheet into Planned objects, collecting every rejected cell."""

    def __init__(self, workbook: xlsx.Workbook) -> None:
        self.workbook = workbook
        self.problems: list[CellProblem] = []
        self.groups = _groups()
        self.failed: set[str] = set()  # codes of rows refused cell by cell: rows naming them say nothing more

    def problem(self, sheet: str, row: int, column: int, message: str) -> None:
        self.problems.append(CellProblem(sheet, row, column, message))

    def sheet(self, name: str, *, optional: bool = False) -> xlsx.SheetData | None:
        found = next((s for s in self.workbook.sheets if s.name == name), None)
        if found is None and not optional:
            raise ApplicationError(NO_SHEET.format(sheet=name))
        return found

    def table(self, name: str, columns: Sequence[LedgerColumn], **kw: Any) -> list[tuple[TableRow, dict[str, Any]]]:
        data = self.sheet(name, optional=name not in (SETTINGS_SHEET, INDICATORS_SHEET, CATEGORIES_SHEET))
        if data is None:
            return []
        rows = read_table(data, columns, key=columns[0].header, problems=self.problems, **kw)
        out = []
        for row in rows:
            values = parse_row(name, columns, row, self.problems)
            if values is not None:
                out.append((row, values))
            elif name == INDICATORS_SHEET:
                self.failed.add(cell_text(row.cells.get("code")))
        return out

    def keyed(self, name: str, columns: Sequence[LedgerColumn], **kw: Any) -> list[Planned]:
        seen: dict[str, int] = {}
        out = []
        for row, values in self.table(name, columns, **kw):
            code = values["code"]
            if code in seen:
                self.problem(name, row.number, row.columns["code"], f"编码“{code}”在本表第 {seen[code]} 行已出现过")
                continue
            seen[code] = row.number
            out.append(Planned(code, values, name, row.number, row.columns))
        return out

    # 方案 and 等次

    def settings(self) -> Planned:
        data = self.sheet(SETTINGS_SHEET)
        assert data is not None
        by_label = {c.header: c for c in SETTINGS}
        values: dict[str, Any] = {}
        columns: dict[str, int] = {}
        for number, cells in data.iter_rows():
            label = cell_text(cells[0] if cells else None).rstrip("*")
            column = by_label.get(label)
            if column is None:
                continue
            raw = cells[1] if len(cells) > 1 else None
            columns[column.field] = number  # "column" here is the settings row: the value is always in column B
            try:
                if cell_text(raw):
                    values[column.field] = column.type.parse(raw)
                elif column.required:
                    raise CellError("必须填写")
                else:
                    values[column.field] = column.type.blank()
            except CellError as exc:
                self.problem(SETTINGS_SHEET, number, 2, f"{label}：{exc.message}")
        if "name" not in columns:
            self.problem(SETTINGS_SHEET, 1, 1, "缺少“方案名称”一行")
        return Planned("", values, SETTINGS_SHEET, 0, columns)

    def grade_rule(self, settings: Planned) -> Any:
        steps = self.table(GRADES_SHEET, GRADE_COLUMNS)
        scalars_shown = {k.removeprefix("grade."): v for k, v in settings.values.items() if k.startswith("grade.")}
        if not steps and not scalars_shown.get("else"):
            return None
        try:
            scalars = {p.key: p.from_display(scalars_shown.get(p.key)) for p in GRADE_PARAMS}
            items = [({p.key: p.from_display(v.get(p.key)) for p in GRADE_ITEM.fields}, row) for row, v in steps]
            return grade_from_fields(scalars, [i for i, _ in items])
        except RuleError as exc:
            index, key = grade_error_at(exc.field)
            if index is not None and index < len(steps):
                row = steps[index][0]
                column = row.columns.get(key or "grade", 1)
                self.problem(GRADES_SHEET, row.number, column, f"等次有误：{exc.message}")
            else:
                at = settings.columns.get(f"grade.{key}", settings.columns.get("grade.else", 1))
                self.problem(SETTINGS_SHEET, at, 2, f"等次规则有误：{exc.message}")
            return None

    # 指标, 分月计划 and the rule sheets

    def group_header(self, header: str) -> str | None:
        name = header.removeprefix("分值：").removeprefix("分值:")
        if name == header:
            return None
        group = next((g for g in self.groups if name in (g.name, g.code)), None)
        return f"group:{group.pk}" if group else f"unknown-group:{name}"

    def indicators(self) -> list[Planned]:
        columns = _indicator_columns(self.groups)
        planned = self.keyed(INDICATORS_SHEET, columns, extra=self.group_header)
        data = self.sheet(INDICATORS_SHEET)
        assert data is not None
        columns_found = planned[0].columns if planned else {}
        for name, column in columns_found.items():
            if name.startswith("unknown-group:"):
                group = name.removeprefix("unknown-group:")
                self.problem(
                    INDICATORS_SHEET, header_row(data, "编码"), column, f"找不到名称或编码为“{group}”的考核分组"
                )
        return planned

    def curves(self, indicators: dict[str, Planned]) -> None:
        for p in self.keyed(CURVE_SHEET, CURVE_COLUMNS):
            if p.code in self.failed:
                continue
            if p.code not in indicators:
                self.problem(CURVE_SHEET, p.row, p.columns["code"], f"“指标”表中没有编码为“{p.code}”的指标")
                continue
            months = [p.values.get(f"m{m}") for m in range(1, 13)]
            if any(v is None for v in months):
                blank = next(m for m in range(1, 13) if p.values.get(f"m{m}") is None)
                self.problem(CURVE_SHEET, p.row, p.columns.get(f"m{blank}", 1), "分月计划须填满 12 个月")
                continue
            target = indicators[p.code]
            target.values["plan_curve"] = [plain(Decimal(str(v)) / 100) for v in months]
            target.values["_curve_at"] = (p.row, p.columns)

    def rules(self, indicators: dict[str, Planned]) -> None:
        for fam in FAMILIES:
            columns = rule_columns(fam)
            data = self.sheet(rule_sheet_name(fam), optional=True)
            if data is None:
                continue
            rows = read_table(data, columns, key=columns[0].header, problems=self.problems)
            groups: dict[str, list[tuple[TableRow, dict[str, Any]]]] = {}
            current = ""
            for row in rows:
                code = cell_text(row.cells.get("code")) or current
                if not code:
                    self.problem(data.name, row.number, row.columns["code"], "请填写指标编码")
                    continue
                current = code
                values = parse_row(data.name, columns[1:], row, self.problems)
                if values is None:
                    continue
                groups.setdefault(code, []).append((row, values))
            for code, lines in groups.items():
                self.rule(fam, data.name, code, lines, indicators)

    def rule(
        self,
        fam: Family,
        sheet: str,
        code: str,
        lines: list[tuple[TableRow, dict[str, Any]]],
        indicators: dict[str, Planned],
    ) -> None:
        first = lines[0][0]
        target = indicators.get(code)
        if target is None and code in self.failed:
            return
        if target is None:
            self.problem(sheet, first.number, first.columns["code"], f"“指标”表中没有编码为“{code}”的指标")
            return
        if target.values.get("rule") != fam.name:
            chosen = next((f.label for f in FAMILIES if f.name == target.values.get("rule")), NOT_SCORED)
            message = f"指标“{code}”在“指标”表中的计分方法是“{chosen}”，不是“{fam.label}”；请改计分方法或移到对应工作表"
            self.problem(sheet, first.number, first.columns["code"], message)
            target.values["_rule_done"] = True
            return
        scalars: dict[str, Any] = {}
        for param in fam.params:
            given = [(row, v[param.key]) for row, v in lines if v.get(param.key) not in (None, "")]
            if len({str(x) for _, x in given}) > 1:
                row = given[1][0]
                self.problem(
                    sheet, row.number, row.columns[param.key], f"同一指标的“{param.label}”只填一次（在第一行）"
                )
                target.values["_rule_done"] = True
                return
            scalars[param.key] = given[0][1] if given else None
        item_fields = fam.item.fields if fam.item else ()
        items = []
        for row, v in lines:
            item = {p.key: v.get(f"item.{p.key}") for p in item_fields}
            if any(x not in (None, "") for x in item.values()):
                items.append((row, item))
            elif fam.item is None and row is not first:
                self.problem(sheet, row.number, row.columns["code"], f"指标“{code}”在本表第 {first.number} 行已有参数")
        try:
            stored_scalars = {p.key: p.from_display(scalars[p.key]) for p in fam.params}
            stored_items = [{p.key: p.from_display(i[p.key]) for p in item_fields} for _, i in items]
            target.values["rule"] = rule_from_fields(fam, stored_scalars, stored_items)
        except RuleError as exc:
            index, key = rule_error_at(fam, exc.field)
            row = items[index][0] if index is not None and index < len(items) else first
            name = f"item.{key}" if index is not None else key
            column = row.columns.get(name or "", row.columns["code"])
            self.problem(sheet, row.number, column, exc.message.removeprefix(f"{exc.field}：") if name else exc.message)
        target.values["_rule_done"] = True

    def finish_rules(self, indicators: dict[str, Planned]) -> None:
        """Indicators whose family has no row in its sheet: a family with defaults only scores with them."""
        for p in indicators.values():
            name = p.values.get("rule")
            if isinstance(name, dict):
                continue
            if p.values.pop("_rule_done", False):
                p.values["_skip"] = True  # its rule is refused above; writing it would only say so again
                continue
            if not name:
                p.values["rule"] = None
                continue
            fam = next(f for f in FAMILIES if f.name == name)
            try:
                p.values["rule"] = rule_from_fields(fam, {}, [])
            except RuleError as exc:
                message = f"“{rule_sheet_name(fam)}”工作表中没有该指标的参数：{exc.message}"
                self.problem(INDICATORS_SHEET, p.row, p.columns.get("rule", p.columns["code"]), message)
                p.values["_skip"] = True


class _Writer:
    """Writes the planned objects through the scheme services, turning each refusal into the cells it names."""

    def __init__(self, reader: _Reader, year: int, by: User, reason: str, scenario: str = "") -> None:
        self.reader, self.year, self.by, self.reason, self.scenario = reader, year, by, reason, scenario
        self.counts: dict[str, Counter[str]] = {}
        self.created = False

    @property
    def problems(self) -> list[CellProblem]:
        return self.reader.problems

    def refused(
        self, planned: Planned, exc: ValidationError | ApplicationError, where: dict[str, tuple[str, int, int]]
    ) -> None:
        if isinstance(exc, ApplicationError):
            self.problems.append(CellProblem(planned.sheet, planned.row, planned.columns.get("code", 2), exc.message))
            return
        errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        for name, messages in errors.items():
            sheet, row, column = where.get(name) or (
                planned.sheet,
                planned.row,
                planned.columns.get(name, planned.columns.get("code", 2)),
            )
            for message in messages:
                self.problems.append(CellProblem(sheet, row, column, message.rstrip("。")))

    def count(self, sheet: str, what: str) -> None:
        self.counts.setdefault(sheet, Counter())[what] += 1

    def attempt(
        self, planned: Planned, action: Callable[[], Any], where: dict[str, tuple[str, int, int]] | None = None
    ) -> Any:
        try:
            with transaction.atomic():
                return action()
        except (ValidationError, ApplicationError) as exc:
            self.refused(planned, exc, where or {})
            return None

    def scheme(self, settings: Planned, grade_rule: Any) -> Scheme | None:
        values = {k: v for k, v in settings.values.items() if k in services.SCHEME_SETTINGS}
        values["grade_rule"] = grade_rule
        where = {k: (SETTINGS_SHEET, row, 2) for k, row in settings.columns.items()}
        where["grade_rule"] = (SETTINGS_SHEET, settings.columns.get("grade.else", 1), 2)
        if self.scenario:
            # Into a scenario (模拟方案) made beside the official scheme: it already holds the targets to try on.
            scheme = Scheme.objects.scenarios().filter(year=self.year, scenario=self.scenario).first()
            if scheme is None:
                raise ApplicationError(NO_SCENARIO.format(year=self.year, name=self.scenario))
        else:
            scheme = Scheme.objects.official().filter(year=self.year).first()
        if scheme is not None and scheme.is_published:
            raise ApplicationError(PUBLISHED.format(year=self.year))
        if scheme is not None and _same_grades(scheme.grade_rule, grade_rule):
            values["grade_rule"] = scheme.grade_rule  # the same rule, stored with or without its defaults
        if scheme is None:
            self.created = True

            def create() -> Scheme:
                made = services.scheme_create(
                    year=self.year, name=values["name"], grade_rule=grade_rule, by=self.by, reason=self.reason
                )
                return services.scheme_update(scheme=made, data=values, by=self.by, reason=self.reason)

            made: Scheme | None = self.attempt(settings, create, where)
            if made is not None:
                self.count(SETTINGS_SHEET, "added")
            return made
        before = {k: getattr(scheme, k) for k in values}
        update = partial(services.scheme_update, scheme=scheme, data=values, by=self.by, reason=self.reason)
        result: Scheme | None = self.attempt(settings, update, where)
        self.count(SETTINGS_SHEET, "unchanged" if before == {k: getattr(scheme, k) for k in values} else "changed")
        return result

    def categories(self, scheme: Scheme, planned: list[Planned]) -> dict[str, Category]:
        stored = {c.code: c for c in scheme.categories.all()}
        for p in planned:
            current = stored.get(p.code)
            data = {"name": p.values["name"], "sort_order": p.values.get("sort_order", 0)}
            if current is None:
                made = self.attempt(
                    p,
                    partial(
                        services.category_create, scheme=scheme, code=p.code, by=self.by, reason=self.reason, **data
                    ),
                )
                if made is not None:
                    stored[p.code] = made
                    self.count(CATEGORIES_SHEET, "added")
            elif all(getattr(current, k) == v for k, v in data.items()):
                self.count(CATEGORIES_SHEET, "unchanged")
            elif self.attempt(
                p, partial(services.category_update, category=current, data=data, by=self.by, reason=self.reason)
            ):
                self.count(CATEGORIES_SHEET, "changed")
        return stored

    def indicators(self, scheme: Scheme, planned: list[Planned], categories: dict[str, Category]) -> None:
        departments = {d.code: d for d in Department.objects.all()}
        stored = {
            i.code: i
            for i in scheme.indicators.select_related("category", "owner", "part_of").prefetch_related("group_weights")
        }
        groups = self.reader.groups
        # Each indicator after the total it is part of (所属总量指标), so both can come in the same file.
        for p in parents_first(planned, key=lambda p: p.code, parent=lambda p: p.values.get("part_of") or None):
            v = p.values
            if v.get("_skip"):
                continue
            refs: dict[str, Any] = {}
            bad = False
            for name, lookup, what in (
                ("category", categories, "类别"),
                ("owner", departments, "部门"),
                ("part_of", stored, "指标"),
            ):
                code = v.get(name) or ""
                if not code:
                    refs[name] = None
                    continue
                if code not in lookup and code in self.reader.failed:
                    bad = True  # the row it names is refused already
                    continue
                if code not in lookup:
                    sheet_word = {"类别": "“类别”表", "部门": "组织机构台账", "指标": "“指标”表"}[what]
                    self.problems.append(
                        CellProblem(
                            INDICATORS_SHEET, p.row, p.columns[name], f"{sheet_word}中没有编码为“{code}”的{what}"
                        )
                    )
                    bad = True
                    continue
                refs[name] = lookup[code]
            if bad:
                continue
            current = stored.get(p.code)
            data = {
                "code": p.code, "name": v["name"], "category": refs["category"], "unit": v["unit"], "kind": v["kind"],
                "direction": v.get("direction") or Direction.HIGHER, "owner": refs["owner"], "source": v["source"],
                "frequency": v.get("frequency") or Frequency.MONTHLY, "weight": v["weight"], "rule": v.get("rule"),
                "plan_curve": v.get("plan_curve"), "counts_for_schedule": v.get("counts_for_schedule", True),
                "interpolate_stages": v.get("interpolate_stages", False), "part_of": refs["part_of"],
                "stage_months": v.get("stage_months", []),
                "requires_evidence": v.get("requires_evidence", False), "decimal_places": v.get("decimal_places", 2),
                "rate_places": v.get("rate_places", 2), "sort_order": v.get("sort_order", 0),
            }  # fmt: skip
            weights = {g.pk: v[f"group:{g.pk}"] for g in groups if f"group:{g.pk}" in v}
            where: dict[str, tuple[str, int, int]] = {}
            if "_curve_at" in v:
                row, cols = v["_curve_at"]
                where["plan_curve"] = (CURVE_SHEET, row, cols.get("m1", 1))
            if current is not None and _same(current, data, weights, groups):
                self.count(INDICATORS_SHEET, "unchanged")
                continue
            save = partial(
                services.indicator_save,
                scheme=scheme,
                data=data,
                group_weights=weights,
                by=self.by,
                indicator=current,
                reason=self.reason,
            )
            saved = self.attempt(p, save, where)
            if saved is not None:
                stored[p.code] = saved
                self.count(INDICATORS_SHEET, "added" if current is None else "changed")

    def item_types(self, scheme: Scheme, planned: list[Planned]) -> None:
        departments = {d.code: d for d in Department.objects.all()}
        stored = {t.code: t for t in scheme.item_types.all()}
        for p in planned:
            v = p.values
            owner = v.get("owner") or ""
            if owner and owner not in departments:
                self.problems.append(
                    CellProblem(ITEMS_SHEET, p.row, p.columns["owner"], f"组织机构台账中没有编码为“{owner}”的部门")
                )
                continue
            data = {
                "kind": v["kind"], "name": v["name"], "points": v.get("points"), "cap": v.get("cap"),
                "veto_effect": v.get("veto_effect") or "", "owner": departments.get(owner) if owner else None,
                "from_timeliness": v.get("from_timeliness", False),
            }  # fmt: skip
            current = stored.get(p.code)
            if current is None:
                if self.attempt(
                    p,
                    partial(
                        services.item_type_create, scheme=scheme, code=p.code, by=self.by, reason=self.reason, **data
                    ),
                ):
                    self.count(ITEMS_SHEET, "added")
            elif all(getattr(current, k) == x for k, x in data.items()):
                self.count(ITEMS_SHEET, "unchanged")
            elif self.attempt(
                p, partial(services.item_type_update, item_type=current, data=data, by=self.by, reason=self.reason)
            ):
                self.count(ITEMS_SHEET, "changed")


def _same(current: Indicator, data: dict[str, Any], weights: dict[int, Any], groups: Sequence[UnitGroup]) -> bool:
    """The stored indicator already is what the file asks for: same fields, same rule and plan to the engine
    (a rule stored without its defaults is the same rule as the file's, with them)."""
    now = indicator_values(current, groups)
    if now != {**now, **_as_values(data, weights)}:
        return False
    rules = (current.rule, data["rule"])
    if (rules[0] is None) != (rules[1] is None) or (
        rules[0] is not None and rule_from_dict(rules[0]) != rule_from_dict(rules[1])
    ):
        return False
    curves = [None if c is None else [Decimal(str(x)) for x in c] for c in (current.plan_curve, data["plan_curve"])]
    return curves[0] == curves[1]


def _same_grades(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(grade_rule_from_dict(a) == grade_rule_from_dict(b))


def _as_values(data: dict[str, Any], weights: dict[int, Any]) -> dict[str, Any]:
    """The data an indicator is saved with, in the shape `indicator_values` gives (codes for references)."""
    out = {k: v for k, v in data.items() if k not in ("category", "owner", "part_of", "rule", "plan_curve")}
    out["category"] = data["category"].code
    out["owner"] = data["owner"].code
    out["part_of"] = data["part_of"].code if data["part_of"] else ""
    out["rule"] = (data["rule"] or {}).get("family", "")
    out.update({f"group:{pk}": w for pk, w in weights.items()})
    return out


def scheme_import(
    *, data: bytes, filename: str, year: int, by: User, dry_run: bool = False, scenario: str = ""
) -> SchemeReport:
    """Check and import a scheme workbook into `year` (with `scenario`, into that year's scenario of that name), all
    or nothing; never raises for a bad file, reports."""
    scenario = scenario.strip()
    report = SchemeReport(year=year, filename=filename, dry_run=dry_run, scenario=scenario)
    if not by.has_kaohe_perm("scheme.manage"):
        return report.refuse(NOT_ALLOWED.format(user=by.username))
    try:
        workbook = xlsx.read_workbook(data, filename=filename)
        reader = _Reader(workbook)
        settings = reader.settings()
        grade_rule = reader.grade_rule(settings)
        categories = reader.keyed(CATEGORIES_SHEET, CATEGORY_COLUMNS)
        indicators = reader.indicators()
        by_code = {p.code: p for p in indicators}
        reader.curves(by_code)
        reader.rules(by_code)
        reader.finish_rules(by_code)
        items = reader.keyed(ITEMS_SHEET, ITEM_COLUMNS)
        writer = _Writer(reader, year, by, f"导入考核方案工作簿：{filename}", scenario)
        with transaction.atomic(), deferred_check() as pending:
            scheme = writer.scheme(settings, grade_rule)
            if scheme is not None:
                stored = writer.categories(scheme, categories)
                writer.indicators(scheme, indicators, stored)
                writer.item_types(scheme, items)
                if not reader.problems:
                    _engine_check(pending, reader, by_code)
            if reader.problems or dry_run:
                transaction.set_rollback(True)
    except xlsx.XlsxRejected as exc:
        return report.refuse(exc.message, exc.problems, exc.total_problems)
    except ApplicationError as exc:
        return report.refuse(exc.message)
    except DatabaseError:
        logger.exception("Scheme import of %r into %s by %s failed in the database", filename, year, by.username)
        return report.refuse(DB_FAILED)
    if reader.problems:
        order = [SETTINGS_SHEET, GRADES_SHEET, CATEGORIES_SHEET, INDICATORS_SHEET, CURVE_SHEET]
        order += [rule_sheet_name(f) for f in FAMILIES] + [ITEMS_SHEET]
        problems = sorted(
            reader.problems, key=lambda p: (order.index(p.sheet) if p.sheet in order else 99, p.row, p.column)
        )
        message = f"有 {len(problems)} 处错误，整份文件未导入（没有写入任何数据）。请修改后重新上传。"
        return report.refuse(message, problems)
    report.counts, report.created = writer.counts, writer.created
    return report


def _engine_check(pending: Any, reader: _Reader, indicators: dict[str, Planned]) -> None:
    """The engine's whole check of the scheme as imported; a refusal lands on the indicator it names."""
    try:
        pending.check()
    except ValidationError as exc:
        message = "；".join(exc.messages)
        # The message names the indicator as people know it (by name, in quotes): put it at that indicator's row.
        found = next((p for p in indicators.values() if f"“{p.values['name']}”" in message), None)
        if found is not None:
            column = found.columns.get("rule", found.columns["code"])
            reader.problems.append(CellProblem(INDICATORS_SHEET, found.row, column, message.rstrip("。")))
        else:
            reader.problems.append(CellProblem(SETTINGS_SHEET, 1, 1, message.rstrip("。")))
