"""Dashboard series API: one indicator for one area over a range of months."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import selectors
from ..areas import AREA_PARAMS, AreaError, resolve_area
from ..forms import TrendForm
from ..models import Indicator
from .serializers import SeriesSerializer

_PARAMETERS = [
    OpenApiParameter("indicator", OpenApiTypes.STR, required=True, description="e.g. K6_COV"),
    *(
        OpenApiParameter(name, OpenApiTypes.STR, description="area (at most one)")
        for name in AREA_PARAMS
    ),
    OpenApiParameter("start", OpenApiTypes.STR, description="first month, YYYY-MM"),
    OpenApiParameter("end", OpenApiTypes.STR, description="last month, YYYY-MM"),
    OpenApiParameter("chart", OpenApiTypes.STR, description="auto, run, p, laney_p, u or i"),
    OpenApiParameter("include_submitted", OpenApiTypes.BOOL),
]


@extend_schema(parameters=_PARAMETERS, responses=SeriesSerializer)
@api_view(["GET"])
def series(request):
    """Monthly points (numerator, denominator, value, centre, limits) and signals of one
    indicator for an area the caller can see (404 otherwise); approved data by default."""
    try:
        area = resolve_area(request.user, request.query_params)
    except AreaError as error:
        raise ValidationError({"area": [str(error)]}) from error
    code = request.query_params.get("indicator", "")
    found = selectors.indicators_with_elements(Indicator.objects.filter(code=code))
    if not found:
        if not code:
            raise ValidationError({"indicator": ["This parameter is required."]})
        raise Http404
    indicator = found[0]
    form = TrendForm(request.query_params, indicator=indicator)
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data())
    result = selectors.trend(
        indicator=indicator,
        facilities=area.facilities,
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
        chart=form.cleaned_data["chart"],
        statuses=form.statuses,
        network=area.network,
        districts=area.whole_districts,
    )
    data = result.as_json()
    data["area"] = {"level": area.level, "code": area.code, "name": area.name}
    data["statuses"] = list(form.statuses)
    return Response(SeriesSerializer(data).data)
