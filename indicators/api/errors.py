"""One mapping from service refusals to API responses (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``).

ReportConflict → 409 with the changes made since the caller's version; ReportInvalid →
400 with the findings that block; any other ReportError → 400; Django's PermissionDenied
→ 403 and Http404 → 404 (DRF's own handling). A body the parser cannot read is a JSON
400 whatever broke it (DRF's ParseError, or a RecursionError from JSON nested too deeply)
and a body over DATA_UPLOAD_MAX_MEMORY_SIZE a JSON 413 (most are refused before the view
by ``qi_portal.middleware.ApiBodyLimitMiddleware``). The message is already in the user's
language.
"""

import traceback

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..services.reports import ReportConflict, ReportError, ReportInvalid


def findings_json(result, blocking=None) -> list[dict]:
    """Validation findings as the API shows them (only ``blocking`` ones when given)."""
    items = blocking if blocking is not None else result.findings
    return [
        {"severity": f.severity, "code": f.code, "message": f.message, "elements": list(f.elements)}
        for f in items
    ]


def too_large_response() -> JsonResponse:
    """413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE (also the middleware's answer)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return JsonResponse(
        {
            "detail": _("The request body is too large (at most %(size)s bytes).")
            % {"size": number_format(limit, force_grouping=True)}
        },
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def _raised_by_a_parser(exc: BaseException) -> bool:
    """True when ``exc`` came out of a DRF parser (the body), not out of our own code."""
    return any(
        frame.filename == parsers.__file__ for frame in traceback.extract_tb(exc.__traceback__)
    )


def exception_handler(exc, context):
    if isinstance(exc, RecursionError) and _raised_by_a_parser(exc):
        exc = ParseError(_("The request body is nested too deeply to be read."))
    if isinstance(exc, RequestDataTooBig):
        return too_large_response()
    if isinstance(exc, ReportConflict):
        changes = [
            {
                "element": c.element.code,
                "old_value": c.old_value,
                "new_value": c.new_value,
                "user": c.user.get_username() if c.user else None,
                "at": c.at,
            }
            for c in exc.changes
        ]
        return Response(
            {"detail": exc.message, "changes": changes}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, ReportInvalid):
        return Response(
            {"detail": exc.message, "findings": findings_json(exc.result, exc.blocking)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ReportError):
        return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
