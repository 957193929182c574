"""A sales manager's deal from the price list to a proposal, through the kanban board, in a real Chromium.

Reference data (client, products, price list) is made with factories; everything the manager does
goes through the browser: the deal and its lines, the drags on the board, the logged demonstration
and the generated proposal.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.catalog.tests.factories import (
    PriceListFactory,
    PriceListItemFactory,
    PriceRuleFactory,
    ProductFactory,
    ServiceFactory,
)
from crm.documents.models import Document
from crm.parties.tests.factories import PartyFactory
from crm.sales.choices import DocumentKind
from crm.sales.models import Deal, Pipeline, Stage
from crm.sales.tests.factories import DealFactory

from .conftest import shot
from .test_flows import ru, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "d_sales"


def column(page: Page, stage: Stage) -> Locator:
    return page.locator(f'.board-cards[data-stage="{stage.pk}"]')


def card_in(page: Page, stage: Stage, deal: Deal) -> Locator:
    return column(page, stage).locator(f'.board-card[data-deal="{deal.pk}"]')


def drag(page: Page, deal: Deal, to: Stage) -> None:
    """Drag the deal's card onto the column of `to` and wait for the board's answer."""
    with page.expect_response(lambda r: r.url.split("?")[0].endswith(f"/sales/board/deals/{deal.pk}/move/")):
        page.locator(f'.board-card[data-deal="{deal.pk}"]').drag_to(column(page, to))


def test_deal_from_the_price_list_through_the_board_to_a_proposal(
    live_server: LiveServer, page: Page, manager: User
) -> None:
    base = live_server.url
    pipeline = Pipeline.objects.get(name="Новые продажи")
    stages = {stage.name: stage for stage in pipeline.stages.all()}
    qualification, proposal = stages["Квалификация"], stages["Коммерческое предложение"]
    Pipeline.objects.exclude(pk=pipeline.pk).update(is_active=False)  # the board opens on this pipeline
    client = PartyFactory(responsible=manager, name="ООО «Вектор»")
    retail = PriceListFactory(name="Розничный прайс")
    PriceRuleFactory(price_list=retail)  # the fallback: every client gets the retail prices
    server = ProductFactory(name="Сервер стоечный 2U", sku="SRV-2U")
    setup = ServiceFactory(name="Настройка сервера", sku="SRV-SETUP")
    PriceListItemFactory(price_list=retail, product=server, price=Decimal("150000.00"))
    PriceListItemFactory(price_list=retail, product=setup, price=Decimal("20000.00"))

    sign_in(page, base, "manager")

    # 1. A deal with two lines priced from the price list.
    page.goto(f"{base}/sales/deals/new/?party={client.pk}")
    page.fill("input[name=title]", "Серверы для «Вектора»")
    page.locator("select[name=pipeline]").select_option(label=pipeline.name)
    page.locator("form:has(input[name=title]) button[type=submit]").click()
    expect(page.locator("#deal-title")).to_have_text("Серверы для «Вектора»")
    deal = Deal.objects.get(title="Серверы для «Вектора»")
    for product, quantity in ((server, "2"), (setup, "3")):
        form = page.locator("#line-add-form")
        form.locator("select[name=product]").select_option(value=str(product.pk))
        form.locator("input[name=quantity]").fill(quantity)
        form.locator("button[type=submit]").click()
        expect(page.locator("#lines-table")).to_contain_text(product.name)
    expect(page.locator("#lines-table tbody tr")).to_have_count(2)
    expect(page.locator("#deal-totals")).to_contain_text(re.compile(r"360\s000,00"))
    shot(page, NAME, "01-deal-with-lines")
    deal.refresh_from_db()
    assert (deal.stage, deal.amount, deal.lines.count()) == (qualification, Decimal("360000.00"), 2)

    # 2. On the board, a drag over the demonstration stage is refused and names what is missing.
    page.goto(f"{base}/sales/board/")
    expect(card_in(page, qualification, deal)).to_be_visible()
    drag(page, deal, proposal)
    alert = page.locator("#board-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Демонстрация проведена")
    expect(card_in(page, qualification, deal)).to_be_visible()  # snapped back
    expect(card_in(page, proposal, deal)).to_have_count(0)
    shot(page, NAME, "02-board-refused")
    deal.refresh_from_db()
    assert deal.stage == qualification

    # 3. The demonstration is logged from the deal's card.
    card_in(page, qualification, deal).locator("a").first.click()
    expect(page.locator("#deal-title")).to_have_text("Серверы для «Вектора»")
    form = page.locator("#log-interaction form")
    form.locator("select[name=type]").select_option(value=str(InteractionType.objects.get(code="demo").pk))
    form.locator("input[name=subject]").fill("Демонстрация стойки в офисе клиента")
    form.locator("button[type=submit]").click()
    expect(page.locator("#deal-interactions")).to_contain_text("Демонстрация стойки в офисе клиента")
    shot(page, NAME, "03-demonstration-logged")

    # 4. The same drag is accepted: the card stays, both column heads are recounted.
    page.goto(f"{base}/sales/board/")
    drag(page, deal, proposal)
    expect(card_in(page, proposal, deal)).to_be_visible()
    expect(page.locator("#board-alert")).to_be_hidden()
    head = page.locator(f'[data-column-head="{proposal.pk}"]')
    expect(head.locator("[data-count]")).to_have_text("1")
    expect(head).to_contain_text(re.compile(r"360\s000,00 RUB"))
    expect(page.locator(f'[data-column-head="{qualification.pk}"] [data-count]')).to_have_text("0")
    shot(page, NAME, "04-board-accepted")
    deal.refresh_from_db()
    assert deal.stage == proposal
    page.reload()
    expect(card_in(page, proposal, deal)).to_be_visible()
    expect(page.locator("h2.page-title")).to_contain_text(ru("Deal board"))

    # 5. A proposal generated from the deal's card: a numbered PDF in its documents and its history.
    page.set_viewport_size({"width": 1366, "height": 900})
    card_in(page, proposal, deal).locator("a").first.click()
    documents = page.locator("#deal-documents form")
    documents.locator("select[name=kind]").select_option(value=DocumentKind.PROPOSAL)
    documents.locator("button[type=submit]").click()
    pdf_link = page.locator("#deal-documents a", has_text="PDF")
    expect(pdf_link).to_be_visible()
    document = Document.objects.get(deal=deal, kind=DocumentKind.PROPOSAL)
    expect(page.locator("#deal-documents").first).to_contain_text(document.number)
    expect(page.locator("#deal-history")).to_contain_text(document.number)  # refreshed by the documents panel
    pdf = page.request.get(f"{base}{reverse('documents:document-download', args=[document.pk, 'pdf'])}")
    assert (pdf.status, pdf.headers["content-type"], pdf.body()[:5]) == (200, "application/pdf", b"%PDF-")
    shot(page, NAME, "05-proposal")
    page.reload()
    expect(page.locator("#deal-history")).to_contain_text(document.number)

    # 6. The proposal meets the proposal stage's requirement: the next drag is accepted at once.
    negotiation = stages["Переговоры"]
    page.goto(f"{base}/sales/board/")
    drag(page, deal, negotiation)
    expect(card_in(page, negotiation, deal)).to_be_visible()
    expect(page.locator("#board-alert")).to_be_hidden()
    deal.refresh_from_db()
    assert deal.stage == negotiation

    # 7. On a phone the columns scroll sideways and each card keeps its move form.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    card = card_in(page, negotiation, deal)
    card.scroll_into_view_if_needed()
    expect(card.locator("select[name=stage]")).to_be_visible()
    shot(page, NAME, "07-phone")


def test_a_card_dropped_on_the_lost_column_asks_for_the_reason(
    live_server: LiveServer, page: Page, manager: User
) -> None:
    base = live_server.url
    pipeline = Pipeline.objects.get(name="Новые продажи")
    Pipeline.objects.exclude(pk=pipeline.pk).update(is_active=False)
    qualification, lost = pipeline.stages.get(name="Квалификация"), pipeline.stages.get(name="Проиграно")
    deal = DealFactory(owner=manager, pipeline=pipeline, stage=qualification, title="Лицензии на год")

    sign_in(page, base, "manager")
    # A screen wide enough for all seven columns: Playwright's drag does not scroll the board sideways.
    page.set_viewport_size({"width": 2200, "height": 900})
    page.goto(f"{base}/sales/board/")
    drag(page, deal, lost)
    alert = page.locator("#board-alert")
    expect(alert).to_contain_text(ru("Say why the deal is lost."))
    expect(card_in(page, qualification, deal)).to_be_visible()
    alert.locator("select[name=lost_reason]").select_option(label="Нет бюджета")
    with page.expect_response(lambda r: f"/sales/board/deals/{deal.pk}/move/" in r.url):
        alert.locator("button[type=submit]").click()
    expect(card_in(page, lost, deal)).to_be_visible()
    expect(alert).to_be_hidden()
    expect(page.locator(f'[data-column-head="{lost.pk}"] [data-count]')).to_have_text("1")
    shot(page, NAME, "08-lost-with-reason")
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason.name if deal.lost_reason else None) == (lost, "Нет бюджета")


def test_show_more_appends_the_next_cards_of_a_column(live_server: LiveServer, page: Page, manager: User) -> None:
    base = live_server.url
    pipeline = Pipeline.objects.get(name="Новые продажи")
    Pipeline.objects.exclude(pk=pipeline.pk).update(is_active=False)
    qualification = pipeline.stages.get(name="Квалификация")
    DealFactory.create_batch(32, owner=manager, pipeline=pipeline, stage=qualification)

    sign_in(page, base, "manager")
    page.goto(f"{base}/sales/board/")
    cards = column(page, qualification).locator(".board-card")
    expect(cards).to_have_count(30)
    column(page, qualification).locator(".board-more").click()
    expect(cards).to_have_count(32)
    expect(column(page, qualification).locator(".board-more")).to_have_count(0)
    expect(page.locator(f'[data-column-head="{qualification.pk}"] [data-count]')).to_have_text("32")
