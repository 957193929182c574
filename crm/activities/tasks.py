"""Background work of activities: the reminder scan runs every minute on the worker."""

from django_tasks import task
from huey import crontab

from crm.activities.reminders import reminders_deliver_due
from crm.core.queue import huey


@task()
def deliver_reminders() -> int:
    """Deliver due reminders now (idempotent: safe to run any number of times)."""
    return reminders_deliver_due()


@huey.periodic_task(crontab(minute="*"))
def scan_reminders() -> None:
    # The periodic scan is the safety net: whatever was missed or crashed is picked up here.
    reminders_deliver_due()
