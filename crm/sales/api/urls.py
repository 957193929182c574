from crm.sales.api import urls_deals, urls_leads, urls_reports

urlpatterns = [*urls_deals.urlpatterns, *urls_leads.urlpatterns, *urls_reports.urlpatterns]
