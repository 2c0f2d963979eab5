"""Rules and the grade rule as Chinese forms, built from `kaohe.scoring`'s parameter declarations, and the live
preview of what a rule gives for sample numbers.

A rule form shows one family's fields (labels, units and help from `FAMILIES`); its list parameter (分档 bands,
segments, combo parts, rank points) is a small table of rows with 添加一行 / 删除. Fields are named by parameter key,
so switching family keeps every value the new family also has. What the user typed is turned into the stored
form by the declarations and judged by the engine's parser alone; a refusal is shown at the field it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django import forms
from django.urls import reverse

from kaohe.core.forms import NumberField
from kaohe.core.numbers import safe_decimal
from kaohe.scoring import (
    FAMILIES,
    GRADE_ITEM,
    GRADE_PARAMS,
    Direction,
    Family,
    IndicatorSpec,
    Kind,
    Param,
    ParamType,
    RuleError,
    Scheme,
    ScoringError,
    Target,
    Unit,
    YearData,
    fmt_pct,
    fmt_points,
    grade_error_at,
    grade_fields,
    grade_from_fields,
    needs_target,
    rule_error_at,
    rule_fields,
    rule_from_dict,
    rule_from_fields,
    score_period,
)

NOT_SCORED = ("", "不计分（只统计序时）")
MAX_ROWS = 30
ADD, REMOVE = "add_row", "remove_row"  # the buttons' names (prefixed)


def _field(param: Param, *, required: bool = False) -> forms.Field:
    label = param.header
    help_text = param.describe(choices=False)
    if param.type is ParamType.CHOICE:
        return forms.ChoiceField(label=label, choices=param.choices, required=False, help_text=help_text)
    if param.type is ParamType.FLAG:
        return forms.BooleanField(label=label, required=False, help_text=help_text)
    if param.type is ParamType.TEXT:
        return forms.CharField(label=label, required=required, max_length=32, help_text=help_text)
    attrs = {"inputmode": "decimal", "class": "form-control form-control-sm"}
    return NumberField(label=label, required=required, help_text=help_text, widget=forms.TextInput(attrs=attrs))


def _initial(param: Param, stored: Any) -> Any:
    """A stored value as the field shows it: numbers as people write them (120 %), choices by their value."""
    if stored is None:
        return None
    if param.type in (ParamType.NUMBER, ParamType.PERCENT):
        return param.to_display(stored)
    return stored


def _rows(data: Mapping[str, Any] | None, prefix: str, initial: int) -> int:
    """How many item rows to show: as posted (plus or minus the button pressed), else the stored count."""
    if data is None:
        return max(initial, 1)
    try:
        rows = int(str(data.get(f"{prefix}-rows", initial)))
    except ValueError:
        rows = initial
    if data.get(f"{prefix}-{ADD}"):
        rows += 1
    return max(0, min(rows, MAX_ROWS))


class _ItemsForm(forms.Form):
    """Scalar parameters plus `rows` rows of item fields, named "<key>" and "item-<i>-<key>"."""

    item_fields: tuple[Param, ...] = ()

    def __init__(self, data: Mapping[str, Any] | None, *, prefix: str, scalars: tuple[Param, ...],
                 item_fields: tuple[Param, ...], initial: dict[str, Any], rows: int) -> None:  # fmt: skip
        removed = None
        if data is not None and data.get(f"{prefix}-{REMOVE}", "").isdigit():
            removed = int(str(data.get(f"{prefix}-{REMOVE}")))
            data = _without_row(data, prefix, removed, rows, item_fields)
            rows -= 1
        super().__init__(data, prefix=prefix, initial=initial)
        self.rows = rows
        self.item_fields = item_fields
        for param in scalars:
            self.fields[param.key] = _field(param)
        for i in range(rows):
            for param in item_fields:
                self.fields[f"item-{i}-{param.key}"] = _field(param)
        self.fields["rows"] = forms.IntegerField(widget=forms.HiddenInput, required=False, initial=rows)
        self.scalar_params = scalars
        self.acted = removed is not None or bool(data is not None and data.get(f"{prefix}-{ADD}"))

    def scalar_fields(self) -> list[forms.BoundField]:
        return [self[p.key] for p in self.scalar_params]

    def item_rows(self) -> list[tuple[int, list[forms.BoundField]]]:
        return [(i, [self[f"item-{i}-{p.key}"] for p in self.item_fields]) for i in range(self.rows)]

    def item_headers(self) -> list[str]:
        return [p.header for p in self.item_fields]

    def stored(self, params: tuple[Param, ...], values: dict[str, Any]) -> dict[str, Any]:
        """The cleaned values in the stored form; a bad one is an error at its field (collected, then raised)."""
        out: dict[str, Any] = {}
        for param in params:
            name = param.key
            try:
                out[name] = param.from_display(values.get(name))
            except RuleError as exc:
                self.add_error(name, exc.message)
        return out

    def items(self) -> list[dict[str, Any]]:
        rows = []
        for i in range(self.rows):
            raw = {p.key: self.cleaned_data.get(f"item-{i}-{p.key}") for p in self.item_fields}
            if all(v in (None, "", False) for v in raw.values()):
                continue  # a blank row is no row
            row = {}
            for param in self.item_fields:
                try:
                    row[param.key] = param.from_display(raw[param.key])
                except RuleError as exc:
                    self.add_error(f"item-{i}-{param.key}", exc.message)
            rows.append(row)
        return rows


def _without_row(
    data: Mapping[str, Any], prefix: str, removed: int, rows: int, fields: tuple[Param, ...]
) -> dict[str, Any]:
    copy = {key: data.get(key) for key in data}
    for i in range(removed, rows - 1):
        for p in fields:
            copy[f"{prefix}-item-{i}-{p.key}"] = data.get(f"{prefix}-item-{i + 1}-{p.key}", "")
    for p in fields:
        copy.pop(f"{prefix}-item-{rows - 1}-{p.key}", None)
    copy[f"{prefix}-rows"] = str(rows - 1)
    return copy


class RuleForm(_ItemsForm):
    """One indicator's scoring rule: the family, then only that family's parameters and rows."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        stored: dict[str, Any] | None = None,
        prefix: str = "rule",
        redrawn: tuple[Family | None, dict[str, Any], int] | None = None,
    ) -> None:
        initial: dict[str, Any] = {}
        items: list[dict[str, Any]] = []
        fam: Family | None = None
        if redrawn is not None:
            fam, initial, count = redrawn
            items = [{}] * count
        elif data is not None:
            name = data.get(f"{prefix}-family", "")
            fam = next((f for f in FAMILIES if f.name == name), None)
        elif stored:
            fam, scalars, items = rule_fields(stored)
            initial = {p.key: _initial(p, scalars.get(p.key)) for p in fam.params}
            for i, item in enumerate(items):
                initial.update(
                    {f"item-{i}-{p.key}": _initial(p, item.get(p.key)) for p in fam.item.fields} if fam.item else {}
                )
        self.family = fam
        item_fields = fam.item.fields if fam and fam.item else ()
        rows = _rows(data, prefix, len(items)) if item_fields else 0
        if fam is not None:
            for p in fam.params:  # a field the user has not touched yet starts at its default
                if initial.get(p.key) in (None, ""):
                    initial[p.key] = _initial(p, p.default)
        initial["family"] = fam.name if fam else ""
        super().__init__(data, prefix=prefix, scalars=fam.params if fam else (), item_fields=item_fields,
                         initial=initial, rows=rows)  # fmt: skip
        # Choosing another family redraws the block in place (htmx), keeping what the new family also has.
        redraw = {"hx-post": reverse("schemes:rule_fields"), "hx-target": "#kh-rule", "hx-swap": "outerHTML"}
        family = forms.ChoiceField(
            label="计分方法",
            required=False,
            choices=[NOT_SCORED, *((f.name, f.label) for f in FAMILIES)],
            help_text=fam.summary if fam else "只统计序时进度，不计分。",
            widget=forms.Select(attrs=redraw),
        )
        self.fields = {"family": family, **self.fields}
        self.rule: dict[str, Any] | None = None

    @classmethod
    def redraw(cls, data: Mapping[str, Any], prefix: str = "rule") -> RuleForm:
        """The form as posted, unbound and without errors, for another family or one row more or less: every
        value typed for a parameter the new family also has is kept, the rest start at their defaults."""
        bound = cls(data, prefix=prefix)
        values = {name: bound[name].value() for name in bound.fields if name not in ("rows", "family")}
        return cls(prefix=prefix, redrawn=(bound.family, values, bound.rows))

    @property
    def item_label(self) -> str:
        return self.family.item.label if self.family and self.family.item else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        fam = self.family
        if fam is None or self.errors:
            self.rule = None
            return cleaned
        scalars = self.stored(fam.params, cleaned)
        items = self.items()
        if self.errors:
            return cleaned
        try:
            self.rule = rule_from_fields(fam, scalars, items)
        except RuleError as exc:
            index, key = rule_error_at(fam, exc.field)
            name = f"item-{index}-{key}" if index is not None and key else key
            at = name if name in self.fields else None
            # At its field the reason is enough; elsewhere the stored key still says where (parts, bands …).
            self.add_error(at, exc.message.removeprefix(f"{exc.field}：") if at else f"{fam.label}：{exc.message}")
        return cleaned


