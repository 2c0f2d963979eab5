"""Ordering rows that name each other: a parent before its children, whatever order a file lists them in."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def parents_first(items: Iterable[T], key: Callable[[T], K], parent: Callable[[T], K | None]) -> list[T]:
    """Every item once, each after the item its `parent` names when that is among `items` (depth first, otherwise
    in the given order). A cycle is broken where it closes: its items come in the given order, and whoever
    writes them refuses what does not fit."""
    listed = list(items)
    by_key = {key(item): item for item in listed}
    out: list[T] = []
    placed: set[K] = set()

    def place(item: T, path: frozenset[K]) -> None:
        k = key(item)
        if k in placed or k in path:
            return
        above = parent(item)
        if above is not None and above in by_key:
            place(by_key[above], path | {k})
        placed.add(k)
        out.append(item)

    for item in listed:
        place(item, frozenset())
    return out
