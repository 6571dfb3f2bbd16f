from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import Profile


class GrantForm(forms.Form):
    """A role over a scope, chosen among what the granter may give."""

    grant = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {o.value: o for o in options}
        self.fields["grant"].choices = [("", "—")] + [(o.value, o.label) for o in options]

    @property
    def option(self):
        return self.options[self.cleaned_data["grant"]]


class InviteForm(GrantForm):
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
    )
    field_order = ["email", "first_name", "last_name", "language", "grant"]


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["language"]
