from django.urls import path

from .views import dashboards, reports

app_name = "indicators"

urlpatterns = [
    # --- dashboards (indicators/views/dashboards.py) ---
    # --- monthly reporting (indicators/views/reports.py) ---
]
