"""Data-quality checks run before a submission (PRODUCT.md §2, SECURITY.md IV-1).

Blocking problems stop the submission; warnings ask the clerk to check the figure and are shown to the
reviewer. Every message names the indicator and the numbers, in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from statistics import mean, pstdev

from kaohe.org.models import Unit
from kaohe.schemes.choices import IndicatorKind
from kaohe.schemes.models import Indicator, Scheme, Target
from kaohe.scoring import period_label

from .choices import CheckLevel
from .models import Value

VOLUME_KINDS = {IndicatorKind.CUMULATIVE, IndicatorKind.COUNT, IndicatorKind.ANNUAL}


def num(value: Decimal) -> str:
    """A stored amount as people write it: 20000.0000 → 20000, 12.5000 → 12.5."""
    return format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class Issue:
    indicator: str  # indicator code ('' for the submission as a whole)
    level: str  # CheckLevel
    message: str

    @property
    def blocking(self) -> bool:
        return self.level == CheckLevel.BLOCK


@dataclass(frozen=True, slots=True)
class Entry:
    """A figure as the form or import holds it before it is saved."""

    amount: Decimal | None
    is_revision: bool = False
    note: str = ""
    has_evidence: bool = False


def _values(
    scheme: Scheme, month: int, unit_ids: Iterable[int] | None, codes: Iterable[str]
) -> dict[tuple[int, str], Decimal]:
    rows = Value.objects.filter(submission__scheme=scheme, submission__month=month, indicator__code__in=list(codes))
    if unit_ids is not None:
        rows = rows.filter(submission__unit_id__in=list(unit_ids))
    return {(v.submission.unit_id, v.indicator.code): v.amount for v in rows.select_related("submission", "indicator")}


def check_entries(
    *,
    scheme: Scheme,
    unit: Unit,
    month: int,
    indicators: list[Indicator],
    entries: Mapping[str, Entry],
) -> list[Issue]:
    """All problems of one unit's figures for one month, blocking first."""
    issues: list[Issue] = []
    codes = [i.code for i in indicators]
    previous = _values(scheme, month - 1, [unit.pk], codes) if month > 1 else {}
    last_year_scheme = Scheme.objects.official().filter(year=scheme.year - 1).first()
    last_year = _values(last_year_scheme, month, [unit.pk], codes) if last_year_scheme else {}
    totals_needed = {i.part_of.code for i in indicators if i.part_of_id and i.part_of}
    current_totals = _values(scheme, month, [unit.pk], totals_needed) if totals_needed else {}
    peers = _peer_completions(scheme, month, indicators)
    own_targets = dict(Target.objects.filter(indicator__in=indicators, unit=unit).values_list("indicator_id", "amount"))
    for ind in indicators:
        entry = entries.get(ind.code)
        if entry is None or entry.amount is None:
            issues.append(Issue(ind.code, CheckLevel.BLOCK, f"“{ind.name}”未填写。"))
            continue
        value = entry.amount
        if value < 0 and ind.kind in VOLUME_KINDS:
            issues.append(Issue(ind.code, CheckLevel.BLOCK, f"“{ind.name}”为累计量，不能为负数（{num(value)}）。"))
        prior = previous.get((unit.pk, ind.code))
        revised = entry.is_revision and entry.note.strip()
        if ind.kind in VOLUME_KINDS and prior is not None and value < prior and not revised:
            issues.append(Issue(
                ind.code, CheckLevel.BLOCK,
                f"“{ind.name}”{period_label(month)}累计 {num(value)} 低于{period_label(month - 1)}的 {num(prior)}；"
                "如属统计修订，请勾选“统计修订”并填写说明。",
            ))  # fmt: skip
        if ind.part_of_id and ind.part_of is not None:
            total_code = ind.part_of.code
            total = entries[total_code].amount if total_code in entries else current_totals.get((unit.pk, total_code))
            if total is not None and value > total:
                message = f"“{ind.name}” {num(value)} 大于其总量指标“{ind.part_of.name}” {num(total)}。"
                issues.append(Issue(ind.code, CheckLevel.BLOCK, message))
        if ind.requires_evidence and not entry.has_evidence and value != 0:
            issues.append(Issue(ind.code, CheckLevel.BLOCK, f"“{ind.name}”为自报指标，须上传佐证材料。"))
        base = last_year.get((unit.pk, ind.code))
        if ind.kind in VOLUME_KINDS and base is not None and base > 0 and value > 0:
            ratio = value / base
            if ratio > scheme.outlier_yoy or ratio < 1 / scheme.outlier_yoy:
                issues.append(Issue(
                    ind.code, CheckLevel.WARN,
                    f"“{ind.name}” {num(value)} 是上年同期 {num(base)} 的 {ratio:.2f} 倍，请核实。",
                ))  # fmt: skip
        issue = _peer_outlier(ind, unit, value, own_targets.get(ind.pk), peers.get(ind.code, {}), scheme.outlier_z)
        if issue:
            issues.append(issue)
    return sorted(issues, key=lambda i: (not i.blocking, codes.index(i.indicator) if i.indicator in codes else 0))


def _peer_completions(scheme: Scheme, month: int, indicators: list[Indicator]) -> dict[str, dict[int, Decimal]]:
    """Each peer unit's completion (value ÷ target) per indicator, for the z-score check."""
    volume = [i for i in indicators if i.kind in VOLUME_KINDS]
    if not volume:
        return {}
    codes = [i.code for i in volume]
    values = _values(scheme, month, None, codes)
    targets = {
        (t.unit_id, t.indicator.code): t.amount
        for t in Target.objects.filter(indicator__in=volume).select_related("indicator")
    }
    result: dict[str, dict[int, Decimal]] = {}
    for (unit_id, code), amount in values.items():
        target = targets.get((unit_id, code))
        if target:
            result.setdefault(code, {})[unit_id] = amount / target
    return result


def _peer_outlier(
    ind: Indicator, unit: Unit, value: Decimal, target: Decimal | None, peers: dict[int, Decimal], threshold: Decimal
) -> Issue | None:
    others = [c for unit_id, c in peers.items() if unit_id != unit.pk]
    if target is None or len(others) < 4:
        return None
    spread = pstdev(others)
    if spread == 0:
        return None
    completion = value / target
    z = (completion - mean(others)) / spread
    if abs(z) <= threshold:
        return None
    return Issue(
        ind.code, CheckLevel.WARN,
        f"“{ind.name}”完成率 {completion * 100:.1f}% 与其他乡镇（平均 {mean(others) * 100:.1f}%）差异过大"
        f"（Z 分数 {z:.1f}），请核实。",
    )  # fmt: skip
