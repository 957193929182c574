"""Shipped defaults: three pipelines with stages and requirements, the lost reasons classifier, discount limits."""

from decimal import Decimal

from django.db import migrations

# (name, kind, probability, requirement) per stage; a requirement is (kind, target, label).
PIPELINES = [
    (
        "Новые продажи",
        [
            ("Квалификация", "open", 10, None),
            ("Демонстрация", "open", 30, ("interaction", "demo", "Демонстрация проведена")),
            ("Коммерческое предложение", "open", 50, ("document", "proposal", "КП отправлено")),
            ("Переговоры", "open", 70, None),
            ("Договор", "open", 90, None),
            ("Успешно", "won", 100, None),
            ("Проиграно", "lost", 0, None),
        ],
    ),
    (
        "Повторные продажи",
        [
            ("Потребность", "open", 20, None),
            ("Коммерческое предложение", "open", 50, ("document", "proposal", "КП отправлено")),
            ("Согласование", "open", 70, None),
            ("Счёт выставлен", "open", 90, None),
            ("Успешно", "won", 100, None),
            ("Проиграно", "lost", 0, None),
        ],
    ),
    (
        "Проекты",
        [
            ("Обследование", "open", 10, ("interaction", "meeting", "Встреча проведена")),
            ("Техническое задание", "open", 25, None),
            ("Коммерческое предложение", "open", 40, ("document", "proposal", "КП отправлено")),
            ("Договор", "open", 70, ("document", "contract", "Договор подготовлен")),
            ("Реализация", "open", 90, None),
            ("Успешно", "won", 100, None),
            ("Проиграно", "lost", 0, None),
        ],
    ),
]

LOST_REASONS = "Причины проигрыша"
REASONS = ["Цена", "Выбрали конкурента", "Нет бюджета", "Сроки", "Пропала потребность"]

# Role group names from crm/accounts/roles.py, with the largest discount each may give.
DISCOUNT_LIMITS = {"sales_manager": "10", "team_lead": "15", "head_of_sales": "30", "administrator": "100"}


def create_defaults(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    StageRequirement = apps.get_model("sales", "StageRequirement")
    DiscountLimit = apps.get_model("sales", "DiscountLimit")
    InteractionType = apps.get_model("activities", "InteractionType")
    Classifier = apps.get_model("parties", "Classifier")
    ClassifierNode = apps.get_model("parties", "ClassifierNode")
    Group = apps.get_model("auth", "Group")

    for pipeline_position, (name, stages) in enumerate(PIPELINES, start=1):
        pipeline, created = Pipeline.objects.get_or_create(name=name, defaults={"position": pipeline_position})
        if not created:
            continue
        for position, (stage_name, kind, probability, requirement) in enumerate(stages, start=1):
            stage = Stage.objects.create(
                pipeline=pipeline, name=stage_name, position=position, kind=kind, probability=probability
            )
            if requirement is None:
                continue
            req_kind, target, label = requirement
            if req_kind == "interaction":
                interaction_type = InteractionType.objects.filter(code=target).first()
                if interaction_type is not None:
                    StageRequirement.objects.create(
                        stage=stage, kind=req_kind, interaction_type=interaction_type, label=label
                    )
            else:
                StageRequirement.objects.create(stage=stage, kind=req_kind, document_kind=target, label=label)

    classifier, created = Classifier.objects.get_or_create(
        name=LOST_REASONS, defaults={"description": "Почему сделка проиграна", "position": 100}
    )
    if created:
        for position, reason in enumerate(REASONS, start=1):
            node = ClassifierNode.objects.create(classifier=classifier, name=reason, position=position, path="")
            node.path = f"{node.pk}/"
            node.save(update_fields=["path"])

    for role, percent in DISCOUNT_LIMITS.items():
        group, _created = Group.objects.get_or_create(name=role)
        DiscountLimit.objects.get_or_create(role=group, defaults={"max_percent": Decimal(percent)})


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0001_initial"),
        ("activities", "0002_shipped_interaction_types"),
        ("parties", "0005_party_node_ids"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
