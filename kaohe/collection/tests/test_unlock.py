"""Unlocking approved figures (SECURITY.md DI-4, issue 35): a 解锁申请 with a reason, decided by the 考核办 — and
under 四眼原则 never by the one who asked, the office's own initiative included. With the rule switched off the
office unlocks at once, and the change log says it approved its own request."""

from __future__ import annotations

from typing import ClassVar

from django.test import Client

from kaohe.accounts.choices import Role
from kaohe.accounts.models import User
from kaohe.accounts.tests.factories import UserFactory
from kaohe.collection import services
from kaohe.collection.choices import SubmissionStatus
from kaohe.collection.models import Submission
from kaohe.collection.tests.test_workflow import SmallWorld
from kaohe.core.exceptions import ApplicationError
from kaohe.core.models import ChangeLog
from kaohe.schemes import services as schemes

OWN_INITIATIVE = schemes.FOUR_EYES.format(what="解锁")


class UnlockTests(SmallWorld):
    colleague: ClassVar[User]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.colleague = UserFactory.create(role=Role.DISTRICT_ADMIN)

    def approved(self) -> Submission:
        return services.submission_approve(submission=self.submitted(), by=self.reviewer)

    def last_log(self, submission: Submission) -> ChangeLog:
        return ChangeLog.objects.filter(object_type="collection.submission", object_id=str(submission.pk)).latest("id")

    def page(self, user: User, submission: Submission) -> str:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        return client.get(f"/data/submission/{submission.pk}/").content.decode()

    def test_the_office_s_own_unlock_waits_for_a_colleague(self) -> None:
        approved = self.approved()
        with self.assertRaisesMessage(ApplicationError, OWN_INITIATIVE):
            services.submission_unlock(submission=approved, reason="口径更正", by=self.admin)
        self.assertIn('data-testid="unlock-ask"', self.page(self.admin, approved))
        asked = services.submission_unlock_request(submission=approved, reason="口径更正", by=self.admin)
        with self.assertRaisesMessage(ApplicationError, OWN_INITIATIVE):
            services.submission_unlock(submission=asked, by=self.admin)
        with self.assertRaisesMessage(ApplicationError, OWN_INITIATIVE):
            services.submission_unlock_reject(submission=asked, by=self.admin, note="撤回")
        self.assertEqual(Submission.objects.get(pk=approved.pk).status, SubmissionStatus.APPROVED)
        own = self.page(self.admin, asked)
        self.assertIn('data-testid="unlock-own"', own)
        self.assertNotIn('data-testid="unlock-approve"', own)
        self.assertIn('data-testid="unlock-approve"', self.page(self.colleague, asked))

        unlocked = services.submission_unlock(submission=asked, by=self.colleague, note="同意")
        self.assertEqual(unlocked.status, SubmissionStatus.RETURNED)
        self.assertEqual(self.last_log(unlocked).reason, "解锁：口径更正（审批意见：同意）")
        self.assertEqual(self.last_log(unlocked).actor, self.colleague)

    def test_switched_off_the_office_unlocks_at_once_and_the_log_says_so(self) -> None:
        schemes.scheme_four_eyes_set(scheme=self.scheme, on=False, by=self.admin, reason="考核办仅一人")
        approved = self.approved()
        page = self.page(self.admin, approved)
        self.assertIn('data-testid="unlock"', page)
        self.assertNotIn('data-testid="unlock-ask"', page)
        unlocked = services.submission_unlock(submission=approved, reason="口径更正", by=self.admin)
        self.assertEqual(unlocked.status, SubmissionStatus.RETURNED)
        self.assertEqual(self.last_log(unlocked).reason, "解锁：口径更正" + schemes.SELF_APPROVED)

        again = services.submission_approve(submission=services.submission_submit(submission=unlocked, by=self.clerk),
                                            by=self.reviewer)  # fmt: skip
        asked = services.submission_unlock_request(submission=again, reason="补报佐证", by=self.admin)
        services.submission_unlock(submission=asked, by=self.admin)
        self.assertEqual(self.last_log(asked).reason, "解锁：补报佐证" + schemes.SELF_APPROVED)

    def test_a_township_s_request_is_rejected_with_a_note_and_stays_locked(self) -> None:
        asked = services.submission_unlock_request(submission=self.approved(), reason="多报了", by=self.clerk)
        with self.assertRaisesMessage(ApplicationError, "请填写驳回原因"):
            services.submission_unlock_reject(submission=asked, by=self.admin, note=" ")
        with self.assertRaisesMessage(ApplicationError, services.NOT_UNLOCKER):
            services.submission_unlock_reject(submission=asked, by=self.reviewer, note="不同意")
        kept = services.submission_unlock_reject(submission=asked, by=self.admin, note="依据不足")
        self.assertEqual((kept.status, kept.unlock_requested_by), (SubmissionStatus.APPROVED, None))
        row = self.last_log(kept)
        self.assertEqual((row.action, row.reason, row.before), ("return", "驳回解锁申请：依据不足",
                                                                {"unlock_reason": "多报了"}))  # fmt: skip
        with self.assertRaisesMessage(ApplicationError, services.NO_UNLOCK_REQUEST):
            services.submission_unlock_reject(submission=kept, by=self.admin, note="再次")
        # The clerk may ask again, and sees the button to do it.
        self.assertIn('data-testid="unlock-ask"', self.page(self.clerk, kept))
