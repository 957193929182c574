"""Delivery of due reminders (S20): to the bell and by e-mail, exactly once per reminder.

Rows are claimed one at a time, just before delivery, under a time-limited lease
(CRM_REMINDER_LEASE_SECONDS) and committed after each side effect, so a worker killed at any
moment loses nothing: an expired lease makes the row claimable again. A lease covers one
delivery, not a whole batch: a batch slower than the lease would be taken over and mailed again
by another worker's pass, and a stuck worker would hold back reminders others could deliver.
The bell message is idempotent by its unique key; an e-mail can be repeated only if the worker
dies between the mail server's acceptance and the commit of `emailed_at`.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.activities.choices import ReminderState
from crm.activities.models import Notification, Reminder

logger = logging.getLogger(__name__)


def _claim_next(now: datetime.datetime, tried: list[int]) -> int | None:
    """Lease the next reminder due by `now` that no other worker holds (and this pass has not tried)."""
    with transaction.atomic():
        due = Reminder.objects.filter(state=ReminderState.PENDING, remind_at__lte=now).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        pk = due.exclude(pk__in=tried).order_by("remind_at", "pk").values_list("pk", flat=True).first()
        if pk is not None:
            lease = datetime.timedelta(seconds=settings.CRM_REMINDER_LEASE_SECONDS)
            Reminder.objects.filter(pk=pk).update(
                lease_until=max(now, timezone.now()) + lease, attempts=F("attempts") + 1
            )
    return pk


def _deliver(reminder: Reminder) -> None:
    task, user = reminder.task, reminder.user
    url = reverse("activities:task-detail", args=[task.pk])
    with translation.override(user.language):
        title = _("Reminder: %(title)s, due %(due)s") % {
            "title": task.title,
            "due": timezone.localtime(task.due_at).strftime("%d.%m.%Y %H:%M"),
        }
        with transaction.atomic():
            Notification.objects.get_or_create(
                user=user, key=f"reminder:{task.pk}", defaults={"title": title[:300], "url": url}
            )
            Reminder.objects.filter(pk=reminder.pk).update(notified_at=timezone.now())
        if user.email and reminder.emailed_at is None:
            body = "\n".join(
                filter(None, [title, task.party.name if task.party else "", task.description, _absolute(url)])
            )
            send_mail(subject=title[:200], message=body, from_email=None, recipient_list=[user.email])
        with transaction.atomic():
            Reminder.objects.filter(pk=reminder.pk).update(
                state=ReminderState.SENT, emailed_at=timezone.now() if user.email else None, lease_until=None
            )


def _absolute(path: str) -> str:
    base = settings.CRM_BASE_URL
    return f"{base}{path}" if base else path


def reminders_deliver_due(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Deliver every reminder due by `now`; returns how many were delivered."""
    now = now or timezone.now()
    delivered = 0
    tried: list[int] = []
    while len(tried) < limit and (pk := _claim_next(now, tried)) is not None:
        tried.append(pk)
        reminder = Reminder.objects.select_related("task__party", "user").get(pk=pk)
        if reminder.state != ReminderState.PENDING:
            continue
        try:
            _deliver(reminder)
        except Exception:
            # The lease expires and another pass retries; the bell message is not duplicated.
            logger.exception("Reminder %s could not be delivered", pk)
            continue
        delivered += 1
    return delivered
