"""The pager under a keyset-paged list, in a real Chromium: htmx swaps the rows, the URL follows, Back works."""

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from crm.accounts.models import User
from crm.parties.tests.factories import PartyFactory

from .conftest import shot
from .test_flows import ru, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_next_and_previous_swap_the_rows_in_place_and_keep_the_sort(
    live_server: LiveServer, page: Page, manager: User
) -> None:
    names = [f"ООО Клиент {n:02d}" for n in range(60)]
    for name in names:
        PartyFactory(responsible=manager, name=name)
    newest_first = sorted(names, reverse=True)
    rows = page.locator("#party-rows tr:not(.keyset-pager) > td > a")
    summary = page.locator("#party-rows .keyset-pager-summary")

    sign_in(page, live_server.url, manager.username)
    page.goto(f"{live_server.url}/clients/?ordering=-name")
    expect(rows).to_have_count(50)
    expect(rows.first).to_have_text(newest_first[0])
    expect(summary).to_have_text(ru("%(first)s–%(last)s of %(total)s") % {"first": 1, "last": 50, "total": 60})
    expect(page.locator("#party-rows a[rel=prev]")).to_have_count(0)
    page.evaluate("window.stillThisPage = true")  # gone if a link loaded a whole new page

    page.locator("#party-rows a[rel=next]").click()
    expect(rows).to_have_count(10)
    expect(rows.first).to_have_text(newest_first[50])
    expect(summary).to_have_text(ru("%(first)s–%(last)s of %(total)s") % {"first": 51, "last": 60, "total": 60})
    expect(page).to_have_url(f"{live_server.url}/clients/?ordering=-name&cursor=" + page.url.split("cursor=")[1])
    assert "ordering=-name" in page.url
    assert page.evaluate("window.stillThisPage") is True
    shot(page, "keyset_pager", "second-page")

    page.locator("#party-rows a[rel=prev]").click()
    expect(rows).to_have_count(50)
    expect(rows.first).to_have_text(newest_first[0])
    expect(rows.last).to_have_text(newest_first[49])
    expect(page.locator("#party-rows a[rel=prev]")).to_have_count(0)
    assert page.evaluate("window.stillThisPage") is True

    page.go_back()  # the browser's Back: the second page again, from htmx's history
    expect(rows).to_have_count(10)
    expect(rows.first).to_have_text(newest_first[50])
