"""Factories for collection: a monthly submission and its figures, made through `collection.services` as the
owner makes them (the owner's permission, the quality checks, the engine's check and the change log included).

scheme = published(scheme)                       # kaohe.schemes.tests.factories
draft = SubmissionFactory(scheme=scheme, unit=town, month=9)
ValueFactory(submission=draft, indicator=gdp, amount=Decimal("1234.5"))
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from factory.base import Factory

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.collection import services
from kaohe.collection.models import Submission, Value


class SubmissionFactory(Factory[Submission]):
    """The (unit, month, owner) submission of a published scheme; owner=None (the default) is the self-report."""

    class Meta:
        model = Submission

    month = 1
    owner = None

    @classmethod
    def _create(cls, model_class: type[Submission], *args: Any, **kwargs: Any) -> Submission:
        return services.submission_open(**kwargs)


def owner_of(submission: Submission) -> User:
    """A new account of the submission's data owner: the township's clerk, or the department's officer."""
    if submission.owner_id is None:
        return UserFactory.create(role=Role.TOWNSHIP_CLERK, unit=submission.unit)
    return UserFactory.create(role=Role.DEPT_OFFICER, department=submission.owner)


class ValueFactory(Factory[Value]):
    """One figure saved into its submission by the data owner (`by`, or a new account of the owner)."""

    class Meta:
        model = Value

    amount = Decimal(0)

    @classmethod
    def _create(
        cls, model_class: type[Value], *args: Any, submission: Submission, indicator: Any, amount: Decimal,
        by: User | None = None, is_revision: bool = False, note: str = "",
    ) -> Value:  # fmt: skip
        saved = services.values_save(
            submission=submission, changes={indicator.code: services.Change(amount, is_revision, note)},
            by=by or owner_of(submission), expected_version=None,
        )  # fmt: skip
        return saved.values.get(indicator=indicator)
