"""Excel import of monthly figures and annual targets: read, validate everything, then write all or nothing.

The same code serves the upload page and `kaohe import`:

1. `kaohe.lib.xlsx.read_workbook` checks the file itself (size, zip bomb, macros, XML entities, row and column
   caps, formula and error cells) and reads the values as Decimal, never float.
2. The hidden meta sheet says what the file is (kind, year, month, owner); `read_grid` reads the grid by the
   hidden code row and code column that templates_xlsx.py wrote (structure problems become cell problems).
3. `values_import` / `targets_import` check every cell against the database and the uploader: township and
   indicator codes, scope, ownership, the submission's status and version, number, sign, decimal places.
   Any problem, and nothing is written; each rejected cell is reported with its sheet, row, column and
   reason in Chinese. The meta sheet is the user's file too, so nothing in it is trusted: it only says which
   checks apply.
4. A valid file is written in one transaction with bulk statements (one query per table, dicts keyed by
   code, no per-cell ORM call), one change-log row per changed figure plus one IMPORT row naming the file.
   Unchanged cells write nothing. A dry run validates and counts, and writes nothing. Two writers produce the
   same rows: `_write_orm` (bulk_create / bulk_update, any database) and, on PostgreSQL, `_write_postgresql`
   (COPY into a temporary table, then set-based INSERT / UPDATE / DELETE with their change-log rows), because
   Django's bulk_create alone costs ~30 µs a row in Python and 2,000 townships × 40 indicators must commit in
   ≤ 5 s (PRODUCT.md). A test imports the same files through both and compares every row.

A blank cell means "no figure": it deletes a saved figure, as clearing a field of the web form does. The
template is filled with the saved figures, so a blank is only ever a deliberate deletion.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from kaohe.assessment.checks import engine_checked, touch
from kaohe.core.choices import ChangeAction
from kaohe.core.exceptions import ApplicationError
from kaohe.core.numbers import safe_decimal
from kaohe.core.services import ChangeLogBatch, to_jsonable
from kaohe.lib import xlsx
from kaohe.lib.xlsx import CellProblem, CellValue
from kaohe.org.models import Department, Unit
from kaohe.schemes import services as scheme_services
from kaohe.schemes.choices import DataSource, Frequency
from kaohe.schemes.models import AMOUNT_DIGITS, AMOUNT_PLACES, Indicator, Scheme, Target
from kaohe.scoring import period_label

from . import services
from .choices import EDITABLE, SubmissionStatus
from .models import Submission, Value
from .quality import VOLUME_KINDS, num
from .templates_xlsx import (
    CODE_MARK,
    CODE_ROW,
    FIRST_DATA_ROW,
    SELF,
    STRETCH,
    TARGETS,
    TARGETS_LAYOUT,
    TARGETS_SHEET,
    VALUES,
    VALUES_LAYOUT,
    VALUES_SHEET,
    VERSION_TITLE,
    Layout,
    owner_label,
    split_target_column,
)

if TYPE_CHECKING:
    from kaohe.accounts.models import User

logger = logging.getLogger(__name__)

MAX_LISTED = xlsx.DEFAULT_LIMITS.max_listed_problems
BATCH = 5000

# --- messages: the file as a whole ----------------------------------------------------------------------
NO_META = (
    "文件中没有找到模板信息，无法识别是哪一份模板。请先在系统中下载导入模板，在模板中填写后再上传"
    "（不要把数据复制到其他工作簿）。"
)
BAD_META = "模板信息不完整或已被修改（{what}），请重新下载模板。"
WRONG_KIND = {
    VALUES: "这是数据填报模板，请在“数据填报导入”处上传。",
    TARGETS: "这是目标任务模板，只能由区考核办在“目标任务导入”处上传。",
}
VALUES_YEAR_FIXED = "数据填报模板只能导入它所属的{year}年，不能改导入其他年度。"
NO_SHEET = "找不到工作表“{sheet}”，请不要修改模板中工作表的名称。"
BAD_LAYOUT = "工作表“{sheet}”的结构已被修改（找不到隐藏的编码行），请重新下载模板后填写。"
UNKNOWN_OWNER = "模板中的数据责任部门“{code}”不存在，请重新下载模板。"
NOT_OWNER_DEPT = "本模板是{label}的数据，只有{label}的数据员可以导入。"
NOT_OWNER_SELF = "本模板是乡镇自报数据，只有乡镇填报员或乡镇主要负责人可以导入。"
NO_VALUES_ROLE = "您的角色不能导入填报数据。"
NO_TARGETS_ROLE = "只有区考核办可以导入目标任务。"
NO_SCHEME = "{year}年没有考核方案。"
REJECTED = "文件有 {total} 处错误，未导入任何数据。请逐一修正后重新上传。"
DB_FAILED = "写入数据库时出错，本次导入已全部撤销，未写入任何数据。请稍后重试；如仍失败请联系系统管理员。"

# --- messages: one cell -------------------------------------------------------------------------------
NOT_A_NUMBER = "“{text}”不是数字"
TEXT_NUMBER = "数字“{text}”以文本格式保存，请将单元格设为数值格式后重新输入（或去掉前导撇号）"
NOT_A_NUMBER_BOOL = "不是数字（为逻辑值 {text}）"
NOT_A_NUMBER_DATE = "不是数字（为日期或时间），请检查单元格格式"
NEGATIVE = "“{name}”为累计量，不能为负数（{value}）"
TOO_MANY_PLACES = "小数位数超过该指标允许的 {places} 位（{value}），系统不会自动四舍五入，请修正后再上传"
TOO_LARGE = "数值过大（{value}）"
NO_TASK = "该乡镇“{name}”无目标任务（无任务），不需填报，请清空该单元格"
SUBMITTED = "该乡镇本期数据已提交，不能导入"
APPROVED = "该乡镇本期数据已审核，不能导入"
STALE = "该乡镇本期数据在模板下载后已被修改（版本 {file} → {now}），为免覆盖他人的修改，请重新下载模板后再导入"
UNKNOWN_UNIT = "乡镇编码“{code}”不存在"
NOT_ASSESSED = "“{name}”不是参加考核的乡镇（街道）"
OUT_OF_SCOPE = "“{name}”不在您的填报范围内，只能导入本乡镇的数据"
NOT_EDITABLE_BY = "您不能填报“{name}”的本期数据"
DUPLICATE_ROW = "乡镇“{name}”重复出现（与第 {first} 行重复）"
NO_UNIT_CODE = "该行没有乡镇编码（可能是自行添加的行），请删除该行中的数据"
BAD_VERSION = "隐藏的版本号已被修改，请重新下载模板"
UNKNOWN_INDICATOR = "指标编码“{code}”不在{year}年考核方案中"
NOT_OWNED = "指标“{name}”不是{label}填报的指标，不能在本模板中导入"
NOT_THIS_MONTH = "指标“{name}”为{frequency}指标，{month}月不填报"
DUPLICATE_COLUMN = "指标“{name}”重复出现（与 {letter} 列重复）"
STRETCH_UNDER = "奋斗目标 {stretch} 低于年度目标 {annual}"
STAGE_NOT_POSITIVE = "{month}月的分期目标须大于 0"
STAGE_ABOVE = "{month}月的分期目标 {amount} 超过年度目标 {annual}"
STAGE_DECREASES = "分期目标须逐期不减：{a}月 {x}，{b}月 {y}"
ANNUAL_REQUIRED = "填了奋斗目标或分期目标，须同时填年度目标"
NO_ANNUAL_COLUMN = "指标“{name}”缺少年度目标列"
STRETCH_BELOW = "奋斗目标 {stretch} 低于新的年度目标，请先在目标矩阵中修改奋斗目标"
NO_COLUMN_CODE = "该列不是模板中的指标列（没有指标编码），请删除该列中的数据"

_TOO_LARGE_EXPONENT = AMOUNT_DIGITS - AMOUNT_PLACES  # adjusted() from here on does not fit the column


class ImportRejected(ApplicationError):
    """Nothing was written; `message` is the headline and `problems` the rejected cells."""

    def __init__(self, message: str, problems: Sequence[CellProblem] = (), *, total: int | None = None) -> None:
        super().__init__(message, extra={"problems": list(problems)})
        self.problems = tuple(problems)
        self.total = len(self.problems) if total is None else total


@dataclass
class ImportReport(xlsx.CellReport):
    """What an import did (or, in a dry run, would do); the web page and the command line print it."""

    ok: bool
    filename: str
    dry_run: bool
    kind: str = ""
    period: str = ""  # e.g. "2026年1-10月 · 统计局"
    message: str = ""  # the headline when refused
    problems: tuple[CellProblem, ...] = ()
    total_problems: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    groups: int = 0  # submissions (figures) or townships (targets) touched

    @property
    def written(self) -> int:
        return self.created + self.updated + self.deleted

    @property
    def summary(self) -> str:
        if not self.ok:
            return self.message
        what, group = ("个目标", "个乡镇") if self.kind == TARGETS else ("个数据", "份报送")
        if not self.written:
            return f"没有需要导入的修改：文件中的数据与系统中一致（{self.unchanged:,} {what}未变）。"
        if self.dry_run:
            return f"试导入：将写入 {self.written:,} {what}，涉及 {self.groups:,} {group}（本次未写入任何数据）。"
        return f"已导入 {self.written:,} {what}，涉及 {self.groups:,} {group}。"

    @property
    def detail(self) -> str:
        if self.kind == TARGETS:
            parts = f"新增 {self.created:,} 个、修改 {self.updated:,} 个、取消 {self.deleted:,} 个"
        else:
            parts = f"新增 {self.created:,} 个、修改 {self.updated:,} 个、删除 {self.deleted:,} 个"
        return f"{parts}，未变 {self.unchanged:,} 个。"


def _refused(filename: str, dry_run: bool, message: str, problems: Sequence[CellProblem], total: int) -> ImportReport:
    return ImportReport(
        ok=False, filename=filename, dry_run=dry_run, message=message, problems=tuple(problems), total_problems=total
    )


def import_file(
    *,
    data: bytes,
    filename: str,
    by: User,
    dry_run: bool = False,
    kinds: Collection[str] = (VALUES, TARGETS),
    year: int | None = None,
) -> ImportReport:
    """Check and import one uploaded template; never raises for a bad file, reports instead.

    `year` imports a targets table into another year's scheme than the one it was written for (last year's table
    carried into the new year, a shipped table); a values template always goes to its own year and month.
    """
    try:
        workbook = xlsx.read_workbook(data, filename=filename)
        kind = workbook.meta.get("kind", "")
        if not workbook.meta:
            raise ImportRejected(NO_META)
        if kind not in (VALUES, TARGETS):
            raise ImportRejected(BAD_META.format(what="模板类型无法识别"))
        if kind not in kinds:
            raise ImportRejected(WRONG_KIND[kind])
        grid = read_grid(workbook)
        if year is not None and year != grid.year:
            if kind == VALUES:
                raise ImportRejected(VALUES_YEAR_FIXED.format(year=grid.year))
            grid.year = year
        if kind == VALUES:
            return values_import(rows=grid, by=by, filename=filename, dry_run=dry_run)
        return targets_import(rows=grid, by=by, filename=filename, dry_run=dry_run)
    except xlsx.XlsxRejected as exc:
        return _refused(filename, dry_run, exc.message, exc.problems, exc.total_problems)
    except ImportRejected as exc:
        return _refused(filename, dry_run, exc.message, exc.problems, exc.total)
    except ApplicationError as exc:
        return _refused(filename, dry_run, exc.message, (), 0)
    except ValidationError as exc:  # a service's own check, after ours: rolled back like any other refusal
        return _refused(filename, dry_run, "；".join(exc.messages), (), 0)
    except DatabaseError:
        # The import's transaction has been rolled back as a whole: say so, keep the details for the operator.
        logger.exception("Excel import of %r by %s failed in the database", filename, by.username)
        return _refused(filename, dry_run, DB_FAILED, (), 0)


# --- reading the grid -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GridLine:
    """One township's row of the file: its Excel row number, code, version and every cell as read."""

    row: int
    code: str
    version: int | None
    cells: Sequence[CellValue]  # the whole Excel row, index 0 = column A (padded to the grid's width)


