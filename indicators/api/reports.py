"""Monthly reports over the API: the same services, rights and messages as the form.

Service refusals become responses in one place, ``api/errors.py`` (the project's
``EXCEPTION_HANDLER``)."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from facilities.models import Facility

from ..models import DataValue, MonthlyReport
from ..periods import format_period, parse_period
from ..services import reports
from ..validation import is_plain_number_text
from .errors import findings_json


@extend_schema_field(OpenApiTypes.STR)
class PeriodField(serializers.Field):
    default_error_messages = {"invalid": _("Use the month format YYYY-MM, e.g. 2025-03.")}

    def to_representation(self, value):
        return format_period(value)

    def to_internal_value(self, data):
        period = parse_period(str(data))
        if period is None:
            self.fail("invalid")
        return period


class ReportSerializer(serializers.ModelSerializer):
    facility = serializers.CharField(source="facility.code")
    period = PeriodField()
    values = serializers.SerializerMethodField()
    comments = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "facility",
            "period",
            "status",
            "version",
            "submitted_at",
            "approved_at",
            "returned_at",
            "return_reason",
            "values",
            "comments",
        ]

    def get_values(self, report) -> dict[str, int]:
        return {v.element.code: v.value for v in report.values.all()}

    def get_comments(self, report) -> dict[str, str]:
        return {v.element.code: v.comment for v in report.values.all() if v.comment}


class ReportCreateSerializer(serializers.Serializer):
    facility = serializers.CharField()
    period = PeriodField()


class CountField(serializers.IntegerField):
    """A count as JSON number, or as text with the digits 0–9 (``is_plain_number_text``)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not is_plain_number_text(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ValuesSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    values = serializers.DictField(
        child=CountField(min_value=0, max_value=1_000_000, allow_null=True),
        required=False,
    )
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=1000), required=False
    )


class EmptySerializer(serializers.Serializer):
    """No body."""


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReportFilter(filters.FilterSet):
    facility = filters.CharFilter(field_name="facility__code")
    period = filters.CharFilter(method="filter_period")
    status = filters.ChoiceFilter(choices=MonthlyReport.Status.choices)

    class Meta:
        model = MonthlyReport
        fields = ["facility", "period", "status"]

    def filter_period(self, queryset, name, value):
        period = parse_period(value)
        if period is None:
            raise ValidationError({"period": _("Use the month format YYYY-MM, e.g. 2025-03.")})
        return queryset.filter(period=period)


class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reports in the caller's scope; others answer 404. Writes go through the services:
    `PUT values` (optimistic locking: 409 with the other person's changes), `submit`
    (400 with the validation findings), `approve`, `return` and `reopen`."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter

    def get_queryset(self):
        values = DataValue.objects.select_related("element").only(
            "report_id", "value", "comment", "element__code"
        )
        return (
            MonthlyReport.objects.visible_to(self.request.user)
            .select_related("facility__district")
            .prefetch_related(Prefetch("values", queryset=values))
            .order_by("-period", "facility__code")
        )

    def retrieve(self, request, *args, **kwargs):
        report = self.get_object()
        data = self.get_serializer(report).data
        data["findings"] = findings_json(reports.report_validate(report)) if data["values"] else []
        return Response(data)

    def create(self, request, *args, **kwargs):
        payload = ReportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        facility = (
            Facility.objects.visible_to(request.user)
            .select_related("district")
            .filter(code=payload.validated_data["facility"])
            .first()
        )
        if facility is None:
            raise ValidationError({"facility": _("Unknown facility.")})
        report = reports.report_create(
            facility=facility, period=payload.validated_data["period"], user=request.user
        )
        return Response(self._fresh(report), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["put"], serializer_class=ValuesSerializer)
    def values(self, request, pk=None, format=None):
        report = self.get_object()
        payload = ValuesSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reports.report_save(
            report=report,
            user=request.user,
            values=payload.validated_data.get("values", {}),
            comments=payload.validated_data.get("comments", {}),
            expected_version=payload.validated_data["version"],
        )
        return Response(self._fresh(report))

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def submit(self, request, pk=None, format=None):
        report = self.get_object()
        reports.report_submit(report=report, user=request.user)
        return Response(self._fresh(report))

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def approve(self, request, pk=None, format=None):
        report = self.get_object()
        reports.report_approve(report=report, user=request.user)
        return Response(self._fresh(report))

    @action(detail=True, methods=["post"], url_path="return", serializer_class=ReasonSerializer)
    def return_(self, request, pk=None, format=None):
        return self._with_reason(request, reports.report_return)

    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def reopen(self, request, pk=None, format=None):
        return self._with_reason(request, reports.report_reopen)

    def _with_reason(self, request, service):
        report = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reason = payload.validated_data["reason"]
        service(report=report, user=request.user, reason=reason)
        return Response(self._fresh(report))

    def _fresh(self, report):
        report = self.get_queryset().get(pk=report.pk)
        return ReportSerializer(report, context=self.get_serializer_context()).data
