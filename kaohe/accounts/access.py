"""Gatekeepers: the one way views reach a single object. Out of scope answers 404, never 403."""

from __future__ import annotations

from django.http import Http404

from kaohe.collection.models import Submission
from kaohe.org.models import Unit
from kaohe.schemes.models import Indicator, ItemRecord, Target, TargetAdjustment

from .models import User
from .permissions import role_has

NOT_FOUND = "页面不存在或您无权访问。"

# What may be done to a submission, and the permission each needs.
SUBMISSION_ACTIONS = {"view": "data.view", "enter": "data.enter", "review": "data.review", "unlock": "data.unlock"}


def access_unit(user: User, code: str, action: str = "view") -> Unit:
    """The unit with this code if `user` may `action` it; 404 otherwise (also for unknown codes)."""
    if action != "view":
        raise Http404(NOT_FOUND)
    try:
        return Unit.objects.visible_to(user).select_related("parent", "group").get(code=code)
    except Unit.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def access_submission(user: User, submission_id: int, action: str = "view") -> Submission:
    """A submission whose unit the user may see, if his role may `action` it; 404 otherwise.

    Scope is the unit (a township user reaches his own township's submissions only); what he may then do
    with it (edit as its owner, review, unlock) is decided by the services, which refuse with a reason.
    """
    _check_action(user, action, SUBMISSION_ACTIONS)
    visible = Unit.objects.visible_to(user)
    try:
        return Submission.objects.select_related("scheme", "unit", "owner", "submitted_by", "reviewed_by").get(
            pk=submission_id, unit__in=visible
        )
    except Submission.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def access_user(user: User, pk: int, action: str = "manage") -> User:
    """Accounts are managed by the security admin only (三员分立)."""
    if not role_has(user.role, "users.manage"):
        raise Http404(NOT_FOUND)
    try:
        return User.objects.select_related("unit", "department").get(pk=pk)
    except User.DoesNotExist:
        raise Http404(NOT_FOUND) from None


# The scheme's objects belong to one township through their target or record; a township user reaches his own
# township's only. Each action needs its permission as well, so a request for a deciding action by a user who may
# only view answers 404 like an object out of scope.
_INDICATOR_ACTIONS = {"view": "scheme.view", "manage": "scheme.manage"}
_TARGET_ACTIONS = {"view": "scheme.view", "adjust": "target.adjust"}
_ADJUSTMENT_ACTIONS = {"view": "scheme.view", "decide": "target.decide"}
_ITEM_ACTIONS = {"view": "scheme.view", "decide": "items.decide"}


def _check_action(user: User, action: str, actions: dict[str, str]) -> None:
    permission = actions.get(action)
    if permission is None or not role_has(user.role, permission):
        raise Http404(NOT_FOUND)


def access_indicator(user: User, indicator_id: int, action: str = "view") -> Indicator:
    """An indicator of any year's scheme (indicators belong to the district, not to one township)."""
    _check_action(user, action, _INDICATOR_ACTIONS)
    try:
        return Indicator.objects.select_related("scheme", "category", "owner").get(pk=indicator_id)
    except Indicator.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def access_target(user: User, target_id: int, action: str = "view") -> Target:
    """A target whose unit the user may see; 404 otherwise."""
    _check_action(user, action, _TARGET_ACTIONS)
    try:
        return Target.objects.select_related("indicator__scheme", "indicator__category", "unit").get(
            pk=target_id, unit__in=Unit.objects.visible_to(user)
        )
    except Target.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def access_adjustment(user: User, adjustment_id: int, action: str = "view") -> TargetAdjustment:
    """A target adjustment whose target's unit the user may see; 404 otherwise."""
    _check_action(user, action, _ADJUSTMENT_ACTIONS)
    try:
        return TargetAdjustment.objects.select_related(
            "target__indicator__scheme", "target__unit", "requested_by", "decided_by"
        ).get(pk=adjustment_id, target__unit__in=Unit.objects.visible_to(user))
    except TargetAdjustment.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def access_item_record(user: User, record_id: int, action: str = "view") -> ItemRecord:
    """A bonus/deduction/veto record whose unit the user may see; 404 otherwise."""
    _check_action(user, action, _ITEM_ACTIONS)
    try:
        return ItemRecord.objects.select_related("item_type__scheme", "unit").get(
            pk=record_id, unit__in=Unit.objects.visible_to(user)
        )
    except ItemRecord.DoesNotExist:
        raise Http404(NOT_FOUND) from None