@dataclass
class GridFile:
    """A template's grid as read from the file, before any database check."""

    kind: str
    sheet: str
    layout: Layout
    year: int
    month: int  # 0 for targets
    owner: str  # department code or "self"; "" for targets
    columns: dict[int, str]  # value column (1-based) → indicator code, as in the hidden code row
    lines: list[GridLine]
    problems: list[CellProblem] = field(default_factory=list)
    total_problems: int = 0

    def problem(self, row: int, column: int, message: str) -> None:
        self.total_problems += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(CellProblem(self.sheet, row, column, message))


def _meta_int(meta: Mapping[str, str], key: str, low: int, high: int, what: str) -> int:
    text = meta.get(key, "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ImportRejected(BAD_META.format(what=what))
    return int(text)


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return str(value)


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_grid(workbook: xlsx.Workbook) -> GridFile:
    """The grid of a values or targets template, by its hidden code row and code column."""
    meta = workbook.meta
    kind = meta.get("kind", "")
    layout, default_sheet = (VALUES_LAYOUT, VALUES_SHEET) if kind == VALUES else (TARGETS_LAYOUT, TARGETS_SHEET)
    year = _meta_int(meta, "year", 2000, 9999, "年度无效")
    month = _meta_int(meta, "month", 1, 12, "月份无效") if kind == VALUES else 0
    owner = meta.get("owner", "").strip() if kind == VALUES else ""
    if kind == VALUES and not owner:
        raise ImportRejected(BAD_META.format(what="缺少数据责任单位"))
    name = meta.get("sheet", default_sheet)
    try:
        sheet = workbook.sheet(name)
    except KeyError:
        raise ImportRejected(NO_SHEET.format(sheet=name)) from None
    code_row = sheet.rows[CODE_ROW - 1] if len(sheet.rows) >= CODE_ROW else []
    marks = [CODE_MARK] + ([VERSION_TITLE] if layout.version_column is not None else [])
    if [_text(v) for v in code_row[: len(marks)]] != marks:
        raise ImportRejected(BAD_LAYOUT.format(sheet=sheet.name))
    width = max((len(r) for r in sheet.rows), default=0)
    grid = GridFile(kind, sheet.name, layout, year, month, owner, {}, [])
    uncoded: list[int] = []
    seen_codes: dict[str, int] = {}
    for column in range(layout.first_value_column, width + 1):
        code = _text(code_row[column - 1]) if column <= len(code_row) else ""
        if not code:
            uncoded.append(column)
        elif code in seen_codes:
            letter = xlsx.column_letter(seen_codes[code])
            grid.problem(1, column, DUPLICATE_COLUMN.format(name=_text(sheet.cell(1, column)) or code, letter=letter))
        else:
            seen_codes[code] = column
            grid.columns[column] = code
    seen_rows: dict[str, int] = {}
    for number in range(FIRST_DATA_ROW, len(sheet.rows) + 1):
        cells = sheet.rows[number - 1]
        if len(cells) < width:
            cells = cells + [None] * (width - len(cells))
        for column in uncoded:
            if not _blank(cells[column - 1]):
                grid.problem(number, column, NO_COLUMN_CODE)
        code = _text(cells[layout.code_column - 1])
        if not code:
            filled = any(not _blank(cells[c - 1]) for c in grid.columns)
            if filled or not _blank(cells[layout.name_column - 1]):
                grid.problem(number, layout.name_column, NO_UNIT_CODE)
            continue
        if code in seen_rows:
            name = _text(cells[layout.name_column - 1]) or code
            grid.problem(number, layout.name_column, DUPLICATE_ROW.format(name=name, first=seen_rows[code]))
            continue
        seen_rows[code] = number
        version: int | None = None
        if layout.version_column is not None:
            raw = cells[layout.version_column - 1]
            if type(raw) is not int or raw < 0:
                grid.problem(number, layout.version_column, BAD_VERSION)
                continue
            version = raw
        grid.lines.append(GridLine(number, code, version, cells))
    return grid


# --- numbers ---------------------------------------------------------------------------------------------


def parse_cell(
    raw: CellValue, *, places: int, allow_negative: bool, name: str, indicator: Indicator | None = None
) -> Decimal | str:
    """A cell as a Decimal within the indicator's precision (and, given the indicator, its bounds), or the Chinese
    reason it is not one."""
    if type(raw) is Decimal:
        amount = raw
    elif type(raw) is int:
        amount = Decimal(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        shown = text if len(text) <= 20 else text[:20] + "…"
        if safe_decimal(text) is not None:  # a number stored as text: say so, rather than "not a number"
            return TEXT_NUMBER.format(text=shown)
        return NOT_A_NUMBER.format(text=shown)
    elif isinstance(raw, bool):
        return NOT_A_NUMBER_BOOL.format(text="TRUE" if raw else "FALSE")
    elif isinstance(raw, date | datetime | time | timedelta):
        return NOT_A_NUMBER_DATE
    else:
        return NOT_A_NUMBER.format(text=str(raw)[:20])
    if amount < 0 and not allow_negative:
        return NEGATIVE.format(name=name, value=num(amount))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        return TOO_MANY_PLACES.format(places=places, value=f"{amount:f}")
    if amount and amount.adjusted() >= _TOO_LARGE_EXPONENT:
        return TOO_LARGE.format(value=f"{amount:f}"[:30])
    if indicator is not None and (problem := indicator.out_of_bounds(amount)):
        return problem
    return amount


# --- the change log, in bulk ------------------------------------------------------------------------------


def _import_row(log: ChangeLogBatch, kind: str, filename: str, repr_: str, after: dict[str, Any]) -> None:
    log.add(ChangeAction.IMPORT, f"collection.import_{kind}", "", f"Excel 导入 {repr_}：{filename}", None, after)


# --- monthly figures ------------------------------------------------------------------------------------


def _check_owner(by: User, owner_code: str) -> Department | None:
    """The template's owner, if the uploader is that owner; refuses the file otherwise."""
    if not by.has_kaohe_perm("data.enter"):
        raise ImportRejected(NO_VALUES_ROLE)
    if owner_code == SELF:
        if by.unit_id is None:
            raise ImportRejected(NOT_OWNER_SELF)
        return None
    department = Department.objects.filter(code=owner_code).first()
    if department is None:
        raise ImportRejected(UNKNOWN_OWNER.format(code=owner_code))
    if by.department_id != department.pk:
        raise ImportRejected(NOT_OWNER_DEPT.format(label=owner_label(department)))
    return department


_Saved = tuple[int, Decimal, bool, str, str]  # a saved value: id, amount, is_revision, note, evidence


@dataclass(frozen=True, slots=True)
class _Column:
    column: int
    indicator: Indicator
    places: int
    allow_negative: bool
    needs_target: bool


def _value_columns(grid: GridFile, scheme: Scheme, owner: Department | None) -> list[_Column]:
    """The file's indicator columns, each checked once: known, owned by the template's owner, due this month."""
    indicators = {i.code: i for i in Indicator.objects.filter(scheme=scheme, code__in=list(grid.columns.values()))}
    label = owner_label(owner)
    result = []
    for column, code in grid.columns.items():
        ind = indicators.get(code)
        if ind is None:
            grid.problem(1, column, UNKNOWN_INDICATOR.format(code=code, year=grid.year))
            continue
        self_reported = ind.source == DataSource.SELF_REPORTED
        if (owner is None) != self_reported or (owner is not None and ind.owner_id != owner.pk):
            grid.problem(1, column, NOT_OWNED.format(name=ind.name, label=label))
            continue
        if not services.evaluated_in(ind, grid.month):
            frequency = Frequency(ind.frequency).label if ind.frequency != Frequency.MONTHLY else "年度"
            grid.problem(1, column, NOT_THIS_MONTH.format(name=ind.name, frequency=frequency, month=grid.month))
            continue
        result.append(
            _Column(
                column, ind, min(ind.decimal_places, AMOUNT_PLACES), ind.kind not in VOLUME_KINDS,
                services.indicator_needs_target(ind),
            )
        )  # fmt: skip
    return result


def _state(amount: Decimal | str, is_revision: bool, note: str, evidence: str) -> dict[str, object]:
    # The shape values_save logs, so a figure's history reads the same whichever way it was entered.
    return {"amount": str(amount), "is_revision": is_revision, "note": note, "evidence": evidence}


@engine_checked
@transaction.atomic
def values_import(*, rows: GridFile, by: User, filename: str, dry_run: bool) -> ImportReport:
    """Validate a values grid in full, then write it in bulk (one transaction), or refuse it with every problem.

    The rules of `services.values_save`, for many submissions at once: only the data owner (`may_edit`), only
    editable submissions (填报中 / 已退回), the version each row was downloaded at must still be current, one
    version step per touched submission, one change-log row per changed figure. Submissions are locked
    (SELECT … FOR UPDATE) before they are checked, so a submit or save cannot slip in between.
    """
    grid = rows
    scheme = Scheme.objects.official().filter(year=grid.year).first()
    if scheme is None or not scheme.is_published:
        raise ImportRejected(services.NOT_PUBLISHED.format(year=grid.year))
    owner = _check_owner(by, grid.owner)
    columns = _value_columns(grid, scheme, owner)

    units = {u.code: u for u in Unit.objects.filter(code__in=[line.code for line in grid.lines])}
    assessed = Unit.objects.visible_to(by).assessed(scheme.year)
    in_scope = set(assessed.filter(pk__in=[u.pk for u in units.values()]).values_list("pk", flat=True))
    unit_ids = [u.pk for u in units.values() if u.pk in in_scope]
    # No ordering: the model's default one joins the (nullable) owner, which FOR UPDATE cannot lock.
    submissions = Submission.objects.filter(scheme=scheme, month=grid.month, owner=owner, unit_id__in=unit_ids)
    submissions = submissions.order_by()
    if not dry_run:
        submissions = submissions.select_for_update(of=("self",))
    by_unit = {s.unit_id: s for s in submissions.only("id", "unit_id", "status", "version", "owner_id")}
    existing: dict[int, dict[int, _Saved]] = {}
    sub_unit = {s.pk: s.unit_id for s in by_unit.values()}
    value_rows = Value.objects.filter(submission_id__in=list(sub_unit)).values_list(
        "id", "submission_id", "indicator_id", "amount", "is_revision", "note", "evidence"
    )
    for value_id, sub_id, ind_id, amount, is_revision, note, evidence in value_rows:
        existing.setdefault(sub_unit[sub_id], {})[ind_id] = (value_id, amount, is_revision, note, evidence or "")
    targeted = [c.indicator.pk for c in columns if c.needs_target]
    with_target = set(
        Target.objects.filter(indicator_id__in=targeted, unit_id__in=unit_ids).values_list("unit_id", "indicator_id")
        if targeted
        else ()
    )

    creates: list[tuple[int, _Column, Decimal]] = []
    updates: list[tuple[int, _Column, Decimal, _Saved]] = []
    deletes: list[tuple[int, _Column, _Saved]] = []
    touched: dict[int, Unit] = {}
    unchanged = 0
    name_column = grid.layout.name_column
    for line in grid.lines:
        unit = units.get(line.code)
        if unit is None:
            grid.problem(line.row, name_column, UNKNOWN_UNIT.format(code=line.code))
            continue
        if not unit.is_township or not unit.is_assessed:
            grid.problem(line.row, name_column, NOT_ASSESSED.format(name=unit.name))
            continue
        if unit.pk not in in_scope:
            grid.problem(line.row, name_column, OUT_OF_SCOPE.format(name=unit.name))
            continue
        submission = by_unit.get(unit.pk)
        probe = submission or Submission(scheme=scheme, unit=unit, month=grid.month, owner=owner)
        if not services.may_edit(by, probe):
            grid.problem(line.row, name_column, NOT_EDITABLE_BY.format(name=unit.name))
            continue
        closed = ""
        if submission is not None and submission.status not in EDITABLE:
            closed = APPROVED if submission.status == SubmissionStatus.APPROVED else SUBMITTED
        else:
            current = submission.version if submission is not None else 0
            if line.version is not None and line.version != current:
                closed = STALE.format(file=line.version, now=current)
        saved = existing.get(unit.pk, {})
        cells = line.cells
        row_changed = False
        for col in columns:
            raw = cells[col.column - 1]
            old = saved.get(col.indicator.pk)
            if raw is None or (type(raw) is str and not raw.strip()):
                if old is None:
                    continue
                if closed:
                    grid.problem(line.row, col.column, closed)
                    continue
                deletes.append((unit.pk, col, old))
                row_changed = True
                continue
            parsed = parse_cell(
                raw, places=col.places, allow_negative=col.allow_negative, name=col.indicator.name,
                indicator=col.indicator,
            )  # fmt: skip
            if isinstance(parsed, str):
                grid.problem(line.row, col.column, parsed)
                continue
            amount = parsed
            if col.needs_target and (unit.pk, col.indicator.pk) not in with_target:
                grid.problem(line.row, col.column, NO_TASK.format(name=col.indicator.name))
                continue
            if old is not None and old[1] == amount:
                unchanged += 1
                continue
            if closed:
                grid.problem(line.row, col.column, closed)
                continue
            if old is None:
                creates.append((unit.pk, col, amount))
            else:
                updates.append((unit.pk, col, amount, old))
            row_changed = True
        if row_changed:
            touched[unit.pk] = unit

    if grid.total_problems:
        raise ImportRejected(REJECTED.format(total=grid.total_problems), grid.problems, total=grid.total_problems)
    period = f"{grid.year}年{period_label(grid.month)} · {owner_label(owner)}"
    report = ImportReport(
        ok=True, filename=filename, dry_run=dry_run, kind=VALUES, period=period,
        created=len(creates), updated=len(updates), deleted=len(deletes), unchanged=unchanged, groups=len(touched),
    )  # fmt: skip
    if dry_run or not touched:
        return report

    now = timezone.now()
    new_subs = [
        Submission(scheme=scheme, unit=unit, month=grid.month, owner=owner, status=SubmissionStatus.DRAFT, version=0)
        for unit_id, unit in touched.items()
        if unit_id not in by_unit
    ]
    Submission.objects.bulk_create(new_subs, batch_size=BATCH)
    sub_ids = {s.unit_id: s.pk for s in [*by_unit.values(), *new_subs]}
    log = ChangeLogBatch(by, f"Excel 导入：{filename}", now)
    write = _write_postgresql if connection.vendor in FAST_VENDORS else _write_orm
    write(
        _Writes(creates, updates, deletes, sub_ids, period_label(grid.month), log),
        names={u.pk: u.name for u in units.values()},
    )
    Submission.objects.filter(pk__in=[sub_ids[unit_id] for unit_id in touched]).update(
        version=F("version") + 1, updated_at=now
    )
    _import_row(
        log, VALUES, filename, report.period, _summary(report, year=grid.year, month=grid.month, owner=grid.owner)
    )
    log.save()
    touch(scheme, units=set(touched))
    return report


@dataclass
class _Writes:
    """The changes of a valid values file, keyed by ids, ready to be written by one of the two writers."""

    creates: list[tuple[int, _Column, Decimal]]  # (unit id, column, amount)
    updates: list[tuple[int, _Column, Decimal, _Saved]]  # (unit id, column, new amount, saved value)
    deletes: list[tuple[int, _Column, _Saved]]
    sub_ids: dict[int, int]  # unit id → submission id
    period: str  # "1-10月", for the change log's object names
    log: ChangeLogBatch


def _write_orm(writes: _Writes, *, names: Mapping[int, str]) -> None:
    """Any database: bulk_create / bulk_update / one DELETE, the change-log rows collected for one bulk insert."""
    log, period, now = writes.log, writes.period, writes.log.now
    created = [
        Value(submission_id=writes.sub_ids[unit_id], indicator=col.indicator, amount=amount, entered_by=log.by)
        for unit_id, col, amount in writes.creates
    ]
    Value.objects.bulk_create(created, batch_size=BATCH)
    for value, (unit_id, col, amount) in zip(created, writes.creates, strict=True):
        log.add(
            ChangeAction.CREATE, "collection.value", str(value.pk), f"{names[unit_id]} {col.indicator.name} {period}",
            None, _state(amount, False, "", ""),
        )  # fmt: skip
    changed = [
        Value(pk=old[0], amount=amount, entered_by=log.by, updated_at=now) for _, _, amount, old in writes.updates
    ]
    Value.objects.bulk_update(changed, ["amount", "entered_by", "updated_at"], batch_size=BATCH)
    for unit_id, col, amount, old in writes.updates:
        value_id, before, is_revision, note, evidence = old
        log.add(
            ChangeAction.UPDATE, "collection.value", str(value_id), f"{names[unit_id]} {col.indicator.name} {period}",
            _state(before, is_revision, note, evidence), _state(amount, is_revision, note, evidence),
        )  # fmt: skip
    if writes.deletes:
        Value.objects.filter(pk__in=[old[0] for _, _, old in writes.deletes]).delete()
    for unit_id, col, old in writes.deletes:
        value_id, before, is_revision, note, evidence = old
        log.add(
            ChangeAction.DELETE, "collection.value", str(value_id), f"{names[unit_id]} {col.indicator.name} {period}",
            _state(before, is_revision, note, evidence), None,
        )  # fmt: skip


# PostgreSQL: the same rows as _write_orm, set-based. The changes go to a temporary table by COPY (one line of
# text per change), then three statements write the values and their change-log rows from it, the object names
# and before/after states computed by the server (the JSON keys and texts are those of services._value_state).
# A Django bulk_create costs ~30 µs a row in Python alone: 160,000 rows would be far beyond the 5 s goal.
FAST_VENDORS = frozenset({"postgresql"})
PG_SQL = {
    "table": """
        DROP TABLE IF EXISTS pg_temp.kaohe_import_rows;
        CREATE TEMPORARY TABLE kaohe_import_rows (
            op "char" NOT NULL, submission_id bigint NOT NULL, indicator_id bigint NOT NULL, value_id bigint,
            amount text
        ) ON COMMIT DROP""",
    "copy": "COPY kaohe_import_rows (op, submission_id, indicator_id, value_id, amount) FROM STDIN",
    # Updates and deletions are logged first, while the rows still hold their "before".
    "log_old": ChangeLogBatch.insert_select_sql(
        action="CASE t.op WHEN 'u' THEN 'update' ELSE 'delete' END",
        object_type="'collection.value'",
        object_id="v.id::text",
        object_repr="u.name || ' ' || i.name || ' ' || %(period)s",
        before="""jsonb_build_object('amount', v.amount::text, 'is_revision', v.is_revision, 'note', v.note,
                                     'evidence', coalesce(v.evidence, ''))""",
        after="""CASE WHEN t.op = 'u' THEN jsonb_build_object('amount', t.amount, 'is_revision', v.is_revision,
                                                           'note', v.note, 'evidence', coalesce(v.evidence, '')) END""",
        source="""
        FROM kaohe_import_rows t
        JOIN collection_value v ON v.id = t.value_id
        JOIN collection_submission s ON s.id = v.submission_id
        JOIN org_unit u ON u.id = s.unit_id
        JOIN schemes_indicator i ON i.id = v.indicator_id
        WHERE t.op IN ('u', 'd')
        ORDER BY v.id""",
    ),
    "update": """
        UPDATE collection_value v SET amount = t.amount::numeric, entered_by_id = %(actor)s, updated_at = %(at)s
        FROM kaohe_import_rows t WHERE t.op = 'u' AND v.id = t.value_id""",
    "delete": "DELETE FROM collection_value v USING kaohe_import_rows t WHERE t.op = 'd' AND v.id = t.value_id",
    "drop": "DROP TABLE kaohe_import_rows",
    "create": ChangeLogBatch.insert_select_sql(
        prefix="""
        WITH v AS (
            INSERT INTO collection_value (created_at, updated_at, submission_id, indicator_id, amount, is_revision,
                                          note, evidence, entered_by_id)
            SELECT %(at)s, %(at)s, t.submission_id, t.indicator_id, t.amount::numeric, false, '', '', %(actor)s
            FROM kaohe_import_rows t WHERE t.op = 'c'
            RETURNING id, submission_id, indicator_id
        )""",
        action="'create'",
        object_type="'collection.value'",
        object_id="v.id::text",
        object_repr="u.name || ' ' || i.name || ' ' || %(period)s",
        before="NULL",
        after="jsonb_build_object('amount', t.amount, 'is_revision', false, 'note', '', 'evidence', '')",
        source="""
        FROM v
        JOIN kaohe_import_rows t ON t.op = 'c' AND t.submission_id = v.submission_id AND t.indicator_id = v.indicator_id
        JOIN collection_submission s ON s.id = v.submission_id
        JOIN org_unit u ON u.id = s.unit_id
        JOIN schemes_indicator i ON i.id = v.indicator_id
        ORDER BY v.id""",
    ),
}


def _write_postgresql(writes: _Writes, *, names: Mapping[int, str]) -> None:
    sql = PG_SQL
    sub_ids = writes.sub_ids
    lines = [f"c\t{sub_ids[u]}\t{col.indicator.pk}\t\\N\t{amount}\n" for u, col, amount in writes.creates]
    lines += [f"u\t{sub_ids[u]}\t{col.indicator.pk}\t{old[0]}\t{amount}\n" for u, col, amount, old in writes.updates]
    lines += [f"d\t{sub_ids[u]}\t{col.indicator.pk}\t{old[0]}\t\\N\n" for u, col, old in writes.deletes]
    params = {"period": writes.period, **writes.log.sql_params()}
    with connection.cursor() as cursor:
        cursor.execute(sql["table"])
        with cursor.cursor.copy(sql["copy"]) as copy:
            copy.write("".join(lines))
        if writes.updates or writes.deletes:
            cursor.execute(sql["log_old"], params)
            cursor.execute(sql["update"], params)
            cursor.execute(sql["delete"])
        if writes.creates:
            cursor.execute(sql["create"], params)
        cursor.execute(sql["drop"])  # at once: a long transaction (several imports) would keep it until commit


def _summary(report: ImportReport, **extra: object) -> dict[str, Any]:
    summary: dict[str, Any] = to_jsonable(
        {
            "file": report.filename, "kind": report.kind, **extra, "created": report.created,
            "updated": report.updated, "deleted": report.deleted, "groups": report.groups,
        }
    )  # fmt: skip
    return summary


# --- annual targets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TargetCells:
    amount: Decimal
    stretch: Decimal | None
    stages: dict[str, str]


def _stages(stages: Mapping[str, Any] | None) -> dict[int, Decimal]:
    return {int(m): Decimal(str(v)) for m, v in (stages or {}).items()}


def _target_cells(
    grid: GridFile, line: GridLine, ind: Indicator, columns: Mapping[str, int], target: Target | None
) -> _TargetCells | None:
    """One township's annual, stretch and staged targets of an indicator, each refusal at its own cell."""
    ok = True

    def number(column: int) -> Decimal | None:
        nonlocal ok
        raw = line.cells[column - 1]
        if _blank(raw):
            return None
        value = parse_cell(raw, places=AMOUNT_PLACES, allow_negative=True, name=ind.name, indicator=ind)
        if isinstance(value, str):
            grid.problem(line.row, column, value)
            ok = False
            return None
        return value

    annual_column = columns[""]
    amount = number(annual_column)
    if amount is None:
        if ok:
            grid.problem(line.row, annual_column, ANNUAL_REQUIRED)
        return None
    if not scheme_services.target_may_be(ind, amount):
        grid.problem(line.row, annual_column, scheme_services.TARGET_NOT_POSITIVE.format(amount=num(amount)))
        return None
    if STRETCH in columns:
        stretch = number(columns[STRETCH])
        if stretch is not None and stretch < amount:
            grid.problem(line.row, columns[STRETCH], STRETCH_UNDER.format(stretch=num(stretch), annual=num(amount)))
            ok = False
    else:
        stretch = target.stretch if target else None
        if stretch is not None and stretch < amount:
            grid.problem(line.row, annual_column, STRETCH_BELOW.format(stretch=num(stretch)))
            ok = False
    stages = {m: v for m, v in _stages(target.stages if target else None).items() if str(m) not in columns}
    for part, column in sorted(columns.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        if not part.isdigit():
            continue
        value = number(column)
        if value is None:
            continue
        month = int(part)
        if value <= 0:
            grid.problem(line.row, column, STAGE_NOT_POSITIVE.format(month=month))
            ok = False
        elif value > amount:
            grid.problem(line.row, column, STAGE_ABOVE.format(month=month, amount=num(value), annual=num(amount)))
            ok = False
        else:
            earlier = [(m, v) for m, v in stages.items() if m < month]
            if earlier and max(earlier)[1] > value:
                m, v = max(earlier)
                grid.problem(line.row, column, STAGE_DECREASES.format(a=m, x=num(v), b=month, y=num(value)))
                ok = False
            stages[month] = value
    if not ok:
        return None
    try:
        clean = scheme_services.clean_stages({str(m): str(v) for m, v in stages.items()}, amount)
    except ValidationError as exc:  # a kept stage that no longer fits the new annual target
        grid.problem(line.row, annual_column, "；".join(m.rstrip("。") for m in exc.messages))
        return None
    return _TargetCells(amount, stretch, clean)


@engine_checked
@transaction.atomic
def targets_import(*, rows: GridFile, by: User, filename: str, dry_run: bool) -> ImportReport:
    """Validate a targets grid in full, then set every changed target through `schemes.services` (draft only).

    Per township and indicator the file has the annual target and, in columns of their own, the stretch target
    (奋斗目标) and the staged targets (分期目标, one column per stage month). The rules are the scheme's: the
    scheme must still be a draft, a target is > 0 (a growth target may be ≤ 0), a stretch target is not below the
    annual one, stages do not decrease and none is above the annual target; each refusal names its cell. All of a
    township's cells of an indicator left blank cancel its task (无任务). A column the file does not have (an
    older template) leaves that part of the stored target as it is. The engine checks the whole scheme last.
    """
    grid = rows
    if not by.has_kaohe_perm("scheme.manage"):
        raise ImportRejected(NO_TARGETS_ROLE)
    scheme = Scheme.objects.official().filter(year=grid.year).first()
    if scheme is None:
        raise ImportRejected(NO_SCHEME.format(year=grid.year))
    if not dry_run:
        scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)  # publishing waits for the import
    if scheme.is_published:
        raise ImportRejected(scheme_services.SCHEME_FROZEN.format(year=scheme.year))
    codes = {split_target_column(code)[0] for code in grid.columns.values()}
    indicators = {
        i.code: i for i in Indicator.objects.filter(scheme=scheme, code__in=list(codes)).select_related("scheme")
    }
    parts: dict[str, dict[str, int]] = {}  # indicator code → part ("", "stretch", "6") → column
    for column, text in grid.columns.items():
        code, part = split_target_column(text)
        if code not in indicators:
            grid.problem(1, column, UNKNOWN_INDICATOR.format(code=code, year=grid.year))
        elif part not in ("", STRETCH) and not (part.isdigit() and 1 <= int(part) <= 12):
            grid.problem(1, column, UNKNOWN_INDICATOR.format(code=text, year=grid.year))
        else:
            parts.setdefault(code, {})[part] = column
    for code, columns in parts.items():
        if "" not in columns:
            grid.problem(1, min(columns.values()), NO_ANNUAL_COLUMN.format(name=indicators[code].name))
    units = {u.code: u for u in Unit.objects.filter(code__in=[line.code for line in grid.lines])}
    targets = {
        (t.unit_id, t.indicator_id): t
        for t in Target.objects.filter(indicator__scheme=scheme, unit__in=list(units.values()))
    }
    sets: list[tuple[Unit, Indicator, _TargetCells, Target | None]] = []
    removals: list[Target] = []
    touched: set[int] = set()
    unchanged = 0
    for line in grid.lines:
        unit = units.get(line.code)
        if unit is None:
            grid.problem(line.row, grid.layout.name_column, UNKNOWN_UNIT.format(code=line.code))
            continue
        if not unit.is_township or not unit.is_assessed:
            grid.problem(line.row, grid.layout.name_column, NOT_ASSESSED.format(name=unit.name))
            continue
        for code, columns in parts.items():
            ind = indicators[code]
            if "" not in columns:
                continue
            target = targets.get((unit.pk, ind.pk))
            if all(_blank(line.cells[c - 1]) for c in columns.values()):
                if target is not None:
                    removals.append(target)
                    touched.add(unit.pk)
                continue
            cells = _target_cells(grid, line, ind, columns, target)
            if cells is None:
                continue
            if target is not None and (target.amount, target.stretch, _stages(target.stages)) == (
                cells.amount,
                cells.stretch,
                _stages(cells.stages),
            ):
                unchanged += 1
                continue
            sets.append((unit, ind, cells, target))
            touched.add(unit.pk)
    if grid.total_problems:
        raise ImportRejected(REJECTED.format(total=grid.total_problems), grid.problems, total=grid.total_problems)
    report = ImportReport(
        ok=True, filename=filename, dry_run=dry_run, kind=TARGETS, period=f"{grid.year}年目标任务",
        created=sum(1 for *_, t in sets if t is None), updated=sum(1 for *_, t in sets if t is not None),
        deleted=len(removals), unchanged=unchanged, groups=len(touched),
    )  # fmt: skip
    if dry_run or not touched:
        return report
    reason = f"Excel 导入：{filename}"
    for unit, ind, cells, _ in sets:
        scheme_services.target_set(
            indicator=ind, unit=unit, amount=cells.amount, by=by, stretch=cells.stretch, stages=cells.stages,
            reason=reason,
        )  # fmt: skip
    for target in removals:
        scheme_services.target_remove(target=target, by=by, reason=reason)
    log = ChangeLogBatch(by, reason)
    _import_row(log, TARGETS, filename, report.period, _summary(report, year=grid.year))
    log.save()
    return report
