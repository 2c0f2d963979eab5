"""The declared rule parameters agree with the engine's parser, and convert exactly between shown and stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kaohe.scoring import (
    FAMILIES,
    GRADE_ITEM,
    RULE_FAMILIES,
    ParamType,
    RuleError,
    grade_fields,
    grade_from_fields,
    grade_rule_from_dict,
    rule_error_at,
    rule_family,
    rule_family_by_label,
    rule_fields,
    rule_from_dict,
    rule_from_fields,
)

# The smallest valid rule of each family: only what it requires.
MINIMAL: dict[str, dict[str, Any]] = {
    "ratio": {"family": "ratio"},
    "combo": {"family": "combo", "parts": [{"indicator": "a", "share": "0.5"}, {"indicator": "b", "share": "0.5"}]},
    "base_per_pp": {"family": "base_per_pp", "under": "per_pp"},
    "piecewise_pp": {"family": "piecewise_pp", "segments": [{"from": "1", "per_pp": "0.2"}]},
    "bands": {"family": "bands", "bands": [{"min": "1", "points": "100"}]},
    "efficacy": {"family": "efficacy"},
    "rank_points": {"family": "rank_points", "points": ["60", "57"]},
    "share_of_total": {"family": "share_of_total"},
    "per_item": {"family": "per_item", "points": "2"},
    "per_event": {"family": "per_event", "points": "1.5"},
    "growth_vs_target": {"family": "growth_vs_target"},
}


def test_every_family_the_parser_knows_is_declared_once() -> None:
    assert [f.name for f in FAMILIES] == list(RULE_FAMILIES)
    assert set(MINIMAL) == set(RULE_FAMILIES)
    assert len({f.label for f in FAMILIES}) == len(FAMILIES)


@pytest.mark.parametrize("name", RULE_FAMILIES)
def test_declared_defaults_are_the_parsers_defaults(name: str) -> None:
    fam, scalars, _ = rule_fields(MINIMAL[name])
    for param in fam.params:
        if not param.required and (name, param.key) != ("base_per_pp", "under"):
            assert scalars[param.key] == param.default, f"{name}.{param.key}"


@pytest.mark.parametrize("name", RULE_FAMILIES)
def test_every_declared_parameter_is_one_the_parser_reads(name: str) -> None:
    fam = rule_family(name)
    keys = {p.key for p in fam.params} - {"compare"}  # 分档方式 is the bands' min/max word, not a key of its own
    for key in keys:
        param = fam.param(key)
        if param.type is ParamType.CHOICE:
            sample: Any = param.choices[-1][0]
        elif param.type is ParamType.FLAG:
            sample = True
        else:
            sample = param.default if param.default is not None else "2"
        stored = rule_from_dict({**MINIMAL[name], key: sample})  # an unknown key would be refused
        assert stored is not None


@pytest.mark.parametrize("name", RULE_FAMILIES)
def test_declared_bounds_are_the_parsers_bounds(name: str) -> None:
    fam = rule_family(name)
    for param in fam.params:
        if param.positive:
            with pytest.raises(RuleError):
                rule_from_dict({**MINIMAL[name], param.key: "0"})
        elif param.minimum is not None:
            rule_from_dict({**MINIMAL[name], param.key: str(param.minimum)})
            with pytest.raises(RuleError):
                rule_from_dict({**MINIMAL[name], param.key: str(param.minimum - Decimal("0.01"))})


def test_a_percent_is_shown_times_100_and_stored_exactly() -> None:
    cap = rule_family("ratio").param("cap")
    assert cap.to_display("1.2") == Decimal("120")
    assert cap.from_display(Decimal("120")) == "1.2"
    assert cap.from_display(Decimal("99.9999")) == "0.999999"
    with pytest.raises(RuleError, match="4 位小数"):
        cap.from_display(Decimal("99.99999"))
    assert cap.header == "封顶（%）"
    assert "不填为 100" in cap.describe()


def test_a_choice_is_read_by_its_label_or_its_value() -> None:
    basis = rule_family("ratio").param("basis")
    assert basis.from_display("对序时进度") == "schedule"
    assert basis.from_display("annual") == "annual"
    assert basis.to_display("schedule") == "对序时进度"
    with pytest.raises(RuleError, match="对全年目标"):
        basis.from_display("按月")


def test_families_are_found_by_their_chinese_label() -> None:
    assert rule_family_by_label("分档计分") is rule_family("bands")
    assert rule_family_by_label(" bands ") is rule_family("bands")
    assert rule_family_by_label("按心情计分") is None


def test_fields_and_stored_form_round_trip_with_defaults_filled_in() -> None:
    stored = {
        "family": "bands",
        "basis": "schedule",
        "bands": [{"min": "1", "points": "100"}, {"min": "0.8", "points": "75"}],
        "else": "5",
    }
    fam, scalars, items = rule_fields(stored)
    assert scalars == {"basis": "schedule", "compare": "min", "else": "5"}
    assert items == [{"threshold": "1", "points": "100"}, {"threshold": "0.8", "points": "75"}]
    assert rule_from_dict(rule_from_fields(fam, scalars, items)) == rule_from_dict(stored)


def test_lower_is_better_bands_keep_their_max_word() -> None:
    stored = {"family": "bands", "bands": [{"max": "0.5", "points": "10"}, {"max": "1", "points": "5"}]}
    fam, scalars, items = rule_fields(stored)
    assert scalars["compare"] == "max"
    assert rule_from_fields(fam, scalars, items)["bands"] == stored["bands"]


def test_rank_points_and_segments_are_items() -> None:
    fam, _, items = rule_fields(MINIMAL["rank_points"])
    assert items == [{"points": "60"}, {"points": "57"}]
    fam, _, items = rule_fields({"family": "piecewise_pp", "segments": [{"from": "0", "to": "1", "per_pp": "-0.1"}]})
    assert items == [{"from": "0", "to": "1", "per_pp": "-0.1"}]
    assert rule_from_fields(fam, {}, [{"from": "1", "to": None, "per_pp": "0.1"}])["segments"] == [
        {"from": "1", "per_pp": "0.1"}
    ]


def test_a_refusal_is_located_at_its_item_and_parameter() -> None:
    bands = rule_family("bands")
    with pytest.raises(RuleError) as caught:
        rule_from_fields(bands, {}, [{"threshold": "0.8", "points": "75"}, {"threshold": "1", "points": "100"}])
    assert rule_error_at(bands, caught.value.field) == (1, "threshold")
    assert rule_error_at(rule_family("ratio"), "cap") == (None, "cap")
    assert rule_error_at(rule_family("rank_points"), "points[2]") == (2, "points")
    assert rule_error_at(rule_family("combo"), "parts") == (None, None)
    assert rule_error_at(rule_family("combo"), "parts[0].share") == (0, "share")


def test_grade_rules_round_trip_through_their_fields() -> None:
    bands = {
        "method": "bands",
        "bands": [{"min": "90", "grade": "优秀"}, {"min": "80", "grade": "良好"}],
        "else": "一般",
    }
    scalars, steps = grade_fields(bands)
    assert steps == [{"grade": "优秀", "min": "90"}, {"grade": "良好", "min": "80"}]
    assert grade_rule_from_dict(grade_from_fields(scalars, steps)) == grade_rule_from_dict(bands)
    shares = {"method": "rank_share", "shares": [{"top": "0.3", "grade": "优秀"}], "else": "合格", "pool": "group"}
    scalars, steps = grade_fields(shares)
    assert steps == [{"grade": "优秀", "top": "0.3"}]
    assert grade_rule_from_dict(grade_from_fields(scalars, steps)) == grade_rule_from_dict(shares)
    assert [p.key for p in GRADE_ITEM.fields] == ["grade", "min", "top"]
