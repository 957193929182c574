import pytest
from django.core.exceptions import ValidationError

from crm.accounts.models import User
from crm.activities.models import ActivityEvent, Interaction, InteractionType
from crm.parties.models import Party
from crm.playbooks import services
from crm.playbooks.choices import RunStatus
from crm.playbooks.models import Script, ScriptEvent, ScriptRun
from crm.playbooks.tests.conftest import Call, build_call_script
from crm.sales.models import Deal, DealEvent, DealInteraction


def test_the_branch_taken_is_recorded_in_order(manager: User, party: Party, call_script: Call) -> None:
    run = services.run_start(actor=manager, script=call_script.script, party=party)
    assert run.current_step == call_script.greeting

    services.run_choose(actor=manager, run=run, answer=call_script.yes)
    services.run_choose(actor=manager, run=run, answer=call_script.expensive)
    services.run_choose(actor=manager, run=run, answer=call_script.convinced)

    run.refresh_from_db()
    assert run.path == [
        {"step": call_script.greeting.pk, "title": "Приветствие", "answer": call_script.yes.pk, "label": "Да"},
        {"step": call_script.need.pk, "title": "Потребность", "answer": call_script.expensive.pk, "label": "Дорого"},
        {"step": call_script.objection.pk, "title": "Дорого", "answer": call_script.convinced.pk, "label": "Убедили"},
    ]
    assert run.branch == "Приветствие: Да → Потребность: Дорого → Дорого: Убедили"
    assert (run.current_step_id, run.outcome, run.status) == (None, "meeting", RunStatus.OPEN)


def test_going_back_returns_to_the_step_of_the_last_answer(manager: User, party: Party, call_script: Call) -> None:
    run = services.run_start(actor=manager, script=call_script.script, party=party)
    services.run_choose(actor=manager, run=run, answer=call_script.yes)
    services.run_choose(actor=manager, run=run, answer=call_script.interested)

    services.run_back(actor=manager, run=run)

    run.refresh_from_db()
    assert (run.current_step, run.outcome, run.branch) == (call_script.need, "", "Приветствие: Да")
    assert [entry["answer"] for entry in run.path] == [call_script.yes.pk]
    services.run_back(actor=manager, run=run)
    with pytest.raises(ValidationError, match="nothing to go back to"):
        services.run_back(actor=manager, run=run)
    run.refresh_from_db()
    assert (run.current_step, run.path) == (call_script.greeting, [])


def test_an_answer_of_another_step_is_refused(manager: User, party: Party, call_script: Call) -> None:
    run = services.run_start(actor=manager, script=call_script.script, party=party)
    with pytest.raises(ValidationError, match="another step"):
        services.run_choose(actor=manager, run=run, answer=call_script.convinced)
    run.refresh_from_db()
    assert (run.current_step, run.path) == (call_script.greeting, [])


def test_finishing_logs_the_interaction_and_keeps_the_branch_with_it(
    manager: User, party: Party, call_script: Call
) -> None:
    call = InteractionType.objects.get(code="call")
    run = services.run_start(actor=manager, script=call_script.script, party=party)
    services.run_choose(actor=manager, run=run, answer=call_script.yes)
    services.run_choose(actor=manager, run=run, answer=call_script.interested)

    services.run_finish(actor=manager, run=run, type=call, duration_minutes=7, subject="Первый звонок", result="Ок")

    interaction = Interaction.objects.get()
    assert (interaction.party, interaction.type, interaction.author, interaction.duration_minutes) == (
        party,
        call,
        manager,
        7,
    )
    assert (interaction.subject, interaction.result) == ("Первый звонок", "Ок")
    assert ActivityEvent.objects.filter(interaction=interaction, kind=ActivityEvent.Kind.CREATED).count() == 1
    saved = ScriptRun.objects.get(interaction=interaction)
    assert saved.pk == run.pk
    assert (saved.outcome, saved.status, saved.branch) == (
        "meeting",
        RunStatus.FINISHED,
        "Приветствие: Да → Потребность: Интересно",
    )
    assert saved.finished_at is not None
    assert len(saved.path) == 2
    with pytest.raises(ValidationError, match="already over"):
        services.run_choose(actor=manager, run=saved, answer=call_script.yes)


