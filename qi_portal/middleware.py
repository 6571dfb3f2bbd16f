"""Request guards, and the site's language default.

``DefaultLanguageMiddleware``: pages are in Bahasa Indonesia for every visitor whatever
the browser's Accept-Language; only an explicit choice (the language cookie, set by the
language menu, the profile page and at login from the profile) changes that. The API
keeps honouring Accept-Language: there it is a client's explicit request.

``ApiBodyLimitMiddleware``: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` sent to /api/ is
answered with a JSON 413 before anything reads it (Django's own refusal is its HTML 400
page). The API takes no file uploads, so the whole body counts.

``DatabaseUnavailableMiddleware``: a database that stops answering mid-request
(``OperationalError``, ``InterfaceError``) gives a 503 that says to try again and that
nothing was saved (the services write in transactions, which the error rolled back),
JSON under /api/, a page elsewhere. The page needs no database: no context processors.
"""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from indicators.api.errors import too_large_response

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
RETRY_AFTER_SECONDS = 30


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


class DefaultLanguageMiddleware:
    """Runs before ``LocaleMiddleware``: drops Accept-Language outside the API, so the
    language is the cookie's, else ``LANGUAGE_CODE``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api(request):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class ApiBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and is_api(request):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return too_large_response()
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable on %s", request.path, exc_info=exception)
        if is_api(request):
            response = JsonResponse(
                {"detail": _("The database is not answering. Nothing was saved: try again.")},
                status=503,
            )
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
