"""The engine's own validation at every door that writes what the engine scores.

Every service that changes a scheme, its targets, items or a year's figures is wrapped in `engine_checked` and
says what it touched with `touch(scheme, units=…)`. Before the outermost such service leaves its transaction, the
scheme as it now stands (the change included, not yet committed) goes through the one adapter (`inputs.load`) and
the engine's whole check (`kaohe.scoring.validate_data`). A refusal raises a ValidationError in Chinese naming the
indicator, and leaving the transaction with it rolls the change back: whatever a form or an import accepts, the
engine scores.

The pages that score use `named_refusals` as the last line of defence: a scheme the engine refuses although
Kaohe never accepted it (changed outside Kaohe) becomes SchemeRejected, shown as a Chinese 409 page.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from kaohe.core.exceptions import ApplicationError
from kaohe.org.models import Unit
from kaohe.schemes.models import Indicator, ItemType, Scheme
from kaohe.scoring import ScoringError, validate_data

from .inputs import Mode, load

P = ParamSpec("P")
R = TypeVar("R")

REJECTED = "{year}年考核方案无法计分：{message}"
FIX = "请区考核办将方案退回修改（方案页“退回修改”），改正后重新发布。"

# The engine names what it refuses by code: "指标 gdp"、"组成指标 gdp"、"单位 t01"、"类别 tb".
_CODE = r"([A-Za-z0-9][A-Za-z0-9_-]*)"
# A space after a code only separates it from the next word: it goes with the code once a name in quotes stands.
_INDICATOR = re.compile(rf"指标 {_CODE} ?")
_UNIT = re.compile(rf"单位 {_CODE} ?")
_CATEGORY = re.compile(rf"类别 {_CODE} ?")


class SchemeRejected(ApplicationError):
    """The engine refused a stored scheme: `message` names the indicator and what to fix, in Chinese."""

    def __init__(self, scheme: Scheme, message: str, indicator: str | None = None) -> None:
        super().__init__(REJECTED.format(year=scheme.year, message=message), extra={"indicator": indicator})
        self.scheme = scheme
        self.detail = message
        self.indicator = indicator


def named(scheme: Scheme, message: str) -> tuple[str, str | None]:
    """The engine's message with indicator, unit and category codes replaced by their names, and the code of the
    first indicator it names (the one to fix), if any."""
    codes = set(_INDICATOR.findall(message))
    indicators = dict(Indicator.objects.filter(scheme=scheme, code__in=codes).values_list("code", "name"))
    units = dict(Unit.objects.filter(code__in=set(_UNIT.findall(message))).values_list("code", "name"))
    categories = dict(
        ItemType.objects.filter(scheme=scheme, code__in=set(_CATEGORY.findall(message))).values_list("code", "name")
    )

    def sub(pattern: re.Pattern[str], names: dict[str, str], word: str) -> Callable[[str], str]:
        def replace(text: str) -> str:
            return pattern.sub(lambda m: f"{word}“{names[m[1]]}”" if m[1] in names else m[0], text)

        return replace

    text = sub(_INDICATOR, indicators, "指标")(message)
    text = sub(_UNIT, units, "单位")(text)
    text = sub(_CATEGORY, categories, "类别")(text)
    first = _INDICATOR.search(message)
    return text, first[1] if first else None


def verify(scheme: Scheme, *, units: Collection[int] | None = None) -> None:
    """The engine's whole check of the scheme as stored now, with the targets, figures and items of `units`
    (unit ids; None: every unit). Raises ScoringError as the engine does."""
    inputs = load(scheme, mode=Mode.ENTERED, only_units=units)
    validate_data(inputs.engine_scheme, inputs.data, 12)


def refusal(scheme: Scheme, *, units: Collection[int] | None = None) -> str | None:
    """What the engine says against the scheme as stored now, in Chinese with names; None if it scores."""
    try:
        verify(scheme, units=units)
    except ScoringError as exc:
        return named(scheme, exc.message)[0]
    return None


class SchemeReturned(ApplicationError):
    """The scheme was returned to draft for revision: its boards wait until it is published again."""

    def __init__(self, scheme: Scheme) -> None:
        super().__init__(f"{scheme.year}年考核方案已退回修改，修改完成并重新发布后恢复计分。已填报的数据均已保留。")
        self.scheme = scheme


@dataclass
class _Pending:
    """What the services inside one outermost checked service have touched: scheme → unit ids (None: all)."""

    schemes: dict[int, tuple[Scheme, set[int] | None]] = field(default_factory=dict)
    fields: dict[int, str] = field(default_factory=dict)

    def add(self, scheme: Scheme, units: Collection[int] | None, field_name: str | None) -> None:
        _, seen = self.schemes.get(scheme.pk, (scheme, set()))
        merged = None if seen is None or units is None else seen | set(units)
        self.schemes[scheme.pk] = (scheme, merged)
        if field_name and scheme.pk not in self.fields:
            self.fields[scheme.pk] = field_name

    def check(self) -> None:
        for pk, (scheme, units) in self.schemes.items():
            try:
                verify(scheme, units=units)
            except ScoringError as exc:
                text, _ = named(scheme, exc.message)
                message = f"引擎校验未通过，未保存：{text}"
                raise ValidationError({self.fields.get(pk, NON_FIELD_ERRORS): message}) from None


_pending: ContextVar[_Pending | None] = ContextVar("kaohe_engine_pending", default=None)


def engine_checked(service: Callable[P, R]) -> Callable[P, R]:
    """Run the service in a transaction and, before the outermost checked service commits, the engine's check
    on everything touched; nested checked services add to the outermost one's check instead of running their own."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _pending.get() is not None:
            return service(*args, **kwargs)
        pending = _Pending()
        token = _pending.set(pending)
        try:
            with transaction.atomic():
                result = service(*args, **kwargs)
                pending.check()
        finally:
            _pending.reset(token)
        return result

    return wrapper


def touch(scheme: Scheme, *, units: Collection[int] | None = None, field: str | None = None) -> None:
    """Mark the scheme (or just these units' data in it) for the engine's check; `field` is the form field the
    refusal is shown beside. Outside a checked service the check runs at once."""
    pending = _pending.get()
    if pending is None:
        single = _Pending()
        single.add(scheme, units, field)
        single.check()
    else:
        pending.add(scheme, units, field)


@contextmanager
def deferred_check() -> Iterator[_Pending]:
    """Checked services called inside the block add to one engine check, which the caller runs with `.check()`
    when everything is written: an import writes many objects that are only valid together (a combo before its
    parts), and reports a refusal at a cell instead of raising it."""
    if _pending.get() is not None:
        raise RuntimeError("deferred_check() inside a checked service")
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


@contextmanager
def trial() -> Iterator[None]:
    """A savepoint that is always rolled back: to check a change as if it were made (a request as if approved)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@contextmanager
def named_refusals(scheme: Scheme) -> Iterator[None]:
    """Around a page's scoring: an engine refusal of the stored scheme becomes SchemeRejected, named in Chinese."""
    try:
        yield
    except ScoringError as exc:
        text, indicator = named(scheme, exc.message)
        raise SchemeRejected(scheme, text, indicator) from exc


def scores_scheme(service: Callable[P, R]) -> Callable[P, R]:
    """Mark a function that scores its `scheme` argument: engine refusals leave it as SchemeRejected."""
    signature = inspect.signature(service)

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        scheme = signature.bind_partial(*args, **kwargs).arguments["scheme"]
        with named_refusals(scheme):
            return service(*args, **kwargs)

    return wrapper
