"""The 成绩单's table and phone cards, rendered in Python and cached as HTML.

A district's board is hundreds of cells (the demo's 14 townships × 21 indicators) to tens of thousands (2,000 units
× 40): through a template include per cell that cost more than everything else on the page. Here the numbers of a
column are formatted in one pass from what the grid holds (rounded half-up once to the indicator's display
decimals), each cell is one f-string, every text from the database goes through `escape` once, and the markup,
classes, `data-*` attributes and links are the ones the templates had (tests and browser tests find cells by
`data-testid`). The HTML is cached under the grid's key (so it moves with every write) plus the viewer's scope and
filters.

A board of more than `PAGE_SIZE` lines (a provincial run has thousands of units) is paged: only one page's lines are
rendered, sent and cached, with a pager above and below, and its sortable headers link to the server's sort of all
the lines (`?sort=&order=`) since a click-sort in the browser would order one page only. A district of a few dozen
townships is never paged and keeps the browser's sort and exactly the markup it had.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from kaohe.accounts.models import User
from kaohe.org.models import Unit, UnitGroup
from kaohe.schemes.models import Scheme
from kaohe.scoring import ENGINE_VERSION, Status, period_label, stage_label

from . import selectors
from .inputs import Mode
from .selectors import Block, Column, Figures, Grid, Line
from .templatetags.kaohe_format import STATUS_CLASSES, amount, pct, signed

VOLUME_HEADS = ("完成%", "序时差")
STAGED_HEAD = '全年完成%<div class="small fw-normal">完成阶段目标%</div>'
HEADS = {"growth": ("增速", "差(pp)"), "ratio": ("值", "差(pp)")}
NOT_EVALUATED = (
    '<td class="kh-none small">本期不考核</td><td class="kh-none"></td><td class="kh-none"></td>'
    '<td class="kh-none"></td><td class="kh-none" data-sort="-1"></td>'
)
NO_TARGET = '<td class="kh-none">-</td>' * 4 + '<td class="kh-none">无任务</td>'
TOTAL_NONE = '<td class="text-end kh-none">-</td>' * 5  # a rate, a level, a combo: no sum
# 加分 扣分 否决 总分 位次 组内位次 位次变化 达序时指标 等级: points are not summed, the rest has no meaning for a total
TOTAL_TAIL = '<td class="text-end">-</td>' * 2 + "<td></td>" + '<td class="text-end">-</td>' + "<td></td>" * 5
# Per status: the completion cell's attributes and the gap cell's opening tag.
STATUS_TAGS = {
    s: (
        f'<td class="text-end {STATUS_CLASSES[s]}" data-status="{s.value}" title="{s.label}">',
        f'<td class="text-end {STATUS_CLASSES[s]}">',
    )
    for s in Status
}
VETO_BADGE = '<span class="badge text-bg-dark" title="{title}">否决</span>'
DECIMALS = [f".{f:02d}" for f in range(100)]  # hundredths → ".05"


def text(value: object) -> str:
    """`escape` as a plain str: f-strings call a SafeString's Python-level __str__ on every use (680,000 times for
    a 2,000-unit board), a plain str's never."""
    return str.__str__(escape(value))


# --- numbers, as the kaohe_format filters show them (a test compares the two) -------------------------------------


def hundredths(n: int) -> str:
    """An integer count of hundredths: 48 → "0.48", −150 → "-1.50" (fmt_points)."""
    if n >= 0:
        return f"{n // 100}{DECIMALS[n % 100]}"
    return f"-{-n // 100}{DECIMALS[-n % 100]}"


def fixed(n: int, places: int, *, thousands: bool = False) -> str:
    """An integer count of 10^-places as a decimal with exactly `places` decimals: (6522, 2) → "65.22",
    (−5, 1) → "-0.5", (84000, 0, thousands) → "84,000"."""
    whole, part = divmod(abs(n), 10**places)
    digits = f"{whole:,}" if thousands else str(whole)
    return ("-" if n < 0 else "") + digits + (f".{part:0{places}d}" if places else "")


