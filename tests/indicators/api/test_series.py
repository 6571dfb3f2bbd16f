"""The series API behind the charts: scoped like the pages, figures from the selectors."""

import datetime as dt
import json

import time_machine
from django.test import TestCase

from indicators.api.serializers import SeriesSerializer
from tests.factories import CatchmentTargetFactory, ReportFactory, WorldMixin, add_values

URL = "/api/v1/series/"


def assert_matches_schema(test, data: dict) -> None:
    """The endpoint returns the page's JSON as it is: it must be exactly what the
    documented serializers render of it (no key missing, none undocumented, same types)."""
    rendered = json.loads(json.dumps(SeriesSerializer(data).data))
    test.assertEqual(data, rendered)
    for ours, theirs in zip(data["points"], rendered["points"], strict=True):
        test.assertEqual(
            {k: type(v) for k, v in ours.items()}, {k: type(v) for k, v in theirs.items()}
        )


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class SeriesApiTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        for facility, k6 in ((cls.pkm_lubuk_pinang, 6), (cls.pkm_kota_mukomuko, 3)):
            CatchmentTargetFactory(facility=facility, year=2025, pregnant=120)
            for month in range(1, 7):
                status = "submitted" if month == 6 else "approved"
                report = ReportFactory(
                    facility=facility, period=dt.date(2025, month, 1), status=status
                )
                add_values(report, {"K6": k6})

    def get(self, user, query):
        self.client.force_login(user)
        response = self.client.get(f"{URL}?{query}")
        if response.status_code == 200:
            assert_matches_schema(self, response.json())
        return response

    def test_anonymous_is_refused(self):
        self.assertEqual(self.client.get(f"{URL}?indicator=K6_COV").status_code, 403)

    def test_district_series_sums_facilities(self):
        response = self.get(self.dinkes_mukomuko, "indicator=K6_COV&district=17.06&start=2025-01")
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(
            data["area"], {"level": "district", "code": "17.06", "name": "Kabupaten Mukomuko"}
        )
        self.assertEqual(data["statuses"], ["approved"])
        self.assertEqual([p["period"] for p in data["points"]][:2], ["2025-01", "2025-02"])
        january = data["points"][0]
        self.assertEqual(january["numerator"], 9)
        self.assertAlmostEqual(january["denominator"], 20.0)
        self.assertAlmostEqual(january["value"], 45.0)
        self.assertEqual(data["chart"], "run")
        # the RSUD never reports: 2 of 3 is under the 80 % threshold, so every month is
        # drawn hollow and left out of the median unless the user includes them
        self.assertEqual((january["reported"], january["expected"]), (2, 3))
        self.assertFalse(january["complete"])
        self.assertTrue(january["excluded"])
        self.assertIsNone(january["centre"])
        self.assertIsNone(data["points"][5]["value"])  # June only submitted
        self.assertEqual(data["points"][5]["reported"], 0)
        self.assertEqual(data["annotations"], [])
        self.assertFalse(data["include_incomplete"])
        self.assertEqual(data["complete_threshold"], 0.8)
        judged = self.get(
            self.dinkes_mukomuko,
            "indicator=K6_COV&district=17.06&start=2025-01&include_incomplete=1",
        ).json()
        self.assertFalse(judged["points"][0]["excluded"])
        self.assertAlmostEqual(judged["points"][0]["centre"], 45.0)

    def test_a_complete_month_is_judged(self):
        data = self.get(self.dinkes_mukomuko, "indicator=K6_COV&facility=P1706001").json()
        january = next(p for p in data["points"] if p["period"] == "2025-01")
        self.assertEqual((january["reported"], january["expected"]), (1, 1))
        self.assertTrue(january["complete"])
        self.assertFalse(january["excluded"])
        self.assertIsNotNone(january["centre"])
        june = next(p for p in data["points"] if p["period"] == "2025-06")
        self.assertFalse(june["complete"])  # submitted, not approved: not in the figure

    def test_include_submitted(self):
        query = "indicator=K6_COV&facility=P1706001&start=2025-06&include_submitted=1"
        (june,) = self.get(self.dinkes_mukomuko, query).json()["points"]
        self.assertEqual(june["numerator"], 6)

    def test_out_of_scope_is_404(self):
        for query in ("district=36.72", "facility=P3672004", "network=no-such"):
            response = self.get(self.dinkes_mukomuko, f"indicator=K6_COV&{query}")
            self.assertEqual(response.status_code, 404, query)
        self.assertEqual(
            self.get(self.coach_cilegon, "indicator=K6_COV&district=36.72").status_code, 200
        )
        self.assertEqual(
            self.get(self.outsider, "indicator=K6_COV&district=17.06").status_code, 404
        )

    def test_bad_parameters(self):
        self.assertEqual(self.get(self.admin, "indicator=NOPE").status_code, 404)
        response = self.get(self.admin, "indicator=K6_COV&start=2025-13")
        self.assertEqual(response.status_code, 400)
        self.assertIn("start", response.json())
        self.assertEqual(self.get(self.admin, "").status_code, 400)
        self.assertEqual(
            self.get(self.admin, "indicator=K6_COV&district=17.06&facility=P1706001").status_code,
            400,
        )
        self.client.force_login(self.admin)
        self.assertEqual(self.client.post(f"{URL}?indicator=K6_COV").status_code, 405)
