"""Delivery of contract expiry reminders (S20): to the owner's bell and by e-mail, exactly once per expiry date.

The same scheme as task reminders in crm.activities.reminders: rows are claimed one at a time, just before
delivery, under a time-limited lease (CRM_REMINDER_LEASE_SECONDS) and committed after each side effect, so a
worker killed at any moment loses nothing, an expired lease makes the row claimable again, and a pass slower
than one lease is never taken over and mailed again. The bell message is idempotent by its unique key.
"""

import datetime
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from crm.documents.choices import ContractStatus, ReminderState
from crm.documents.models import ContractReminder
from crm.documents.services import contracts_mark_expired, notify

logger = logging.getLogger(__name__)


def _claim(now: datetime.datetime, limit: int, tried: Sequence[int] = ()) -> list[int]:
    """Lease up to `limit` reminders due by `now` that no other worker holds (and this pass has not tried)."""
    today = timezone.localdate(now)
    with transaction.atomic():
        due = ContractReminder.objects.filter(state=ReminderState.PENDING, remind_on__lte=today).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.exclude(pk__in=tried).order_by("remind_on", "pk").values_list("pk", flat=True)[:limit])
        lease = datetime.timedelta(seconds=settings.CRM_REMINDER_LEASE_SECONDS)
        ContractReminder.objects.filter(pk__in=ids).update(
            lease_until=max(now, timezone.now()) + lease, attempts=F("attempts") + 1
        )
    return ids


def _absolute(path: str) -> str:
    base = settings.CRM_BASE_URL
    return f"{base}{path}" if base else path


def _deliver(reminder: ContractReminder) -> None:
    contract, user = reminder.contract, reminder.contract.owner
    url = reverse("documents:contract-detail", args=[contract.pk])
    with translation.override(user.language):
        title = _("Contract %(number)s with %(client)s expires on %(date)s") % {
            "number": contract.number,
            "client": contract.party.name,
            "date": formats.date_format(reminder.due_on, "SHORT_DATE_FORMAT"),
        }
        with transaction.atomic():
            notify(user=user, key=f"contract:{contract.pk}:{reminder.due_on.isoformat()}", title=title, url=url)
            ContractReminder.objects.filter(pk=reminder.pk).update(notified_at=timezone.now())
        if user.email and reminder.emailed_at is None:
            send_mail(subject=title[:200], message=f"{title}\n{_absolute(url)}", from_email=None,
                      recipient_list=[user.email])  # fmt: skip
        with transaction.atomic():
            ContractReminder.objects.filter(pk=reminder.pk).update(
                state=ReminderState.SENT, emailed_at=timezone.now() if user.email else None, lease_until=None
            )


def contract_reminders_deliver_due(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Deliver every contract reminder due by `now` and expire overdue contracts; returns how many were delivered."""
    now = now or timezone.now()
    delivered = 0
    tried: list[int] = []
    while len(tried) < limit and (claimed := _claim(now, 1, tried)):
        pk = claimed[0]
        tried.append(pk)
        reminder = ContractReminder.objects.select_related("contract__party", "contract__owner").get(pk=pk)
        if reminder.state != ReminderState.PENDING:
            continue
        if reminder.contract.status != ContractStatus.ACTIVE or reminder.contract.ends_on != reminder.due_on:
            ContractReminder.objects.filter(pk=pk).update(state=ReminderState.CANCELLED, lease_until=None)
            continue
        try:
            _deliver(reminder)
        except Exception:
            # The lease expires and another pass retries; the bell message is not duplicated.
            logger.exception("Contract reminder %s could not be delivered", pk)
            continue
        delivered += 1
    contracts_mark_expired(today=timezone.localdate(now))
    return delivered