class GradeRuleForm(_ItemsForm):
    """The scheme's grade rule: method and names, then one row per grade (none: no grades)."""

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, stored: dict[str, Any] | None = None, prefix: str = "grade"
    ) -> None:
        initial: dict[str, Any] = {}
        steps: list[dict[str, Any]] = []
        if data is None and stored:
            scalars, steps = grade_fields(stored)
            initial = {p.key: _initial(p, scalars.get(p.key)) for p in GRADE_PARAMS}
            for i, step in enumerate(steps):
                initial.update({f"item-{i}-{p.key}": _initial(p, step.get(p.key)) for p in GRADE_ITEM.fields})
        for p in GRADE_PARAMS:
            initial.setdefault(p.key, _initial(p, p.default))
        rows = _rows(data, prefix, len(steps) or 3)
        super().__init__(data, prefix=prefix, scalars=GRADE_PARAMS, item_fields=GRADE_ITEM.fields, initial=initial,
                         rows=rows)  # fmt: skip
        self.grade_rule: dict[str, Any] | None = None

    item_label = "等次"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        steps = self.items()
        scalars = self.stored(GRADE_PARAMS, cleaned)
        if self.errors:
            return cleaned
        if not steps and not scalars.get("else"):
            self.grade_rule = None  # no grades
            return cleaned
        try:
            self.grade_rule = grade_from_fields(scalars, steps)
        except RuleError as exc:
            index, key = grade_error_at(exc.field)
            name = f"item-{index}-{key}" if index is not None else key
            at = name if name in self.fields else None
            self.add_error(at, exc.message.removeprefix(f"{exc.field}：") if at else f"等次规则有误：{exc.message}")
        return cleaned


