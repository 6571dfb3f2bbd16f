"""Forms of the Excel round-trip: template choice and upload (confirm posts a token)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities.models import District, Facility

from .excel import MAX_MONTHS, MAX_UPLOAD_BYTES, XLSX_CONTENT_TYPE
from .periods import (
    add_months,
    format_period,
    last_complete_month,
    month_range,
    month_start,
    parse_period,
)

SELECT_LIMIT = 500  # above this many facilities, type the code instead of picking it


class MonthField(forms.CharField):
    """A calendar month as YYYY-MM (``<input type="month">``), cleaned to its first day."""

    widget = forms.TextInput(
        attrs={"type": "month", "class": "form-control", "placeholder": "YYYY-MM"}
    )

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        month = parse_period(text)
        if month is None:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2025-03."))
        return month


class TemplateForm(forms.Form):
    """A facility or a district and a month range. Codes are plain text here: the view
    resolves them within the user's scope (404 outside it)."""

    facility = forms.CharField(label=_("Facility"), required=False)
    district = forms.CharField(label=_("or a whole district"), required=False)
    month_from = MonthField(label=_("From month"))
    month_to = MonthField(label=_("To month"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        facilities = Facility.objects.visible_to(user).filter(active=True)
        count = facilities.count()
        if count <= SELECT_LIMIT:
            self.fields["facility"].widget = forms.Select(
                choices=[("", "—")] + [(f.code, f"{f.name} ({f.code})") for f in facilities],
                attrs={"class": "form-select"},
            )
        else:
            self.fields["facility"].widget.attrs.update(
                {"class": "form-control", "placeholder": _("facility code")}
            )
        self.fields["district"].widget = forms.Select(
            choices=[("", "—")]
            + [(d.code, f"{d.name} ({d.code})") for d in District.objects.visible_to(user)],
            attrs={"class": "form-select"},
        )
        if not self.is_bound:
            last = last_complete_month(timezone.localdate())
            self.initial.setdefault("month_from", format_period(add_months(last, -2)))
            self.initial.setdefault("month_to", format_period(last))
            if count == 1:  # a facility head: their own facility
                self.initial.setdefault("facility", facilities.get().code)

    def clean(self):
        data = super().clean()
        facility, district = data.get("facility"), data.get("district")
        if bool(facility) == bool(district):
            self.add_error(None, _("Choose either one facility or one district."))
        start, end = data.get("month_from"), data.get("month_to")
        if start and end:
            if end < start:
                self.add_error("month_to", _("The last month comes before the first."))
            elif end > month_start(timezone.localdate()):
                self.add_error("month_to", _("Reports cannot be made for a month in the future."))
            elif len(month_range(start, end)) > MAX_MONTHS:
                self.add_error(
                    "month_to", _("At most %(count)s months at a time.") % {"count": MAX_MONTHS}
                )
        return data

    def months(self) -> list[dt.date]:
        return month_range(self.cleaned_data["month_from"], self.cleaned_data["month_to"])


class UploadForm(forms.Form):
    file = forms.FileField(
        widget=forms.ClearableFileInput(
            attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}", "class": "form-control"}
        ),
        error_messages={"required": _("Choose the file to upload.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = _("Filled-in template (.xlsx, at most %(size)s MB)") % {
            "size": MAX_UPLOAD_BYTES // (1024 * 1024)
        }
