"""One mapping from service refusals to API responses (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``).

ReportConflict → 409 with the changes made since the caller's version; ReportInvalid →
400 with the findings that block; any other ReportError → 400; Django's PermissionDenied
→ 403 and Http404 → 404 (DRF's own handling). The message is already in the user's
language.
"""

from rest_framework import status
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


def exception_handler(exc, context):
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
