"""Ledgers (台账): the registers a district keeps as workbooks — the org tree first, then key projects, deals and
supervised items. An app declares a ledger's sheets and columns (`Ledger`, `LedgerSheet`, `LedgerColumn`) in its
`ledgers.py`; every ledger then gets the same template, export, all-or-nothing import with a dry run, web pages
(`kaohe.core.ledger_views.ledger_urls`) and `kaohe ledger` command.

The import reads each sheet by its Chinese headers (in any order, under a title row or not), parses every cell by
its column's type, then writes row by row through the app's own service (`LedgerSheet.save`), all in one
transaction: a row whose values equal the stored ones is left alone, a new key is added, a known key is changed.
A service's refusal is reported at the cell of the field it names. If any cell is refused, or in a dry run,
the transaction is rolled back: nothing is half-written, and the report lists every rejected cell by sheet, row
and column. An export imports back unchanged.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction

from kaohe.core.exceptions import ApplicationError
from kaohe.core.numbers import NumberError, typed_number
from kaohe.lib import xlsx
from kaohe.lib.order import parents_first
from kaohe.lib.xlsx import CellProblem, CellValue

if TYPE_CHECKING:
    from kaohe.accounts.models import User

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=models.Model)

HELP_SHEET = "填写说明"
HEADER_SEARCH_ROWS = 10  # a district's own file may carry a title row or two above the headers
TEMPLATE_ROWS = 300  # formatted, validated blank rows in a template
MAX_PROBLEMS = 200  # rejected cells listed in a report; the rest are counted
NO_SHEET = "工作簿中没有{sheets}工作表。请使用本系统下载的模板，或把工作表命名为{sheets}之一。"
NO_HEADER = "工作表“{sheet}”的前 {rows} 行中找不到表头（至少须有“{key}”列）。"
MISSING_HEADER = "缺少必填列“{header}”"
UNKNOWN_HEADER = "无法识别的列“{header}”，本台账的列为：{known}"
REPEATED_HEADER = "列“{header}”重复出现"
REPEATED_KEY = "{header}“{key}”在本表第 {row} 行已出现过"
NOT_ALLOWED = "用户“{user}”没有导入{title}台账的权限。"
DB_FAILED = "导入时数据库出错，已全部回滚，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"


class CellError(Exception):
    """A cell's value cannot be used; the message (Chinese) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- column types: parse a cell into the value the service takes, and write a value back as a cell --------------


def _text(raw: CellValue) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, Decimal):
        return format(raw.normalize(), "f") if raw == raw.to_integral_value() else format(raw, "f")
    return xlsx.unescape_text(str(raw)).strip()


@dataclass(frozen=True)
class Text:
    max_length: int = 200

    def parse(self, raw: CellValue) -> Any:
        text = _text(raw)
        if len(text) > self.max_length:
            raise CellError(f"不能超过 {self.max_length} 个字")
        return text

    def blank(self) -> Any:
        return ""

    def cell(self, value: Any) -> xlsx.WriteValue:
        return str(value or "")

    def describe(self) -> str:
        return f"文字，最长 {self.max_length} 个字"


@dataclass(frozen=True)
class Integer:
    minimum: int = 0
    maximum: int = 999_999
    default: int | None = 0  # a blank cell; None where blank means "none" (a year not set)

    def parse(self, raw: CellValue) -> Any:
        try:
            typed = typed_number(_text(raw))
        except NumberError as exc:
            raise CellError("须为整数" if exc.code == "invalid" else f"须为整数：{exc.message}") from None
        text = "" if typed is None else f"{typed:f}"
        if not re.fullmatch(r"-?[0-9]+(\.0*)?", text):
            raise CellError("须为整数")
        number = int(Decimal(text))
        if not self.minimum <= number <= self.maximum:
            raise CellError(f"须在 {self.minimum} 到 {self.maximum} 之间")
        return number

    def blank(self) -> Any:
        return self.default

    def cell(self, value: Any) -> xlsx.WriteValue:
        return None if value is None else int(value)

    def describe(self) -> str:
        blank = "可不填" if self.default is None else f"不填为 {self.default}"
        return f"整数，{self.minimum}～{self.maximum}，{blank}"


