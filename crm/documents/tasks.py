"""Background work of documents: the contract expiry scan runs every hour on the worker."""

from django_tasks import task
from huey import crontab

from crm.core.queue import huey
from crm.documents.reminders import contract_reminders_deliver_due


@task()
def deliver_contract_reminders() -> int:
    """Deliver due contract reminders now (idempotent: safe to run any number of times)."""
    return contract_reminders_deliver_due()


@huey.periodic_task(crontab(minute="5"))
def scan_contract_reminders() -> None:
    # The periodic scan is the safety net: whatever was missed or crashed is picked up here.
    contract_reminders_deliver_due()
