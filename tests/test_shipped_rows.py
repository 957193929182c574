"""What the data migrations ship comes back after a flush (transactional tests, `manage.py flush`)."""

import pytest
from django.core.management import call_command

from crm.activities.models import InteractionType
from crm.catalog.models import Currency
from crm.documents.models import DocumentTemplate
from crm.playbooks.models import Script
from crm.sales.models import Pipeline


def shipped() -> dict[str, int]:
    return {
        "currencies": Currency.objects.count(),
        "interaction types": InteractionType.objects.count(),
        "pipelines": Pipeline.objects.count(),
        "templates": DocumentTemplate.objects.count(),
        "scripts": Script.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_a_flush_brings_back_the_shipped_rows() -> None:
    before = shipped()
    assert all(before.values()), before

    call_command("flush", interactive=False, verbosity=0)

    assert shipped() == before


@pytest.mark.django_db(transaction=True)
def test_a_deleted_shipped_row_stays_deleted_after_migrate() -> None:
    Pipeline.objects.filter(name="Проекты").delete()

    call_command("migrate", verbosity=0)

    assert not Pipeline.objects.filter(name="Проекты").exists()
