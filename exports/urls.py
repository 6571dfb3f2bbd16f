from django.urls import path

from . import pack_views

app_name = "exports"
urlpatterns: list = [
    path("pack/new/", pack_views.pack_new, name="pack_new"),
    path("chart.svg", pack_views.chart_svg, name="chart_svg"),
]
