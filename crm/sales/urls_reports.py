from django.urls import path

from crm.sales import views_reports

urlpatterns = [
    path("reports/", views_reports.report_summary_view, name="report-summary"),
]
