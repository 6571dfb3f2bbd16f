from rest_framework import viewsets

from ..filters import FacilityFilter
from ..selectors import facilities_for_list
from .serializers import FacilitySerializer


class FacilityViewSet(viewsets.ReadOnlyModelViewSet):
    """Facilities in the caller's scope; others answer 404."""

    serializer_class = FacilitySerializer
    filterset_class = FacilityFilter
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return facilities_for_list(self.request.user).order_by("code")