def fmt_amount(x: int | None, places: int = 2) -> str:
    """A × 10^4 figure like the `figure` filter: `places` decimals, rounded half-up once from the exact value,
    thousands separators (a published table's 84,000 or 126.02)."""
    if x is None:
        return "-"
    return fixed(selectors.half_up(x, 10 ** (4 - places)), places, thousands=True)


def fmt_pct(n: int | None, places: int = 2) -> str:
    """A completion in 10^-places percent like the `pct` filter: 6522 → "65.22%"."""
    return "-" if n is None else fixed(n, places) + "%"


def fmt_pp(n: int | None, places: int = 2) -> str:
    """A gap in 10^-places percentage points like the `pp` filter: 1522 → "+15.22"."""
    if n is None:
        return "-"
    return ("+" if n > 0 else "") + fixed(n, places)


# --- links ---------------------------------------------------------------------------------------------------------


def _parts(name: str, year: int, month: int, *codes: str) -> list[str]:
    """A route reversed once with placeholders and cut at them (unit and indicator codes are URL-safe)."""
    url = reverse(name, args=[year, month, *codes])
    for code in codes:
        url = url.replace(code, "\0")
    return [text(part) for part in url.split("\0")]


@dataclass(frozen=True)
class Links:
    unit: list[str]
    indicator: list[str]
    history: list[str]
    explain: list[str]

    @classmethod
    def of(cls, year: int, month: int) -> Links:
        return cls(
            unit=_parts("assessment:unit", year, month, "UUUU"),
            indicator=_parts("assessment:indicator", year, month, "IIII"),
            history=_parts("assessment:history", year, month, "UUUU", "IIII"),
            explain=_parts("assessment:explain", year, month, "UUUU", "IIII"),
        )


# --- which lines, in which order: ?page= and ?sort=&order= ----------------------------------------------------------

PAGE_SIZE = 100  # lines on a page; only a board of more is paged (a district's few dozen townships never are)
MAX_PAGE = 10**6  # a larger ?page= means the last page just as well, and keeps the cache key short
# ?sort= → the Line field it sorts by ("unit": the units' own order)
SORT_FIELDS = {"rank": "rank", "unit": "sort_order", "total": "total", "bonus": "bonus", "deduction": "deduction",
               "group_rank": "group_rank"}  # fmt: skip
POINTS = "pts-"  # pts-<indicator code>: that indicator's points
CATEGORY = "cat-"  # cat-<category code>: that category's 小计
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")  # an indicator code (org.models.code_validator)
ARIA_SORT = {"asc": "ascending", "desc": "descending"}


@dataclass(frozen=True)
class View:
    """Which page of the board in which order, normalised from the query so that equivalent requests are equal (no
    parameters is `?page=1&sort=rank&order=asc`). The page is clamped to the board by `fit` once its size is known."""

    page: int = 1
    sort: str = "rank"  # the grid's own order
    order: str = "asc"

    @classmethod
    def of(cls, params: Mapping[str, str]) -> View:
        sort, order = params.get("sort") or "rank", params.get("order") or "asc"  # no key: the grid's order
        known = sort in SORT_FIELDS or any(
            sort.startswith(prefix) and CODE.fullmatch(sort[len(prefix) :]) for prefix in (POINTS, CATEGORY)
        )
        if order not in ARIA_SORT or not known:
            sort, order = "rank", "asc"  # an unknown key or order is the default order, never an error
        return cls(page=_page_number(params.get("page")), sort=sort, order=order)

    @property
    def is_default_order(self) -> bool:
        return (self.sort, self.order) == ("rank", "asc")

    def fit(self, lines: int, keys: Collection[str]) -> View:
        """This view of a board of `lines` lines whose columns sort by these keys (`sort_keys`): the page within
        1..last (1 when the board is not paged), and a key of no column on this board the default order."""
        page = min(max(self.page, 1), page_count(lines))
        if self.sort not in SORT_FIELDS and self.sort not in keys:
            return View(page=page)
        return View(page=page, sort=self.sort, order=self.order)


def _page_number(raw: str | None) -> int:
    """?page= as given: anything but a number is page 1; `fit` clamps the rest."""
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


