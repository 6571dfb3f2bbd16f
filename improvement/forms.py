"""Forms of the improvement workspace; choices are always scoped to the user."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from facilities.models import Facility, LearningNetwork
from indicators.models import Indicator

from .models import PROGRESS_SCALE, Action, Aim, CoachingVisit, Driver, PDSACycle

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # ISO: what type=date reads


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
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
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


# ----------------------------------------------------------------------------- aims, drivers
class AimForm(Bootstrap, forms.ModelForm):
    class Meta:
        model = Aim
        fields = [
            "statement",
            "indicator",
            "baseline_value",
            "baseline_start",
            "baseline_end",
            "target_value",
            "target_date",
        ]
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 2}),
            "baseline_start": forms.DateInput(attrs={"type": "month"}),
            "baseline_end": forms.DateInput(attrs={"type": "month"}),
            "target_date": DATE,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("baseline_start", "baseline_end"):
            self.fields[name].input_formats = ["%Y-%m", "%Y-%m-%d"]
            self.fields[name].widget.format = "%Y-%m"
            self.fields[name].help_text = _("Month (YYYY-MM).")


class DriverAddForm(forms.Form):
    kind = forms.ChoiceField(choices=Driver.Kind.choices)
    parent = forms.IntegerField(required=False)
    text = forms.CharField(max_length=300, label=_("Text"))


class DriverRenameForm(forms.Form):
    text = forms.CharField(max_length=300, label=_("Text"))


class DriverMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False)
    parent = forms.IntegerField(required=False)


# ----------------------------------------------------------------------------- sessions
class SessionForm(Bootstrap, forms.Form):
    """A learning session, with one present/absent box and a number of people for each
    facility that is a member of the network on the session's date."""

    title = forms.CharField(label=_("Title"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200)
    agenda = forms.CharField(label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 5}))
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for facility in self.members:
            self.fields[f"present_{facility.pk}"] = forms.BooleanField(
                label=_("Present"), required=False
            )
            self.fields[f"people_{facility.pk}"] = forms.IntegerField(
                label=_("Number of people"),
                required=False,
                min_value=0,
                max_value=500,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )

    def attendance_rows(self):
        return [(f, self[f"present_{f.pk}"], self[f"people_{f.pk}"]) for f in self.members]

    def clean(self):
        data = super().clean()
        for f in self.members:
            present = data.get(f"present_{f.pk}")
            people = data.get(f"people_{f.pk}") or 0
            if present and people < 1:
                self.add_error(f"people_{f.pk}", _("How many people came?"))
            if not present and people:
                self.add_error(f"present_{f.pk}", _("People came: tick present."))
        return data

    def attendance(self) -> dict[int, int]:
        data = self.cleaned_data
        return {
            f.pk: (data.get(f"people_{f.pk}") or 0) if data.get(f"present_{f.pk}") else 0
            for f in self.members
        }


# ----------------------------------------------------------------------------- visits
class VisitForm(Bootstrap, forms.ModelForm):
    class Meta:
        model = CoachingVisit
        fields = ["facility", "coach", "date", "findings"]
        widgets = {"date": DATE, "findings": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, facilities, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["coach"].queryset = people_for(user)
        self.fields["coach"].label_from_instance = lambda u: u.get_full_name() or u.username
        if self.instance.pk:
            self.fields["facility"].disabled = True


class FollowUpForm(Bootstrap, forms.Form):
    title = forms.CharField(label=_("What to do"), max_length=200)
    owner = forms.ModelChoiceField(queryset=None, label=_("Owner"))
    due_date = forms.DateField(label=_("Due date"), widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people_for(user)
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username


# ----------------------------------------------------------------------------- progress
class ProgressScoreForm(Bootstrap, forms.Form):
    score = forms.TypedChoiceField(
        label=_("Progress score"),
        coerce=Decimal,
        choices=[(str(v), f"{v} · {label}") for v, label in PROGRESS_SCALE],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
