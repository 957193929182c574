from django.urls import path

from crm.sales.api import reports

urlpatterns = [
    path("sales/reports/summary/", reports.SalesReportSummaryApi.as_view(), name="sales-report-summary"),
]
