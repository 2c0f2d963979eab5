"""`kaohe score --period YYYY-MM [--official|--preview] [--scenario NAME] [--json]`: the 成绩单 on the command line;
with --scenario, the scenario (模拟方案) scored on the month's approved figures beside the official board."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kaohe.assessment import selectors
from kaohe.assessment.checks import FIX, SchemeRejected, SchemeReturned
from kaohe.assessment.inputs import Mode
from kaohe.schemes.models import Scheme
from kaohe.schemes.selectors import scenarios_of
from kaohe.scoring import exact_decimal, fmt_points, period_label, stage_label

PERIOD = re.compile(r"^(\d{4})-(\d{1,2})$")


class Command(BaseCommand):
    help = "计算某期成绩单：--period 2026-10，正式（仅已审核）或预览（含待审核），可输出 JSON。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", required=True, help="期别，如 2026-10（1-10月累计）")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--official", action="store_const", dest="mode", const=Mode.OFFICIAL, help="仅已审核数据（默认）"
        )
        mode.add_argument("--preview", action="store_const", dest="mode", const=Mode.PREVIEW, help="含待审核数据")
        parser.add_argument("--json", action="store_true", dest="as_json", help="输出 JSON（数字为精确十进制字符串）")
        parser.add_argument(
            "--scenario", default="", help="模拟方案名称：按该方案的规则计算本期已审核数据，并与正式成绩单对比"
        )

    def handle(
        self, *args: Any, period: str, mode: Mode | None, as_json: bool, scenario: str = "", **options: Any
    ) -> None:
        match = PERIOD.match(period)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise CommandError(f"期别格式应为 YYYY-MM（如 2026-10），收到 {period!r}。")
        year, month = int(match.group(1)), int(match.group(2))
        scheme = Scheme.objects.official().filter(year=year).first()
        if scheme is not None and scheme.is_returned:
            raise CommandError(SchemeReturned(scheme).message)
        if scheme is None or not scheme.is_published:
            raise CommandError(f"{year}年没有已发布的考核方案。")
        try:
            if scenario:
                proposed = scenarios_of(year).filter(scenario=scenario.strip()).first()
                if proposed is None:
                    raise CommandError(f"{year}年没有名为“{scenario}”的模拟方案。")
                found = selectors.compare(proposed=proposed, figures=scheme, month=month)
                self.stdout.write(comparison_json(found) if as_json else comparison_text(found))
                return
            board = selectors.scoreboard(scheme=scheme, month=month, mode=mode or Mode.OFFICIAL)
        except SchemeRejected as exc:
            raise CommandError(f"{exc.message}\n{FIX}") from None
        if as_json:
            self.stdout.write(board_json(board))
        else:
            self.stdout.write(board_text(board))


def _exact(value: Any) -> str | None:
    return None if value is None else str(exact_decimal(value))


def _scaled(value: int | None) -> str | None:
    """A sum held × 10^4 as its exact decimal."""
    return None if value is None else str(exact_decimal(Decimal(value).scaleb(-4)))


def board_dict(board: selectors.Board) -> dict[str, Any]:
    """The board as JSON-ready data: exact decimal strings, stable codes (documented in docs/scores.md)."""
    columns = {c.code: c for c in board.columns}
    units = []
    for row in board.rows:
        r = row.result
        units.append(
            {
                "code": row.code,
                "name": row.name,
                "group": row.group,
                "total": _exact(r.total),
                "rank": r.rank,
                "group_rank": r.group_rank,
                "rank_change": row.rank_change,
                "grade": r.grade,
                "bonus": _exact(r.bonus),
                "deduction": _exact(r.deduction),
                "on_schedule_count": r.on_schedule_count,
                "evaluated_count": r.evaluated_count,
                "score_on_schedule": r.score_on_schedule,
                "veto": [v.value for v in r.vetoes],
                "indicators": [
                    {
                        "code": cell.indicator,
                        "name": columns[cell.indicator].name,
                        "kind": cell.kind.value,
                        # The display decimals of its figures and of 完成%/序时差: round the exact values once.
                        "decimals": columns[cell.indicator].places,
                        "rate_decimals": columns[cell.indicator].rate_places,
                        "target": _exact(cell.target),
                        "actual": _exact(cell.actual),
                        "completion": _exact(cell.completion),
                        "schedule": _exact(cell.schedule),
                        "gap_pp": _exact(cell.gap_pp),
                        # 分期目标: the stage month N falls in, the amount due by then, and 完成阶段目标.
                        "stage": None if cell.stage is None else stage_label(cell.stage),
                        "stage_target": _exact(cell.scheduled) if cell.stage is not None else None,
                        "stage_completion": _exact(cell.stage_completion) if cell.stage is not None else None,
                        "stage_gap_pp": _exact(cell.stage_gap_pp),
                        "status": cell.status.value,
                        "status_label": cell.status.label,
                        "points": _exact(cell.points),
                        "rank": cell.rank,
                        "explanation": cell.explanation,
                    }
                    for cell in r.indicators
                ],
            }
        )
    totals = [
        {
            "group": total.group,  # null for 全区合计
            "name": total.name,
            "units": total.units,
            "indicators": [
                {
                    "code": code,
                    "target": None if found is None else _scaled(found.target),
                    "actual": None if found is None else _scaled(found.actual),
                    "completion": None if found is None else _exact(found.completion),
                    "gap_pp": None if found is None else _exact(found.gap),
                }
                for code, found in total.sums.items()
            ],
        }
        for total in board.totals
    ]
    return {
        "period": f"{board.year}-{board.month:02d}",
        "mode": board.mode.value,
        "schedule": _exact(board.schedule),
        "engine_version": board.engine_version,
        "units": units,
        "totals": totals,
    }


def board_json(board: selectors.Board) -> str:
    return json.dumps(board_dict(board), ensure_ascii=False, indent=2)


def board_text(board: selectors.Board) -> str:
    label = "正式（仅已审核数据）" if board.mode == Mode.OFFICIAL else "预览（含待审核数据）"
    lines = [
        f"{board.year}年{period_label(board.month)}成绩单 · {label}",
        f"{'位次':<4}{'单位':<10}{'总分':>8}  达序时  等级",
    ]
    for row in board.rows:
        r = row.result
        counts = f"{r.on_schedule_count:>2}/{r.evaluated_count:<3}"
        lines.append(f"{r.rank:<5}{row.name:<10}{fmt_points(r.total):>9}  {counts}  {r.grade or ''}")
    return "\n".join(lines)


def comparison_json(found: selectors.Comparison) -> str:
    """The scenario's board as `board_dict` gives it, each unit with its official total and rank and the change."""
    data = board_dict(found.proposed)
    data["scenario"] = found.proposed_scheme.scenario
    changes = {c.code: c for c in found.changes}
    for unit in data["units"]:
        change = changes[unit["code"]]
        official = change.official
        unit["official"] = {
            "total": None if official is None else _exact(official.total),
            "rank": None if official is None else official.rank,
            "change": _exact(change.points),
            "places": change.places,
        }
        unit["moved"] = [{"code": m.code, "name": m.name, "points": _exact(m.points)} for m in change.moved]
    return json.dumps(data, ensure_ascii=False, indent=2)


def _signed(value: Any) -> str:
    return "" if value is None else ("+" if value > 0 else "") + fmt_points(value)


def comparison_text(found: selectors.Comparison) -> str:
    scheme = found.proposed_scheme
    lines = [
        f"{found.figures.year}年{period_label(found.month)} · 模拟方案“{scheme.scenario}”"
        "与正式成绩单对比（仅已审核数据）",
        f"{'单位':<10}{'正式得分':>9}{'正式位次':>6}{'模拟得分':>9}{'模拟位次':>6}{'变化':>9}  主要影响指标",
    ]
    for c in found.changes:
        old, new = c.official, c.proposed
        moved = "、".join(f"{m.name}{_signed(m.points)}" for m in c.moved)
        lines.append(
            f"{c.name:<10}{fmt_points(old.total) if old else '—':>9}{old.rank if old else '—':>8}"
            f"{fmt_points(new.total) if new else '—':>9}{new.rank if new else '—':>8}{_signed(c.points):>9}  {moved}"
        )
    return "\n".join(lines)
