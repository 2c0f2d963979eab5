"""The 成绩单's table and phone cards, rendered in Python and cached as HTML.

A district's board is hundreds of cells (the demo's 14 townships × 21 indicators) to tens of thousands (2,000
units × 40): through a template include per cell that cost more than everything else on the page. Here the numbers
of a column are formatted in one pass from what the grid holds (hundredths, rounded half-up once), each cell is one
f-string, every text from the database goes through `escape` once, and the markup, classes, `data-*` attributes
and links are the ones the templates had (tests and browser tests find cells by `data-testid`). The HTML is cached
under the grid's key (so it moves with every write) plus the viewer's scope and filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kaohe.accounts.models import User
from kaohe.org.models import Unit, UnitGroup
from kaohe.schemes.models import Scheme
from kaohe.scoring import ENGINE_VERSION, Status

from . import selectors
from .inputs import Mode
from .selectors import Column, Grid, Line
from .templatetags.kaohe_format import STATUS_CLASSES, amount, pct, signed

VOLUME_HEADS = ("完成%", "序时差")
HEADS = {"growth": ("增速", "差(pp)"), "ratio": ("值", "差(pp)")}
NOT_EVALUATED = (
    '<td class="kh-none small">本期不考核</td><td class="kh-none"></td><td class="kh-none"></td>'
    '<td class="kh-none"></td><td class="kh-none" data-sort="-1"></td>'
)
NO_TARGET = '<td class="kh-none">-</td>' * 4 + '<td class="kh-none">无任务</td>'
# Per status: the completion cell's attributes and the gap cell's opening tag.
STATUS_TAGS = {
    s: (
        f'<td class="text-end {STATUS_CLASSES[s]}" data-status="{s.value}" title="{s.label}">',
        f'<td class="text-end {STATUS_CLASSES[s]}">',
    )
    for s in Status
}
VETO_BADGE = '<span class="badge text-bg-dark">否决</span>'
DECIMALS = [f".{f:02d}" for f in range(100)]  # hundredths → ".05"
AMOUNT_DECIMALS = [f".{f:02d}".rstrip("0") if f else "" for f in range(100)]  # ".5", ".05", ""


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


def fmt_amount(x: int | None) -> str:
    """A × 10^4 amount like the `amount` filter: 2 decimals at most, thousands separators, no trailing zeros."""
    if x is None:
        return "-"
    c = (abs(x) + 50) // 100  # half up to hundredths: selectors.half_up(x, 100) without the call
    text = f"{c // 100:,}{AMOUNT_DECIMALS[c % 100]}"
    return "-" + text if x < 0 and c else text


def fmt_pct(n: int | None) -> str:
    """Hundredths of a percent like the `pct` filter: 6522 → "65.22%"."""
    return "-" if n is None else hundredths(n) + "%"


def fmt_pp(n: int | None) -> str:
    """Hundredths of a percentage point like the `pp` filter: 1522 → "+15.22"."""
    if n is None:
        return "-"
    return ("+" if n > 0 else "") + hundredths(n)


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


# --- the table and the cards ---------------------------------------------------------------------------------------


def _is_value(column: Column) -> bool:
    return column.kind in ("growth", "ratio")


def _head(grid: Grid, links: Links) -> str:
    tail = 1 + 5 * len(grid.columns)
    top = ['<tr><th rowspan="2" class="kh-sticky-col" data-sort-key data-col="0">单位</th>']
    for c in grid.columns:
        url = f"{links.indicator[0]}{text(c.code)}{links.indicator[1]}"
        top.append(
            f'<th colspan="5" class="text-center"><a href="{url}">{text(c.name)}</a>'
            f'<div class="small text-muted fw-normal">{text(c.unit)} · {amount(c.weight)}分</div></th>'
        )
    top.append(
        f'<th rowspan="2" data-sort-key data-col="{tail}">加分</th><th rowspan="2" data-sort-key data-col="{tail + 1}">'
        f'扣分</th><th rowspan="2">否决</th><th rowspan="2" data-sort-key data-col="{tail + 3}">总分</th>'
        f'<th rowspan="2" data-sort-key data-col="{tail + 4}">位次</th><th rowspan="2" data-sort-key '
        f'data-col="{tail + 5}">组内位次</th><th rowspan="2">位次变化</th><th rowspan="2">达序时指标</th>'
        '<th rowspan="2">等级</th></tr>'
    )
    second = ["<tr>"]
    for i, c in enumerate(grid.columns):
        value, diff = HEADS.get(c.kind, VOLUME_HEADS)
        second.append(
            f"<th>目标</th><th>1-{grid.month}月</th><th>{value}</th><th>{diff}</th>"
            f'<th data-sort-key data-col="{1 + 5 * i + 4}">得分(名)</th>'
        )
    second.append("</tr>")
    return "<thead>" + "".join(top) + "".join(second) + "</thead>"


def _column(
    grid: Grid, column: Column, lines: list[Line], units: Sequence[str], links: Links, query: str
) -> tuple[list[str], list[str]]:
    """One indicator's table cells and card items for `lines` (units: their escaped codes)."""
    f = grid.figures[column.code]
    idx = [line.index for line in lines]
    status = [f.status[u] for u in idx]
    actual = [fmt_amount(f.actual[u]) for u in idx]
    value = _is_value(column)
    shown = actual if value else [fmt_pct(f.completion[u]) for u in idx]
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
        items.append(
            f'<li class="d-flex"><span class="me-auto">{name}</span><span class="{STATUS_CLASSES[st]} px-1">'
            f'{shown[k]}</span><a class="ms-2" '
            f'href="{links.explain[0]}{unit}{explain}{query}">{points[k]}分</a></li>'
        )
        if st is Status.NO_TARGET:
            cells.append(NO_TARGET)
            continue
        judged, gap_open = STATUS_TAGS[st]
        rank = f.rank[u]
        cells.append(
            f'<td class="text-end">{fmt_amount(f.target[u])}</td><td class="text-end"><a class="kh-fig" '
            f'href="{links.history[0]}{unit}{history}" title="查看数据来源与修改记录">'
            f"{_actual_text(st, f.actual[u], actual[k])}</a></td>{judged}{shown[k]}</td>"
            f"{gap_open}{fmt_pp(f.gap[u])}</td>"
            f'<td class="text-end" data-sort="{points[k]}"><a class="kh-pts" href="{links.explain[0]}{unit}{explain}'
            f'{query}" data-testid="pts-{unit}-{code}">{points[k]}</a>'
            + (f'<span class="kh-rank">({rank})</span></td>' if rank else "</td>")
        )
    return cells, items


