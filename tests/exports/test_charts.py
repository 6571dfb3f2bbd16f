"""Server-side charts: drawn from the page objects, incomplete months hollow, signals marked
as on the dashboard, annotations as vertical markers, SVG with the same artists."""

import datetime as dt
from types import SimpleNamespace

import time_machine
from django.test import SimpleTestCase, TestCase
from matplotlib.colors import to_hex

from exports import charts
from exports.pack import trend_labels
from indicators import pages
from tests.exports.world import NOW, PackWorldMixin


def point(value, *, complete=True, excluded=False, signals=(), special=False, run=False):
    return {
        "value": value,
        "label": "m",
        "centre": 5.0,
        "lcl": 1.0,
        "ucl": 9.0,
        "complete": complete,
        "excluded": excluded,
        "signals": list(signals),
        "special_cause": special,
        "run_signal": run,
    }


def fake_series(points):
    return SimpleNamespace(
        points=points,
        months=[dt.date(2025, 1 + i, 1) for i in range(len(points))],
        target=None,
        annotations=[],
        include_incomplete=False,
        indicator=SimpleNamespace(unit_label="%"),
    )


def artist(figure, gid):
    found = [a for a in figure.axes[0].get_children() if a.get_gid() == gid]
    return found[0] if found else None


class PointMarkTests(SimpleTestCase):
    def test_marks_as_the_dashboard_does(self):
        outside = {"rule": "outside_limits", "text": "x"}
        run = {"rule": "long_run", "text": "x"}
        crossings = {"rule": "few_crossings", "text": "x"}
        self.assertEqual(charts.point_mark(point(3, signals=[run, outside])), "outside")
        self.assertEqual(charts.point_mark(point(3, signals=[run])), "run")
        self.assertIsNone(charts.point_mark(point(3, signals=[crossings])))
        # an excluded (incomplete) month and a month without a value are never marked
        self.assertIsNone(charts.point_mark(point(3, excluded=True, signals=[outside])))
        self.assertIsNone(charts.point_mark(point(None, signals=[outside])))


class TrendFigureTests(SimpleTestCase):
    def test_incomplete_months_are_hollow_and_signals_shaped(self):
        series = fake_series(
            [
                point(4),
                point(6, complete=False, excluded=True),
                point(12, signals=[{"rule": "outside_limits", "text": "x"}]),
                point(7, signals=[{"rule": "long_run", "text": "x"}]),
            ]
        )
        figure = charts.trend_figure(series, labels=trend_labels())
        hollow = artist(figure, "points-incomplete")
        self.assertEqual(hollow.get_offsets().tolist(), [[1.0, 6.0]])
        self.assertEqual(to_hex(hollow.get_facecolor()[0]), "#ffffff")
        self.assertEqual(to_hex(hollow.get_edgecolor()[0]), "#777777")
        self.assertEqual(artist(figure, "points-complete").get_offsets().tolist(), [[0.0, 4.0]])
        outside = artist(figure, "points-outside")
        self.assertEqual(outside.get_offsets().tolist(), [[2.0, 12.0]])
        self.assertEqual(to_hex(outside.get_facecolor()[0]), "#d55e00")
        run = artist(figure, "points-run")
        self.assertEqual(to_hex(run.get_facecolor()[0]), "#e69f00")
        svg = charts.to_svg(figure).decode()
        self.assertIn('id="points-incomplete"', svg)
        self.assertIn('id="centre"', svg)
        self.assertTrue(charts.to_png(figure).startswith(b"\x89PNG"))

    def test_caption_says_title_period_source_and_completeness(self):
        caption = charts.Caption("K6 — Ciwandan", "Jan – Jun 2025", "Approved only", "5 of 6")
        figure = charts.trend_figure(
            fake_series([point(4)]), labels=trend_labels(), caption=caption
        )
        svg = charts.to_svg(figure).decode()
        for words in ("K6 — Ciwandan", "Jan – Jun 2025", "Approved only", "5 of 6"):
            self.assertIn(words, svg)


@time_machine.travel(NOW)
class ChartsFromPagesTests(PackWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_pack_world()

    def build(self, name, **params):
        indicator = pages.indicator_or_404("K6_COV")
        return pages.build(name, user=self.coach_cilegon, params=params, indicator=indicator)

    def test_network_trend_draws_the_incomplete_months_of_the_page_hollow(self):
        series = self.build("trend", network="cqi-cilegon", start="2024-07", end="2025-06").data
        incomplete = [i for i, p in enumerate(series.points) if not p["complete"]]
        self.assertEqual(incomplete, [10, 11])  # May (2 of 3 reports) and June (2 of 3 approved)
        figure = charts.trend_figure(series, labels=trend_labels())
        hollow = artist(figure, "points-incomplete")
        self.assertEqual([x for x, _y in hollow.get_offsets().tolist()], [10.0, 11.0])
        self.assertEqual(
            [y for _x, y in hollow.get_offsets().tolist()],
            [series.points[10]["value"], series.points[11]["value"]],
        )

    def test_pdsa_start_is_a_vertical_marker_at_its_month(self):
        series = self.build("trend", facility="P3672004", start="2024-07", end="2025-06").data
        self.assertTrue(series.annotations)
        figure = charts.trend_figure(series, labels=trend_labels())
        marker = artist(figure, "annotation")
        # 14 April 2025: month index 9, two fifths into the month
        self.assertAlmostEqual(marker.get_xdata()[0], 9 - 0.5 + 13 / 31)

    def test_funnel_from_the_compare_page(self):
        comparison = self.build(
            "compare", network="cqi-cilegon", period="2025-04", span="quarter"
        ).data
        figure = charts.funnel_figure(comparison.to_json(), labels=trend_labels())
        gids = {a.get_gid() for a in figure.axes[0].get_children()}
        self.assertTrue({"funnel-upper_95", "funnel-lower_998", "funnel-theta"} <= gids)
        points = [
            a
            for a in figure.axes[0].get_children()
            if a.get_gid() in ("funnel-points", "funnel-outside")
        ]
        self.assertEqual(sum(len(a.get_offsets()) for a in points), 3)