# --- the live preview -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    ok: bool
    message: str = ""  # why there is nothing to show
    points: str = ""  # as the board shows them (2 decimals, half up)
    explanation: str = ""
    status: str = ""
    completion: str = ""


def _number(text: str | None) -> Decimal | None:
    return safe_decimal(text or "")


def _numbers(text: str | None) -> list[Decimal] | None:
    parts = [p for p in (text or "").replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if p.strip()]
    values = [_number(p) for p in parts]
    return None if any(v is None for v in values) else [v for v in values if v is not None]


def preview(rule: dict[str, Any] | None, data: Mapping[str, Any]) -> Preview:
    """What the engine gives the sample township for sample numbers: its points and explanation, exactly as the
    成绩单 shows them. The sample: weight, kind and direction from the indicator form; target, actual (1–N月累计)
    and month; for ranked rules the other townships' figures; for a combo each part's target and actual."""
    if rule is None:
        return Preview(False, "不计分的指标只统计序时进度，没有得分。")
    weight = _number(data.get("weight")) or Decimal(0)
    try:
        kind = Kind(data.get("kind") or Kind.CUMULATIVE)
        direction = Direction(data.get("direction") or Direction.HIGHER)
        month = int(data.get("sample-month") or 12)
    except ValueError:
        return Preview(False, "请先选择指标类型和方向，并填写 1 到 12 的月份。")
    if not 1 <= month <= 12:
        return Preview(False, "月份须在 1 到 12 之间。")
    parsed = rule_from_dict(rule)
    others = _numbers(data.get("sample-others"))
    if others is None:
        return Preview(False, "其他乡镇的数值须为数字，用逗号分隔。")
    units = [Unit(f"u{i}", "g") for i in range(len(others) + 1)]
    specs: list[IndicatorSpec] = []
    targets: dict[tuple[str, str], Target] = {}
    values: dict[tuple[str, str, int], Decimal] = {}
    if parsed.family == "combo":
        for i, part in enumerate(parsed.parts):  # type: ignore[union-attr]
            target = _number(data.get(f"sample-part-{i}-target"))
            actual = _number(data.get(f"sample-part-{i}-actual"))
            if target is None or actual is None:
                return Preview(False, f"请填写组成指标 {part.indicator} 的目标和实际完成。")
            specs.append(IndicatorSpec(code=part.indicator, kind=Kind.CUMULATIVE, weight=Decimal(0), rule=None))
            targets[("u0", part.indicator)] = Target(target)
            values[("u0", part.indicator, month)] = actual
        units = units[:1]
    else:
        target = _number(data.get("sample-target"))
        actual = _number(data.get("sample-actual"))
        if actual is None or (needs_target(parsed) and target is None):
            return Preview(False, "请填写目标和实际完成（1-N月累计）。" if needs_target(parsed) else "请填写实际数值。")
        for i, unit in enumerate(units):
            values[(unit.code, "x", month)] = actual if i == 0 else others[i - 1]
            if target is not None and needs_target(parsed):
                targets[(unit.code, "x")] = Target(target)
    specs.append(IndicatorSpec(code="x", kind=kind, weight=weight, rule=parsed, direction=direction))
    try:
        scheme = Scheme(indicators=tuple(specs), units=tuple(units))
        result = score_period(scheme, YearData(targets=targets, values=values), month).unit("u0").indicator("x")
    except ScoringError as exc:
        return Preview(False, exc.message)
    completion = "" if result.completion is None else fmt_pct(Fraction(result.completion))
    return Preview(True, points=fmt_points(result.points), explanation=result.explanation,
                   status=result.status_label, completion=completion)  # fmt: skip


def combo_parts(form: RuleForm) -> list[str]:
    """The part codes typed so far in a combo rule's rows (for the preview's inputs)."""
    if form.family is None or form.family.name != "combo":
        return []
    codes = []
    for i in range(form.rows):
        value = form.data.get(f"{form.prefix}-item-{i}-indicator") if form.is_bound else form.initial.get(
            f"item-{i}-indicator"
        )  # fmt: skip
        if value:
            codes.append(str(value))
    return codes
