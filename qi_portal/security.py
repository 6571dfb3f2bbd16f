"""Response headers and login lockout (issue 14, "hardening").

``PermissionsPolicyMiddleware``: every response says the site uses no camera,
microphone, location, payment and the like (``PERMISSIONS_POLICY`` in settings).

``PrivateCacheMiddleware``: ``Cache-Control: private, no-store`` on every response to a
signed-in user (data pages, htmx fragments, downloads) and on everything under /api/,
so neither a shared proxy nor the browser's disk cache keeps health data. Static files
never reach it: whitenoise answers them further up the middleware list.

``lockout_response``: django-axes' ``AXES_LOCKOUT_CALLABLE``. A locked-out log-in gets
the log-in page again with a translated message (status 429), not a bare page.

``client_ip``: ``AXES_CLIENT_IP_CALLABLE``. The address is ``REMOTE_ADDR`` unless the
site sits behind ``NUM_PROXIES`` trusted reverse proxies, then the address those
proxies saw (counted from the right of X-Forwarded-For, which a client cannot forge
past the proxies). DRF's throttles count the same way (``REST_FRAMEWORK["NUM_PROXIES"]``).
"""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import ngettext
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

API_PREFIX = "/api/"


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        policy = settings.PERMISSIONS_POLICY
        self.header = ", ".join(f"{feature}=({' '.join(policy[feature])})" for feature in policy)

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class PrivateCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path_info.startswith(API_PREFIX) or (user is not None and user.is_authenticated):
            # patch (not set): keeps never_cache's max-age=0 etc., drops any "public"
            patch_cache_control(response, private=True, no_store=True)
        return response


def client_ip(request) -> str | None:
    proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return ngettext(
        "Too many failed log-in attempts for this user name. Wait %(minutes)s minute and "
        "try again, or ask an administrator to unlock the account.",
        "Too many failed log-in attempts for this user name. Wait %(minutes)s minutes and "
        "try again, or ask an administrator to unlock the account.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """The log-in page with the lockout message; the user name is kept in the form."""
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get(
        "username", ""
    )
    form = AuthenticationForm(request, initial={"username": username})
    form.fields["username"].initial = username
    context = {
        "form": form,
        "lockout_message": lockout_message(),
        "lockout_username": username,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


class _SettingsRate:
    """DRF binds THROTTLE_RATES at import; read them at each request instead, so a rate
    changed in settings (or by override_settings in a test) applies at once."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AnonThrottle(_SettingsRate, AnonRateThrottle):
    """Anonymous API callers, per client address."""


class UserThrottle(_SettingsRate, UserRateThrottle):
    """Signed-in API callers, per user."""
