"""The sales pages: deals and pipelines, the board, leads, reports; each area keeps its own URL module."""

from crm.sales import urls_board, urls_deals, urls_leads, urls_reports

app_name = "sales"
urlpatterns = [*urls_deals.urlpatterns, *urls_board.urlpatterns, *urls_leads.urlpatterns, *urls_reports.urlpatterns]
