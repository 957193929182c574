"""Pages: following a script without JS and with htmx, the editor, the suggestions on cards."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.accounts.models import User
from crm.activities.models import Interaction, InteractionType
from crm.parties.models import Party
from crm.playbooks import services
from crm.playbooks.choices import RunStatus
from crm.playbooks.models import Answer, Script, ScriptRun, Step
from crm.playbooks.tests.conftest import Call
from crm.sales.models import Deal, DealInteraction

HTMX = {"HX-Request": "true"}


def login(client: Client, user: User) -> Client:
    """Sign in with English pages: messages are asserted in the source language."""
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def _start(client: Client, script: Script, party: Party, **extra: object) -> ScriptRun:
    response = client.post(reverse("playbooks:run-start"), {"script": script.pk, "party": party.pk, **extra})
    run = ScriptRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("playbooks:run-detail", args=[run.pk])
    return run


def test_a_manager_follows_a_script_with_plain_forms_and_logs_the_call(
    client: Client, manager: User, party: Party, call_script: Call
) -> None:
    login(client, manager)
    run = _start(client, call_script.script, party)
    page = client.get(reverse("playbooks:run-detail", args=[run.pk])).content.decode()
    assert "Удобно говорить?" in page
    assert "«Да»" in page
    assert "«Занят»" in page

    answer_url = reverse("playbooks:run-answer", args=[run.pk])
    assert client.post(answer_url, {"answer": call_script.yes.pk}).status_code == 302
    assert client.post(answer_url, {"answer": call_script.expensive.pk}).status_code == 302
    assert client.post(reverse("playbooks:run-back", args=[run.pk])).status_code == 302
    assert client.post(answer_url, {"answer": call_script.interested.pk}).status_code == 302
    page = client.get(reverse("playbooks:run-detail", args=[run.pk])).content.decode()
    assert "meeting arranged" in page
    assert 'id="run-finish"' in page

    response = client.post(
        reverse("playbooks:run-finish", args=[run.pk]),
        {
            "type": InteractionType.objects.get(code="call").pk, "direction": "out",
            "occurred_at": "2026-01-10T10:00", "duration_minutes": "5", "subject": "Первый звонок", "result": "Встреча",
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("parties:detail", args=[party.pk])
    run.refresh_from_db()
    interaction = Interaction.objects.get()
    assert (run.status, run.interaction, run.outcome) == (RunStatus.FINISHED, interaction, "meeting")
    assert [entry["label"] for entry in run.path] == ["Да", "Интересно"]
    assert (interaction.subject, interaction.duration_minutes) == ("Первый звонок", 5)


def test_htmx_answers_swap_only_the_step_card(client: Client, manager: User, party: Party, call_script: Call) -> None:
    login(client, manager)
    run = _start(client, call_script.script, party)
    response = client.post(reverse("playbooks:run-answer", args=[run.pk]), {"answer": call_script.yes.pk}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="run-card">')
    assert "Что важно?" in content
    assert "<html" not in content


def test_a_stale_answer_is_refused_with_a_message(
    client: Client, manager: User, party: Party, call_script: Call
) -> None:
    login(client, manager)
    run = _start(client, call_script.script, party)
    response = client.post(
        reverse("playbooks:run-answer", args=[run.pk]), {"answer": call_script.convinced.pk}, headers=HTMX
    )
    assert "This answer belongs to another step" in response.content.decode()
    run.refresh_from_db()
    assert run.path == []


def test_finishing_midway_asks_for_the_outcome(client: Client, manager: User, party: Party, call_script: Call) -> None:
    login(client, manager)
    run = _start(client, call_script.script, party)
    page = client.get(reverse("playbooks:run-detail", args=[run.pk]), {"finish": "1"}).content.decode()
    assert 'name="outcome"' in page
    data = {"type": InteractionType.objects.get(code="call").pk, "direction": "out", "occurred_at": "2026-01-10T10:00",
            "duration_minutes": "3"}  # fmt: skip
    response = client.post(reverse("playbooks:run-finish", args=[run.pk]), data)
    assert response.status_code == 200
    assert Interaction.objects.count() == 0
    response = client.post(reverse("playbooks:run-finish", args=[run.pk]), {**data, "outcome": "call_back"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.outcome, run.status) == ("call_back", RunStatus.FINISHED)


def test_a_run_from_a_deal_card_logs_the_contact_for_the_deal(
    client: Client, manager: User, party: Party, deal: Deal
) -> None:
    demonstration = Script.objects.get(name="Демонстрация")
    login(client, manager)
    fragment = client.get(reverse("playbooks:suggested"), {"deal": deal.pk}).content.decode()
    assert "Follow script «Демонстрация»" in fragment
    assert "Первый звонок" not in fragment
    run = _start(client, demonstration, party, deal=deal.pk)
    assert run.deal == deal
    start = demonstration.start_step
    assert start is not None
    answer = Answer.objects.get(step=start, label="Назвали задачи")
    client.post(reverse("playbooks:run-answer", args=[run.pk]), {"answer": answer.pk})
    response = client.post(
        reverse("playbooks:run-finish", args=[run.pk]),
        {"type": InteractionType.objects.get(code="demo").pk, "direction": "out", "occurred_at": "2026-01-10T10:00",
         "duration_minutes": "40", "outcome": "agreed"},
    )  # fmt: skip
    assert response.status_code == 302
    assert DealInteraction.objects.filter(deal=deal, interaction=Interaction.objects.get()).count() == 1


def test_the_call_form_suggests_the_scripts_of_its_interaction_type(
    client: Client, manager: User, party: Party
) -> None:
    login(client, manager)
    fragment = client.get(reverse("playbooks:suggested"), {"party": str(party.pk), "type": "call"}).content.decode()
    assert "Follow script «Первый звонок»" in fragment
    assert "Демонстрация" not in fragment
    demo = InteractionType.objects.get(code="demo")
    by_id = client.get(reverse("playbooks:suggested"), {"party": str(party.pk), "type": str(demo.pk)}).content.decode()
    assert "Follow script «Демонстрация»" in by_id
    assert "Первый звонок" not in by_id


def test_someone_who_cannot_log_contacts_with_the_client_gets_no_buttons(
    client: Client, team_lead: User, party: Party
) -> None:
    login(client, team_lead)
    fragment = client.get(reverse("playbooks:suggested"), {"party": str(party.pk), "type": "call"}).content.decode()
    assert "Follow script" not in fragment
    assert client.get(reverse("playbooks:run-start"), {"party": party.pk}).status_code == 403


def test_an_administrator_writes_a_script_with_branches(client: Client, administrator: User) -> None:
    login(client, administrator)
    call = InteractionType.objects.get(code="call")
    response = client.post(reverse("playbooks:script-create"), {"name": "Входящий звонок", "interaction_type": call.pk,
                                                                  "is_active": "on"})  # fmt: skip
    script = Script.objects.get(name="Входящий звонок")
    assert response["Location"] == reverse("playbooks:script-detail", args=[script.pk])
    add_step = reverse("playbooks:step-create", args=[script.pk])
    client.post(add_step, {"title": "Приветствие", "text": "Здравствуйте!"})
    client.post(add_step, {"title": "Вопрос", "text": "Чем помочь?"})
    first, second = Step.objects.filter(script=script).order_by("position")
    client.post(
        reverse("playbooks:answer-create", args=[first.pk]), {"label": "Нужна консультация", "next_step": second.pk}
    )
    client.post(reverse("playbooks:answer-create", args=[second.pk]), {"label": "Спасибо", "outcome": "agreed"})
    looped = client.post(
        reverse("playbooks:answer-create", args=[second.pk]), {"label": "Заново", "next_step": first.pk}
    )
    assert looped.status_code == 200
    assert "go round in a loop" in looped.content.decode()
    assert list(Answer.objects.filter(step__script=script).values_list("label", flat=True)) == [
        "Нужна консультация",
        "Спасибо",
    ]
    script.refresh_from_db()
    assert script.start_step == first
    page = client.get(reverse("playbooks:script-detail", args=[script.pk])).content.decode()
    assert 'id="script-check"' not in page
    assert "«Нужна консультация»" in page


def test_the_script_form_needs_a_stage_or_a_type(client: Client, administrator: User) -> None:
    login(client, administrator)
    response = client.post(reverse("playbooks:script-create"), {"name": "Ни к чему"})
    assert response.status_code == 200
    assert "Choose a stage, an interaction type or both." in response.content.decode()
    assert not Script.objects.filter(name="Ни к чему").exists()


def test_a_manager_cannot_edit_scripts(client: Client, manager: User, call_script: Call) -> None:
    login(client, manager)
    assert client.get(reverse("playbooks:script-update", args=[call_script.script.pk])).status_code == 403
    response = client.post(reverse("playbooks:step-update", args=[call_script.need.pk]), {"title": "Взлом"})
    assert response.status_code == 403
    call_script.need.refresh_from_db()
    assert call_script.need.title == "Потребность"
    page = client.get(reverse("playbooks:script-detail", args=[call_script.script.pk])).content.decode()
    assert 'id="step-create"' not in page


def test_a_switched_off_script_is_hidden_from_managers(
    client: Client, manager: User, administrator: User, call_script: Call
) -> None:
    services.script_update(actor=administrator, script=call_script.script, data={"is_active": False})
    login(client, manager)
    assert client.get(reverse("playbooks:script-detail", args=[call_script.script.pk])).status_code == 404
    assert "Тестовый звонок" not in client.get(reverse("playbooks:script-list")).content.decode()


def test_the_editor_page_costs_the_same_queries_for_a_longer_script(
    client: Client, administrator: User, call_script: Call
) -> None:
    login(client, administrator)
    url = reverse("playbooks:script-detail", args=[call_script.script.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as short:
        assert client.get(url).status_code == 200
    step = call_script.objection
    for number in range(5):
        step_next = services.step_create(actor=administrator, script=call_script.script, title=f"Шаг {number}")
        services.answer_create(actor=administrator, step=step, label=f"Дальше {number}", next_step=step_next)
        step = step_next
    with CaptureQueriesContext(connection) as longer:
        assert client.get(url).status_code == 200
    assert len(longer) == len(short)


def test_without_js_a_refusal_is_shown_once_after_the_redirect(
    client: Client, manager: User, party: Party, call_script: Call
) -> None:
    login(client, manager)
    run = _start(client, call_script.script, party)
    response = client.post(reverse("playbooks:run-back", args=[run.pk]), follow=True)
    assert response.content.decode().count("This is the first step; there is nothing to go back to.") == 1
