"""Excel templates to download, fill in and upload again: monthly figures and annual targets.

Both are one grid: townships down, indicators across. The layout (importers.py reads it back):

    row 1    乡镇编码 | 版本 | 乡镇（街道） | indicator name …     (merged over two rows on the left)
    row 2                                    | 计量单位 …
    row 3    编码     |      |               | indicator code …     hidden: what the importer matches on
    row 4 …  code     | ver  | name          | value …              codes and the version column hidden

Only value cells are unlocked; codes, names, the 无任务 cells (an indicator needing a target where the
township has none) and the rows of submissions already handed in are locked and grey. The sheet
protection is a guard against slips, not a security control: the importer re-checks every code, scope,
status and number against the database. The hidden `_meta` sheet says what the file is (kind, year,
month, owner), and the version column carries each submission's version at download, so a file filled
in while someone else changed the same figures is refused instead of overwriting them (SECURITY.md DI-1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.utils import timezone

from kaohe.core.exceptions import ApplicationError
from kaohe.lib import xlsx
from kaohe.org.models import Department, Unit
from kaohe.schemes.choices import DataSource, IndicatorKind
from kaohe.schemes.models import Indicator, Scheme, Target
from kaohe.scoring import period_label, stage_label

from . import services
from .choices import EDITABLE
from .models import Submission, Value
from .quality import VOLUME_KINDS

if TYPE_CHECKING:
    from kaohe.accounts.models import User

VALUES, TARGETS = "values", "targets"
SELF = "self"  # the owner of township self-reported figures in meta and on the command line
TEMPLATE_FORMAT = "1"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

VALUES_SHEET = "数据填报"
TARGETS_SHEET = "目标任务"
NOTES_SHEET = "填表说明"
CODE_ROW = 3  # the hidden row of indicator codes (1-based, as Excel numbers rows)
FIRST_DATA_ROW = 4
CODE_MARK = "编码"  # in the code row's first cell: tells the importer the layout is ours
VERSION_TITLE = "版本"

GREY = "#E7E6E6"


@dataclass(frozen=True)
class Layout:
    """Where things are in a grid sheet (1-based columns)."""

    version_column: int | None  # the hidden submission version (values only)
    name_column: int
    first_value_column: int
    code_column: int = 1

    @property
    def fixed_columns(self) -> int:
        return self.first_value_column - 1


VALUES_LAYOUT = Layout(version_column=2, name_column=3, first_value_column=4)
TARGETS_LAYOUT = Layout(version_column=None, name_column=2, first_value_column=3)


@dataclass(frozen=True)
class GridColumn:
    code: str  # in the hidden code row: an indicator code; targets add "@stretch" or "@<month>" (TARGET_PARTS)
    name: str  # header row 1; consecutive columns of one indicator share one merged cell
    unit: str  # header row 2
    decimal_places: int
    allow_negative: bool = False


STRETCH = "stretch"  # the 奋斗目标 column of an indicator in the targets grid: "<code>@stretch"


def target_column(code: str, part: str = "") -> str:
    """The code-row text of a targets grid column: the annual target, its stretch target, or a stage month."""
    return f"{code}@{part}" if part else code


def split_target_column(text: str) -> tuple[str, str]:
    """("gdp", ""), ("gdp", "stretch") or ("gdp", "6") from a code-row text."""
    code, _, part = text.partition("@")
    return code, part


@dataclass(frozen=True)
class GridRow:
    code: str
    name: str
    values: Sequence[Decimal | None]
    locked: Sequence[bool]  # per value column: 无任务 or not editable
    version: int | None = None


@dataclass(frozen=True)
class Grid:
    """What one template holds, before it becomes a workbook (the benchmark fills one in directly)."""

    kind: str
    sheet: str
    layout: Layout
    columns: Sequence[GridColumn]
    rows: Sequence[GridRow]
    meta: Mapping[str, str]
    notes: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Template:
    filename: str
    content: bytes
    grid: Grid

    @property
    def content_disposition(self) -> str:
        """RFC 6266/5987: an ASCII fallback name, then the Chinese one percent-encoded as UTF-8."""
        fallback = "kaohe-" + "-".join(
            [self.grid.kind, *[self.grid.meta[k] for k in ("year", "month", "owner") if k in self.grid.meta]]
        )
        ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in fallback)
        return f"attachment; filename=\"{ascii_name}.xlsx\"; filename*=UTF-8''{quote(self.filename, safe='')}"


# --- which template a user gets ----------------------------------------------------------------------


def owner_of(user: User) -> tuple[str, Department | None]:
    """The data the user owns: ("self", None) for township users, (department code, department) for officers."""
    if user.has_kaohe_perm("data.enter") and user.unit_id is not None:
        return SELF, None
    if user.has_kaohe_perm("data.enter") and user.department is not None:
        return user.department.code, user.department
    raise ApplicationError("只有乡镇填报员、乡镇主要负责人和部门数据员可以下载数据填报模板。")


def owner_label(owner: Department | None) -> str:
    return (owner.short_name or owner.name) if owner is not None else "乡镇自报"


def owned_indicators(scheme: Scheme, owner: Department | None, month: int | None) -> list[Indicator]:
    """The owner's indicators reported in `month` (all months when None), in the scheme's order."""
    rows = Indicator.objects.filter(scheme=scheme)
    if owner is None:
        rows = rows.filter(source=DataSource.SELF_REPORTED)
    else:
        rows = rows.filter(owner=owner).exclude(source=DataSource.SELF_REPORTED)
    found = list(rows.order_by("sort_order", "code"))
    return [i for i in found if month is None or services.evaluated_in(i, month)]


def _column(ind: Indicator) -> GridColumn:
    return GridColumn(ind.code, ind.name, ind.unit, ind.decimal_places, allow_negative=ind.kind not in VOLUME_KINDS)


def values_grid(*, user: User, year: int, month: int) -> Grid:
    """The user's monthly template: townships in his scope × the indicators he owns, filled with what is saved."""
    if not 1 <= month <= 12:
        raise ApplicationError("月份须在1到12之间。")
    scheme = Scheme.objects.official().filter(year=year).first()
    if scheme is None or not scheme.is_published:
        raise ApplicationError(services.NOT_PUBLISHED.format(year=year))
    owner_code, owner = owner_of(user)
    units = list(Unit.objects.visible_to(user).assessed(year).order_by("sort_order", "code"))
    indicators = owned_indicators(scheme, owner, month)
    targeted = {i.pk for i in indicators if services.indicator_needs_target(i)}
    with_target = set(
        Target.objects.filter(indicator_id__in=targeted, unit__in=units).values_list("unit_id", "indicator_id")
    )
    submissions = {
        s.unit_id: s for s in Submission.objects.filter(scheme=scheme, month=month, owner=owner, unit__in=units)
    }
    amounts: dict[tuple[int, int], Decimal] = {
        (unit_id, ind_id): amount
        for unit_id, ind_id, amount in Value.objects.filter(submission__in=list(submissions.values())).values_list(
            "submission__unit_id", "indicator_id", "amount"
        )
    }
    rows = []
    for unit in units:
        submission = submissions.get(unit.pk)
        closed = submission is not None and submission.status not in EDITABLE
        rows.append(
            GridRow(
                code=unit.code,
                name=unit.name,
                version=submission.version if submission is not None else 0,
                values=[amounts.get((unit.pk, i.pk)) for i in indicators],
                locked=[closed or (i.pk in targeted and (unit.pk, i.pk) not in with_target) for i in indicators],
            )
        )
    label = owner_label(owner)
    notes = [
        scheme.name,
        f"填报期：{year}年{period_label(month)}（累计数）；数据责任单位：{label}。",
        "1. 请只在白色单元格中填写数据。灰色单元格为该乡镇无此项任务，或本期数据已提交、已审核，不能修改。",
        "2. 清空某个单元格，导入时将删除该项已填的数据。",
        "3. 请勿增删行列，也不要修改隐藏的编码行、编码列和版本列；可以直接粘贴数值（不要粘贴公式）。",
        "4. 数值的小数位数不能超过下表所列位数，系统不会自动四舍五入；累计量不能为负数。",
        "5. 上传时系统逐格校验，任何一处有误则整个文件都不导入，并列出每个有误单元格的行、列和原因。",
        "6. 导入后数据为“填报中”，请到“数据采集与审核”中检查并提交审核。",
        "7. 模板下载后如有人修改了同一乡镇本期的数据，该乡镇的修改将被拒绝，请重新下载模板。",
        "",
        "各指标计量单位与小数位数：",
        *[f"{i.name}（{i.code}）：{i.unit}，最多 {i.decimal_places} 位小数" for i in indicators],
    ]
    meta = {
        "kind": VALUES,
        "year": str(year),
        "month": str(month),
        "owner": owner_code,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "sheet": VALUES_SHEET,
        "format": TEMPLATE_FORMAT,
    }
    return Grid(VALUES, VALUES_SHEET, VALUES_LAYOUT, [_column(i) for i in indicators], rows, meta, notes)


