"""Competition ranks ("1224"): tied keys share the better rank and the next rank is skipped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

K = TypeVar("K", bound="SupportsRichComparison")
G = TypeVar("G", bound=Hashable)


def competition_ranks(keys: Mapping[str, K], *, higher_better: bool = True) -> dict[str, int]:
    """Rank = 1 + the number of entries strictly better. Keys may be tuples to carry a tie-break."""
    ordered = sorted(keys.items(), key=lambda kv: kv[1], reverse=higher_better)
    ranks: dict[str, int] = {}
    for i, (code, key) in enumerate(ordered):
        previous = ordered[i - 1]
        tied = i > 0 and key == previous[1]
        ranks[code] = ranks[previous[0]] if tied else i + 1
    return ranks


def group_ranks(keys: Mapping[str, K], groups: Mapping[str, G], *, higher_better: bool = True) -> dict[str, int]:
    """Competition ranks computed separately inside each group."""
    by_group: dict[G, dict[str, K]] = defaultdict(dict)
    for code, key in keys.items():
        by_group[groups[code]][code] = key
    ranks: dict[str, int] = {}
    for members in by_group.values():
        ranks.update(competition_ranks(members, higher_better=higher_better))
    return ranks
