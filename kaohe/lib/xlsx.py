"""Excel (.xlsx) import and export.

Reading (uploads, untrusted): `read_workbook` runs the defences of SECURITY.md §6.5 / IV-6 *before* any
spreadsheet library sees the bytes — name, size, magic bytes, the zip directory (entries, sizes, ratio,
paths, macros), then every XML part streamed through expat in 64 KB chunks (no DTDs, every cell position
within the row, column and cell caps, formula and error cells). python-calamine (Rust, fast) then reads
the values from a re-packed copy that holds only the parts we scanned, so it never sees a byte we did not
check, and never allocates a grid we did not bound. The DTD refusal is defusedxml's technique done on
the stream; defusedxml itself is only needed where openpyxl parses (tests read exports back with it).

Numbers are never returned as float. An .xlsx stores a number as the decimal text of an IEEE double and
Excel keeps 15 significant digits of what the user typed. calamine hands us that double, and
`Decimal(repr(f))` is the shortest decimal that maps to the same double: for anything with at most 15
significant digits that is exactly what was typed (12345.6789 -> Decimal('12345.6789'), not the binary
expansion). Integral values come back as int. A value pasted from a calculation (0.1+0.2 stored as
0.30000000000000004) comes back as that text; importers quantize to the indicator's precision.

Writing (exports): `write_workbook` renders a small declarative `Sheet` model with XlsxWriter. Every text
cell goes through `escape_text` (IV-7); numbers stay numbers.

Pure Python: no Django import (STYLE.md §7).
"""

from __future__ import annotations

import functools
import io
import math
import posixpath
import re
import struct
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from xml.parsers import expat

import xlsxwriter
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

MB = 1024 * 1024
META_SHEET = "_meta"  # very hidden key/value sheet: template id, period, version
LISTS_SHEET = "_lists"  # very hidden sheet holding long drop-down lists
CellValue = str | int | Decimal | bool | date | datetime | time | timedelta | None


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * MB
    max_entries: int = 1000
    max_total_uncompressed: int = 100 * MB
    max_ratio: int = 100  # Apache POI's default; real sheet XML compresses 5-40x
    ratio_grace_bytes: int = 100 * 1024  # small entries cannot hurt, whatever their ratio
    max_rows: int = 100_000
    max_columns: int = 200
    # Rows x columns, summed over sheets: bounds the dense grid calamine allocates, the Python objects we
    # build (a Decimal is ~100 bytes) and the scan time (~1.5 s per million cells). Far above real uploads
    # (30 townships x 100 indicators x 12 months is 36,000 cells); the row and column caps bound the shape.
    max_cells: int = 1_000_000
    max_listed_problems: int = 500


DEFAULT_LIMITS = Limits()


def column_letter(column: int) -> str:
    """1 -> 'A', 28 -> 'AB'."""
    letters = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def describe_cell(sheet: str, row: int, column: int) -> str:
    return f"工作表“{sheet}”第 {row} 行第 {column} 列（{column_letter(column)} 列）"


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    row: int  # 1-based, as Excel shows it
    column: int  # 1-based
    message: str

    @property
    def column_letter(self) -> str:
        return column_letter(self.column)

    def __str__(self) -> str:
        return f"{describe_cell(self.sheet, self.row, self.column)}：{self.message}"


class CellReport(ABC):
    """What an import report prints: each rejected cell on its own line, then the headline; or the one-line
    summary. Mixed into the imports' report dataclasses, which hold these attributes and say the summary."""

    ok: bool
    message: str
    problems: Sequence[CellProblem]
    total_problems: int

    @property
    @abstractmethod
    def summary(self) -> str: ...

    @property
    def more_problems(self) -> int:
        return self.total_problems - len(self.problems)

    def lines(self) -> list[str]:
        if self.ok:
            return [self.summary]
        lines = [str(p) for p in self.problems]
        if self.more_problems:
            lines.append(f"……另有 {self.more_problems:,} 处错误未列出。")
        return [*lines, self.message]


class XlsxRejected(Exception):
    """The upload is refused; `message` (Chinese) is safe to show to the user as is."""

    def __init__(self, message: str, problems: Sequence[CellProblem] = (), *, total: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)
        self.total_problems = len(self.problems) if total is None else total


