from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views
from .reports import ReportViewSet

router = DefaultRouter()
router.register("reports", ReportViewSet, basename="report")

urlpatterns = [
    path("series/", views.series, name="series"),
    *router.urls,
]
