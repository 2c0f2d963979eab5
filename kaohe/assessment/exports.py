"""The 成绩单 as an Excel workbook, in the page's layout.

One sheet: a title row; the two-row header, each indicator's name, measure and weight merged over
目标 / 1-N月累计 / 完成% / 序时差 / 得分(名次) (three rows when the page shows categories: each category's name
merged over its indicators and its 小计); one row per unit, ending in 加分 / 扣分 / 否决 / 总分 / 位次 / 组内位次 /
位次变化 / 达序时指标 / 等级; then the groups' 小计 and the 全区合计 rows; below, a legend and the basis (正式 or
预览).

Numbers stay numbers. Each is the exact value rounded half-up to what the page shows: targets and figures with
the engine's `round_half_up`, completion, gap and points as the grid holds them (rounded once from the exact
value), so Excel's number formats only lay them out. Text cells are formula-escaped by `kaohe.lib.xlsx`; the
header and the unit names stay frozen.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from urllib.parse import quote

from kaohe.lib.xlsx import Cell, CellFormat, Column, HeaderCell, Sheet, WriteValue, write_workbook
from kaohe.scoring import Status as S
from kaohe.scoring import period_label, round_half_up

from .inputs import Mode
from .selectors import Block, Figures, Grid, Line, Total
from .selectors import Column as BoardColumn
from .templatetags.kaohe_format import amount, pct, signed

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "成绩单"
MODE_LABELS = {Mode.OFFICIAL: "正式（仅已审核数据）", Mode.PREVIEW: "预览（含待审核数据）"}

# The page's status colours (scores.css): background, text.
COLOURS = {
    S.ON_SCHEDULE: ("#E6F4EA", "#1A6B2D"),
    S.BEHIND: ("#FDECEA", "#A3221B"),
    S.COMPLETED: ("#E3EFFF", "#1A56B0"),
    S.NOT_REPORTED: ("#ECECEC", "#4D4D4D"),
    S.NO_TARGET: ("#FAFAFA", "#666666"),
    S.NOT_EVALUATED: ("#FAFAFA", "#666666"),
}
POINTS = "0.00"
SUBTOTAL = CellFormat(bold=True, num_format=POINTS)


def _digits(places: int) -> str:
    return "0" + ("." + "0" * places if places else "")


def amount_format(places: int) -> str:
    """An indicator's figures at its 小数位数: "#,##0" at 0, "#,##0.00" at 2."""
    return "#,##" + _digits(places)


def percent_format(places: int) -> str:
    return _digits(places) + "%"


def gap_format(places: int) -> str:
    digits = _digits(places)
    return f"+{digits};-{digits};{digits}"


LEGEND = (("达序时", S.ON_SCHEDULE), ("欠序时", S.BEHIND), ("已完成全年", S.COMPLETED), ("未报", S.NOT_REPORTED),
          ("无任务 -", S.NO_TARGET))  # fmt: skip


def _status(status: S, num_format: str | None = None, *, align: str | None = None) -> CellFormat:
    fill, font = COLOURS[status]
    return CellFormat(fill=fill, font_color=font, num_format=num_format, align=align)


def _shown(x: int | None, places: int) -> Decimal | str:
    """A × 10^4 target or figure rounded half-up to the decimals the page shows; "-" when there is none."""
    return "-" if x is None else round_half_up(Decimal(x).scaleb(-4), places)