@dataclass(frozen=True)
class SheetData:
    name: str
    rows: list[list[CellValue]]  # rows[0] is Excel row 1, rows[r][0] is column A; blank cells are None
    visible: bool = True

    def cell(self, row: int, column: int) -> CellValue:
        """1-based, like Excel; None outside the data."""
        if 1 <= row <= len(self.rows) and 1 <= column <= len(self.rows[row - 1]):
            return self.rows[row - 1][column - 1]
        return None

    def iter_rows(self) -> Iterator[tuple[int, list[CellValue]]]:
        """(Excel row number, values) pairs."""
        return enumerate(self.rows, start=1)


@dataclass(frozen=True)
class Workbook:
    sheets: tuple[SheetData, ...]
    meta: Mapping[str, str]  # from the hidden META_SHEET written by write_workbook; {} when absent

    def sheet(self, name: str) -> SheetData:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(name)


# ---------------------------------------------------------------------------------------------- reading

_CORRUPT = "文件已损坏或不是有效的 Excel 工作簿（.xlsx），请在 Excel 中重新“另存为”后再上传。"
_MACROS = "工作簿含有宏（VBA），不允许上传。请在 Excel 中“另存为”Excel 工作簿（*.xlsx）后再上传。"
_FORMULA = "单元格含有公式，请粘贴为数值后再上传"
# calamine reads an error cell (a pasted #N/A) as blank: report it rather than import a silent gap.
_ERROR_VALUE = "单元格为错误值（如 #N/A、#DIV/0!），请修正后再上传"
_CENTRAL_DIR_SIG = b"PK\x01\x02"
_CHUNK = 64 * 1024
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_DIGITS = re.compile(r"[0-9]{1,7}")
_SHEET_ROOTS = frozenset({"worksheet", "dialogsheet"})
# What zipfile and zlib raise on malformed input (a ValueError includes undecodable entry names).
_BROKEN_ZIP = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


def read_workbook(data: bytes, *, filename: str, limits: Limits = DEFAULT_LIMITS) -> Workbook:
    """Check an uploaded .xlsx and read its values; raises XlsxRejected with a Chinese message."""
    _check_filename(filename)
    if not data:
        raise XlsxRejected("文件为空。")
    if len(data) > limits.max_file_bytes:
        raise XlsxRejected(f"文件大小 {len(data) / MB:.1f} MB 超过上限 {limits.max_file_bytes / MB:g} MB。")
    _check_magic(data)
    return _read_values(_inspect_package(data, limits), limits)


# Formats districts also save in, and where to save them as .xlsx instead.
_OTHER_FORMATS = {
    ".csv": "Excel 或 WPS 表格",
    ".et": "WPS 表格",
    ".ods": "LibreOffice 或 WPS 表格",
    ".numbers": "Numbers",
}


def _check_filename(filename: str) -> None:
    ext = posixpath.splitext(filename.replace("\\", "/"))[1].lower()
    if ext == ".xlsx":
        return
    if ext in {".xlsm", ".xltm", ".xlam"}:
        raise XlsxRejected("不支持含宏的 .xlsm 文件，请在 Excel 中“另存为”Excel 工作簿（*.xlsx）后再上传。")
    if ext == ".xls":
        raise XlsxRejected("不支持旧版 .xls 文件，请在 Excel 中“另存为”Excel 工作簿（*.xlsx）后再上传。")
    if ext in _OTHER_FORMATS:
        raise XlsxRejected(f"不支持 {ext} 文件，请在 {_OTHER_FORMATS[ext]} 中“另存为”Excel 工作簿（*.xlsx）后再上传。")
    shown = f"（当前为“{ext}”）" if ext else ""
    raise XlsxRejected(f"仅支持 Excel 工作簿（.xlsx）文件{shown}。")


def _check_magic(data: bytes) -> None:
    if data.startswith(b"PK\x03\x04"):
        return
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: legacy .xls, or a password-encrypted .xlsx
        raise XlsxRejected(
            "文件是旧版 .xls 或设置了打开密码的工作簿。请取消密码并“另存为”Excel 工作簿（*.xlsx）后再上传。"
        )
    raise XlsxRejected("文件内容不是 Excel 工作簿（.xlsx），可能是修改了扩展名的其他文件。")


