"""Facility filters, shared by the HTML list and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import District, Facility, LearningNetwork, Subdistrict


def _districts(request):
    if request is None:
        return District.objects.none()
    return District.objects.visible_to(request.user).filter(facilities__isnull=False).distinct()


def _subdistricts(request):
    if request is None:
        return Subdistrict.objects.none()
    return Subdistrict.objects.filter(
        facilities__in=Facility.objects.visible_to(request.user)
    ).distinct()


def _networks(request):
    if request is None:
        return LearningNetwork.objects.none()
    return LearningNetwork.objects.visible_to(request.user)


class FacilityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search name or code"))
    district = django_filters.ModelChoiceFilter(
        queryset=_districts, field_name="district", label=_("District"), to_field_name="code"
    )
    subdistrict = django_filters.ModelChoiceFilter(
        queryset=_subdistricts,
        field_name="subdistrict",
        label=_("Subdistrict (kecamatan)"),
        to_field_name="code",
    )
    type = django_filters.ChoiceFilter(choices=Facility.Type.choices, label=_("Type"))
    network = django_filters.ModelChoiceFilter(
        queryset=_networks,
        field_name="networks",
        label=_("Learning network"),
        to_field_name="slug",
        distinct=True,
    )
    poned = django_filters.BooleanFilter(label=_("PONED"))
    ponek = django_filters.BooleanFilter(label=_("PONEK"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Facility
        fields = ["q", "district", "subdistrict", "type", "network", "poned", "ponek", "active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = "form-select" if hasattr(field, "choices") else "form-control"
            field.widget.attrs.setdefault("class", f"{css} form-select-sm form-control-sm")
