"""Reads of the org tree, always through `visible_to(user)`."""

from __future__ import annotations

from dataclasses import dataclass, field

from kaohe.accounts.models import User

from .choices import UnitKind
from .models import Department, Unit, UnitGroup


@dataclass
class TreeNode:
    unit: Unit
    children: list[TreeNode] = field(default_factory=list)


def org_tree(*, user: User) -> list[TreeNode]:
    """The part of the org tree the user may see, as nested nodes (one query)."""
    units = list(Unit.objects.visible_to(user).select_related("group").order_by("sort_order", "code"))
    nodes = {u.pk: TreeNode(u) for u in units}
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id) if node.unit.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def org_groups(*, user: User) -> list[tuple[UnitGroup, list[Unit]]]:
    units = Unit.objects.visible_to(user).assessed().select_related("group")
    by_group: dict[int | None, list[Unit]] = {}
    for unit in units:
        by_group.setdefault(unit.group_id, []).append(unit)
    return [(g, by_group.get(g.pk, [])) for g in UnitGroup.objects.all() if g.pk in by_group]


def org_departments() -> list[Department]:
    return list(Department.objects.all())


def org_counts() -> dict[str, int]:
    """How many units of each kind the district has (for the admin's home page)."""
    counts = {kind: 0 for kind in UnitKind.values}
    for kind in Unit.objects.values_list("kind", flat=True):
        counts[kind] += 1
    return counts
