"""Dashboard series API: one indicator for one area over a range of months."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import pages
from ..areas import AREA_PARAMS
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
    indicator for an area the caller can see (404 otherwise); approved data by default.
    The same page builder as the trend page (``indicators.pages``)."""
    code = request.query_params.get("indicator", "")
    if not code:
        raise ValidationError({"indicator": ["This parameter is required."]})
    indicator = pages.indicator_or_404(code)
    result = pages.build(
        "trend", user=request.user, params=request.query_params, indicator=indicator
    )
    if result.area_error:
        raise ValidationError({"area": [result.area_error]})
    if result.data is None:
        raise ValidationError(result.form.errors.get_json_data())
    data = result.chart_data
    area = result.area
    data["area"] = {"level": area.level, "code": area.code, "name": area.name}
    data["statuses"] = list(result.form.statuses)
    return Response(data)  # the shape of SeriesSerializer (see its module)
