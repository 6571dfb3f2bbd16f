from django.urls import path

from . import pack_views, views

app_name = "exports"
urlpatterns = [
    path("table/<slug:page>.<slug:fmt>", views.table, name="table"),
    path("table/<slug:page>/<str:code>.<slug:fmt>", views.table, name="table_indicator"),
    path("raw.<slug:fmt>", views.raw_values, name="raw_values"),
    path("province.xlsx", views.province_summary, name="province_summary"),
    path("pack/new/", pack_views.pack_new, name="pack_new"),
    path("chart.svg", pack_views.chart_svg, name="chart_svg"),
]
