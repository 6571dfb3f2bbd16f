from django.urls import path

from .views import reports

app_name = "indicators"

urlpatterns = [
    # --- dashboards (indicators/views/dashboards.py) ---
    # --- monthly reporting (indicators/views/reports.py) ---
    path("reports/", reports.report_list, name="report_list"),
    path("reports/completeness/", reports.completeness, name="completeness"),
    path("reports/<str:code>/<str:period>/", reports.report_entry, name="report_entry"),
    path("reports/<str:code>/<str:period>/review/", reports.report_review, name="report_review"),
    path(
        "reports/<str:code>/<str:period>/history/",
        reports.report_history_view,
        name="report_history",
    ),
    path("notifications/", reports.notification_list, name="notifications"),
]
