"""factory_boy factories of clients, their contacts and classifiers, with requisites that pass the checksums."""

import factory
from django.utils import timezone

from crm.accounts.models import User
from crm.core.phones import national_digits
from crm.parties.choices import ContactKind, LegalForm, PartyKind
from crm.parties.models import Classifier, ClassifierNode, ContactPoint, CustomField, Party, PartyContact

VALID_INN = "7707083893"
VALID_KPP = "770701001"
VALID_OGRN = "1027700132195"
VALID_BIK = "044525225"
VALID_ACCOUNT = "40702810938000000001"
VALID_CORRESPONDENT_ACCOUNT = "30101810400000000225"
VALID_PERSON_INN = "500100732259"


def inn_for(number: int) -> str:
    """A distinct legal entity's INN with a correct check digit, so factories do not look like duplicates."""
    digits = f"77{number % 10**7:07d}"
    check = sum(int(d) * w for d, w in zip(digits, [2, 4, 10, 3, 5, 9, 4, 6, 8], strict=True)) % 11 % 10
    return f"{digits}{check}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Тест"
    last_name = factory.Sequence(lambda n: f"Пользователь{n}")


class PartyFactory(factory.django.DjangoModelFactory):
    """A legal entity (organisation) with valid requisites."""

    class Meta:
        model = Party

    kind = PartyKind.ORGANIZATION
    legal_form = LegalForm.OOO
    name = factory.Sequence(lambda n: f"ООО Клиент {n:04d}")
    inn = factory.Sequence(lambda n: inn_for(n + 1))
    kpp = VALID_KPP
    region = "Москва"
    search_name = factory.LazyAttribute(lambda p: p.name.casefold())
    responsible = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("responsible")


class PersonFactory(PartyFactory):
    """An individual, e.g. a contact person; the name is derived from the parts as the model does."""

    kind = PartyKind.PERSON
    legal_form = ""  # type: ignore[assignment]
    inn = ""
    kpp = ""
    last_name = factory.Sequence(lambda n: f"Иванов{n}")
    first_name = "Иван"
    middle_name = "Иванович"
    name = factory.LazyAttribute(lambda p: " ".join(x for x in (p.last_name, p.first_name, p.middle_name) if x))
    birthday_key = factory.LazyAttribute(lambda p: p.birthday.month * 100 + p.birthday.day if p.birthday else None)
    birthday = None


class ContactPointFactory(factory.django.DjangoModelFactory):
    """A phone by default, stored as the services store it (E.164 value, national digits as key)."""

    class Meta:
        model = ContactPoint

    party = factory.SubFactory(PartyFactory)
    kind = ContactKind.PHONE
    value = factory.Sequence(lambda n: f"+7916{n % 10**7:07d}")
    search_key = factory.LazyAttribute(
        lambda p: national_digits(p.value) if p.kind == ContactKind.PHONE else p.value.lower()
    )
    confirmed_at = factory.LazyFunction(timezone.now)


class EmailPointFactory(ContactPointFactory):
    kind = ContactKind.EMAIL
    value = factory.Sequence(lambda n: f"client{n}@example.com")


class PartyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyContact

    organization = factory.SubFactory(PartyFactory)
    person = factory.SubFactory(PersonFactory, responsible=factory.SelfAttribute("..organization.responsible"))
    position = "Директор"


class ClassifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classifier

    name = factory.Sequence(lambda n: f"Классификатор {n}")


class ClassifierNodeFactory(factory.django.DjangoModelFactory):
    """A node with its materialised path, as classifier_node_create computes it."""

    class Meta:
        model = ClassifierNode
        skip_postgeneration_save = True

    classifier = factory.SubFactory(ClassifierFactory)
    parent = None
    name = factory.Sequence(lambda n: f"Узел {n}")

    @factory.post_generation
    def set_path(self, create: bool, extracted: object, **kwargs: object) -> None:
        self.path = f"{self.parent.path if self.parent else ''}{self.pk}/"
        self.depth = self.parent.depth + 1 if self.parent else 0
        if create:
            self.save(update_fields=["path", "depth"])


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomField

    target = "organization"
    key = factory.Sequence(lambda n: f"field{n}")
    label = factory.Sequence(lambda n: f"Поле {n}")
    field_type = "text"