def values_template(*, user: User, year: int, month: int) -> Template:
    grid = values_grid(user=user, year=year, month=month)
    _, owner = owner_of(user)
    who = user.unit.name if owner is None and user.unit is not None else owner_label(owner)
    return Template(f"{year}年{period_label(month)}_{who}_数据填报模板.xlsx", render(grid), grid)


def target_stage_months(indicator: Indicator, targets: Sequence[Target]) -> list[int]:
    """The stage columns of an indicator: the months it declares, and any month a target already uses."""
    used = {int(m) for t in targets for m in (t.stages or {})}
    return sorted(set(indicator.stage_months or []) | used)


def targets_grid(*, year: int) -> Grid:
    """Every assessed township × every indicator of the year's scheme that takes targets: for each indicator its
    annual target, its stretch target (奋斗目标) and one column per stage (一季度 / 上半年 / 前三季度 …), filled with
    the targets set so far."""
    scheme = Scheme.objects.official().filter(year=year).first()
    if scheme is None:
        raise ApplicationError(f"{year}年没有考核方案。")
    units = list(Unit.objects.assessed(year).order_by("sort_order", "code"))
    indicators = [i for i in Indicator.objects.filter(scheme=scheme).order_by("sort_order", "code") if not i.is_derived]
    by_indicator: dict[int, list[Target]] = {}
    for t in Target.objects.filter(indicator__scheme=scheme).only(
        "unit_id", "indicator_id", "amount", "stretch", "stages"
    ):
        by_indicator.setdefault(t.indicator_id, []).append(t)
    columns: list[GridColumn] = []
    cells: list[tuple[int, str]] = []  # (indicator id, part) per column
    for ind in indicators:
        negative = ind.kind == IndicatorKind.GROWTH
        parts = [("", f"年度目标（{ind.unit}）"), (STRETCH, f"奋斗目标（{ind.unit}）")]
        parts += [
            (str(m), f"{stage_label(m)}（{ind.unit}）") for m in target_stage_months(ind, by_indicator.get(ind.pk, []))
        ]
        for part, label in parts:
            columns.append(GridColumn(target_column(ind.code, part), ind.name, label, ind.decimal_places, negative))
            cells.append((ind.pk, part))
    targets = {(t.unit_id, t.indicator_id): t for ts in by_indicator.values() for t in ts}

    def value(unit: Unit, indicator_id: int, part: str) -> Decimal | None:
        target = targets.get((unit.pk, indicator_id))
        if target is None:
            return None
        if not part:
            return target.amount
        if part == STRETCH:
            return target.stretch
        stage = (target.stages or {}).get(part)
        return None if stage is None else Decimal(stage)

    frozen = scheme.is_published
    rows = [
        GridRow(
            code=unit.code, name=unit.name, values=[value(unit, i, part) for i, part in cells],
            locked=[frozen] * len(cells),
        )
        for unit in units
    ]  # fmt: skip
    notes = [
        scheme.name,
        f"{year}年度各乡镇（街道）目标任务：每个指标依次为年度目标、奋斗目标和各期的分期目标（1-N月累计应完成的量）。",
        "方案已发布：目标只能通过任务调整变更，本文件仅供查看，不能导入。"
        if frozen
        else "1. 年度目标须大于 0（增速类指标可为 0 或负数）；清空该乡镇该指标的所有单元格即取消此项任务（无任务）。",
        "2. 奋斗目标可不填，填则不能低于年度目标；分期目标可不填，填则逐期不减、不超过年度目标。",
        "3. 分期的月份在考核方案的指标中设定（“分期目标月份”）。",
        "4. 请勿增删行列，也不要修改隐藏的编码行和编码列。任何一处有误则整个文件都不导入。",
    ]
    meta = {
        "kind": TARGETS,
        "year": str(year),
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "sheet": TARGETS_SHEET,
        "format": TEMPLATE_FORMAT,
    }
    return Grid(TARGETS, TARGETS_SHEET, TARGETS_LAYOUT, columns, rows, meta, notes)


