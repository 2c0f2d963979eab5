"""parents_first: a parent before its children whatever the file's order; cycles and strangers left as given."""

from __future__ import annotations

from kaohe.lib.order import parents_first

Row = tuple[str, str | None]


def order(rows: list[Row]) -> list[str]:
    return [k for k, _ in parents_first(rows, key=lambda r: r[0], parent=lambda r: r[1])]


def test_children_listed_before_their_parents_come_after_them() -> None:
    assert order([("village", "town"), ("town", "district"), ("district", None)]) == ["district", "town", "village"]


def test_rows_without_a_listed_parent_keep_their_order() -> None:
    assert order([("b", None), ("a", "elsewhere"), ("c", None)]) == ["b", "a", "c"]


def test_a_cycle_is_kept_whole_in_the_given_order() -> None:
    assert order([("a", "b"), ("b", "a"), ("c", "a")]) == ["b", "a", "c"]