def _actual_text(status: Status, value: object, shown: str) -> str:
    """未报 only when nothing was reported; a combo indicator has no figure of its own ("-")."""
    if value is not None:
        return shown
    return "未报" if status is Status.NOT_REPORTED else "-"


def board_html(grid: Grid, lines: list[Line]) -> tuple[SafeString, SafeString]:
    """The whole 成绩单 table (two header rows, one row per line) and the same rows as cards for phones."""
    links = Links.of(grid.year, grid.month)
    query = "?mode=preview" if grid.mode == Mode.PREVIEW else ""
    units = [text(line.code) for line in lines]
    columns = [_column(grid, c, lines, units, links, query) for c in grid.columns]
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
            f"</td><td>{VETO_BADGE * len(line.vetoes)}</td>"
            f'<td class="text-end fw-bold {pace}" data-testid="total-{code}">{total}</td>'
            f'<td class="text-center" data-testid="rank-{code}">{line.rank}</td>'
            f'<td class="text-center">{line.group_rank}</td><td class="text-center">{signed(line.rank_change)}</td>'
            f'<td class="text-center">{line.on_schedule_count}/{line.evaluated_count}</td>'
            f"<td>{text(line.grade or '')}</td></tr>"
        )
        grade = f" · {text(line.grade)}" if line.grade else ""
        cards.append(
            f'<div class="kh-card" data-unit="{code}"><div class="d-flex align-items-baseline">'
            f'<h2 class="h6 me-auto mb-1"><a href="{unit_url}">{name}</a></h2>'
            f'<span class="fs-5 fw-bold {pace}">{total}</span></div>'
            f'<div class="small text-muted mb-2">第 {line.rank} 名 {signed(line.rank_change)} · '
            f"组内第 {line.group_rank} 名 · 达序时 {line.on_schedule_count}/{line.evaluated_count}{grade}</div>"
            f'<ul class="list-unstyled small mb-0">{"".join(items[k] for _, items in columns)}</ul></div>'
        )
    table = (
        '<table class="table table-sm table-bordered kh-board mb-0" data-sortable data-testid="scoreboard">'
        f"{_head(grid, links)}<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )
    return mark_safe(table), mark_safe("\n".join(cards))  # noqa: S308 - every text from the database is escaped


# --- the page, cached ------------------------------------------------------------------------------------------------


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


def scope_of(user: User) -> str:
    """What a viewer's rows depend on: his own township, or everything."""
    return f"unit-{user.unit.code if user.unit else ''}" if user.is_township_scoped else "all"


def page_key(*, year: int, month: int, mode: Mode, user: User, group: str = "") -> str:
    """The cache key of a viewer's page: the data stamp (one query; it moves with every write), the period, the
    viewer's scope and the filters. An unknown group is no filter, and shares the key of none."""
    stamp = selectors.data_stamp()
    groups: set[str] | None = cache.get(f"kaohe:groups:{stamp}")
    if groups is None:
        groups = set(UnitGroup.objects.filter(units__in=Unit.objects.assessed()).values_list("code", flat=True))
        cache.set(f"kaohe:groups:{stamp}", groups, selectors.CACHE_SECONDS)
    group = group if group in groups else ""
    return f"kaohe:page:{year}:{month}:{mode}:{stamp}:{ENGINE_VERSION}:{scope_of(user)}:{group}"


def page(*, scheme: Scheme, month: int, mode: Mode, user: User, group: str = "") -> Page:
    """What the page shows, built from the period's grid (cached by `selectors.grid`)."""
    grid = selectors.grid(scheme=scheme, month=month, mode=mode)
    group = group if group in grid.groups else ""
    lines = visible_lines(user, grid, group)
    latest = selectors.latest_month(scheme, Mode.PREVIEW) or month
    table, cards = board_html(grid, lines)
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
    )
