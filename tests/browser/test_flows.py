"""The main flows of a sales manager, driven through a real Chromium.

Data is made with the services (not the UI); everything the user does goes through the browser.
"""

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone, translation
from playwright.sync_api import Page, Response, expect
from pytest_django.live_server_helper import LiveServer

from crm.accounts.models import User
from crm.activities.models import InteractionType, Task
from crm.activities.services import interaction_log
from crm.parties.models import Party
from crm.parties.services import party_create

from .conftest import PASSWORD, shot

# The live server runs in another thread, so the data must be committed: a transactional database.
# What migrations put in (permissions, roles, the shipped interaction types) comes back after each flush
# through post_migrate (crm/core/defaults.py). No serialized_rollback: its flush skips post_migrate and
# leaves the tables empty for the tests that run after the last browser test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ru(message: str) -> str:
    """What the Russian interface shows for an English message id."""
    with translation.override("ru"):
        return translation.gettext(message)


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator("#global-search")).to_be_visible()


def search(page: Page, text: str) -> None:
    """Type into the navbar box and wait for the live results of exactly this query."""

    def is_live_result(response: Response) -> bool:
        url = urlsplit(response.url)
        return url.path == "/clients/search/" and parse_qs(url.query).get("q") == [text]

    with page.expect_response(is_live_result) as answer:
        page.fill("#global-search", text)
    assert answer.value.status == 200
    expect(page.locator("#search-results #search-list")).to_be_attached()


def person(actor: User, name: str, phone: str) -> Party:
    last, first = name.split()
    return party_create(
        actor=actor,
        data={"kind": "person", "name": name, "last_name": last, "first_name": first},
        contact_points=[{"kind": "phone", "value": phone, "is_primary": True}],
    )


@contextmanager
def room_left_today(minutes: int) -> Iterator[datetime.datetime]:
    """Local "now" with `minutes` left before midnight; late in the evening the clock is moved to noon."""
    now = timezone.localtime()
    if (now + datetime.timedelta(minutes=minutes)).date() == now.date():
        yield now
        return
    with time_machine.travel(now.replace(hour=12, minute=0, second=0, microsecond=0), tick=True):
        yield timezone.localtime()


