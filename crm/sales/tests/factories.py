"""factory_boy factories of pipelines, stages, deals and their lines."""

from decimal import Decimal

import factory

from crm.catalog.tests.factories import ProductFactory, currency
from crm.parties.tests.factories import PartyFactory, UserFactory
from crm.sales.choices import StageKind
from crm.sales.models import Deal, DealLine, Pipeline, Stage


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Воронка {n}")
    position = factory.Sequence(lambda n: n + 10)


class StageFactory(factory.django.DjangoModelFactory):
    """An open stage placed after the pipeline's earlier ones."""

    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"Этап {n}")
    position = factory.Sequence(lambda n: n + 1)
    kind = StageKind.OPEN
    probability = 10


class WonStageFactory(StageFactory):
    name = factory.Sequence(lambda n: f"Успех {n}")
    position = factory.Sequence(lambda n: 10_000 + n)
    kind = StageKind.WON
    probability = 100


class LostStageFactory(StageFactory):
    name = factory.Sequence(lambda n: f"Провал {n}")
    position = factory.Sequence(lambda n: 20_000 + n)
    kind = StageKind.LOST
    probability = 0


class DealFactory(factory.django.DjangoModelFactory):
    """A deal in RUB with a client of the same owner, in a stage of its own pipeline."""

    class Meta:
        model = Deal
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Сделка {n:04d}")
    owner = factory.SubFactory(UserFactory)
    party = factory.SubFactory(PartyFactory, responsible=factory.SelfAttribute("..owner"))
    pipeline = factory.SubFactory(PipelineFactory)
    stage = factory.SubFactory(StageFactory, pipeline=factory.SelfAttribute("..pipeline"))
    probability = factory.SelfAttribute("stage.probability")
    currency = factory.LazyFunction(currency)


class DealLineFactory(factory.django.DjangoModelFactory):
    """A line of 1 x 1000.00 with VAT 20% included, at the product's cost."""

    class Meta:
        model = DealLine

    deal = factory.SubFactory(DealFactory)
    position = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")
    unit = factory.SelfAttribute("product.unit")
    list_price = Decimal("1000.00")
    discount_percent = Decimal("0")
    price = factory.SelfAttribute("list_price")
    vat_rate = factory.SelfAttribute("product.vat_rate")
    vat_included = True
    cost = factory.SelfAttribute("product.cost")