@dataclass(frozen=True)
class Number:
    """A decimal number, exact (never through float): thousands separators tolerated, at most `places` decimals."""

    places: int = 4
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    positive: bool = False
    default: Decimal | None = None  # a blank cell; None: no value

    def parse(self, raw: CellValue) -> Any:
        try:
            typed = typed_number(_text(raw))
        except NumberError as exc:
            raise CellError("须为数字" if exc.code == "invalid" else exc.message) from None
        if typed is None:
            raise CellError("须为数字")
        value = typed
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.places:
            raise CellError(f"最多 {self.places} 位小数")
        if self.positive and value <= 0:
            raise CellError("须大于0")
        if self.minimum is not None and value < self.minimum:
            raise CellError(f"不能小于 {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise CellError(f"不能大于 {self.maximum}")
        return value

    def blank(self) -> Any:
        return self.default

    def cell(self, value: Any) -> xlsx.WriteValue:
        return None if value is None else Decimal(value)

    def describe(self) -> str:
        parts = [f"数字，最多 {self.places} 位小数"]
        if self.positive:
            parts.append("须大于0")
        elif self.minimum is not None:
            parts.append(f"不小于 {self.minimum}")
        if self.maximum is not None:
            parts.append(f"不大于 {self.maximum}")
        parts.append("可不填" if self.default is None else f"不填为 {self.default}")
        return "，".join(parts)


@dataclass(frozen=True)
class Months:
    """Months of the year as a list, written "3,6,9" (or 3、6、9 / 3月 6月 9月); blank: none."""

    def parse(self, raw: CellValue) -> Any:
        text = _text(raw)
        parts = [p for p in re.split(r"[,，、;；\s]+", text.replace("月", " ")) if p]
        if not all(p.isdigit() and 1 <= int(p) <= 12 for p in parts):
            raise CellError("须为 1 到 12 的月份，用逗号分隔，如 3,6,9")
        months = sorted({int(p) for p in parts})
        if len(months) != len(parts):
            raise CellError("月份不能重复")
        return months

    def blank(self) -> Any:
        return []

    def cell(self, value: Any) -> xlsx.WriteValue:
        return ",".join(str(m) for m in value or [])

    def describe(self) -> str:
        return "月份，用逗号分隔，如 3,6,9；可不填"


@dataclass(frozen=True)
class Choice:
    """One of the labels (shown and exported); the stored values and `aliases` are accepted too."""

    choices: Sequence[tuple[str, str]]  # (value, label), as Django's TextChoices.choices
    aliases: Mapping[str, str] = field(default_factory=dict)  # other words districts use → value

    def parse(self, raw: CellValue) -> Any:
        text = _text(raw)
        for value, label in self.choices:
            if text in (label, value):
                return value
        if text in self.aliases:
            return self.aliases[text]
        raise CellError(f"须为{'、'.join(f'“{label}”' for _, label in self.choices)}之一")

    def blank(self) -> Any:
        return ""

    def cell(self, value: Any) -> xlsx.WriteValue:
        return str(dict(self.choices).get(value, value))

    def describe(self) -> str:
        return "下拉选择：" + "、".join(label for _, label in self.choices)


@dataclass(frozen=True)
class YesNo:
    default: bool = True

    def parse(self, raw: CellValue) -> Any:
        if isinstance(raw, bool):
            return raw
        text = _text(raw)
        if text in ("是", "Y", "y", "1", "TRUE", "true", "√"):
            return True
        if text in ("否", "N", "n", "0", "FALSE", "false", "×"):
            return False
        raise CellError("须为“是”或“否”")

    def blank(self) -> Any:
        return self.default

    def cell(self, value: Any) -> xlsx.WriteValue:
        return "是" if value else "否"

    def describe(self) -> str:
        return f"“是”或“否”，不填为“{'是' if self.default else '否'}”"


@dataclass(frozen=True)
class Ref(Generic[M]):
    """The code of a row of another sheet (or of this one), looked up when the row is written: rows of earlier
    sheets, and earlier rows of this sheet, are found even in the same import."""

    model: type[M]
    what: str  # "上级单位", "考核分组"
    key: str = "code"

    def parse(self, raw: CellValue) -> Any:
        return _text(raw)  # the code; resolved to its row at write time

    def blank(self) -> Any:
        return ""

    def cell(self, value: Any) -> xlsx.WriteValue:
        return getattr(value, self.key) if value is not None else ""

    def describe(self) -> str:
        return f"{self.what}的编码"

    def resolve(self, code: str) -> M | None:
        if not code:
            return None
        found = self.model._default_manager.filter(**{self.key: code}).first()
        if found is None:
            raise CellError(f"找不到编码为“{code}”的{self.what}")
        return found


ColumnType = Text | Integer | Number | Months | Choice | YesNo | Ref[Any]


@dataclass(frozen=True)
class LedgerColumn:
    header: str  # the Chinese header, exactly as in the template
    field: str  # the service's keyword and the key of the row's values
    type: ColumnType
    required: bool = False
    help: str = ""
    example: str = ""
    width: float = 14


@dataclass(frozen=True)
class LedgerSheet(Generic[M]):
    """One sheet of a ledger: its columns, how to read the stored rows and how to write one through a service.

    `save(current, values, by, reason)` creates a row when `current` is None, else changes it, and raises
    ValidationError (by field) or ApplicationError for what it refuses. `values(row)` gives a stored row as the
    same dict of field values, so an unchanged row is recognised and left alone."""

    name: str
    columns: tuple[LedgerColumn, ...]
    rows: Callable[[], Iterable[M]]
    values: Callable[[M], dict[str, Any]]
    save: Callable[[M | None, dict[str, Any], User, str], M]
    key: str = "code"
    parent: str | None = None  # a field referring to this sheet's own key: referenced rows are written first
    examples: tuple[tuple[str, ...], ...] = ()  # rows for the help sheet, one text per column

    def column(self, name: str) -> LedgerColumn:
        return next(c for c in self.columns if c.field == name)


@dataclass(frozen=True)
class Ledger:
    name: str  # the command's and URL's name, e.g. "org"
    title: str  # e.g. "组织机构"
    permission: str  # who may download, dry-run and import it (a permission code)
    sheets: tuple[LedgerSheet[Any], ...]
    description: str = ""

    @property
    def filename(self) -> str:
        return f"{self.title}台账.xlsx"

    @property
    def template_filename(self) -> str:
        return f"{self.title}台账模板.xlsx"

    def sheet_names(self) -> str:
        return "、".join(f"“{s.name}”" for s in self.sheets)


_REGISTRY: dict[str, Ledger] = {}


def register(ledger: Ledger) -> Ledger:
    """Declare a ledger (from an app's `ledgers.py`, imported by its AppConfig.ready)."""
    if ledger.name in _REGISTRY and _REGISTRY[ledger.name] is not ledger:
        raise ValueError(f"ledger {ledger.name!r} is declared twice")
    _REGISTRY[ledger.name] = ledger
    return ledger


def ledgers() -> list[Ledger]:
    return sorted(_REGISTRY.values(), key=lambda x: x.name)


def get_ledger(name: str) -> Ledger | None:
    return _REGISTRY.get(name)


# --- writing: export and template ------------------------------------------------------------------------------


def xlsx_columns(columns: Sequence[LedgerColumn]) -> list[xlsx.Column]:
    """The sheet columns of ledger columns: required headers starred, drop-downs for choices, codes kept as text."""
    out = []
    for column in columns:
        validation = xlsx.Choices(tuple(label for _, label in column.type.choices)) if isinstance(
            column.type, Choice
        ) else (xlsx.Choices(("是", "否")) if isinstance(column.type, YesNo) else None)  # fmt: skip
        # Codes stay text ("001" keeps its zeros); numbers stay numbers.
        num_format = (
            "0" if isinstance(column.type, Integer) else ("General" if isinstance(column.type, Number) else "@")
        )
        title = f"{column.header}*" if column.required else column.header
        out.append(xlsx.Column(title, width=column.width, num_format=num_format, validation=validation, locked=False))
    return out


def _help_sheet(ledger: Ledger) -> xlsx.Sheet:
    rows: list[list[xlsx.WriteValue | xlsx.Cell]] = []
    bold = xlsx.CellFormat(bold=True)
    intro = (
        f"{ledger.title}台账：{ledger.description}" if ledger.description else f"{ledger.title}台账",
        "带 * 的列必须填写。按“编码”识别每一行：编码已存在的行按表中内容修改，新编码的行新增，表中没有的行保持不变。",
        "导入前可先“试导入”：只检查、报告将新增和修改的行，不写入任何数据。有任何一格错误时整份文件都不导入，"
        "并逐格列出错误所在的工作表、行和列。",
    )
    rows += [[xlsx.Cell(line, bold if i == 0 else xlsx.CellFormat(wrap=True))] for i, line in enumerate(intro)]
    for sheet in ledger.sheets:
        rows += [[], [xlsx.Cell(f"工作表“{sheet.name}”", bold)], [xlsx.Cell(h, bold) for h in ("列", "必填", "要求")]]
        rows += [
            [c.header, "是" if c.required else "否", "；".join(p for p in (c.type.describe(), c.help) if p)]
            for c in sheet.columns
        ]
        if sheet.examples:
            rows += [[xlsx.Cell("示例：", bold)], [xlsx.Cell(c.header, bold) for c in sheet.columns]]
            rows += [list(example) for example in sheet.examples]
    width = max(3, *(len(s.columns) for s in ledger.sheets))
    columns = [xlsx.Column("", width=18), xlsx.Column("", width=8), xlsx.Column("", width=60)]
    columns += [xlsx.Column("", width=14) for _ in range(width - 3)]
    padded = [[*row, *([None] * (width - len(row)))] for row in rows]
    return xlsx.Sheet(HELP_SHEET, columns=columns, rows=padded)


def _data_sheet(sheet: LedgerSheet[Any], rows: Sequence[Any], *, blank_rows: int = 0) -> xlsx.Sheet:
    lines = [[c.type.cell(values[c.field]) for c in sheet.columns] for values in (sheet.values(r) for r in rows)]
    return xlsx.Sheet(sheet.name, columns=xlsx_columns(sheet.columns), rows=lines, blank_rows=blank_rows)


def ledger_export(ledger: Ledger) -> bytes:
    """Every stored row of every sheet, in the template's layout: imported back, it changes nothing."""
    sheets = [_data_sheet(s, list(s.rows())) for s in ledger.sheets]
    return xlsx.write_workbook([*sheets, _help_sheet(ledger)], meta={"ledger": ledger.name})


def ledger_template(ledger: Ledger) -> bytes:
    """The headers, formatted and validated blank rows, and the help sheet with example rows."""
    sheets = [_data_sheet(s, [], blank_rows=TEMPLATE_ROWS) for s in ledger.sheets]
    return xlsx.write_workbook([*sheets, _help_sheet(ledger)], meta={"ledger": ledger.name})


# --- reading: the import -----------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class SheetReport(xlsx.CellReport):
    """What a many-sheet import did or, in a dry run, would do: rows added, changed and left unchanged per sheet,
    or every refused cell; the page and the command print it. Each import says its own `summary`."""

    filename: str
    dry_run: bool
    ok: bool = True
    message: str = ""
    problems: list[CellProblem] = field(default_factory=list)
    total_problems: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # sheet → added / changed / unchanged

    def count(self, what: str) -> int:
        return sum(c[what] for c in self.counts.values())

    @property
    def written(self) -> int:
        return self.count("added") + self.count("changed")

    def by_sheet(self) -> list[tuple[str, int, int, int]]:
        return [(n, c["added"], c["changed"], c["unchanged"]) for n, c in self.counts.items()]

    def refuse(self, message: str, problems: Sequence[CellProblem] = (), total: int | None = None) -> Self:
        """The report of a refused file: the headline, the first MAX_PROBLEMS cells, how many there were."""
        self.ok, self.message = False, message
        self.problems, self.total_problems = list(problems[:MAX_PROBLEMS]), len(problems) if total is None else total
        self.counts = {}
        return self


@dataclass(kw_only=True)
class LedgerReport(SheetReport):
    ledger: Ledger

    @property
    def summary(self) -> str:
        if not self.ok:
            return self.message
        if not self.written:
            return f"没有需要导入的修改：文件与系统中的{self.ledger.title}一致（{self.count('unchanged')} 行未变）。"
        parts = f"新增 {self.count('added')} 行、修改 {self.count('changed')} 行、未变 {self.count('unchanged')} 行"
        if self.dry_run:
            return f"试导入：将{parts}（本次未写入任何数据）。"
        return f"已导入{self.ledger.title}台账：{parts}。"


@dataclass
class TableRow:
    number: int  # the Excel row
    cells: dict[str, CellValue]  # field → raw value, only for the columns the file has
    columns: dict[str, int]  # field → Excel column


def cell_text(raw: CellValue) -> str:
    """A cell as the text a person sees in it (numbers without exponent, booleans as 是/否), trimmed."""
    return _text(raw)


def read_table(
    data: xlsx.SheetData,
    columns: Sequence[LedgerColumn],
    *,
    key: str,
    problems: list[CellProblem],
    extra: Callable[[str], str | None] | None = None,
) -> list[TableRow]:
    """The rows under a sheet's header row (found in the first rows by the `key` header), each with its cells by
    field. A header that is none of `columns` is refused unless `extra` names a field for it (columns that
    depend on the data, such as one weight column per group); missing required columns are refused too."""
    at = header_row(data, key)
    before = len(problems)
    by_header = {c.header: c for c in columns}
    found: dict[str, int] = {}
    for number, raw in enumerate(data.rows[at - 1], start=1):
        header = _text(raw).rstrip("*").strip()
        if not header:
            continue
        column = by_header.get(header)
        name = column.field if column is not None else (extra(header) if extra is not None else None)
        if name is None:
            known = "、".join(by_header)
            problems.append(CellProblem(data.name, at, number, UNKNOWN_HEADER.format(header=header, known=known)))
        elif name in found:
            problems.append(CellProblem(data.name, at, number, REPEATED_HEADER.format(header=header)))
        else:
            found[name] = number
    for column in columns:
        if column.required and column.field not in found:
            problems.append(CellProblem(data.name, at, 1, MISSING_HEADER.format(header=column.header)))
    if len(problems) > before:
        return []  # with the headers wrong, every cell below would only repeat it
    rows = []
    for number, values in data.iter_rows():
        if number <= at:
            continue
        cells = {f: values[c - 1] if c <= len(values) else None for f, c in found.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue
        rows.append(TableRow(number, cells, found))
    return rows


def header_row(data: xlsx.SheetData, key: str) -> int:
    """The Excel row of a sheet's headers: the first of its first rows with a cell `key` (a trailing * ignored)."""
    for number, values in data.iter_rows():
        if number > HEADER_SEARCH_ROWS:
            break
        if any(_text(v).rstrip("*").strip() == key for v in values):
            return number
    raise ApplicationError(NO_HEADER.format(sheet=data.name, rows=HEADER_SEARCH_ROWS, key=key))


def parse_row(
    sheet: str, columns: Sequence[LedgerColumn], row: TableRow, problems: list[CellProblem]
) -> dict[str, Any] | None:
    """Each of the row's cells parsed by its column's type; None (with every bad cell in `problems`) if any fails.
    Columns the file does not have are left out: stored rows keep their value, new ones take the default."""
    values: dict[str, Any] = {}
    ok = True
    for column in columns:
        if column.field not in row.cells:
            continue
        raw = row.cells[column.field]
        try:
            if _text(raw) == "":
                if column.required:
                    raise CellError("必须填写")
                values[column.field] = column.type.blank()
            else:
                values[column.field] = column.type.parse(raw)
        except CellError as exc:
            problems.append(CellProblem(sheet, row.number, row.columns[column.field], exc.message))
            ok = False
    return values if ok else None


class _Import:
    def __init__(self, ledger: Ledger, by: User, reason: str) -> None:
        self.ledger, self.by, self.reason = ledger, by, reason
        self.problems: list[CellProblem] = []
        self.counts: dict[str, Counter[str]] = {}
        self.failed: set[str] = set()

    def problem(self, sheet: str, row: int, column: int, message: str) -> None:
        self.problems.append(CellProblem(sheet, row, column, message))

    # reading

    def read(self, workbook: xlsx.Workbook) -> list[tuple[LedgerSheet[Any], list[TableRow]]]:
        names = {s.name for s in workbook.sheets}
        present = [s for s in self.ledger.sheets if s.name in names]
        if not present and len(self.ledger.sheets) == 1 and workbook.sheets:
            # A district's own one-sheet file ("Sheet1"): read it as the ledger's only sheet.
            return [(self.ledger.sheets[0], self.rows(self.ledger.sheets[0], workbook.sheets[0]))]
        if not present:
            raise ApplicationError(NO_SHEET.format(sheets=self.ledger.sheet_names()))
        return [(s, self.rows(s, workbook.sheet(s.name))) for s in present]

    def rows(self, sheet: LedgerSheet[Any], data: xlsx.SheetData) -> list[TableRow]:
        return read_table(data, sheet.columns, key=sheet.column(sheet.key).header, problems=self.problems)

    def parse(self, sheet: LedgerSheet[Any], row: TableRow) -> dict[str, Any] | None:
        return parse_row(sheet.name, sheet.columns, row, self.problems)

    # writing

    def ordered(self, sheet: LedgerSheet[Any], rows: list[tuple[TableRow, dict[str, Any]]]) -> list[Any]:
        """Rows referenced by the sheet's `parent` field first, so a child finds its parent in the same import:
        each row after the row it names (depth first, in file order); a cycle is written as it comes, and the
        service refuses what does not fit."""
        field = sheet.parent
        if field is None:
            return rows
        return parents_first(rows, key=lambda r: r[1][sheet.key], parent=lambda r: _parent_key(r[1].get(field)))

    def write(self, sheet: LedgerSheet[Any], rows: list[TableRow]) -> None:
        counts = self.counts.setdefault(sheet.name, Counter())
        parsed: list[tuple[TableRow, dict[str, Any]]] = []
        seen: dict[str, int] = {}
        key_column = sheet.column(sheet.key)
        self.failed = set()  # keys of this sheet's refused rows: rows under them say nothing more
        for row in rows:
            values = self.parse(sheet, row)
            if values is None:
                self.failed.add(_text(row.cells.get(sheet.key)))
                continue
            key = values[sheet.key]
            if key in seen:
                message = REPEATED_KEY.format(header=key_column.header, key=key, row=seen[key])
                self.problem(sheet.name, row.number, row.columns[sheet.key], message)
                continue
            seen[key] = row.number
            parsed.append((row, values))
        stored = {getattr(r, sheet.key): r for r in sheet.rows()}
        for row, values in self.ordered(sheet, parsed):
            self.write_row(sheet, row, values, stored, counts)

    def write_row(
        self,
        sheet: LedgerSheet[Any],
        row: TableRow,
        values: dict[str, Any],
        stored: dict[str, Any],
        counts: Counter[str],
    ) -> None:
        resolved = dict(values)
        if sheet.parent is not None and values.get(sheet.parent) in self.failed:
            self.failed.add(values[sheet.key])  # its parent row is already reported as refused
            return
        for column in sheet.columns:
            if isinstance(column.type, Ref) and column.field in values:
                try:
                    resolved[column.field] = column.type.resolve(values[column.field])
                except CellError as exc:
                    self.problem(sheet.name, row.number, row.columns[column.field], exc.message)
                    self.failed.add(values[sheet.key])
                    return
        current = stored.get(values[sheet.key])
        if current is not None:
            now = sheet.values(current)
            resolved = {**now, **resolved}
            if resolved == now:
                counts["unchanged"] += 1
                return
        else:
            resolved = {**{c.field: c.type.blank() for c in sheet.columns}, **resolved}
            for column in sheet.columns:
                if isinstance(column.type, Ref) and column.field not in values:
                    resolved[column.field] = None
        try:
            with transaction.atomic():
                saved = sheet.save(current, resolved, self.by, self.reason)
        except ValidationError as exc:
            self.refused(sheet, row, exc)
            self.failed.add(values[sheet.key])
            return
        except ApplicationError as exc:
            self.problem(sheet.name, row.number, row.columns[sheet.key], exc.message)
            self.failed.add(values[sheet.key])
            return
        stored[values[sheet.key]] = saved
        counts["changed" if current is not None else "added"] += 1

    def refused(self, sheet: LedgerSheet[Any], row: TableRow, exc: ValidationError) -> None:
        """A service's ValidationError, each message at the cell of the field it names (else at the key)."""
        errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        for name, messages in errors.items():
            column = row.columns.get(name, row.columns[sheet.key])
            for message in messages:
                self.problem(sheet.name, row.number, column, message.rstrip("。"))


def ledger_import(*, ledger: Ledger, data: bytes, filename: str, by: User, dry_run: bool = False) -> LedgerReport:
    """Check and import a ledger workbook, all or nothing; never raises for a bad file, reports instead."""
    report = LedgerReport(ledger=ledger, filename=filename, dry_run=dry_run)
    if not by.has_kaohe_perm(ledger.permission):
        return report.refuse(NOT_ALLOWED.format(user=by.username, title=ledger.title))
    job = _Import(ledger, by, f"导入{ledger.title}台账：{filename}")
    try:
        workbook = xlsx.read_workbook(data, filename=filename)
        sheets = job.read(workbook)
        with transaction.atomic():
            for sheet, rows in sheets:
                job.write(sheet, rows)
            if job.problems or dry_run:
                transaction.set_rollback(True)
    except xlsx.XlsxRejected as exc:
        return report.refuse(exc.message, exc.problems, exc.total_problems)
    except ApplicationError as exc:
        return report.refuse(exc.message, job.problems)
    except DatabaseError:
        logger.exception("Ledger import %s of %r by %s failed in the database", ledger.name, filename, by.username)
        return report.refuse(DB_FAILED)
    report.counts = job.counts
    if job.problems:
        problems = sorted(job.problems, key=lambda p: (_sheet_order(ledger, p.sheet), p.row, p.column))
        message = f"有 {len(problems)} 处错误，整份文件未导入（没有写入任何数据）。请修改后重新上传。"
        return report.refuse(message, problems)
    return report


def _parent_key(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _sheet_order(ledger: Ledger, name: str) -> int:
    return next((i for i, s in enumerate(ledger.sheets) if s.name == name), len(ledger.sheets))
