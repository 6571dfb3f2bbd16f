"""Submitted reports waiting at the Mukomuko district office, for the review tests."""

import datetime as dt

from django.utils import timezone

from indicators.models import DataValue, MonthlyReport
from tests.factories import ReportFactory, add_values

Status = MonthlyReport.Status
CLEAN = {"K1": 20, "K4": 15, "PN": 10, "PF": 9}


def submitted(facility, period, values, *, day=5, comments=None, pk=None):
    report = ReportFactory(
        **({"pk": pk} if pk else {}),
        facility=facility,
        period=period,
        status=Status.SUBMITTED,
        first_submitted_at=timezone.make_aware(dt.datetime(2025, 7, day, 9)),
        submitted_at=timezone.make_aware(dt.datetime(2025, 7, day, 9)),
    )
    add_values(report, values)
    for code, comment in (comments or {}).items():
        DataValue.objects.filter(report=report, element__code=code).update(comment=comment)
    return report