def _cells(column: BoardColumn, figures: Figures, u: int) -> list[WriteValue | Cell]:
    status = figures.status[u]
    none = _status(status)
    extra = [Cell("-", none)] if figures.staged else []
    if status is S.NOT_EVALUATED:
        return [
            Cell("本期不考核", none),
            Cell(None, none),
            Cell(None, none),
            *extra,
            Cell(None, none),
            Cell(None, none),
        ]
    if status is S.NO_TARGET and figures.actual[u] is None:
        return [Cell("-", none), Cell("-", none), Cell("-", none), *extra, Cell("-", none), Cell("无任务", none)]
    actual = figures.actual[u]
    value = column.kind in ("growth", "ratio")
    places, rate = column.places, column.rate_places
    completion = figures.completion[u]
    shown = _shown(actual, places) if value else "-" if completion is None else Decimal(completion).scaleb(-2 - rate)
    gap = figures.gap[u]
    rank = figures.rank[u]
    points = f'{POINTS}"({rank})"' if rank else POINTS  # the rank beside the points, as the page shows it
    percent = percent_format(rate)
    cells: list[WriteValue | Cell] = [
        _shown(figures.target[u], places),
        "未报" if actual is None else _shown(actual, places),
        Cell(shown, _status(status, amount_format(places) if value else percent, align="right")),
    ]
    if figures.staged:  # 完成阶段目标% beside the annual 完成%, as published tables print them
        stage = figures.stage_completion[u]
        cells.append(
            Cell("-" if stage is None else Decimal(stage).scaleb(-2 - rate), _status(status, percent, align="right"))
        )
    return [
        *cells,
        Cell("-" if gap is None else Decimal(gap).scaleb(-rate), _status(status, gap_format(rate), align="right")),
        Cell(Decimal(figures.points[u]).scaleb(-2), CellFormat(num_format=points))
        if figures.has_points(u)
        else Cell("无任务", none),  # 无任务 with a figure (增速, counts): the figure shows, there are no points
    ]


def _row(grid: Grid, line: Line) -> list[WriteValue | Cell]:
    row: list[WriteValue | Cell] = [line.name]
    for slot in grid.slots():
        if isinstance(slot, Block):
            evaluated = grid.block_evaluated(slot, line.index)
            points = Decimal(grid.category_points[slot.code][line.index]).scaleb(-2) if evaluated else None
            row.append(Cell(points, SUBTOTAL))
            continue
        row += _cells(slot, grid.figures[slot.code], line.index)
    pace = S.ON_SCHEDULE if line.score_on_schedule else S.BEHIND
    row += [
        Decimal(line.bonus).scaleb(-2),
        Decimal(line.deduction).scaleb(-2),
        "；".join(line.veto_notes),  # what was vetoed, when and why, as the page says it
        Cell(Decimal(line.total).scaleb(-2), CellFormat(bold=True, fill=COLOURS[pace][0], font_color=COLOURS[pace][1])),
        line.rank,
        line.group_rank,
        signed(line.rank_change),
        f"{line.on_schedule_count}/{line.evaluated_count}",
        line.grade or "",
    ]
    return row


def _total_row(grid: Grid, total: Total) -> list[WriteValue | Cell]:
    """A 小计 or 全区合计 row: Σ target, Σ 1–N月累计, the completion of the sums and its 序时差 for volumes and counts,
    "-" for rates, levels and points; bold, like the page's footer."""
    bold = CellFormat(bold=True)
    row: list[WriteValue | Cell] = [Cell(total.name, bold)]
    for c in grid.slots():
        if isinstance(c, Block):
            row.append(Cell("-", bold))
            continue
        found = total.sums[c.code]
        staged = grid.figures[c.code].staged
        if found is None:
            row += [Cell("-", bold)] * (6 if staged else 5)
            continue
        completion, gap = found.shown_completion(c.rate_places), found.shown_gap(c.rate_places)
        amount = amount_format(c.places)
        row += [
            Cell(_shown(found.target, c.places), CellFormat(bold=True, num_format=amount)),
            Cell(_shown(found.actual, c.places), CellFormat(bold=True, num_format=amount)),
            Cell(
                "-" if completion is None else Decimal(completion).scaleb(-2 - c.rate_places),
                CellFormat(bold=True, num_format=percent_format(c.rate_places), align="right"),
            ),
            *([Cell("-", bold)] if staged else []),
            Cell(
                "-" if gap is None else Decimal(gap).scaleb(-c.rate_places),
                CellFormat(bold=True, num_format=gap_format(c.rate_places), align="right"),
            ),
            Cell("-", bold),
        ]
    return [*row, Cell("-", bold), Cell("-", bold), None, Cell("-", bold), None, None, None, None, None]


TAIL = (("加分", POINTS, 8), ("扣分", POINTS, 8), ("否决", None, 10), ("总分", POINTS, 9), ("位次", "0", 6),
        ("组内位次", "0", 8), ("位次变化", None, 8), ("达序时指标", None, 10), ("等级", None, 8))  # fmt: skip


