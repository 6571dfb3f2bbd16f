"""Scheduled work (celery beat, CELERY_BEAT_SCHEDULE in settings): report reminders and
the weekly digest. Each notice is keyed (facility-month-kind, user-week) in
:class:`ScheduledNotice`; a second run of the schedule finds the key and sends nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from facilities.models import District, Facility, RoleAssignment
from indicators.models import MonthlyReport, Notification
from indicators.periods import add_months, due_date, month_start
from indicators.services.notifications import notification_queue_email

from .models import ScheduledNotice
from .outbox import email_queue, in_language
from .selectors import DigestSignal, digest_signals

Role = RoleAssignment.Role
OVERDUE_AFTER = dt.timedelta(days=3)
# A run missed (beat down for a day) is caught up within this many days of the date.
CATCH_UP = dt.timedelta(days=2)


def _claim(key: str) -> bool:
    """True the first time ``key`` is claimed (inside the caller's transaction)."""
    try:
        with transaction.atomic():
            ScheduledNotice.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def reminder_kind(today: dt.date, due: dt.date) -> str | None:
    """Which reminder ``today`` calls for: on the due date, then 3 days after."""
    if due + OVERDUE_AFTER <= today <= due + OVERDUE_AFTER + CATCH_UP:
        return Notification.Kind.OVERDUE
    if due <= today <= due + CATCH_UP:
        return Notification.Kind.REMINDER
    return None


def facilities_to_remind(district: District, period: dt.date):
    """Facilities of ``district`` expected to report ``period`` (active, inside their
    reporting window) whose report is missing or still a draft."""
    submitted = MonthlyReport.objects.filter(period=period).exclude(
        status=MonthlyReport.Status.DRAFT
    )
    return (
        Facility.objects.filter(district=district)
        .filter(Q(reporting_start__isnull=True) | Q(reporting_start__lt=add_months(period, 1)))
        .filter(Q(reporting_end__gte=period) | Q(reporting_end__isnull=True, active=True))
        .exclude(pk__in=submitted.values("facility_id"))
        .order_by("code")
    )


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind facility staff of last month's missing or draft report on the due date and
    3 days after (in-app notice and e-mail). Returns the number of notices written."""
    today = today or timezone.localdate()
    period = add_months(month_start(today), -1)
    users = get_user_model().objects.filter(is_active=True).select_related("profile")
    sent = 0
    for district in District.objects.filter(facilities__isnull=False).distinct():
        kind = reminder_kind(today, due_date(period, district.report_due_day))
        if kind is None:
            continue
        for facility in facilities_to_remind(district, period):
            staff = users.filter(
                role_assignments__role=Role.FACILITY_STAFF, role_assignments__facility=facility
            ).distinct()
            report = MonthlyReport.objects.filter(facility=facility, period=period).first()
            with transaction.atomic():
                if not _claim(f"{kind}:{facility.pk}:{period:%Y-%m}"):
                    continue
                for user in staff:
                    notification = Notification.objects.create(
                        user=user, kind=kind, report=report, facility=facility, period=period
                    )
                    notification.facility = facility
                    notification_queue_email(notification)
                    sent += 1
    return sent


def _signal_lines(signals: list[DigestSignal]) -> list[str]:
    """One paragraph per new signal: where, which indicator, which kind and rule, the
    reports behind the month, and the trend page."""
    lines = [
        _("New signals on your dashboards in %(month)s (not there the month before):")
        % {"month": date_format(signals[0].month, "YEAR_MONTH_FORMAT")},
        "",
    ]
    for signal in signals[: settings.QI_DIGEST_MAX_LINES]:
        rates = signal.completeness
        lines += [
            _("- %(area)s, %(indicator)s: %(variation)s")
            % {
                "area": signal.area_name,
                "indicator": signal.indicator.name,
                "variation": signal.variation_label,
            },
            *(["  " + signal.rule_text] if signal.rule_text else []),
            "  "
            + _(
                "Summary marks of the overview (24 months); %(n)d of %(m)d facilities "
                "reported this month, %(approved)d approved."
            )
            % {
                "n": rates.included,
                "m": rates.facilities_expected,
                "approved": rates.approved,
            },
            "  " + settings.SITE_URL + signal.trend_path,
        ]
    if len(signals) > settings.QI_DIGEST_MAX_LINES:
        lines.append(
            _("… and %(count)d more.") % {"count": len(signals) - settings.QI_DIGEST_MAX_LINES}
        )
    return lines


def digest_text(
    user, waiting: list[MonthlyReport], now, signals: list[DigestSignal] = ()
) -> tuple[str, str]:
    """(subject, body) of the weekly digest in the active language."""
    count = len(waiting)
    parts = []
    if count:
        parts.append(
            ngettext(
                "%(count)d report waiting for approval",
                "%(count)d reports waiting for approval",
                count,
            )
            % {"count": count}
        )
    if signals:
        parts.append(
            ngettext("%(count)d new signal", "%(count)d new signals", len(signals))
            % {"count": len(signals)}
        )
    subject = "[QI Portal] " + ", ".join(parts)
    lines = []
    if waiting:
        lines += [_("Reports waiting for your approval, oldest first:"), ""]
        by_month = Counter(report.period for report in waiting)
        for report in waiting[: settings.QI_DIGEST_MAX_LINES]:
            days = (now - report.submitted_at).days if report.submitted_at else 0
            lines.append(
                _("- %(facility)s, %(month)s: submitted %(days)d days ago")
                % {
                    "facility": report.facility.name,
                    "month": date_format(report.period, "YEAR_MONTH_FORMAT"),
                    "days": days,
                }
            )
        if count > settings.QI_DIGEST_MAX_LINES:
            lines.append(
                _("… and %(count)d more.") % {"count": count - settings.QI_DIGEST_MAX_LINES}
            )
        lines += ["", _("Waiting per month:")]
        for month in sorted(by_month):
            lines.append(
                _("- %(month)s: %(count)d")
                % {"month": date_format(month, "YEAR_MONTH_FORMAT"), "count": by_month[month]}
            )
        lines += [
            "",
            _("Review queue: %(url)s")
            % {"url": settings.SITE_URL + reverse("indicators:review_queue")},
        ]
    if signals:
        lines += ["", *_signal_lines(signals)] if lines else _signal_lines(signals)
    return subject, "\n".join(lines)


def digests_send(*, now=None) -> int:
    """Weekly digest to district staff: reports of their districts waiting for approval
    (submitted), oldest first, with counts per month; and the new special-cause signals
    of their overviews (:func:`jobs.selectors.digest_signals`), each named in one digest
    only (keyed per user, area, indicator and month). Nothing to say, no e-mail."""
    now = now or timezone.now()
    year, week, _day = timezone.localtime(now).isocalendar()
    staff = (
        get_user_model()
        .objects.filter(is_active=True, role_assignments__role=Role.DISTRICT_STAFF)
        .exclude(email="")
        .distinct()
        .select_related("profile")
    )
    sent = 0
    for user in staff:
        week_key = f"digest:{user.pk}:{year}-W{week:02d}"
        if ScheduledNotice.objects.filter(key=week_key).exists():
            continue  # sent this week (beat ran again): spare the page builds
        district_ids = RoleAssignment.objects.filter(user=user, role=Role.DISTRICT_STAFF).values(
            "district_id"
        )
        waiting = list(
            MonthlyReport.objects.filter(
                status=MonthlyReport.Status.SUBMITTED, facility__district__in=district_ids
            )
            .select_related("facility")
            .order_by("submitted_at", "period", "facility__code")
        )
        with in_language(user):  # names, marks and rules in the recipient's language
            signals = [
                signal
                for district in District.objects.filter(pk__in=district_ids)
                .select_related("province")
                .order_by("name")
                for signal in digest_signals(user, district)
            ]
        if not waiting and not signals:
            continue
        with transaction.atomic():
            if not _claim(week_key):
                continue
            signals = [s for s in signals if _claim(f"signal:{user.pk}:{s.key}")]
            if not waiting and not signals:
                transaction.set_rollback(True)  # nothing new: this week's digest stays free
                continue
            with in_language(user):
                subject, body = digest_text(user, waiting, now, signals)
            email_queue(
                user=user,
                subject=subject,
                body=body,
                link=settings.SITE_URL
                + (reverse("indicators:review_queue") if waiting else signals[0].trend_path),
                kind="digest",
            )
            sent += 1
    return sent