def targets_template(*, year: int) -> Template:
    grid = targets_grid(year=year)
    return Template(f"{year}年_目标任务模板.xlsx", render(grid), grid)


# --- rendering -----------------------------------------------------------------------------------------


def _num_format(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


def grid_sheet(grid: Grid) -> xlsx.Sheet:
    """The grid as a declarative sheet; `render` adds what the declarative model cannot say."""
    layout = grid.layout
    fixed: list[xlsx.Column] = [xlsx.Column("乡镇编码", width=12, hidden=True)]
    header_left = [xlsx.HeaderCell("乡镇编码", rowspan=2)]
    code_left = [xlsx.HeaderCell(CODE_MARK)]
    if layout.version_column is not None:
        fixed.append(xlsx.Column(VERSION_TITLE, width=6, hidden=True))
        header_left.append(xlsx.HeaderCell(VERSION_TITLE, rowspan=2))
        code_left.append(xlsx.HeaderCell(VERSION_TITLE))
    fixed.append(xlsx.Column("乡镇（街道）", width=14))
    header_left.append(xlsx.HeaderCell("乡镇（街道）", rowspan=2))
    code_left.append(xlsx.HeaderCell(""))
    columns = fixed + [
        xlsx.Column(
            c.name,
            width=max(12.0, min(24.0, len(c.name) * 2.2)),
            num_format=_num_format(c.decimal_places),
            locked=False,
            validation=xlsx.DecimalRange(None if c.allow_negative else Decimal(0)),
        )
        for c in grid.columns
    ]
    rows: list[list[xlsx.WriteValue]] = []
    for row in grid.rows:
        left: list[xlsx.WriteValue] = [row.code]
        if layout.version_column is not None:
            left.append(row.version)
        left.append(row.name)
        rows.append(left + list(row.values))
    return xlsx.Sheet(
        name=grid.sheet,
        columns=columns,
        rows=rows,
        header_rows=[
            header_left + _merged_names(grid.columns),
            [xlsx.HeaderCell(c.unit) for c in grid.columns],
            code_left + [xlsx.HeaderCell(c.code) for c in grid.columns],
        ],
        freeze_columns=layout.fixed_columns,
        protect=True,
    )


def _merged_names(columns: Sequence[GridColumn]) -> list[xlsx.HeaderCell]:
    """Header row 1: one cell per indicator, spanning its columns (a targets grid's annual, stretch and stages)."""
    cells: list[xlsx.HeaderCell] = []
    previous = None
    for column in columns:
        code, _ = split_target_column(column.code)
        if cells and code == previous:
            cells[-1] = xlsx.HeaderCell(cells[-1].text, colspan=cells[-1].colspan + 1)
        else:
            cells.append(xlsx.HeaderCell(column.name))
        previous = code
    return cells


def render(grid: Grid) -> bytes:
    """The .xlsx bytes of a grid template, with its notes sheet and hidden meta sheet.

    Built on kaohe.lib.xlsx's writer (formula-safe text, formats, validation, protection) plus two things its
    declarative model does not express: the hidden code row, and cells locked inside unlocked value columns.
    """
    writer = xlsx._Writer()
    sheet = grid_sheet(grid)
    writer.sheet(sheet)
    ws = writer.book.get_worksheet_by_name(sheet.name)
    ws.set_row(CODE_ROW - 1, None, None, {"hidden": True})
    first = grid.layout.first_value_column - 1
    for r, row in enumerate(grid.rows, start=FIRST_DATA_ROW - 1):
        for c, (value, locked) in enumerate(zip(row.values, row.locked, strict=True), start=first):
            if locked:
                places = grid.columns[c - first].decimal_places
                fmt = xlsx.CellFormat(fill=GREY, num_format=_num_format(places))
                writer.write(ws, r, c, value, fmt, locked=True)
    if grid.notes:
        writer.sheet(
            xlsx.Sheet(
                name=NOTES_SHEET,
                columns=[xlsx.Column("填表说明", width=110)],
                rows=[[line] for line in grid.notes],
                protect=True,
            )
        )
    meta_sheet = writer.book.add_worksheet(xlsx.META_SHEET)
    meta_sheet.very_hidden()
    for r, (key, text) in enumerate(grid.meta.items()):
        meta_sheet.write_string(r, 0, xlsx.escape_text(key))
        meta_sheet.write_string(r, 1, xlsx.escape_text(text))
    writer.book.close()
    return writer.buffer.getvalue()