def test_find_client_by_phone_log_call_and_see_plan(live_server: LiveServer, page: Page, manager: User) -> None:
    """Sign in, find a client by a phone typed differently, log a call with the next contact, see it planned."""
    base = live_server.url
    with room_left_today(minutes=90) as now:
        call = InteractionType.objects.get(code="call")
        client = person(manager, "Смирнов Алексей", "+79161234567")
        interaction_log(
            actor=manager, party=client, type=call, occurred_at=now - datetime.timedelta(days=3),
            subject="Первый звонок: интерес к тарифу", result="Просил перезвонить",
        )  # fmt: skip

        sign_in(page, base, "manager")
        search(page, "8 (916) 123-45-67")
        hit = page.locator("#search-results .search-hit")
        expect(hit).to_have_count(1)
        expect(hit).to_contain_text("Смирнов Алексей")
        expect(hit).to_contain_text(re.compile(r"\+?7\D{0,3}916\D{0,3}123\D{0,2}45\D{0,2}67"))  # shown in any notation
        shot(page, "a_flow", "01-search")

        hit.click()
        expect(page).to_have_url(f"{base}/clients/{client.pk}/")
        expect(page.locator("#party-name")).to_contain_text("Смирнов Алексей")
        timeline = page.locator("#timeline")
        expect(timeline).to_contain_text("Первый звонок: интерес к тарифу")
        form = page.locator("#interaction-form")
        expect(form).to_be_visible()
        shot(page, "a_flow", "02-card")

        due = (now + datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
        form.locator("select[name=type]").select_option(value=str(call.pk))
        form.locator("select[name=direction]").select_option(value="out")
        form.locator("input[name=duration_minutes]").fill("7")
        form.locator("input[name=subject]").fill("Обсудили коммерческое предложение")
        form.locator("textarea[name=result]").fill("Готов подписать, ждёт договор")
        form.locator("input[name=next_due_at]").fill(due.strftime("%Y-%m-%dT%H:%M"))
        form.locator("select[name=next_type]").select_option(value=str(call.pk))
        form.locator("input[name=next_title]").fill("Отправить договор и перезвонить")
        form.locator("select[name=next_remind_minutes]").select_option(value="15")
        page.click("#interaction-submit")

        expect(page.locator("#interaction-saved")).to_be_visible()
        expect(page.locator("#interaction-form .is-invalid")).to_have_count(0)
        expect(timeline).to_contain_text("Обсудили коммерческое предложение")
        expect(timeline).to_contain_text("Первый звонок: интерес к тарифу")
        shot(page, "a_flow", "03-logged")

        task = Task.objects.get(party=client, title="Отправить договор и перезвонить")
        assert task.kind == "contact"
        assert timezone.localtime(task.due_at) == due
        assert list(task.assignees.all()) == [manager]
        assert client.interactions.count() == 2

        page.locator("a.navbar-brand").click()
        expect(page).to_have_url(f"{base}/")
        planned = page.locator("#today-contacts")
        expect(planned.locator(f"#task-{task.pk}")).to_contain_text("Отправить договор и перезвонить")
        expect(planned.locator(f"#task-{task.pk}")).to_contain_text("Смирнов Алексей")
        shot(page, "a_flow", "04-today")


def test_manager_does_not_see_other_teams_client(
    live_server: LiveServer, page: Page, manager: User, outsider: User
) -> None:
    """Another team's client is neither found by its phone nor opened by its address (404, like a missing one)."""
    base = live_server.url
    own = person(manager, "Свойский Борис", "+79031112233")
    foreign = person(outsider, "Чужаков Виктор", "+79167654321")

    sign_in(page, base, "manager")
    # The search works for this manager: their own client is found by a phone in another notation...
    search(page, "8 903 111 22 33")
    expect(page.locator("#search-results .search-hit")).to_have_count(1)
    expect(page.locator("#search-results")).to_contain_text("Свойский Борис")
    # ...but not the other team's.
    search(page, "+7 (916) 765-43-21")
    expect(page.locator("#search-results .search-hit")).to_have_count(0)
    expect(page.locator("#search-results")).to_contain_text(ru("Nothing found."))
    expect(page.locator("#search-results")).not_to_contain_text("Чужаков")
    shot(page, "b_isolation", "01-search-nothing")

    response = page.goto(f"{base}/clients/{foreign.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Чужаков")
    shot(page, "b_isolation", "02-foreign-404")
    for path in (f"/clients/{foreign.pk}/history/", f"/clients/{foreign.pk}/log/"):
        response = page.goto(f"{base}{path}")
        assert response is not None
        assert response.status == 404, path

    response = page.goto(f"{base}/clients/{own.pk}/")
    assert response is not None
    assert response.status == 200


def test_language_switch_from_user_menu(live_server: LiveServer, page: Page, manager: User) -> None:
    """The user menu switches the interface to English and back to Russian; the choice is kept on the user."""
    base = live_server.url
    sign_in(page, base, "manager")
    html, heading = page.locator("html"), page.locator("h2.page-title")
    menu = page.locator("#user-menu")
    expect(html).to_have_attribute("lang", "ru")
    expect(heading).to_have_text(ru("Today's plan"))

    menu.click()
    page.locator("button[name=language][value=en]").click()
    expect(html).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Today's plan")
    expect(page.locator("#navbar-menu")).to_contain_text("Clients")
    expect(page.locator("#today-contacts")).to_contain_text("No contacts planned for today.")
    shot(page, "c_language", "01-english")
    manager.refresh_from_db()
    assert manager.language == "en"

    page.goto(f"{base}/clients/")
    expect(html).to_have_attribute("lang", "en")  # kept across pages
    menu.click()
    page.locator("button[name=language][value=ru]").click()
    expect(page).to_have_url(f"{base}/clients/")  # back where the switch was made
    expect(html).to_have_attribute("lang", "ru")
    page.goto(f"{base}/")
    expect(heading).to_have_text(ru("Today's plan"))
    shot(page, "c_language", "02-russian")
    manager.refresh_from_db()
    assert manager.language == "ru"

    untranslated = [m for m in ("Today's plan", "Clients", "No contacts planned for today.") if ru(m) == m]
    assert not untranslated, f"no Russian translation in locale/ru/LC_MESSAGES/django.po for {untranslated}"
    expect(page.locator("#navbar-menu")).to_contain_text(ru("Clients"))
    expect(page.locator("#navbar-menu")).not_to_contain_text("Clients")
