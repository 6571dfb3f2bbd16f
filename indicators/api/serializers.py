"""Serializers of the dashboard series endpoint: output only, they document the schema.

The endpoint returns the page's own JSON (``pages.Result.chart_data``), which already has
this shape; running 120 points through these serializers again cost ~7 ms of a 43 ms
request. ``tests/indicators/api/test_series.py`` checks that every response is what
these serializers would render, so the schema cannot drift from the data."""

from rest_framework import serializers


class SeriesIndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    unit_label = serializers.CharField(help_text="The unit as shown, e.g. '%' or 'per 1,000'")
    direction = serializers.ChoiceField(choices=["up", "down"])
    factor = serializers.IntegerField()


class SeriesAreaSerializer(serializers.Serializer):
    level = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class PointSignalSerializer(serializers.Serializer):
    rule = serializers.CharField()
    text = serializers.CharField()


class SeriesPointSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="Month, YYYY-MM")
    label = serializers.CharField()
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    value = serializers.FloatField(allow_null=True, help_text="In display units (e.g. %)")
    small_number = serializers.BooleanField()
    centre = serializers.FloatField(allow_null=True)
    lcl = serializers.FloatField(allow_null=True)
    ucl = serializers.FloatField(allow_null=True)
    special_cause = serializers.BooleanField()
    run_signal = serializers.BooleanField()
    reported = serializers.IntegerField(
        allow_null=True, help_text="Reports in this figure (the n of 'n of m reported')"
    )
    expected = serializers.IntegerField(
        allow_null=True, help_text="Reports expected this month, due or not yet due"
    )
    not_due = serializers.BooleanField(help_text="The reporting deadline has not passed")
    complete = serializers.BooleanField(
        help_text="reported >= complete_threshold x expected, and due"
    )
    excluded = serializers.BooleanField(
        help_text="Left out of the centre line, limits and signals (an incomplete month)"
    )
    phase = serializers.IntegerField(
        help_text="Phase of the point (0 = first); each phase has its own centre and limits"
    )
    signals = PointSignalSerializer(many=True, help_text="Every signal covering the point")


class SeriesSignalSerializer(serializers.Serializer):
    rule = serializers.CharField()
    start = serializers.CharField()
    end = serializers.CharField()
    direction = serializers.CharField(allow_null=True)
    points = serializers.IntegerField()
    text = serializers.CharField()


class SeriesAnnotationSerializer(serializers.Serializer):
    date = serializers.DateField()
    label = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    key = serializers.CharField(
        required=False, help_text="The object, e.g. pdsa-12 (the trend page's split= value)"
    )


class SeriesPhaseSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="First month of the new phase, YYYY-MM")
    label = serializers.CharField()
    reason = serializers.CharField(help_text="Why, e.g. the PDSA cycle that started then")
    key = serializers.CharField(allow_blank=True)


class SeriesSerializer(serializers.Serializer):
    indicator = SeriesIndicatorSerializer()
    area = SeriesAreaSerializer()
    statuses = serializers.ListField(child=serializers.CharField())
    chart = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    centre_label = serializers.CharField()
    points = SeriesPointSerializer(many=True)
    signals = SeriesSignalSerializer(many=True)
    annotations = SeriesAnnotationSerializer(many=True)
    include_incomplete = serializers.BooleanField()
    complete_threshold = serializers.FloatField(
        help_text="Share of expected reports that makes a month complete"
    )
    phases = SeriesPhaseSerializer(many=True, help_text="Phase splits after the first phase")