def test_finishing_midway_needs_an_outcome_and_changes_nothing_without_it(
    manager: User, party: Party, call_script: Call
) -> None:
    call = InteractionType.objects.get(code="call")
    run = services.run_start(actor=manager, script=call_script.script, party=party)
    services.run_choose(actor=manager, run=run, answer=call_script.yes)

    with pytest.raises(ValidationError, match="how the conversation ended"):
        services.run_finish(actor=manager, run=run, type=call)
    assert Interaction.objects.count() == 0

    services.run_finish(actor=manager, run=run, type=call, outcome="refused")
    run.refresh_from_db()
    assert (run.outcome, run.status, run.interaction) == ("refused", RunStatus.FINISHED, Interaction.objects.get())


def test_a_run_from_a_deal_links_the_interaction_to_the_deal(
    manager: User, party: Party, deal: Deal, call_script: Call
) -> None:
    demo = InteractionType.objects.get(code="demo")
    run = services.run_start(actor=manager, script=call_script.script, party=party, deal=deal)
    services.run_choose(actor=manager, run=run, answer=call_script.busy)

    services.run_finish(actor=manager, run=run, type=demo)

    interaction = Interaction.objects.get()
    assert DealInteraction.objects.filter(deal=deal, interaction=interaction).count() == 1
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.INTERACTION_LOGGED).count() == 1
    run.refresh_from_db()
    assert (run.deal, run.interaction, run.outcome) == (deal, interaction, "call_back")


def test_a_deal_of_another_client_is_refused(manager: User, deal: Deal, call_script: Call) -> None:
    from crm.parties.tests.factories import PartyFactory

    other = PartyFactory(responsible=manager, name="ООО Другая")
    with pytest.raises(ValidationError, match="another client"):
        services.run_start(actor=manager, script=call_script.script, party=other, deal=deal)


def test_abandoning_closes_the_run_without_a_contact(manager: User, party: Party, call_script: Call) -> None:
    run = services.run_start(actor=manager, script=call_script.script, party=party)
    services.run_abandon(actor=manager, run=run)
    run.refresh_from_db()
    assert (run.status, run.interaction) == (RunStatus.ABANDONED, None)
    assert Interaction.objects.count() == 0


# The steps graph


def test_a_complete_script_passes_the_check(call_script: Call) -> None:
    check = services.script_check(call_script.script)
    assert (check.errors, check.warnings) == ([], [])


def test_an_answer_cannot_lead_to_a_step_of_another_script(administrator: User, call_script: Call) -> None:
    other = build_call_script(administrator, name="Другой")
    with pytest.raises(ValidationError, match="same script") as error:
        services.answer_create(actor=administrator, step=call_script.need, label="X", next_step=other.greeting)
    assert list(error.value.message_dict) == ["next_step"]
    assert call_script.need.answers.count() == 2


def test_a_loop_is_refused_with_a_clear_message(administrator: User, call_script: Call) -> None:
    with pytest.raises(ValidationError) as error:
        services.answer_create(
            actor=administrator, step=call_script.objection, label="Вернуться", next_step=call_script.greeting
        )
    assert error.value.message_dict == {
        "next_step": [
            "Step “Приветствие” leads back to “Дорого”: the script would go round in a loop. "
            "Scripts must always come to an end; choose a later step or an outcome."
        ]
    }
    with pytest.raises(ValidationError, match="loop"):
        services.answer_update(
            actor=administrator, answer=call_script.interested, label="Сам на себя", next_step=call_script.need,
            outcome="", position=0,
        )  # fmt: skip
    call_script.interested.refresh_from_db()
    assert (call_script.interested.next_step, call_script.interested.outcome) == (None, "meeting")


