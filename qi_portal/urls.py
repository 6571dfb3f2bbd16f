from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView

from facilities import views as facility_views


@require_GET
def healthz(request):
    """Liveness for the load balancer and docker-compose healthcheck (no database hit)."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", facility_views.home, name="home"),
    path("", include("facilities.users.urls")),  # accounts/… and users/…
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("facilities/", include("facilities.urls")),
    path("", include("indicators.urls")),
    path("improvement/", include("improvement.urls")),
    path("jobs/", include("jobs.urls")),
    path("exports/", include("exports.urls")),
    path("api/v1/", include("facilities.api.urls")),
    path("api/v1/", include("indicators.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(settings.ADMIN_PATH, admin.site.urls),  # ADMIN_PATH from the environment
    path("healthz", healthz, name="healthz"),
]
