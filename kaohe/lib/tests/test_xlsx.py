"""kaohe.lib.xlsx: exact round trips, formula-injection escaping (IV-7) and the hostile-upload corpus (IV-6).

No database. Memory is measured with tracemalloc (it sees Python allocations, including expat's; the
rejections below all happen before calamine's native code runs). Speed is for benchmarks, not tests.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from kaohe.lib.tests import xlsx_corpus as corpus
from kaohe.lib.xlsx import (
    DEFAULT_LIMITS,
    LISTS_SHEET,
    META_SHEET,
    Cell,
    CellFormat,
    Choices,
    Column,
    DecimalRange,
    HeaderCell,
    Limits,
    Sheet,
    SheetData,
    Workbook,
    WriteValue,
    XlsxRejected,
    column_letter,
    describe_cell,
    escape_text,
    read_workbook,
    unescape_text,
    write_workbook,
)

MB = 1024 * 1024
# Far below what decompressing a bomb, expanding entities or materialising a million rows would take,
# far above what the streaming checks need (a few MB).
MEMORY_BUDGET = 32 * MB
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ROOT = Path(__file__).resolve().parents[3]


def read(data: bytes, filename: str = "上传.xlsx", limits: Limits = DEFAULT_LIMITS) -> Workbook:
    return read_workbook(data, filename=filename, limits=limits)


def rejected(data: bytes, filename: str = "上传.xlsx", limits: Limits = DEFAULT_LIMITS) -> XlsxRejected:
    """Read, expecting XlsxRejected with a Chinese message, within MEMORY_BUDGET."""
    tracemalloc.start()
    try:
        with pytest.raises(XlsxRejected) as caught:
            read_workbook(data, filename=filename, limits=limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BUDGET, f"peak {peak / MB:.1f} MB while rejecting"
    assert CHINESE.search(caught.value.message), caught.value.message
    return caught.value


def one_sheet(rows: str, **kwargs: str) -> bytes:
    return corpus.package({"Sheet1": corpus.sheet_xml(rows, **kwargs)})


# ------------------------------------------------------------------------------------------ round trip

COLUMNS = [
    Column("代码", hidden=True),
    Column("镇街", width=14),
    Column("本月完成", width=16, num_format="#,##0.0000", locked=False, validation=DecimalRange()),
    Column("完成率", num_format="0.00%", locked=False, validation=DecimalRange(Decimal(0), Decimal(2))),
    Column("状态", validation=Choices(("已提交", "已退回", "已审核"))),
    Column("截止日期"),
    Column("提交时间"),
]
HEADER = [
    [HeaderCell("单位", colspan=2), HeaderCell("本月指标", colspan=2), HeaderCell("审核", colspan=3)],
    [HeaderCell(text) for text in ("代码", "镇街", "完成值", "完成率", "状态", "截止", "时间")],
]
RETURNED = Cell("已退回", CellFormat(fill="#FFC7CE"))
ROWS: list[list[WriteValue | Cell]] = [
    ["330102001", "青石镇", Decimal("12345.6789"), Decimal("0.1") + Decimal("0.2"), "已提交", date(2025, 6, 30), None],
    [
        "330102002",
        "白沙街道",
        Decimal("1.1") * 3,
        Decimal("0.7"),
        RETURNED,
        date(2024, 2, 29),
        datetime(2025, 7, 1, 9, 30, 15),
    ],
    ["330102003", '=HYPERLINK("http://x")', Decimal("-0.0001"), None, None, None, None],
    ["330102004", "云和镇", Decimal("123456789012.345"), Decimal("100"), "已审核", None, None],
    ["330102005", "上塘镇", 42, Decimal("0.005"), None, None, None],
]
META = {"template": "monthly-economy", "period": "2025-06", "version": "-3"}


def roundtrip_workbook() -> bytes:
    sheet = Sheet("6月数据", COLUMNS, ROWS, header_rows=HEADER, freeze_columns=2, protect=True, blank_rows=3)
    return write_workbook([sheet, Sheet("说明", [Column("说明")], [["本表由系统生成"]])], meta=META)


def test_round_trip_keeps_decimals_text_and_dates_exact() -> None:
    book = read(roundtrip_workbook())
    assert [s.name for s in book.sheets] == ["6月数据", "说明"]  # the meta sheet is not a data sheet
    sheet = book.sheet("6月数据")
    assert sheet.rows[0][:5] == ["单位", None, "本月指标", None, "审核"]  # merged headers: text at top-left
    assert sheet.rows[1][0] == "代码"
    for offset, expected in enumerate(ROWS):
        got = sheet.rows[2 + offset]
        for column, (want, value) in enumerate(zip(expected, got, strict=True), 1):
            want = want.value if isinstance(want, Cell) else want
            if isinstance(want, int | Decimal):
                assert type(value) in (int, Decimal), (offset, column, value)
                assert Decimal(value) == want, (offset, column, value)  # type: ignore[arg-type]
            elif isinstance(want, str):
                assert value == escape_text(want)
            else:
                assert value == want, (offset, column, value)
    assert sheet.cell(3, 3) == Decimal("12345.6789")
    assert sheet.cell(3, 4) == Decimal("0.3")  # not 0.30000000000000004
    assert sheet.cell(4, 3) == Decimal("3.3")
    assert sheet.cell(6, 4) == 100 and type(sheet.cell(6, 4)) is int
    assert sheet.cell(999, 1) is None
    assert book.meta == META


def test_round_trip_is_exact_for_any_decimal_of_up_to_15_significant_digits() -> None:
    rng = random.Random(20250630)
    values = []
    for _ in range(2000):
        digits = rng.randint(1, 15)
        unscaled = rng.randint(-(10**digits) + 1, 10**digits - 1)
        values.append(Decimal(unscaled).scaleb(-rng.randint(0, min(digits, 8))))
    sheet = Sheet("数", [Column("v")], [[v] for v in values])
    got = [row[0] for row in read(write_workbook([sheet])).sheets[0].rows[1:]]
    assert not any(isinstance(v, float) for v in got)
    assert got == values


def test_the_writer_layout_is_what_excel_sees() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(roundtrip_workbook()))
    ws = wb["6月数据"]
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:B1", "C1:D1", "E1:G1"}
    assert ws.freeze_panes == "C3"
    assert ws.column_dimensions["A"].hidden
    assert ws.protection.sheet
    assert ws["B3"].protection.locked and not ws["C3"].protection.locked
    assert not ws["C9"].protection.locked  # blank input rows after the data are open for entry too
    assert ws["C3"].number_format == "#,##0.0000" and ws["D3"].number_format == "0.00%"
    assert ws["F3"].number_format == "yyyy-mm-dd"
    assert ws["E4"].fill.fgColor.rgb == "FFFFC7CE"
    rules = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    assert (rules["C3:C10"].type, rules["C3:C10"].operator, rules["C3:C10"].formula1) == (
        "decimal",
        "greaterThanOrEqual",
        "0",
    )
    assert rules["D3:D10"].operator in (None, "between")  # "between" is the default, so it is often omitted
    assert (rules["D3:D10"].formula1, rules["D3:D10"].formula2) == ("0", "2")
    assert (rules["E3:E10"].type, rules["E3:E10"].formula1) == ("list", '"已提交,已退回,已审核"')
    assert wb[META_SHEET].sheet_state == "veryHidden"


def test_long_choice_lists_go_to_a_hidden_sheet() -> None:
    towns = tuple(f"第{i}号镇街，含逗号" for i in range(40))
    data = write_workbook([Sheet("表", [Column("镇街", validation=Choices(towns))], [["第1号镇街，含逗号"]])])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb[LISTS_SHEET].sheet_state == "veryHidden"
    assert [c.value for c in wb[LISTS_SHEET]["A"]] == list(towns)
    assert wb["表"].data_validations.dataValidation[0].formula1 == f"'{LISTS_SHEET}'!$A$1:$A$40"
    assert [s.name for s in read(data).sheets] == ["表"]


def test_the_writer_refuses_floats_and_misshapen_rows() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        write_workbook([Sheet("s", [Column("v")], [[0.1]])])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="2 values for 1 columns"):
        write_workbook([Sheet("s", [Column("v")], [[1, 2]])])
    with pytest.raises(ValueError, match="does not fit"):
        write_workbook([Sheet("s", [Column("a")], header_rows=[[HeaderCell("宽", colspan=2)]])])
    with pytest.raises(ValueError, match="text"):
        write_workbook([Sheet("s", [Column("v")], [[2**60]])])


# ------------------------------------------------------------------------------ formula injection (IV-7)

DANGEROUS = ["=1+1", "+cmd", "-2", "@SUM(A1)", "\t=x", "\r=x", "＝1+1", "＋1", "－2", "＠SUM(A1)"]
HARMLESS = ["a=b", "青石镇", "2025-06", " =1", "-", "－"]  # a dash alone is a table's "none"


def test_escape_text_prefixes_an_apostrophe_to_formula_like_text_only() -> None:
    for text in [*DANGEROUS, "\0x"]:
        assert escape_text(text) == "'" + text
        assert unescape_text(escape_text(text)) == text
    for text in [*HARMLESS, "", "'quoted"]:
        assert escape_text(text) == text
        assert unescape_text(text) == text
    assert escape_text("'=already") == "''=already"  # one more, so that unescaping is exact
    assert unescape_text(escape_text("'=already")) == "'=already"


def test_exported_text_never_becomes_a_formula_and_numbers_stay_numeric() -> None:
    texts = DANGEROUS + HARMLESS
    rows: list[list[WriteValue | Cell]] = [[text, Decimal("-2"), -5] for text in texts]
    header = [[HeaderCell('=HYPERLINK("http://evil")'), HeaderCell("数"), HeaderCell("整数")]]
    data = write_workbook([Sheet("导出", [Column("文本"), Column("数"), Column("整数")], rows, header_rows=header)])

    ws = openpyxl.load_workbook(io.BytesIO(data))["导出"]  # not data_only: a formula would show as type "f"
    assert ws["A1"].data_type == "s" and ws["A1"].value == '\'=HYPERLINK("http://evil")'
    for r, text in enumerate(texts, start=2):
        cell = ws.cell(r, 1)
        assert cell.data_type == "s", text
        stored = cell.value.replace("_x000D_", "\r")  # OOXML escapes control characters; openpyxl keeps it
        assert stored == (("'" + text) if text in DANGEROUS else text)
        assert ws.cell(r, 2).data_type == "n" and ws.cell(r, 2).value == -2
        assert ws.cell(r, 3).data_type == "n" and ws.cell(r, 3).value == -5
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")
    back = read(data).sheets[0]
    assert [row[0] for row in back.rows[1:]] == [escape_text(t) for t in texts]
    assert {row[1] for row in back.rows[1:]} == {Decimal(-2)}


# --------------------------------------------------------------------------------- formulas on import


def test_every_formula_cell_is_reported_with_its_position() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    data = book.add_worksheet("数据")
    data.write("A1", "镇街")
    data.write_formula("B2", "=1+1")
    data.write_number("C2", 5)
    data.write_array_formula("E3:E3", "{=SUM(C2:C3*2)}")
    data.write_formula("D7", "=SUM(C2:C3)")
    book.add_worksheet("汇总").write_formula("AB1", "=数据!C2")
    book.close()

    error = rejected(buffer.getvalue())
    found = [(p.sheet, p.row, p.column, p.column_letter) for p in error.problems]
    assert found == [("数据", 2, 2, "B"), ("数据", 3, 5, "E"), ("数据", 7, 4, "D"), ("汇总", 1, 28, "AB")]
    assert {p.message for p in error.problems} == {"单元格含有公式，请粘贴为数值后再上传"}
    assert error.total_problems == 4 and "4 个公式" in error.message
    assert str(error.problems[3]) == "工作表“汇总”第 1 行第 28 列（AB 列）：单元格含有公式，请粘贴为数值后再上传"


def test_formula_positions_follow_cells_without_r_and_prefixed_elements() -> None:
    ns = corpus.MAIN_NS
    xml = (
        f'<x:worksheet xmlns:x="{ns}"><x:sheetData><x:row r="3"><x:c r="D3"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
        '<x:row><x:c><x:v>1</x:v></x:c><x:c><x:f t="shared" si="0"/><x:v>2</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    error = rejected(corpus.package({"表": xml}))
    assert [(p.sheet, p.row, p.column) for p in error.problems] == [("表", 3, 4), ("表", 4, 2)]


def test_the_formula_list_is_capped_but_every_formula_is_counted() -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><f>{r}*2</f><v>{r * 2}</v></c></row>' for r in range(1, 8))
    error = rejected(one_sheet(rows), limits=Limits(max_listed_problems=2))
    assert [p.row for p in error.problems] == [1, 2]
    assert error.total_problems == 7 and "7 个公式" in error.message and "仅列出前 2 个" in error.message


def test_error_cells_are_reported_instead_of_read_as_blank() -> None:
    rows = (
        '<row r="2"><c r="B2" t="e"><v>#N/A</v></c><c r="C2"><v>1</v></c></row>'
        '<row r="3"><c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    )
    error = rejected(one_sheet(rows))
    assert [(p.row, p.column_letter, p.message) for p in error.problems] == [
        (2, "B", "单元格为错误值（如 #N/A、#DIV/0!），请修正后再上传"),
        (3, "C", "单元格含有公式，请粘贴为数值后再上传"),  # a formula showing an error is reported once
    ]
    assert error.total_problems == 2 and "1 个公式单元格、1 个错误值单元格" in error.message


def test_references_in_x14_extensions_are_not_cell_formulas() -> None:
    extension = (
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        '<x14:dataValidation type="list"><x14:formula1><xm:f>_lists!$A$1:$A$3</xm:f></x14:formula1>'
        "<xm:sqref>B2:B9</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>"
    )
    data = one_sheet('<row r="2"><c r="B2"><v>7.25</v></c></row>', after=extension)
    assert read(data).sheets[0].cell(2, 2) == Decimal("7.25")


# --------------------------------------------------------------------------- the hostile corpus (IV-6)


def flood_of_elements() -> bytes:
    # Varied attributes so that it compresses like real XML and reaches the element scan.
    return one_sheet('<row r="1"><c r="A1">' + "".join(f'<v a="{i}"/>' for i in range(40_001)) + "</c></row>")


def with_extra(extra: dict[str, bytes]) -> bytes:
    return corpus.package({"Sheet1": corpus.sheet_xml("")}, extra=extra)


def duplicate_part() -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        return with_extra({"xl/styles.xml": b"<styleSheet/>", "XL/Styles.xml": b"<styleSheet/>"})


def constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def without_workbook_part() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", corpus.standard_parts(["a"])["[Content_Types].xml"])
    return buffer.getvalue()


HOSTILE: dict[str, tuple[Callable[[], bytes], str, Limits, str]] = {
    # name: (generator, filename, limits, a fragment of the expected message)
    "zip bomb, 1 GiB from 1 MB": (corpus.zip_bomb, "a.xlsx", DEFAULT_LIMITS, "压缩炸弹"),
    "zip bomb lying about its size": (lambda: corpus.zip_bomb(declared_size=4096), "a.xlsx", DEFAULT_LIMITS, "损坏"),
    "billion laughs in a sheet": (corpus.billion_laughs, "a.xlsx", DEFAULT_LIMITS, "实体"),
    "billion laughs in UTF-16": (lambda: corpus.billion_laughs(encoding="utf-16"), "a.xlsx", DEFAULT_LIMITS, "实体"),
    "billion laughs in shared strings": (
        lambda: corpus.billion_laughs(part="xl/sharedStrings.xml"),
        "a.xlsx",
        DEFAULT_LIMITS,
        "实体",
    ),
    "external entity (XXE)": (corpus.external_entity, "a.xlsx", DEFAULT_LIMITS, "实体"),
    "external DTD, no entities": (
        lambda: corpus.package(
            {"Sheet1": '<!DOCTYPE worksheet SYSTEM "http://evil.example/x.dtd">' + corpus.sheet_xml("")}
        ),
        "a.xlsx",
        DEFAULT_LIMITS,
        "DOCTYPE",
    ),
    "VBA project inside an .xlsx": (
        lambda: with_extra({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(512)}),
        "a.xlsx",
        DEFAULT_LIMITS,
        "宏",
    ),
    "macro-enabled content type": (
        lambda: corpus.package({"Sheet1": corpus.sheet_xml("")}, main_type=corpus.XLSM_MAIN_TYPE),
        "a.xlsx",
        DEFAULT_LIMITS,
        "宏",
    ),
    "Excel 4.0 macro sheet": (
        lambda: with_extra({"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"}),
        "a.xlsx",
        DEFAULT_LIMITS,
        "宏",
    ),
    ".xlsm file name": (lambda: write_workbook([Sheet("s", [Column("a")])]), "宏.xlsm", DEFAULT_LIMITS, ".xlsm"),
    ".xls file name": (lambda: write_workbook([Sheet("s", [Column("a")])]), "a.xls", DEFAULT_LIMITS, "旧版"),
    ".csv file name": (lambda: b"a,b\n1,2\n", "a.csv", DEFAULT_LIMITS, ".csv"),
    **{
        f"renamed {kind}": (constant(blob), "a.xlsx", DEFAULT_LIMITS, "旧版" if kind == "xls" else "")
        for kind, blob in corpus.renamed_binaries().items()
    },
    "empty file": (lambda: b"", "a.xlsx", DEFAULT_LIMITS, "为空"),
    "oversized file": (lambda: b"PK\x03\x04" + bytes(20 * MB), "a.xlsx", DEFAULT_LIMITS, "20 MB"),
    "1,000,000 rows with a dimension": (corpus.million_rows, "a.xlsx", DEFAULT_LIMITS, "100000 行"),
    "1,000,000 rows without a dimension": (
        lambda: corpus.million_rows(dimension=False),
        "a.xlsx",
        DEFAULT_LIMITS,
        "第 100001 行",
    ),
    "201 columns": (
        lambda: one_sheet('<row r="1">' + "<c><v>1</v></c>" * 201 + "</row>"),
        "a.xlsx",
        DEFAULT_LIMITS,
        "GS 列",
    ),
    "a lone cell at XFD1048576": (
        lambda: one_sheet('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
        "a.xlsx",
        DEFAULT_LIMITS,
        "100000 行",
    ),
    "two cells spanning a 20-million-cell grid": (
        lambda: one_sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="100000"><c r="GR100000"><v>1</v></c></row>'),
        "a.xlsx",
        DEFAULT_LIMITS,
        "单元格总数",
    ),
    "a flood of non-cell elements": (flood_of_elements, "a.xlsx", Limits(max_cells=10_000), "单元格总数"),
    "too many entries": (
        lambda: with_extra({f"xl/media/image{i}.png": b"" for i in range(1001)}),
        "a.xlsx",
        DEFAULT_LIMITS,
        "文件数",
    ),
    "honest entries over the total size": (
        lambda: with_extra({f"xl/media/{i}.xml": random.Random(i).randbytes(700_000) for i in range(2)}),
        "a.xlsx",
        Limits(max_total_uncompressed=1 * MB),
        "解压后超过",
    ),
    "path traversal": (
        lambda: with_extra({"../../etc/cron.d/evil.xml": b"<a/>"}),
        "a.xlsx",
        DEFAULT_LIMITS,
        "非法路径",
    ),
    "absolute path": (lambda: with_extra({"/tmp/evil.xml": b"<a/>"}), "a.xlsx", DEFAULT_LIMITS, "非法路径"),
    "duplicate part": (duplicate_part, "a.xlsx", DEFAULT_LIMITS, "重复"),
    "missing workbook part": (without_workbook_part, "a.xlsx", DEFAULT_LIMITS, "缺少"),
    "malformed cell reference": (
        lambda: one_sheet('<row r="1"><c r="A1x"><v>1</v></c></row>'),
        "a.xlsx",
        DEFAULT_LIMITS,
        "坐标",
    ),
    "broken XML": (lambda: one_sheet('<row r="1"><c r="A1"><v>1</v></row>'), "a.xlsx", DEFAULT_LIMITS, "XML"),
    "NaN cell": (lambda: one_sheet('<row r="1"><c r="A1"><v>NaN</v></c></row>'), "a.xlsx", DEFAULT_LIMITS, "A 列"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_uploads_are_rejected_within_the_memory_budget(case: str) -> None:
    generate, filename, limits, fragment = HOSTILE[case]
    data = generate()  # generated before tracing starts: the budget is the reader's, not the generator's
    error = rejected(data, filename, limits)
    assert fragment in error.message


def test_corrupted_bytes_are_rejected_cleanly_never_with_another_exception() -> None:
    good = roundtrip_workbook()
    rng = random.Random(7)
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(4, len(data))]
        try:
            read(bytes(data))
        except XlsxRejected as error:
            assert CHINESE.search(error.message)


def test_file_names_are_checked_case_insensitively() -> None:
    data = write_workbook([Sheet("s", [Column("a")], [["x"]])])
    assert read(data, filename="C:\\报表\\六月.XLSX").sheets[0].cell(2, 1) == "x"
    assert "仅支持" in rejected(data, filename="六月").message


def test_the_default_limits_are_the_documented_ones() -> None:
    limits = DEFAULT_LIMITS
    assert (limits.max_file_bytes, limits.max_total_uncompressed) == (20 * MB, 100 * MB)
    assert (limits.max_rows, limits.max_columns) == (100_000, 200)


# ---------------------------------------------------------------------------------------- small pieces


def test_positions_are_reported_the_way_excel_shows_them() -> None:
    assert [column_letter(n) for n in (1, 26, 27, 28, 200, 16384)] == ["A", "Z", "AA", "AB", "GR", "XFD"]
    assert describe_cell("数据", 5, 3) == "工作表“数据”第 5 行第 3 列（C 列）"
    sheet = SheetData("数据", [[None, "a"], ["b"]])
    assert (sheet.cell(1, 2), sheet.cell(2, 1), sheet.cell(2, 2), sheet.cell(0, 1)) == ("a", "b", None, None)
    assert list(sheet.iter_rows()) == [(1, [None, "a"]), (2, ["b"])]


def test_hidden_sheets_are_read_and_marked() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("可见").write("A1", "v")
    hidden = book.add_worksheet("隐藏")
    hidden.write("A1", "h")
    hidden.hide()
    book.close()
    sheets = read(buffer.getvalue()).sheets
    assert [(s.name, s.visible, s.cell(1, 1)) for s in sheets] == [("可见", True, "v"), ("隐藏", False, "h")]


def test_defusedxml_guards_openpyxl() -> None:
    # IV-6 "defusedxml present": openpyxl (used to read exports back) only guards against entity attacks
    # when defusedxml is installed.
    assert openpyxl.DEFUSEDXML


def test_the_module_does_not_import_django() -> None:
    code = "import sys, kaohe.lib.xlsx; assert 'django' not in sys.modules, 'django imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