def page_count(lines: int) -> int:
    return max(1, -(-lines // PAGE_SIZE))


def sort_keys(grid: Grid) -> frozenset[str]:
    """The keys of the board's sortable columns beyond `SORT_FIELDS`: each indicator's points and, when the board
    shows categories, each 小计."""
    return frozenset([POINTS + c.code for c in grid.columns] + [CATEGORY + b.code for b in grid.blocks()])


def _sort_value(grid: Grid, sort: str) -> Callable[[Line], int | None]:
    """What a line is sorted by; None for an indicator's cell that shows no points."""
    if sort.startswith(CATEGORY):
        subtotals = grid.category_points[sort[len(CATEGORY) :]]
        return lambda line: subtotals[line.index]
    if sort.startswith(POINTS):
        figures = grid.figures[sort[len(POINTS) :]]
        return lambda line: figures.points[line.index] if figures.has_points(line.index) else None
    return attrgetter(SORT_FIELDS[sort])


def sort_lines(grid: Grid, lines: list[Line], view: View) -> list[Line]:
    """`lines` in the view's order; ties by rank, then the units' order, and a cell without points (本期不考核,
    无任务 unless a target-free rule scored it) last whichever the order (sorted stably from the tie order:
    `reverse` keeps equal keys in place)."""
    if view.is_default_order:
        return lines  # the grid's order: rank, then the units' order
    value = _sort_value(grid, view.sort)
    tied = sorted(lines, key=lambda line: (line.rank, line.sort_order))
    keyed = [(value(line), line) for line in tied]
    scored = sorted(((v, line) for v, line in keyed if v is not None), key=lambda p: p[0], reverse=view.order == "desc")
    return [line for _, line in scored] + [line for v, line in keyed if v is None]


def href(*, mode: Mode, group: str, view: View) -> str:
    """A link to another view of the same board (relative to the page; escaped for an attribute): it keeps the
    mode and the group, and leaves out what is the default so that equal views have one URL."""
    params = [("mode", str(mode))]
    if group:
        params.append(("group", group))
    if not view.is_default_order:
        params += [("sort", view.sort), ("order", view.order)]
    if view.page > 1:
        params.append(("page", str(view.page)))
    return text("?" + urlencode(params))


@dataclass(frozen=True)
class ServerSort:
    """A paged board's sortable headers: links to the server's sort of every line (the browser's sort would order
    one page only), the active one marked with aria-sort; a click on it reverses the order."""

    view: View
    mode: Mode
    group: str

    def th(self, key: str, label: str, attrs: str) -> str:
        active = self.view.sort == key
        order = ("desc" if self.view.order == "asc" else "asc") if active else "asc"
        url = href(mode=self.mode, group=self.group, view=View(sort=key, order=order))  # a new order starts at page 1
        aria = f' aria-sort="{ARIA_SORT[self.view.order]}"' if active else ""
        return f'<th{attrs}{aria}><a class="kh-sort" href="{url}">{label}</a></th>'


def _sortable(key: str, label: str, attrs: str, col: int, server: ServerSort | None) -> str:
    """A sortable header: the browser sorts an unpaged board by column `col`, the server a paged one by `key`."""
    if server is None:
        return f'<th{attrs} data-sort-key data-col="{col}">{label}</th>'
    return server.th(key, label, attrs)


def window(current: int, last: int) -> list[int | None]:
    """The page numbers the pager shows: the first, the last and the current ± 2, None for the "…" of a gap (a gap
    of one page shows that page instead: a number takes no more room than "…")."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    numbers: list[int | None] = []
    previous = 0
    for n in shown:
        if n - previous == 2:
            numbers.append(n - 1)
        elif n - previous > 2:
            numbers.append(None)
        numbers.append(n)
        previous = n
    return numbers


def pager_html(*, view: View, lines: int, mode: Mode, group: str, where: str) -> SafeString:
    """上一页 / the page numbers / 下一页 and the rows shown ("第 101–200 行，共 2,000 个单位"); `where` names the
    pager (上方 / 下方) for screen readers and tests."""
    last = page_count(lines)

    def item(label: str, number: int, rel: str = "") -> str:
        if number == view.page:
            return f'<li class="page-item active" aria-current="page"><span class="page-link">{label}</span></li>'
        if not 1 <= number <= last:  # no page before the first or after the last
            return f'<li class="page-item disabled"><span class="page-link">{label}</span></li>'
        url = href(mode=mode, group=group, view=View(page=number, sort=view.sort, order=view.order))
        return f'<li class="page-item"><a class="page-link" href="{url}"{rel}>{label}</a></li>'

    items = [item("上一页", view.page - 1, ' rel="prev"')]
    for n in window(view.page, last):
        items.append(item(str(n), n) if n else item("…", 0))
    items.append(item("下一页", view.page + 1, ' rel="next"'))
    first = (view.page - 1) * PAGE_SIZE + 1
    shown = f"第 {first:,}–{min(first + PAGE_SIZE - 1, lines):,} 行，共 {lines:,} 个单位"
    testid = {"上方": "pager-top", "下方": "pager-bottom"}[where]
    return mark_safe(  # noqa: S308 - numbers and escaped links only
        f'<nav class="kh-pager" aria-label="成绩单分页（{where}）" data-testid="{testid}">'
        f'<ul class="pagination pagination-sm mb-0">{"".join(items)}</ul>'
        f'<span class="small text-muted" data-testid="{testid}-range">{shown}</span></nav>'
    )


# --- the table and the cards ---------------------------------------------------------------------------------------


def _is_value(column: Column) -> bool:
    return column.kind in ("growth", "ratio")


def _head(grid: Grid, links: Links, server: ServerSort | None) -> str:
    """Two header rows (each indicator over its five cells), or three when the board shows categories: each
    category's name over its indicators and its 小计."""
    blocks = grid.blocks()
    depth = 3 if blocks else 2
    span = f' rowspan="{depth}"'
    top = ["<tr>" + _sortable("unit", "单位", f'{span} class="kh-sticky-col"', 0, server)]
    names: list[str] = []  # the indicators' row (and the 小计 headers)
    second = []
    col = 1
    for slot in grid.slots():
        if isinstance(slot, Block):
            label = f"{text(slot.name)}小计"
            names.append(_sortable(CATEGORY + slot.code, label, ' rowspan="2" class="kh-subtotal"', col, server))
            col += 1
            continue
        url = f"{links.indicator[0]}{text(slot.code)}{links.indicator[1]}"
        names.append(
            f'<th colspan="5" class="text-center"><a href="{url}">{text(slot.name)}</a>'
            f'<div class="small text-muted fw-normal">{text(slot.unit)} · {amount(slot.weight)}分</div></th>'
        )
        value, diff = HEADS.get(slot.kind, VOLUME_HEADS)
        if grid.figures[slot.code].staged:
            value = STAGED_HEAD  # 全年 above, 完成阶段目标% below: which is which, as published tables print them
        second.append(
            f"<th>目标</th><th>{period_label(grid.month)}</th><th>{value}</th><th>{diff}</th>"
            + _sortable(POINTS + slot.code, "得分(名)", "", col + 4, server)
        )
        col += 5
    if blocks:
        top += [
            f'<th colspan="{5 * len(b.columns) + 1}" class="kh-category"><span>{text(b.name)}</span></th>'
            for b in blocks
        ]
    else:
        top += names
    top.append(
        _sortable("bonus", "加分", span, col, server)
        + _sortable("deduction", "扣分", span, col + 1, server)
        + f"<th{span}>否决</th>"
        + _sortable("total", "总分", span, col + 3, server)
        + _sortable("rank", "位次", span, col + 4, server)
        + _sortable("group_rank", "组内位次", span, col + 5, server)
        + f"<th{span}>位次变化</th><th{span}>达序时指标</th><th{span}>等级</th></tr>"
    )
    rows = "".join(top) + ("<tr>" + "".join(names) + "</tr>" if blocks else "")
    return "<thead>" + rows + "<tr>" + "".join(second) + "</tr></thead>"


def _column(
    grid: Grid, column: Column, lines: list[Line], units: Sequence[str], links: Links, query: str
) -> tuple[list[str], list[str]]:
    """One indicator's table cells and card items for `lines` (units: their escaped codes)."""
    f = grid.figures[column.code]
    idx = [line.index for line in lines]
    status = [f.status[u] for u in idx]
    places, rate = column.places, column.rate_places
    actual = [fmt_amount(f.actual[u], places) for u in idx]
    value = _is_value(column)
    shown = actual if value else [fmt_pct(f.completion[u], rate) + _stage_text(f, u, rate) for u in idx]
    points = [hundredths(f.points[u]) for u in idx]
    code = text(column.code)
    name = text(column.name)
    history = f"{links.history[1]}{code}{links.history[2]}"
    explain = f"{links.explain[1]}{code}{links.explain[2]}"
    cells, items = [], []
    for k, (u, st) in enumerate(zip(idx, status, strict=True)):
        unit = units[k]
        if st is Status.NOT_EVALUATED:  # off-period: a blank cell, and no line on the card
            cells.append(NOT_EVALUATED)
            items.append("")
            continue
        scored = f.has_points(u)
        items.append(
            f'<li class="d-flex"><span class="me-auto">{name}</span><span class="{STATUS_CLASSES[st]} px-1">'
            f'{shown[k]}</span><a class="ms-2" '
            f'href="{links.explain[0]}{unit}{explain}{query}">{points[k] + "分" if scored else "无任务"}</a></li>'
        )
        if st is Status.NO_TARGET and f.actual[u] is None:
            cells.append(NO_TARGET)
            continue
        judged, gap_open = STATUS_TAGS[st]
        rank = f.rank[u]
        if not scored:  # 无任务 with a figure (增速, counts): the figure shows, there are no points
            cells.append(
                f'<td class="text-end kh-none">-</td><td class="text-end"><a class="kh-fig" '
                f'href="{links.history[0]}{unit}{history}" title="查看数据来源与修改记录">{actual[k]}</a></td>'
                f'{judged}{shown[k]}</td>{gap_open}-</td><td class="kh-none" data-sort="-1">无任务</td>'
            )
            continue
        cells.append(
            f'<td class="text-end">{fmt_amount(f.target[u], places)}</td><td class="text-end"><a class="kh-fig" '
            f'href="{links.history[0]}{unit}{history}" title="查看数据来源与修改记录">'
            f"{_actual_text(st, f.actual[u], actual[k])}</a></td>{judged}{shown[k]}</td>"
            f"{gap_open}{fmt_pp(f.gap[u], rate)}</td>"
            f'<td class="text-end" data-sort="{points[k]}"><a class="kh-pts" href="{links.explain[0]}{unit}{explain}'
            f'{query}" data-testid="pts-{unit}-{code}">{points[k]}</a>'
            + (f'<span class="kh-rank">({rank})</span></td>' if rank else "</td>")
        )
    return cells, items


def _subtotal(grid: Grid, block: Block, lines: list[Line], units: Sequence[str]) -> tuple[list[str], list[str]]:
    """A category's 小计 cells and card items: the sum of its indicators' points, held exact and rounded once."""
    subtotals = grid.category_points[block.code]
    code, name = text(block.code), text(block.name)
    cells, items = [], []
    for k, line in enumerate(lines):
        if not grid.block_evaluated(block, line.index):  # every indicator off its months: blank, like theirs
            cells.append('<td class="kh-none" data-sort="-1"></td>')
            items.append("")
            continue
        points = hundredths(subtotals[line.index])
        cells.append(
            f'<td class="text-end kh-subtotal" data-sort="{points}" data-testid="cat-{units[k]}-{code}">{points}</td>'
        )
        items.append(
            f'<li class="d-flex kh-subtotal"><span class="me-auto">{name}小计</span><span>{points}分</span></li>'
        )
    return cells, items


def _stage_text(f: Figures, u: int, places: int) -> str:
    """完成阶段目标% under the annual 完成% of a unit measured against a 分期目标 stage."""
    stage = f.stage[u] if f.stage else None
    if stage is None:
        return ""
    return (
        f'<div class="small text-muted text-nowrap" data-testid="stage">{text(stage_label(stage))} '
        f"{fmt_pct(f.stage_completion[u], places)}</div>"
    )


def _actual_text(status: Status, value: object, shown: str) -> str:
    """未报 only when nothing was reported; a combo indicator has no figure of its own ("-")."""
    if value is not None:
        return shown
    return "未报" if status is Status.NOT_REPORTED else "-"


def _total_cells(grid: Grid, total: selectors.Total) -> str:
    """A total row's cells: Σ target, Σ 1–N月累计 and the completion of the sums for volumes and counts (and the
    序时差 of the sums), "-" for rates, levels and every point."""
    cells = []
    where = text(total.group or "all")
    for c in grid.slots():
        if isinstance(c, Block):
            cells.append('<td class="text-end kh-none">-</td>')
            continue
        found = total.sums[c.code]
        if found is None:
            cells.append(TOTAL_NONE)
            continue
        code = text(c.code)
        cells.append(
            f'<td class="text-end">{fmt_amount(found.target, c.places)}</td>'
            f'<td class="text-end" data-testid="sum-{where}-{code}">{fmt_amount(found.actual, c.places)}</td>'
            f'<td class="text-end" data-testid="sum-pct-{where}-{code}">'
            f"{fmt_pct(found.shown_completion(c.rate_places), c.rate_places)}</td>"
            f'<td class="text-end">{fmt_pp(found.shown_gap(c.rate_places), c.rate_places)}</td>'
            '<td class="text-end kh-none">-</td>'
        )
    return "".join(cells)


def totals_html(grid: Grid, totals: Sequence[selectors.Total]) -> tuple[str, str]:
    """The table's footer (one row per total) and a card for phones: volumes and counts only."""
    if not totals:
        return "", ""
    rows, items = [], []
    for total in totals:
        where = text(total.group or "all")
        rows.append(
            f'<tr class="kh-total" data-total="{where}"><th class="kh-sticky-col text-nowrap">{text(total.name)}</th>'
            f"{_total_cells(grid, total)}{TOTAL_TAIL}</tr>"
        )
        figures = [
            f'<li class="d-flex"><span class="me-auto">{text(c.name)}</span>'
            f"<span>{fmt_amount(found.actual, c.places)} / {fmt_amount(found.target, c.places)}</span>"
            f'<span class="ms-2">{fmt_pct(found.shown_completion(c.rate_places), c.rate_places)}</span></li>'
            for c in grid.columns
            if (found := total.sums[c.code]) is not None
        ]
        items.append(
            f'<div class="kh-card kh-total" data-total="{where}"><h2 class="h6 mb-1">{text(total.name)}</h2>'
            f'<ul class="list-unstyled small mb-0">{"".join(figures)}</ul></div>'
        )
    return "<tfoot>" + "\n".join(rows) + "</tfoot>", "\n".join(items)


def board_html(
    grid: Grid, lines: list[Line], server: ServerSort | None = None, totals: Sequence[selectors.Total] = ()
) -> tuple[SafeString, SafeString]:
    """The 成绩单 table (two header rows, one row per line) and the same rows as cards for phones: of `lines` only,
    so that a paged board renders one page. `server`: a paged board's headers link to the server's sort, and the
    table is not sortable in the browser. `totals`: the 小计 and 全区合计 rows in the footer (and a card each),
    computed over every unit whichever lines are shown."""
    links = Links.of(grid.year, grid.month)
    query = "?mode=preview" if grid.mode == Mode.PREVIEW else ""
    units = [text(line.code) for line in lines]
    columns = [
        _subtotal(grid, s, lines, units) if isinstance(s, Block) else _column(grid, s, lines, units, links, query)
        for s in grid.slots()
    ]
    rows, cards = [], []
    for k, line in enumerate(lines):
        code, name = units[k], text(line.name)
        unit_url = f"{links.unit[0]}{code}{links.unit[1]}"
        pace = "kh-on" if line.score_on_schedule else "kh-behind"
        total = hundredths(line.total)
        rows.append(
            f'<tr data-unit="{code}"><th class="kh-sticky-col text-nowrap"><a href="{unit_url}">{name}</a></th>'
            + "".join(cells[k] for cells, _ in columns)
            + f'<td class="text-end">{hundredths(line.bonus)}</td><td class="text-end">{hundredths(line.deduction)}'
            f"</td><td>{veto_badge(line)}</td>"
            f'<td class="text-end fw-bold {pace}" data-testid="total-{code}">{total}</td>'
            f'<td class="text-center" data-testid="rank-{code}">{line.rank}</td>'
            f'<td class="text-center">{line.group_rank}</td><td class="text-center">{signed(line.rank_change)}</td>'
            f'<td class="text-center">{line.on_schedule_count}/{line.evaluated_count}</td>'
            f"<td>{text(line.grade or '')}</td></tr>"
        )
        grade = f" · {text(line.grade)}" if line.grade else ""
        grade += f" · {veto_badge(line)}" if line.veto_notes else ""
        cards.append(
            f'<div class="kh-card" data-unit="{code}"><div class="d-flex align-items-baseline">'
            f'<h2 class="h6 me-auto mb-1"><a href="{unit_url}">{name}</a></h2>'
            f'<span class="fs-5 fw-bold {pace}">{total}</span></div>'
            f'<div class="small text-muted mb-2">第 {line.rank} 名 {signed(line.rank_change)} · '
            f"组内第 {line.group_rank} 名 · 达序时 {line.on_schedule_count}/{line.evaluated_count}{grade}</div>"
            f'<ul class="list-unstyled small mb-0">{"".join(items[k] for _, items in columns)}</ul></div>'
        )
    sortable = " data-sortable" if server is None else ""
    grouped = " kh-grouped" if grid.blocks() else ""  # three header rows: scores.css sets where each sticks
    foot, total_cards = totals_html(grid, totals)
    table = (
        f'<table class="table table-sm table-bordered kh-board{grouped} mb-0"{sortable} data-testid="scoreboard">'
        f"{_head(grid, links, server)}<tbody>\n" + "\n".join(rows) + f"\n</tbody>{foot}</table>"
    )
    return mark_safe(table), mark_safe("\n".join([*cards, total_cards]))  # noqa: S308 - every text from the database is escaped


# --- the page, cached ------------------------------------------------------------------------------------------------


def veto_badge(line: Line) -> str:
    """The 否决 badge of a line, which says on hover what was vetoed and why; the notes below the table say it
    in full (`vetoes_html`)."""
    return VETO_BADGE.format(title=text("；".join(line.veto_notes))) if line.veto_notes else ""


def vetoes_html(lines: Sequence[Line]) -> SafeString:
    """Under the 成绩单: every 一票否决 in force among the lines shown, with its effect, month and reason."""
    notes = [
        f'<li data-testid="veto-{text(line.code)}"><strong>{text(line.name)}</strong>：'
        f"{text('；'.join(line.veto_notes))}</li>"
        for line in lines
        if line.veto_notes
    ]
    if not notes:
        return mark_safe("")
    return mark_safe(  # noqa: S308 - every text from the database is escaped
        '<div class="kh-card small" data-testid="vetoes"><h2 class="h6">一票否决</h2>'
        f'<ul class="mb-0">{"".join(notes)}</ul></div>'
    )


def visible_lines(user: User, grid: Grid, group: str = "") -> list[Line]:
    """Township users see their own township's row only (others' figures are unpublished to them); `group` keeps
    one group's units (an unknown group is no filter)."""
    lines = grid.lines
    if user.is_township_scoped:
        own = user.unit.code if user.unit else ""
        lines = [line for line in lines if line.code == own]
    if group in grid.groups:
        lines = [line for line in lines if line.group == group]
    return lines


def visible_totals(user: User, grid: Grid, group: str = "") -> list[selectors.Total]:
    """The total rows a viewer sees, always over every unit whatever page is shown: none for a township (they are
    sums of other townships' figures); one group's 小计 and the 全区合计 when the board shows that group."""
    if user.is_township_scoped:
        return []
    return [t for t in grid.totals if not group or t.group in (None, group)]


@dataclass(frozen=True)
class Page:
    """What the 成绩单 page shows beyond the viewer's own name and menu (cached as HTML by the template)."""

    year: int
    month: int
    mode: Mode
    groups: dict[str, str]
    group: str
    months: list[int]
    schedule_pct: str
    summary: selectors.Summary | None
    table: SafeString
    cards: SafeString
    view: View  # fitted to the board: the page shown and the order
    pager_top: SafeString  # empty when the board is not paged
    pager_bottom: SafeString
    vetoes: SafeString  # the vetoes in force among the lines the viewer sees, explained; empty when none


@dataclass(frozen=True)
class Shape:
    """What a page's key needs of the board to normalise a view (`View.fit`) without the grid: how many lines the
    viewer sees and which columns it sorts by. Recorded by `page` under the key's data stamp and scope."""

    lines: int
    keys: frozenset[str]  # sort_keys


@dataclass(frozen=True)
class PageKeys:
    fragment: str  # the key of the cached template fragment
    shape: str  # where `page` records the board's `Shape` for the next request's key


def scope_of(user: User) -> str:
    """What a viewer's rows depend on: his own township, or everything."""
    return f"unit-{user.unit.code if user.unit else ''}" if user.is_township_scoped else "all"


def page_keys(*, year: int, month: int, mode: Mode, user: User, group: str = "", view: View = View()) -> PageKeys:
    """The cache key of a viewer's page: the data stamp (one query; it moves with every write), the period, the
    viewer's scope, the filters and the view. An unknown group is no filter, and shares the key of none.

    The view is normalised by the board's shape when a page of the same board and scope recorded it (a cache read,
    no query): a page number out of range shares the key of the first or last page, and an unknown points key the
    default order's. Before that, the key holds the number asked for and the page clamps it: a second key for the
    same content once, never a wrong page."""
    stamp = selectors.data_stamp()
    groups: set[str] | None = cache.get(f"kaohe:groups:{stamp}:{year}")
    if groups is None:
        groups = set(UnitGroup.objects.filter(units__in=Unit.objects.assessed(year)).values_list("code", flat=True))
        cache.set(f"kaohe:groups:{stamp}:{year}", groups, selectors.CACHE_SECONDS)
    group = group if group in groups else ""
    board = f"kaohe:page:{year}:{month}:{mode}:{stamp}:{ENGINE_VERSION}:{scope_of(user)}:{group}"
    shape: Shape | None = cache.get(f"{board}:shape")
    if shape is not None:
        view = view.fit(shape.lines, shape.keys)
    # PAGE_SIZE too: what a page number shows depends on it.
    return PageKeys(f"{board}:{PAGE_SIZE}:{view.page}:{view.sort}:{view.order}", f"{board}:shape")


def page_key(*, year: int, month: int, mode: Mode, user: User, group: str = "", view: View = View()) -> str:
    return page_keys(year=year, month=month, mode=mode, user=user, group=group, view=view).fragment


def page(
    *, scheme: Scheme, month: int, mode: Mode, user: User, group: str = "", view: View = View(), shape_key: str = ""
) -> Page:
    """What the page shows, built from the period's grid (cached by `selectors.grid`): the visible lines sorted as
    the view asks, one page of them when there are more than PAGE_SIZE. The summary stays the whole grid's."""
    grid = selectors.grid(scheme=scheme, month=month, mode=mode)
    group = group if group in grid.groups else ""
    lines = visible_lines(user, grid, group)
    keys = sort_keys(grid)
    if shape_key:
        cache.set(shape_key, Shape(len(lines), keys), selectors.CACHE_SECONDS)
    view = view.fit(len(lines), keys)
    ordered = sort_lines(grid, lines, view)
    latest = selectors.latest_month(scheme, Mode.PREVIEW) or month
    pager_top = pager_bottom = mark_safe("")
    server: ServerSort | None = None
    if len(lines) > PAGE_SIZE:
        ordered = ordered[(view.page - 1) * PAGE_SIZE : view.page * PAGE_SIZE]
        server = ServerSort(view=view, mode=mode, group=group)
        pager_top, pager_bottom = (
            pager_html(view=view, lines=len(lines), mode=mode, group=group, where=where) for where in ("上方", "下方")
        )
    table, cards = board_html(grid, ordered, server, visible_totals(user, grid, group))
    return Page(
        year=grid.year,
        month=grid.month,
        mode=mode,
        groups=grid.groups,
        group=group,
        months=list(range(1, latest + 1)),
        schedule_pct=pct(grid.schedule, 1),
        summary=None if user.is_township_scoped else selectors.summary(grid),
        table=table,
        cards=cards,
        view=view,
        pager_top=pager_top,
        pager_bottom=pager_bottom,
        vetoes=vetoes_html(lines),
    )
