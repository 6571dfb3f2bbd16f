from django.urls import path

from .views import dashboards, excel, reports, review

app_name = "indicators"

urlpatterns = [
    # --- dashboards (indicators/views/dashboards.py) ---
    path("dashboards/", dashboards.overview, name="overview"),
    path("dashboards/pws-kia/", dashboards.pws_kia, name="pws_kia"),
    path("dashboards/deaths-referrals/", dashboards.deaths_referrals, name="deaths_referrals"),
    path("dashboards/stunting/", dashboards.stunting, name="stunting"),
    path("dashboards/compare/<str:code>/", dashboards.compare, name="compare"),
    path("dashboards/trend/<str:code>/", dashboards.trend, name="trend"),
    path("dashboards/facilities/<str:code>/", dashboards.multiples, name="multiples"),
    # --- monthly reporting (indicators/views/reports.py) ---
    path("reports/", reports.report_list, name="report_list"),
    path("reports/completeness/", reports.completeness, name="completeness"),
    # --- district review (indicators/views/review.py) ---
    path("reports/review/", review.queue, name="review_queue"),
    path("reports/review/approve-clean/", review.approve_clean, name="review_approve_clean"),
    path("reports/review/<str:code>/<str:period>/", review.detail, name="review_detail"),
    path("reports/review/<str:code>/<str:period>/decide/", review.decide, name="review_decide"),
    path("reports/<str:code>/<str:period>/", reports.report_entry, name="report_entry"),
    path("reports/<str:code>/<str:period>/review/", reports.report_review, name="report_review"),
    path("reports/<str:code>/<str:period>/check/", reports.report_check, name="report_check"),
    path("reports/<str:code>/<str:period>/recall/", reports.report_recall, name="report_recall"),
    path(
        "reports/<str:code>/<str:period>/history/",
        reports.report_history_view,
        name="report_history",
    ),
    path("notifications/", reports.notification_list, name="notifications"),
    # --- Excel round-trip (indicators/views/excel.py) ---
    path("reports/excel-template/", excel.excel_template, name="excel_template"),
    path("reports/excel-upload/", excel.excel_upload, name="excel_upload"),
    path("reports/excel-confirm/", excel.excel_confirm, name="excel_confirm"),
]
