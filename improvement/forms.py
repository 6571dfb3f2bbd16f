"""Forms of the improvement workspace; choices are always scoped to the user."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from facilities.models import Facility, LearningNetwork
from indicators.models import Indicator

from .models import Action, PDSACycle

DATE = forms.DateInput(attrs={"type": "date"})


def people_for(user):
    """Users who could own an action the user opens: anyone holding a role over the
    user's facilities, districts or networks, and the user."""
    facilities = Facility.objects.visible_to(user)
    return (
        get_user_model()
        .objects.filter(
            Q(pk=user.pk)
            | Q(role_assignments__facility__in=facilities)
            | Q(role_assignments__district__in=facilities.values("district_id"))
            | Q(role_assignments__network__in=LearningNetwork.objects.visible_to(user))
        )
        .filter(is_active=True)
        .distinct()
        .order_by("username")
    )


class Bootstrap:
    """Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)


class PDSAForm(Bootstrap, forms.ModelForm):
    class Meta:
        model = PDSACycle
        fields = [
            "facility",
            "title",
            "plan",
            "prediction",
            "do",
            "study",
            "act",
            "start_date",
            "end_date",
            "status",
            "indicators",
            "builds_on",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "plan": forms.Textarea(attrs={"rows": 3}),
            "prediction": forms.Textarea(attrs={"rows": 2}),
            "do": forms.Textarea(attrs={"rows": 3}),
            "study": forms.Textarea(attrs={"rows": 3}),
            "indicators": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, facilities, idea, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["indicators"].queryset = Indicator.objects.filter(
            Q(pk=idea.aim.indicator_id) | Q(pdsa_cycles__change_idea=idea)
        ).distinct()
        earlier = PDSACycle.objects.filter(change_idea=idea, facility__in=facilities)
        if self.instance.pk:
            earlier = earlier.exclude(pk=self.instance.pk)
            self.fields["facility"].disabled = True
        self.fields["builds_on"].queryset = earlier.select_related("facility")
        self.fields["builds_on"].label_from_instance = lambda c: f"{c.title} ({c.facility})"


class ActionForm(Bootstrap, forms.ModelForm):
    class Meta:
        model = Action
        fields = ["facility", "title", "owner", "due_date", "indicator", "month", "source"]
        widgets = {"due_date": DATE, "month": forms.DateInput(attrs={"type": "month"})}
        help_texts = {"month": _("The month of the signal, if any (YYYY-MM).")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = Facility.objects.visible_to(user)
        self.fields["owner"].queryset = people_for(user)
        self.fields["month"].input_formats = ["%Y-%m", "%Y-%m-%d"]
        self.fields["month"].widget.format = "%Y-%m"
        if self.instance.pk:
            self.fields["facility"].disabled = True
            self.fields["source"].disabled = True


class CloseActionForm(Bootstrap, forms.Form):
    what_was_done = forms.CharField(
        label=_("What was done?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class PracticeForm(Bootstrap, forms.Form):
    facility = forms.ModelChoiceField(queryset=Facility.objects.none(), label=_("Facility"))
    title = forms.CharField(label=_("Title"), max_length=200)
    indicator = forms.ModelChoiceField(
        queryset=Indicator.objects.all(), label=_("Indicator it moved")
    )
    story = forms.CharField(label=_("Story"), widget=forms.Textarea(attrs={"rows": 6}))
    tags = forms.CharField(
        label=_("Tags"), max_length=200, required=False, help_text=_("Comma-separated")
    )

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class LibraryFilter(Bootstrap, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    indicator = forms.ModelChoiceField(
        queryset=Indicator.objects.all(), required=False, label=_("Indicator")
    )
    network = forms.ModelChoiceField(
        queryset=LearningNetwork.objects.all(),
        required=False,
        to_field_name="slug",
        label=_("Network"),
    )


class UploadForm(Bootstrap, forms.Form):
    file = forms.FileField(label=_("Image or PDF (at most 5 MB)"))
