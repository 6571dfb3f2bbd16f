"""Chart annotations: providers registered by other apps reach the trend page and API."""

import datetime as dt

import time_machine
from django.test import TestCase
from django.urls import reverse

from facilities.models import Facility
from indicators import annotations
from indicators.selectors.values import Annotation
from tests.factories import CatchmentTargetFactory, ReportFactory, WorldMixin, add_values
from tests.indicators.api.test_series import assert_matches_schema

PDSA = Annotation(dt.date(2025, 3, 14), "PDSA 1: kartu ANC", "pdsa", "/pdsa/1/")
SESSION = Annotation(dt.date(2025, 2, 3), "Learning session 1", "session")
OLD = Annotation(dt.date(2020, 1, 1), "Too early", "session")


class Recorder:
    """A provider that remembers its calls and returns the notes within the range."""

    def __init__(self, notes):
        self.notes, self.calls = notes, []

    def __call__(self, *, facilities, start, end, network):
        self.calls.append(
            {"facilities": facilities, "start": start, "end": end, "network": network}
        )
        return [n for n in self.notes if start <= n.date.replace(day=1) <= end]


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class AnnotationTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        CatchmentTargetFactory(facility=cls.pkm_lubuk_pinang, year=2025, pregnant=120)
        for month in range(1, 7):
            report = ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2025, month, 1))
            add_values(report, {"K6": 6})

    def register(self, *providers):
        for provider in providers:
            annotations.register(provider)
            self.addCleanup(annotations.unregister, provider)

    def test_annotations_are_merged_and_sorted_by_date(self):
        first, second = Recorder([PDSA, OLD]), Recorder([SESSION])
        self.register(first, second)
        facilities = Facility.objects.filter(district=self.mukomuko)
        found = annotations.annotations_for(
            facilities=facilities,
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 6, 1),
            network=self.network_cilegon,
        )
        self.assertEqual(found, [SESSION, PDSA])
        self.assertEqual(
            second.calls,
            [
                {
                    "facilities": facilities,
                    "start": dt.date(2025, 1, 1),
                    "end": dt.date(2025, 6, 1),
                    "network": self.network_cilegon,
                }
            ],
        )

    def test_register_is_idempotent_and_unregister_removes(self):
        provider = Recorder([PDSA])
        self.register(provider)
        annotations.register(provider)
        found = annotations.annotations_for(
            facilities=Facility.objects.all(), start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 1)
        )
        self.assertEqual(found.count(PDSA), 1)
        self.assertEqual(len(provider.calls), 1)
        self.assertIsNone(provider.calls[0]["network"])
        annotations.unregister(provider)
        annotations.unregister(provider)  # a second time is harmless
        found = annotations.annotations_for(
            facilities=Facility.objects.all(), start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 1)
        )
        self.assertNotIn(PDSA, found)

    def test_trend_page_draws_the_annotation(self):
        provider = Recorder([PDSA, OLD])
        self.register(provider)
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(reverse("indicators:trend", args=["K6_COV"]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.context["chart_data"]["annotations"],
            [
                {
                    "date": "2025-03-14",
                    "label": "PDSA 1: kartu ANC",
                    "kind": "pdsa",
                    "url": "/pdsa/1/",
                }
            ],
        )
        self.assertContains(response, "PDSA 1: kartu ANC")
        # the provider is asked for the page's months and the district user's facilities
        (call,) = provider.calls
        self.assertEqual((call["start"], call["end"]), (dt.date(2023, 7, 1), dt.date(2025, 6, 1)))
        self.assertEqual(
            set(call["facilities"]), set(Facility.objects.filter(district=self.mukomuko))
        )

    def test_series_api_returns_the_annotation(self):
        self.register(Recorder([PDSA]))
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(
            f"/api/v1/series/?indicator=K6_COV&district={self.mukomuko.code}&start=2025-01"
        )
        self.assertEqual(response.status_code, 200)
        data = response.json()
        assert_matches_schema(self, data)  # annotations and phases as documented
        self.assertEqual(data["points"][0]["numerator"], 6)
        self.assertEqual(
            data["annotations"],
            [
                {
                    "date": "2025-03-14",
                    "label": "PDSA 1: kartu ANC",
                    "kind": "pdsa",
                    "url": "/pdsa/1/",
                }
            ],
        )
