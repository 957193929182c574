"""The REST API: scripts with their steps, a run started, advanced, taken back and finished."""

from django.test import Client
from django.urls import reverse

from crm.accounts.models import User
from crm.activities.models import Interaction
from crm.parties.models import Party
from crm.playbooks.models import Script, ScriptRun
from crm.playbooks.tests.conftest import Call
from crm.sales.models import Deal


def test_a_script_comes_with_its_steps_answers_and_check(client: Client, manager: User, call_script: Call) -> None:
    client.force_login(manager)
    data = client.get(reverse("api:script-detail", args=[call_script.script.pk])).json()
    assert (data["name"], data["interaction_type"], data["start_step"]) == (
        "Тестовый звонок",
        "call",
        call_script.greeting.pk,
    )
    assert [step["title"] for step in data["steps"]] == ["Приветствие", "Потребность", "Дорого"]
    assert data["steps"][0]["answers"] == [
        {"id": call_script.yes.pk, "position": 10, "label": "Да", "next_step": call_script.need.pk, "outcome": ""},
        {"id": call_script.busy.pk, "position": 20, "label": "Занят", "next_step": None, "outcome": "call_back"},
    ]
    assert (data["errors"], data["warnings"]) == ([], [])
    names = [s["name"] for s in client.get(reverse("api:script-list")).json()["results"]]
    assert "Тестовый звонок" in names
    assert "Первый звонок" in names


def test_a_run_over_the_api(client: Client, manager: User, party: Party, call_script: Call) -> None:
    client.force_login(manager)
    created = client.post(
        reverse("api:script-run-list"), {"script": call_script.script.pk, "party": party.pk}, "application/json"
    )
    assert created.status_code == 201
    run_id = created.json()["id"]
    assert created.json()["current_step"] == call_script.greeting.pk

    answer_url = reverse("api:script-run-answer", args=[run_id])
    assert client.post(answer_url, {"answer": call_script.yes.pk}, "application/json").json()["current_step"] == (
        call_script.need.pk
    )
    wrong = client.post(answer_url, {"answer": call_script.yes.pk}, "application/json")
    assert (wrong.status_code, list(wrong.json())) == (400, ["answer"])
    back = client.post(reverse("api:script-run-back", args=[run_id]))
    assert (back.json()["current_step"], back.json()["path"]) == (call_script.greeting.pk, [])
    client.post(answer_url, {"answer": call_script.busy.pk}, "application/json")

    finished = client.post(
        reverse("api:script-run-finish", args=[run_id]),
        {"type": "call", "duration_minutes": 2, "subject": "Звонок"},
        "application/json",
    )
    assert finished.status_code == 200
    body = finished.json()
    interaction = Interaction.objects.get()
    assert (body["status"], body["outcome"], body["interaction"]) == ("finished", "call_back", interaction.pk)
    assert [entry["label"] for entry in body["path"]] == ["Занят"]
    again = client.post(reverse("api:script-run-finish", args=[run_id]), {"type": "call"}, "application/json")
    assert again.status_code == 400
    assert Interaction.objects.count() == 1


def test_another_team_cannot_advance_or_see_my_run(
    client: Client, manager: User, outsider: User, party: Party, call_script: Call
) -> None:
    client.force_login(manager)
    run_id = client.post(
        reverse("api:script-run-list"), {"script": call_script.script.pk, "party": party.pk}, "application/json"
    ).json()["id"]
    client.force_login(outsider)
    assert client.get(reverse("api:script-run-detail", args=[run_id])).status_code == 404
    response = client.post(
        reverse("api:script-run-answer", args=[run_id]), {"answer": call_script.yes.pk}, "application/json"
    )
    assert response.status_code == 404
    assert client.get(reverse("api:script-run-list")).json()["results"] == []
    assert ScriptRun.objects.get().path == []
    # Nor start a script with a client they do not see.
    response = client.post(
        reverse("api:script-run-list"), {"script": call_script.script.pk, "party": party.pk}, "application/json"
    )
    assert response.status_code == 404
    assert ScriptRun.objects.count() == 1


def test_a_run_started_from_a_deal_takes_its_client(client: Client, manager: User, party: Party, deal: Deal) -> None:
    demonstration = Script.objects.get(name="Демонстрация")
    client.force_login(manager)
    created = client.post(
        reverse("api:script-run-list"), {"script": demonstration.pk, "deal": deal.pk}, "application/json"
    )
    assert created.status_code == 201
    assert (created.json()["party"], created.json()["deal"]) == (party.pk, deal.pk)
    missing = client.post(reverse("api:script-run-list"), {"script": demonstration.pk}, "application/json")
    assert (missing.status_code, list(missing.json())) == (400, ["party"])
