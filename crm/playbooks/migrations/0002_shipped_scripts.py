"""Shipped examples: «Первый звонок» for calls and «Демонстрация» for the stage of the default pipeline (S13).

Each step is (key, title, text, [(answer, next step key or None, outcome or "")]).
"""

from django.db import migrations

FIRST_CALL = [
    (
        "greeting",
        "Приветствие",
        "Здравствуйте! Меня зовут …, компания … . Мы помогаем таким компаниям, как ваша, … . "
        "Вам удобно говорить пару минут?",
        [("Да, удобно", "need", ""), ("Сейчас неудобно", None, "call_back"), ("Не интересно", None, "refused")],
    ),
    (
        "need",
        "Выявление потребности",
        "Как вы сейчас решаете задачу …? Что в этом хотелось бы улучшить? Кто у вас принимает решение о закупке "
        "и в какие сроки?",
        [
            ("Есть интерес, расскажите подробнее", "meeting", ""),
            ("Дорого", "expensive", ""),
            ("Уже есть поставщик", "supplier", ""),
            ("Пришлите КП на почту", "proposal", ""),
        ],
    ),
    (
        "expensive",
        "Возражение «дорого»",
        "Понимаю. С чем вы сравниваете? Давайте посчитаем не цену, а итог: сроки, качество, затраты на замену и "
        "простой. Что для вас сейчас важнее всего — цена, сроки или надёжность?",
        [("Готовы обсудить", "meeting", ""), ("Всё равно дорого", None, "refused")],
    ),
    (
        "supplier",
        "Возражение «уже есть поставщик»",
        "Отлично, значит, вы знаете, что вам нужно. Многие наши клиенты тоже работали с другими поставщиками и "
        "держат нас как второй источник: для сравнения цен и на случай сбоев. Что бы вы хотели улучшить у "
        "нынешнего поставщика?",
        [("Есть что улучшить", "meeting", ""), ("Всё устраивает", None, "call_back")],
    ),
    (
        "proposal",
        "Возражение «пришлите КП на почту»",
        "С удовольствием пришлю. Чтобы предложение было точным, уточню: какие объёмы, сроки, кто будет его "
        "смотреть? Может быть, проще обсудить это за 15 минут на встрече — я покажу варианты сразу?",
        [("Давайте встретимся", "meeting", ""), ("Нет, только КП", None, "send_proposal")],
    ),
    (
        "meeting",
        "Предложение встречи",
        "Предлагаю встретиться (или созвониться по видео) на 30 минут и показать решение на ваших задачах. "
        "Вам удобнее в четверг в 11:00 или в пятницу в 15:00?",
        [
            ("Договорились", None, "meeting"),
            ("Перезвоните позже", None, "call_back"),
            ("Отказ", None, "refused"),
        ],
    ),
]

DEMONSTRATION = [
    (
        "start",
        "Начало демонстрации",
        "Напомните цель встречи, участников и время (30–40 минут). Спросите: что для вас главное увидеть сегодня?",
        [("Назвали задачи", "show", ""), ("Времени мало, покажите коротко", "show", "")],
    ),
    (
        "show",
        "Показ",
        "Покажите 2–3 сценария, которые решают названные задачи, на данных клиента. После каждого спросите: "
        "«Это похоже на то, как вы работаете?»",
        [("Всё понятно, нравится", "next", ""), ("Вопросы по цене", "price", ""), ("Не подходит", None, "refused")],
    ),
    (
        "price",
        "Возражение «дорого»",
        "Уточните, с чем сравнивают. Покажите, что клиент сэкономит или заработает. Предложите пилот или "
        "поэтапное внедрение.",
        [("Согласны на пилот", None, "agreed"), ("Нужно подумать", None, "call_back")],
    ),
    (
        "next",
        "Следующий шаг",
        "Договоритесь о конкретном следующем шаге: коммерческое предложение, пилот, встреча с руководителем. "
        "Кто ещё участвует в решении?",
        [
            ("Ждём КП", None, "send_proposal"),
            ("Готовы двигаться дальше", None, "agreed"),
            ("Подумаем", None, "call_back"),
        ],
    ),
]


def _create(apps, name, description, steps, stage=None, interaction_type=None):
    Script = apps.get_model("playbooks", "Script")
    Step = apps.get_model("playbooks", "Step")
    Answer = apps.get_model("playbooks", "Answer")
    if Script.objects.filter(name=name).exists():
        return
    script = Script.objects.create(
        name=name, description=description, stage=stage, interaction_type=interaction_type, is_active=True
    )
    created = {}
    for position, (key, title, text, _answers) in enumerate(steps, start=1):
        created[key] = Step.objects.create(script=script, title=title, text=text, position=position * 10)
    for key, _title, _text, answers in steps:
        for position, (label, target, outcome) in enumerate(answers, start=1):
            Answer.objects.create(
                step=created[key],
                label=label,
                next_step=created[target] if target else None,
                outcome=outcome,
                position=position * 10,
            )
    script.start_step = created[steps[0][0]]
    script.save(update_fields=["start_step"])


def create_scripts(apps, schema_editor):
    InteractionType = apps.get_model("activities", "InteractionType")
    Stage = apps.get_model("sales", "Stage")
    call = InteractionType.objects.filter(code="call").first()
    if call is not None:
        _create(
            apps,
            "Первый звонок",
            "Холодный или первый звонок новому клиенту: приветствие, выявление потребности, ответы на частые "
            "возражения и договорённость о встрече.",
            FIRST_CALL,
            interaction_type=call,
        )
    stage = Stage.objects.filter(pipeline__name="Новые продажи", name="Демонстрация").first()
    if stage is not None:
        _create(
            apps,
            "Демонстрация",
            "Демонстрация решения клиенту: цели встречи, показ на задачах клиента, вопросы о цене и следующий шаг.",
            DEMONSTRATION,
            stage=stage,
            interaction_type=InteractionType.objects.filter(code="demo").first(),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("playbooks", "0001_initial"),
        ("activities", "0002_shipped_interaction_types"),
        ("sales", "0002_shipped_pipelines"),
    ]
    operations = [migrations.RunPython(create_scripts, migrations.RunPython.noop)]