def title(grid: Grid, group: str = "") -> str:
    scope = f" · {group}" if group else ""
    return f"{grid.year}年{period_label(grid.month)} 乡镇经济工作目标责任制考核成绩单{scope} · {MODE_LABELS[grid.mode]}"


def scoreboard_sheet(grid: Grid, lines: list[Line], totals: Sequence[Total] = (), *, group: str = "") -> Sheet:
    """The sheet model: `lines` are the rows the viewer may see, in the board's order, then the `totals` rows."""
    columns = [Column("单位", width=14)]
    names: list[HeaderCell] = []  # each indicator merged over its cells; each 小计 over two rows
    subheads: list[HeaderCell] = []
    for c in grid.slots():
        if isinstance(c, Block):
            columns.append(Column(f"{c.name}小计", width=10, num_format=POINTS))
            names.append(HeaderCell(f"{c.name}小计", rowspan=2))
            continue
        value = c.kind in ("growth", "ratio")
        staged = grid.figures[c.code].staged
        cells = [
            Column("目标", width=11, num_format=amount_format(c.places)),
            Column(f"{period_label(grid.month)}累计", width=11, num_format=amount_format(c.places)),
            Column("增速" if c.kind == "growth" else "值" if value else "全年完成%" if staged else "完成%", width=9),
            *([Column("完成阶段目标%", width=11)] if staged else []),
            Column("差(pp)" if value else "序时差", width=9),
            Column("得分(名次)", width=10),
        ]
        columns += cells
        names.append(HeaderCell(f"{c.name}\n{c.unit} · {amount(c.weight)}分", colspan=len(cells)))
        subheads += [HeaderCell(col.title) for col in cells]
    columns += [Column(name, width=width, num_format=fmt) for name, fmt, width in TAIL]
    blocks = grid.blocks()
    depth = 3 if blocks else 2
    categories = [
        HeaderCell(b.name, colspan=sum(n.colspan for n in names[at : at + len(b.columns) + 1]))
        for b, at in zip(blocks, _starts(blocks), strict=True)
    ]
    header = [
        [HeaderCell(title(grid, group), colspan=len(columns))],
        [HeaderCell("单位", rowspan=depth), *(categories or names)]
        + [HeaderCell(name, rowspan=depth) for name, _, _ in TAIL],
        *([names] if blocks else []),
        subheads,
    ]
    rows = [_row(grid, line) for line in lines] + [_total_row(grid, total) for total in totals]
    blank: list[WriteValue | Cell] = [None] * len(columns)
    legend: list[WriteValue | Cell] = ["图例"] + [Cell(text, _status(status)) for text, status in LEGEND]
    note = (
        f"口径：{MODE_LABELS[grid.mode]}；序时进度 {pct(grid.schedule, 1)}；数值按四舍五入显示，"
        "得分后括号内为该指标名次；位次变化与上月相比。"
    )
    rows += [blank, legend + [None] * (len(columns) - len(legend)), [note] + [None] * (len(columns) - 1)]
    return Sheet(SHEET, columns, rows, header_rows=header, freeze_columns=1)


def _starts(blocks: Sequence[Block]) -> list[int]:
    """Where each category's headers start among the indicators' and 小计 headers."""
    starts, at = [], 0
    for b in blocks:
        starts.append(at)
        at += len(b.columns) + 1
    return starts


def scoreboard_xlsx(grid: Grid, lines: list[Line], totals: Sequence[Total] = (), *, group: str = "") -> bytes:
    meta = {"kind": "scoreboard", "year": str(grid.year), "month": str(grid.month), "mode": str(grid.mode),
            "engine_version": grid.engine_version}  # fmt: skip
    return write_workbook([scoreboard_sheet(grid, lines, totals, group=group)], meta=meta)


def filename(grid: Grid) -> str:
    suffix = "（预览）" if grid.mode == Mode.PREVIEW else ""
    return f"{grid.year}年{period_label(grid.month)}成绩单{suffix}.xlsx"


def content_disposition(grid: Grid) -> str:
    """RFC 6266 / 5987: an ASCII fallback name, then the Chinese one percent-encoded as UTF-8."""
    fallback = f"kaohe-scoreboard-{grid.year}-{grid.month:02d}{'-preview' if grid.mode == Mode.PREVIEW else ''}.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename(grid), safe='')}"