def test_an_answer_leads_to_a_step_or_an_outcome_not_both(administrator: User, call_script: Call) -> None:
    with pytest.raises(ValidationError, match="either"):
        services.answer_create(
            actor=administrator, step=call_script.need, label="X", next_step=call_script.objection, outcome="refused"
        )
    with pytest.raises(ValidationError, match="either"):
        services.answer_create(actor=administrator, step=call_script.need, label="X")


def test_unreachable_steps_and_dead_ends_are_warned(administrator: User, call_script: Call) -> None:
    services.step_create(actor=administrator, script=call_script.script, title="Забытый шаг")
    check = services.script_check(call_script.script)
    assert check.errors == []
    assert check.warnings == [
        "No answer leads to step “Забытый шаг”: a manager will never see it.",
        "Step “Забытый шаг” has no answers: the manager will have to end the conversation by hand there.",
    ]


def test_a_script_without_a_first_step_cannot_be_run(administrator: User, manager: User, party: Party) -> None:
    script = services.script_create(
        actor=administrator, name="Пустой", interaction_type=InteractionType.objects.get(code="call")
    )
    assert services.script_check(script).errors == ["The script has no steps yet."]
    with pytest.raises(ValidationError, match="no steps"):
        services.run_start(actor=manager, script=script, party=party)


def test_a_switched_off_script_cannot_be_run(
    administrator: User, manager: User, party: Party, call_script: Call
) -> None:
    services.script_update(actor=administrator, script=call_script.script, data={"is_active": False})
    with pytest.raises(ValidationError, match="switched off"):
        services.run_start(actor=manager, script=call_script.script, party=party)


def test_a_step_answers_lead_to_cannot_be_deleted(administrator: User, call_script: Call) -> None:
    with pytest.raises(ValidationError, match="Answers lead to this step"):
        services.step_delete(actor=administrator, step=call_script.objection)
    with pytest.raises(ValidationError, match="first step"):
        services.step_delete(actor=administrator, step=call_script.greeting)
    services.answer_delete(actor=administrator, answer=call_script.expensive)
    services.step_delete(actor=administrator, step=call_script.objection)
    assert list(call_script.script.steps.values_list("title", flat=True)) == ["Приветствие", "Потребность"]
    assert list(
        ScriptEvent.objects.filter(script=call_script.script).values_list("kind", flat=True).order_by("-pk")[:2]
    ) == [
        "step_removed",
        "answer_removed",
    ]


def test_a_script_needs_a_stage_or_an_interaction_type(administrator: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.script_create(actor=administrator, name="Ни к чему")
    assert list(error.value.message_dict) == ["stage"]
    assert Script.objects.filter(name="Ни к чему").count() == 0


@pytest.mark.django_db
def test_the_shipped_scripts_are_ready_to_run() -> None:
    first_call = Script.objects.get(name="Первый звонок")
    demonstration = Script.objects.get(name="Демонстрация")
    assert first_call.interaction_type is not None
    assert first_call.interaction_type.code == "call"
    assert demonstration.stage is not None
    assert demonstration.stage.name == "Демонстрация"
    for script in (first_call, demonstration):
        check = services.script_check(script)
        assert (check.errors, check.warnings) == ([], [])
    objections = set(first_call.steps.values_list("title", flat=True))
    assert {"Возражение «дорого»", "Возражение «уже есть поставщик»", "Возражение «пришлите КП на почту»"} <= objections


def test_the_branch_is_found_from_the_interaction(manager: User, party: Party, call_script: Call) -> None:
    from crm.playbooks.selectors import script_runs_of_interactions

    call = InteractionType.objects.get(code="call")
    run = services.run_start(actor=manager, script=call_script.script, party=party)
    services.run_choose(actor=manager, run=run, answer=call_script.busy)
    services.run_finish(actor=manager, run=run, type=call)
    interaction = Interaction.objects.get()
    found = script_runs_of_interactions([interaction.pk, interaction.pk + 1])
    assert list(found) == [interaction.pk]
    assert found[interaction.pk].branch == "Приветствие: Занят"