def _inspect_package(data: bytes, limits: Limits) -> bytes:
    """Zip directory checks, then the XML scan; returns a re-packed copy holding only the scanned parts."""
    # zipfile builds a ZipInfo for every central-directory record up front, so count records first:
    # each record starts with this signature, so the count can only over-estimate.
    if data.count(_CENTRAL_DIR_SIG) > limits.max_entries:
        raise XlsxRejected(f"工作簿内部文件数超过上限 {limits.max_entries} 个，已拒绝。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = _check_directory(zf, limits)
            return _scan_parts(zf, infos, limits)
    except XlsxRejected:
        raise
    except _BROKEN_ZIP as exc:
        # A CRC mismatch lands here too: zipfile never reads past the declared size, so an entry that
        # inflates to more than it declares ends with a bad CRC instead of filling memory.
        raise XlsxRejected(_CORRUPT) from exc


def _check_directory(zf: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise XlsxRejected(f"工作簿内部文件数超过上限 {limits.max_entries} 个，已拒绝。")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in name:
            raise XlsxRejected(f"工作簿内部含有非法路径“{name}”，已拒绝。")
        lowered = name.lower()
        if lowered in seen:  # two readers may pick different duplicates: refuse the ambiguity
            raise XlsxRejected(f"工作簿内部含有重复的部件“{name}”，已拒绝。")
        seen.add(lowered)
        if posixpath.basename(lowered).startswith("vbaproject") or "macrosheets/" in lowered:
            raise XlsxRejected(_MACROS)
        if info.flag_bits & 0x1:
            raise XlsxRejected("工作簿内部文件已加密，无法读取。请取消密码保护后再上传。")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise XlsxRejected(_CORRUPT)
        if info.file_size > limits.ratio_grace_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise XlsxRejected(f"工作簿内部部件“{name}”压缩比异常（约 {ratio}:1），疑似压缩炸弹，已拒绝。")
        total += info.file_size
        if total > limits.max_total_uncompressed:
            raise XlsxRejected(
                f"工作簿解压后超过 {limits.max_total_uncompressed / MB:g} MB 上限，疑似压缩炸弹，已拒绝。"
                "如确需上传大量数据，请分多个文件上传。"
            )
    names = {info.filename for info in infos}
    for required in ("[Content_Types].xml", "xl/workbook.xml"):
        if required not in names:
            raise XlsxRejected(f"工作簿缺少必需的部件“{required}”，不是有效的 .xlsx 文件。")
    return infos


class _ScanState:
    """What the XML scan learns across parts."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.bytes_read = 0
        self.cells = 0  # <c> elements seen, all sheets
        self.elements = 0  # all elements seen in worksheets
        self.area = 0  # rows x columns of finished sheets: the grid calamine will allocate
        self.strings = 0
        self.sheet_names: dict[str, str] = {}  # part path -> sheet name
        self.problems: list[CellProblem] = []  # formula and error cells, the first max_listed_problems
        self.counts = {_FORMULA: 0, _ERROR_VALUE: 0}


def _scan_parts(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits) -> bytes:
    state = _ScanState(limits)
    by_name = {info.filename: info for info in infos}
    rels: dict[str, str] = {}
    sheets: list[tuple[str, str]] = []

    def content_type(name: str, attrs: dict[str, str]) -> None:
        kind = attrs.get("ContentType", "").lower()
        if "macroenabled" in kind or "vbaproject" in kind:
            raise XlsxRejected(_MACROS)

    def relationship(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
            rels[attrs.get("Id", "")] = attrs.get("Target", "")

    def workbook_sheet(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "sheet":
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")  # r:id, whatever the prefix
            sheets.append((attrs.get("name", ""), rid))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
        # Structural parts first: they say which parts are worksheets and what the user calls them.
        structural = [
            ("[Content_Types].xml", content_type),
            ("xl/_rels/workbook.xml.rels", relationship),
            ("xl/workbook.xml", workbook_sheet),
        ]
        for part, handler in structural:
            if part in by_name:
                _PartScan(part, state, handler).run(zf, by_name[part], out)
        for sheet_name, rid in sheets:
            if rid in rels:
                target = rels[rid]
                path = target[1:] if target.startswith("/") else "xl/" + target
                state.sheet_names[posixpath.normpath(path)] = sheet_name
        done = {part for part, _ in structural}
        for info in infos:
            lowered = info.filename.lower()
            if info.filename in done or info.is_dir():
                continue
            # Media and printer settings are never given to calamine, so they need no scan.
            if lowered.endswith((".xml", ".rels", ".vml")) or info.filename in state.sheet_names:
                _PartScan(info.filename, state, None).run(zf, info, out)
    total = sum(state.counts.values())
    if total:
        formulas, errors = state.counts[_FORMULA], state.counts[_ERROR_VALUE]
        kinds = [f"{formulas} 个公式单元格"] if formulas else []
        kinds += [f"{errors} 个错误值单元格"] if errors else []
        more = f"（仅列出前 {len(state.problems)} 个）" if len(state.problems) < total else ""
        message = f"工作簿含有 {'、'.join(kinds)}{more}，请将公式“选择性粘贴”为数值、修正错误值后再上传。"
        raise XlsxRejected(message, state.problems, total=total)
    return buffer.getvalue()


@functools.cache  # at most 26 + 26**2 + 26**3 keys: _REF allows three letters
def _column_index(letters: str) -> int:
    """'A' -> 1, 'AB' -> 28 (letters already validated by _REF)."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


def _local(name: str) -> str:
    # Local names, whatever the prefix: calamine matches local names too, so a cell in a strange namespace
    # is still a cell. (Without namespace processing expat hands out short, mostly cached, name strings.)
    return name.rpartition(":")[2]


def _refuse_dtd(*args: object) -> None:
    # Any DOCTYPE is refused before its internal subset is parsed, so no entity is ever defined or expanded
    # (billion laughs, XXE). defusedxml does the same; no real .xlsx contains a DTD.
    raise XlsxRejected("工作簿含有 XML 实体声明（DOCTYPE/ENTITY），可能是恶意文件，已拒绝。")


class _PartScan:
    """Streams one XML part through expat in bounded chunks and copies it into the re-packed zip.

    Worksheets: tracks every cell's position (row/column/cell caps, so a 1,000,000-row sheet is refused
    at row 100,001 without holding any row) and records every formula (<f>) and error cell with its position.
    """

    def __init__(self, part: str, state: _ScanState, handler: Callable[[str, dict[str, str]], None] | None) -> None:
        self.part, self.state, self.limits = part, state, state.limits
        self.sheet = state.sheet_names.get(part, part)
        self.row = self.col = self.cell_row = self.max_row = self.max_col = 0
        self.is_sheet = self.in_extension = self.cell_is_error = False
        self.element_budget = 4 * self.limits.max_cells
        self.parser = parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        parser.StartElementHandler = handler or self._root

    def run(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
        try:
            with zf.open(info) as src, out.open(info.filename, "w") as dst:
                while chunk := src.read(_CHUNK):
                    self.state.bytes_read += len(chunk)
                    if self.state.bytes_read > self.limits.max_total_uncompressed:
                        raise XlsxRejected(
                            f"工作簿解压后超过 {self.limits.max_total_uncompressed / MB:g} MB 上限，已拒绝。"
                        )
                    self.parser.Parse(chunk, False)
                    dst.write(chunk)
                self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise XlsxRejected(f"工作簿部件“{self.part}”不是有效的 XML，文件可能已损坏。") from exc
        if self.is_sheet:
            self.state.area += self.max_row * self.max_col

    def _root(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "macrosheet":
            raise XlsxRejected(_MACROS)
        if local in _SHEET_ROOTS or self.part in self.state.sheet_names:
            self.is_sheet = True
            self.parser.StartElementHandler = self._sheet_element
        elif local == "sst":
            self.parser.StartElementHandler = self._shared_string
        else:
            self.parser.StartElementHandler = None  # nothing more to learn; the DTD guard stays on

    def _shared_string(self, name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "si":
            self.state.strings += 1
            if self.state.strings > self.limits.max_cells:
                raise XlsxRejected(f"工作簿文本数量超过上限 {self.limits.max_cells} 个，已拒绝。")

    def _sheet_element(self, name: str, attrs: dict[str, str]) -> None:
        # Hot path: called for every element of every worksheet, so plain names skip any function call.
        state = self.state
        state.elements += 1
        if state.elements > self.element_budget:
            # Elements that are not cells cost scan time too (a real cell takes 2-4 elements).
            self._too_many_cells()
        if name == "v":
            return
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            ref = attrs.get("r")
            if ref is None:  # r is optional: the cell follows the previous one
                row, col = self.row or 1, self.col + 1
            elif match := _REF.fullmatch(ref):
                row, col = int(match[2]), _column_index(match[1])
            else:
                raise XlsxRejected(f"工作表“{self.sheet}”含有无效的单元格坐标“{ref[:20]}”，文件可能已损坏。")
            self.cell_row, self.col, self.in_extension = row, col, False
            state.cells += 1
            if row > self.max_row or col > self.max_col or state.cells > self.limits.max_cells:
                self._grow(row, col)
            self.cell_is_error = attrs.get("t") == "e"
            if self.cell_is_error:
                self._report(_ERROR_VALUE)
        elif name == "row":
            ref = attrs.get("r")
            if ref is not None and not _DIGITS.fullmatch(ref):
                raise XlsxRejected(f"工作表“{self.sheet}”含有无效的行号“{ref[:20]}”，文件可能已损坏。")
            self.row = int(ref) if ref is not None else self.row + 1
            self.col = 0
        elif name == "f" and not self.in_extension:
            if not self.col:
                raise XlsxRejected(f"工作表“{self.sheet}”含有不属于任何单元格的公式，文件可能已损坏。")
            if self.cell_is_error:  # a formula showing an error: report the formula, once
                self.cell_is_error = False
                state.counts[_ERROR_VALUE] -= 1
                if state.problems and state.problems[-1] == CellProblem(
                    self.sheet, self.cell_row, self.col, _ERROR_VALUE
                ):
                    state.problems.pop()
            self._report(_FORMULA)
        elif name == "extLst":
            # x14 extensions (cross-sheet data validation, sparklines) hold <xm:f> references: not cell formulas.
            self.in_extension = True
        elif name == "dimension":
            # The file controls this tag, so it only serves to refuse early; the cells above are the truth.
            last = attrs.get("ref", "").rpartition(":")[2].replace("$", "")
            if match := _REF.fullmatch(last):
                self._check_caps(int(match[2]), _column_index(match[1]))

    def _report(self, message: str) -> None:
        self.state.counts[message] += 1
        if len(self.state.problems) < self.limits.max_listed_problems:
            self.state.problems.append(CellProblem(self.sheet, self.cell_row, self.col, message))

    def _grow(self, row: int, col: int) -> None:
        self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, col)
        self._check_caps(self.max_row, self.max_col)
        # The grid calamine allocates is rows x columns, however few cells are filled (A1 plus GR100000
        # would be 20 million cells), so the cap is on the area as well as on the <c> count.
        area = self.state.area + self.max_row * self.max_col
        if area > self.limits.max_cells or self.state.cells > self.limits.max_cells:
            self._too_many_cells()

    def _check_caps(self, row: int, col: int) -> None:
        if row > self.limits.max_rows:
            raise XlsxRejected(
                f"工作表“{self.sheet}”超过 {self.limits.max_rows} 行的上限（数据至少到第 {row} 行）。"
                "请删除多余的行，或分多个文件上传。"
            )
        if col > self.limits.max_columns:
            raise XlsxRejected(
                f"工作表“{self.sheet}”超过 {self.limits.max_columns} 列的上限"
                f"（数据至少到第 {col} 列，即 {column_letter(col)} 列）。请删除多余的列后再上传。"
            )

    def _too_many_cells(self) -> None:
        raise XlsxRejected(f"工作簿的单元格总数超过上限 {self.limits.max_cells} 个，请分多个文件上传。")


def _read_values(package: bytes, limits: Limits) -> Workbook:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(package))
    except CalamineError as exc:
        raise XlsxRejected(_CORRUPT) from exc
    sheets: list[SheetData] = []
    meta: dict[str, str] = {}
    with book:
        for info in book.sheets_metadata:
            if info.typ != SheetTypeEnum.WorkSheet:  # chart and dialog sheets hold no cell values
                continue
            try:
                raw = book.get_sheet_by_name(info.name)
            except CalamineError as exc:
                raise XlsxRejected(_CORRUPT) from exc
            # Defence in depth: the scan already bounded every cell, but never build what it did not see.
            end = raw.end
            if end is not None and (end[0] >= limits.max_rows or end[1] >= limits.max_columns):
                raise XlsxRejected(_CORRUPT)
            rows = [
                [_convert(v, info.name, r, c) for c, v in enumerate(row, 1)]
                for r, row in enumerate(raw.to_python(skip_empty_area=False), 1)
            ]
            if info.name == META_SHEET:
                meta = {
                    str(row[0]): unescape_text(str(row[1]))
                    for row in rows
                    if len(row) > 1 and row[0] is not None and row[1] is not None
                }
            elif info.name != LISTS_SHEET:
                sheets.append(SheetData(info.name, rows, visible=info.visible == SheetVisibleEnum.Visible))
    return Workbook(tuple(sheets), meta)


def _convert(value: float | CellValue, sheet: str, row: int, column: int) -> CellValue:
    if isinstance(value, float):
        if not math.isfinite(value):
            problem = CellProblem(sheet, row, column, "数值无效（非有限数）")
            raise XlsxRejected(f"{problem}。", [problem])
        # repr() is the shortest text that round-trips the double: what the user typed (see module docstring).
        return int(value) if value.is_integer() else Decimal(repr(value))
    if value == "":  # calamine reports blank cells as ""
        return None
    return value


# ---------------------------------------------------------------------------------------------- writing

# Text starting with these is a formula to Excel, LibreOffice or a CSV consumer (OWASP CSV injection);
# the full-width forms because Chinese IMEs produce them and some tools normalise them to ASCII.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0", "＝", "＋", "－", "＠")
_LONE_DASHES = frozenset({"-", "－"})


def escape_text(value: str) -> str:
    """Prefix an apostrophe to text that a spreadsheet could take for a formula (IV-7). Text only: numbers
    are written as numbers and never pass through here.

    Text that is already apostrophes plus such a prefix ("'=x") gets one more, so unescape_text can undo
    exactly what this did. A dash alone ("-", what a table prints for "none") is no formula and stays as it is."""
    if value in _LONE_DASHES:
        return value
    return "'" + value if value.lstrip("'").startswith(_FORMULA_PREFIXES) else value


def unescape_text(value: str) -> str:
    """Exact inverse of escape_text, for text we exported ourselves (the meta sheet, re-imported templates)."""
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(_FORMULA_PREFIXES) else value


@dataclass(frozen=True)
class CellFormat:
    bold: bool = False
    fill: str | None = None  # background colour, e.g. "#FFC7CE" for a returned/overdue status
    font_color: str | None = None
    num_format: str | None = None  # Excel format code, e.g. "#,##0.00", "0.0%", "yyyy-mm-dd"
    align: str | None = None  # "left" | "center" | "right"
    wrap: bool = False


WriteValue = str | int | Decimal | bool | date | datetime | None


@dataclass(frozen=True)
class Cell:
    """A value with its own format (status colours); plain values take the column's format."""

    value: WriteValue
    format: CellFormat = field(default_factory=CellFormat)


@dataclass(frozen=True)
class DecimalRange:
    minimum: Decimal | None = Decimal(0)
    maximum: Decimal | None = None


@dataclass(frozen=True)
class Choices:
    values: tuple[str, ...]


@dataclass(frozen=True)
class Column:
    title: str  # the header when the sheet has no header_rows
    width: float | None = None
    num_format: str | None = None
    hidden: bool = False  # e.g. township and indicator codes the importer matches on
    locked: bool = True  # effective only when Sheet.protect; value columns set False
    validation: DecimalRange | Choices | None = None


@dataclass(frozen=True)
class HeaderCell:
    text: str
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True)
class Sheet:
    """Header rows are laid out like an HTML table: each cell takes the next column not covered by a rowspan
    from above. Data starts on the row after the header; the header and `freeze_columns` stay frozen."""

    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[WriteValue | Cell]] = ()
    header_rows: Sequence[Sequence[HeaderCell]] = ()
    freeze_columns: int = 0
    protect: bool = False
    blank_rows: int = 0  # empty, formatted and validated input rows after the data (templates)


_HEADER = CellFormat(bold=True, fill="#D9E1F2", align="center", wrap=True)
_MAX_EXACT_INT = 2**53


def write_workbook(sheets: Sequence[Sheet], *, meta: Mapping[str, str] | None = None) -> bytes:
    """Render sheets (and an optional very hidden key/value META_SHEET) to .xlsx bytes, in memory."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    writer = _Writer()
    for sheet in sheets:
        writer.sheet(sheet)
    if meta:
        ws = writer.book.add_worksheet(META_SHEET)
        ws.very_hidden()
        for r, (key, value) in enumerate(meta.items()):
            ws.write_string(r, 0, escape_text(key))
            ws.write_string(r, 1, escape_text(value))
    writer.book.close()
    return writer.buffer.getvalue()


class _Writer:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        # Never let XlsxWriter turn text into formulas, links or numbers: text stays text.
        options = {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }
        self.book: Any = xlsxwriter.Workbook(self.buffer, options)
        self.formats: dict[tuple[CellFormat, bool], Any] = {}
        self.lists: Any = None
        self.list_count = 0

    def format(self, fmt: CellFormat, *, locked: bool) -> Any:
        key = (fmt, locked)
        if key not in self.formats:
            props: dict[str, Any] = {"border": 1, "valign": "vcenter", "locked": locked, "bold": fmt.bold}
            extra = {
                "bg_color": fmt.fill,
                "font_color": fmt.font_color,
                "num_format": fmt.num_format,
                "align": fmt.align,
            }
            props.update({k: v for k, v in extra.items() if v is not None})
            props["text_wrap"] = fmt.wrap
            self.formats[key] = self.book.add_format(props)
        return self.formats[key]

    def sheet(self, sheet: Sheet) -> None:
        ws = self.book.add_worksheet(sheet.name)
        columns = list(sheet.columns)
        first = self.header(ws, sheet)
        for c, column in enumerate(columns):
            base = CellFormat(num_format=column.num_format)
            ws.set_column(c, c, column.width, self.format(base, locked=column.locked), {"hidden": column.hidden})
        for r, row in enumerate(sheet.rows, start=first):
            if len(row) != len(columns):
                raise ValueError(f"sheet {sheet.name!r} row {r + 1}: {len(row)} values for {len(columns)} columns")
            for c, (item, column) in enumerate(zip(row, columns, strict=True)):
                value, fmt = (item.value, item.format) if isinstance(item, Cell) else (item, CellFormat())
                if fmt.num_format is None:
                    fmt = replace(fmt, num_format=column.num_format)
                self.write(ws, r, c, value, fmt, locked=column.locked)
        last = first + len(sheet.rows) + sheet.blank_rows - 1
        for r in range(first + len(sheet.rows), last + 1):
            for c, column in enumerate(columns):
                ws.write_blank(r, c, None, self.format(CellFormat(num_format=column.num_format), locked=column.locked))
        for c, column in enumerate(columns):
            if column.validation is not None and last >= first:
                ws.data_validation(first, c, last, c, self.validation(column.validation))
        ws.freeze_panes(first, sheet.freeze_columns)
        if sheet.protect:
            # A guard against accidental edits of codes and names, not a security control (the legacy
            # password hash is trivially broken): importers re-check every code against the database.
            ws.protect("", {"format_columns": True, "format_rows": True})

    def header(self, ws: Any, sheet: Sheet) -> int:
        """Write the header rows; returns the number of rows used (the first data row, 0-based)."""
        ncols = len(sheet.columns)
        layout = sheet.header_rows or [[HeaderCell(column.title) for column in sheet.columns]]
        fmt = self.format(_HEADER, locked=True)
        taken: set[tuple[int, int]] = set()
        for r, cells in enumerate(layout):
            c = 0
            for cell in cells:
                while (r, c) in taken:
                    c += 1
                span = {(rr, cc) for rr in range(r, r + cell.rowspan) for cc in range(c, c + cell.colspan)}
                if c + cell.colspan > ncols or r + cell.rowspan > len(layout) or span & taken:
                    raise ValueError(f"sheet {sheet.name!r}: header cell {cell.text!r} does not fit the grid")
                if cell.rowspan > 1 or cell.colspan > 1:
                    ws.merge_range(r, c, r + cell.rowspan - 1, c + cell.colspan - 1, escape_text(cell.text), fmt)
                else:
                    ws.write_string(r, c, escape_text(cell.text), fmt)
                taken |= span
                c += cell.colspan
        return len(layout)

    def write(self, ws: Any, r: int, c: int, value: WriteValue, fmt: CellFormat, *, locked: bool) -> None:
        match value:
            case None:
                ws.write_blank(r, c, None, self.format(fmt, locked=locked))
            case bool():
                ws.write_boolean(r, c, value, self.format(fmt, locked=locked))
            case int() | Decimal():
                if isinstance(value, Decimal) and not value.is_finite():
                    raise ValueError(f"cannot export non-finite {value!r}")
                if isinstance(value, int) and abs(value) > _MAX_EXACT_INT:
                    raise ValueError(f"{value} does not fit an Excel number exactly; export it as text")
                # The file format stores doubles, so float() here is presentation only: the column's number
                # format decides what is shown, and exactness lives in the database and on the import side.
                ws.write_number(r, c, float(value), self.format(fmt, locked=locked))
            case datetime():  # before date: a datetime is a date
                fmt = fmt if fmt.num_format else replace(fmt, num_format="yyyy-mm-dd hh:mm:ss")
                ws.write_datetime(r, c, value, self.format(fmt, locked=locked))
            case date():
                fmt = fmt if fmt.num_format else replace(fmt, num_format="yyyy-mm-dd")
                ws.write_datetime(r, c, value, self.format(fmt, locked=locked))
            case str():
                ws.write_string(r, c, escape_text(value), self.format(fmt, locked=locked))
            case _:
                raise TypeError(f"cannot export {type(value).__name__}; use Decimal for numbers, never float")

    def validation(self, rule: DecimalRange | Choices) -> dict[str, Any]:
        common = {"error_type": "stop", "error_title": "输入有误"}
        if isinstance(rule, Choices):
            values = [escape_text(v) for v in rule.values]
            source: list[str] | str = values
            # Excel limits an inline list to 255 characters and cannot quote commas: use a hidden sheet.
            if sum(len(v) + 1 for v in values) > 256 or any("," in v or '"' in v for v in values):
                if self.lists is None:
                    self.lists = self.book.add_worksheet(LISTS_SHEET)
                    self.lists.very_hidden()
                for r, v in enumerate(values):
                    self.lists.write_string(r, self.list_count, v)
                letter = column_letter(self.list_count + 1)
                source = f"='{LISTS_SHEET}'!${letter}$1:${letter}${max(len(values), 1)}"
                self.list_count += 1
            return {"validate": "list", "source": source, "error_message": "请从下拉列表中选择。", **common}
        low, high = rule.minimum, rule.maximum
        if low is not None and high is not None:
            limits: dict[str, Any] = {"criteria": "between", "minimum": _bound(low), "maximum": _bound(high)}
            message = f"请输入 {low} 至 {high} 之间的数值。"
        elif low is not None:
            limits, message = {"criteria": ">=", "value": _bound(low)}, f"请输入不小于 {low} 的数值。"
        elif high is not None:
            limits, message = {"criteria": "<=", "value": _bound(high)}, f"请输入不大于 {high} 的数值。"
        else:
            limits, message = {"criteria": "between", "minimum": -(10**15), "maximum": 10**15}, "请输入数值。"
        return {"validate": "decimal", **limits, "error_message": message, **common}


def _bound(value: Decimal) -> int | float:
    # XlsxWriter writes a float 0 as "0.0"; whole bounds read better (and compare exactly) as ints.
    return int(value) if value == value.to_integral_value() else float(value)
