"""The meeting pack's form: a network of the user's scope, the action period, language,
indicators and file; errors in the user's language (translated msgids)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facilities.models import LearningNetwork
from indicators.forms import MonthField, len_months, this_month
from indicators.models import Indicator
from indicators.periods import month_label

from .pack import (
    LANGUAGES,
    MAX_INDICATORS,
    MAX_PERIOD_MONTHS,
    PDF,
    PPTX,
    PackRequest,
    pack_networks,
)


class PackForm(forms.Form):
    """The pack's choices, limited to the user's networks; errors in the user's language."""

    network = forms.ModelChoiceField(
        label=gettext_lazy("Learning network"),
        queryset=LearningNetwork.objects.none(),
        empty_label=gettext_lazy("— choose a network —"),
        error_messages={
            "invalid_choice": gettext_lazy("Choose one of your learning networks."),
            "required": gettext_lazy("Choose a learning network."),
        },
    )
    start = MonthField(label=gettext_lazy("Action period from"))
    end = MonthField(label=gettext_lazy("Action period to"))
    indicators = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Indicators"),
        queryset=Indicator.objects.filter(is_key=True),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": gettext_lazy("Choose at least one indicator."),
            "invalid_choice": gettext_lazy("%(value)s is not a known indicator."),
        },
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the pack"), choices=LANGUAGES)
    format = forms.ChoiceField(
        label=gettext_lazy("File"),
        choices=[
            (PDF, gettext_lazy("PDF (to print)")),
            (PPTX, gettext_lazy("PowerPoint (to present)")),
        ],
    )
    include_submitted = forms.BooleanField(
        label=gettext_lazy("Include submitted (not yet approved) reports"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = pack_networks(user).order_by("name")
        self.fields["start"].required = self.fields["end"].required = True
        for form_field in self.fields.values():
            if isinstance(form_field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                form_field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(form_field.widget, forms.Select):
                form_field.widget.attrs.setdefault("class", "form-select")
            elif not isinstance(form_field.widget, forms.CheckboxSelectMultiple):
                form_field.widget.attrs.setdefault("class", "form-control")

    def clean_indicators(self):
        chosen = self.cleaned_data["indicators"]
        if len(chosen) > MAX_INDICATORS:
            raise forms.ValidationError(
                _("Choose at most %(n)s indicators: each adds a chart per facility.")
                % {"n": MAX_INDICATORS}
            )
        return chosen

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The action period must end after it starts."))
            elif len_months(start, end) > MAX_PERIOD_MONTHS:
                self.add_error(
                    "end",
                    _("An action period is at most %(n)s months.") % {"n": MAX_PERIOD_MONTHS},
                )
            elif end > this_month():
                self.add_error(
                    "end",
                    _("The action period cannot end after %(month)s, the last complete month.")
                    % {"month": month_label(this_month())},
                )
        return data

    def pack_request(self) -> PackRequest:
        data = self.cleaned_data
        return PackRequest(
            network=data["network"].pk,
            start=data["start"],
            end=data["end"],
            language=data["language"],
            indicators=tuple(sorted(i.code for i in data["indicators"])),
            include_submitted=data["include_submitted"],
        )
