"""The area a page is about, resolved from the URL and scoped to the user (indicators.areas)."""

from django.http import Http404, QueryDict
from django.test import TestCase
from django.utils import translation

from indicators.areas import AreaError, resolve_area
from tests.factories import WorldMixin


class ResolveAreaTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def setUp(self):
        translation.activate("en")
        self.addCleanup(translation.deactivate)

    def resolve(self, user, query=""):
        return resolve_area(user, QueryDict(query))

    def assertFacilities(self, area, expected):
        self.assertEqual(set(area.facilities), set(expected))

    def labels(self, area):
        return [c.label for c in area.crumbs]

    def test_nothing_named_is_everything_visible(self):
        area = self.resolve(self.admin)
        self.assertEqual((area.level, area.name, area.query), ("all", "All my areas", {}))
        self.assertFacilities(area, self.all_facilities)
        self.assertEqual(area.child_level, "province")  # two provinces
        self.assertEqual(
            set(area.whole_districts), {self.mukomuko, self.bengkulu_selatan, self.cilegon}
        )
        self.assertEqual(self.labels(area), ["All my areas"])

    def test_child_level_is_the_highest_level_with_several_areas(self):
        self.assertEqual(self.resolve(self.provinsi_bengkulu).child_level, "district")
        self.assertEqual(self.resolve(self.dinkes_mukomuko).child_level, "subdistrict")
        self.assertEqual(self.resolve(self.kapus_lubuk_pinang).child_level, "facility")
        # the coach's network spans Banten and Bengkulu
        self.assertEqual(self.resolve(self.coach_cilegon).child_level, "province")

    def test_whole_districts_by_role(self):
        self.assertEqual(set(self.resolve(self.dinkes_mukomuko).whole_districts), {self.mukomuko})
        self.assertEqual(
            set(self.resolve(self.provinsi_bengkulu).whole_districts),
            {self.mukomuko, self.bengkulu_selatan},
        )
        self.assertIsNone(self.resolve(self.kapus_lubuk_pinang).whole_districts)
        self.assertIsNone(self.resolve(self.coach_cilegon).whole_districts)
        self.assertIsNone(self.resolve(self.coach_cilegon, "district=17.06").whole_districts)

    def test_network(self):
        area = self.resolve(self.coach_cilegon, "network=cqi-cilegon")
        self.assertEqual((area.level, area.child_level), ("network", "facility"))
        self.assertEqual(area.network, self.network_cilegon)
        self.assertEqual(area.query, {"network": "cqi-cilegon"})
        self.assertFacilities(area, [self.pkm_ciwandan, self.pkm_cibeber, self.pkm_kota_mukomuko])
        self.assertEqual(self.labels(area), ["All my areas", "CQI Collaborative Kota Cilegon"])
        # district staff see the network through their member, and only that member
        area = self.resolve(self.dinkes_mukomuko, "network=cqi-cilegon")
        self.assertFacilities(area, [self.pkm_kota_mukomuko])
        with self.assertRaises(Http404):
            self.resolve(self.kapus_lubuk_pinang, "network=cqi-cilegon")

    def test_province(self):
        area = self.resolve(self.provinsi_bengkulu, "province=17")
        self.assertEqual(
            (area.level, area.name, area.child_level), ("province", "Bengkulu", "district")
        )
        self.assertFacilities(
            area,
            [self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko, self.pkm_manna],
        )
        self.assertEqual(set(area.whole_districts), {self.mukomuko, self.bengkulu_selatan})
        # a district officer sees the province only as far as the own district
        area = self.resolve(self.dinkes_mukomuko, "province=17")
        self.assertEqual(set(area.whole_districts), {self.mukomuko})
        with self.assertRaises(Http404):
            self.resolve(self.dinkes_mukomuko, "province=36")

    def test_district(self):
        area = self.resolve(self.dinkes_mukomuko, "district=17.06")
        self.assertEqual(
            (area.level, area.name, area.child_level),
            ("district", "Kabupaten Mukomuko", "subdistrict"),
        )
        self.assertEqual(area.obj, self.mukomuko)
        self.assertFacilities(
            area, [self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko]
        )
        self.assertEqual(set(area.whole_districts), {self.mukomuko})
        self.assertEqual(
            [(c.label, c.query) for c in area.crumbs],
            [
                ("All my areas", {}),
                ("Bengkulu", {"province": "17"}),
                ("Kabupaten Mukomuko", {"district": "17.06"}),
            ],
        )
        # the coach sees one Mukomuko member: the district page shows only that one
        self.assertFacilities(
            self.resolve(self.coach_cilegon, "district=17.06"), [self.pkm_kota_mukomuko]
        )

    def test_subdistrict(self):
        area = self.resolve(self.dinkes_mukomuko, "subdistrict=17.06.02")
        self.assertEqual(
            (area.level, area.name, area.child_level),
            ("subdistrict", "Kec. Kota Mukomuko", "facility"),
        )
        self.assertFacilities(area, [self.pkm_kota_mukomuko, self.rsud_mukomuko])
        self.assertEqual(
            self.labels(area),
            ["All my areas", "Bengkulu", "Kabupaten Mukomuko", "Kec. Kota Mukomuko"],
        )
        self.assertIsNone(area.whole_districts)

    def test_facility(self):
        area = self.resolve(self.kapus_lubuk_pinang, "facility=P1706001")
        self.assertEqual(
            (area.level, area.obj, area.child_level),
            ("facility", self.pkm_lubuk_pinang, "facility"),
        )
        self.assertFacilities(area, [self.pkm_lubuk_pinang])
        self.assertEqual(area.query, {"facility": "P1706001"})
        self.assertEqual(
            [(c.label, c.query) for c in area.crumbs[2:]],
            [
                ("Kabupaten Mukomuko", {"district": "17.06"}),
                ("Kec. Lubuk Pinang", {"subdistrict": "17.06.01"}),
                ("Puskesmas Lubuk Pinang", {"facility": "P1706001"}),
            ],
        )
        self.assertIsNone(area.whole_districts)

    def test_out_of_scope_or_unknown_codes_are_404(self):
        cases = [
            (self.kapus_lubuk_pinang, "facility=P1706002"),  # a neighbour
            (self.dinkes_mukomuko, "district=36.72"),
            (self.dinkes_mukomuko, "subdistrict=36.72.04"),
            (self.coach_cilegon, "subdistrict=17.06.01"),  # district of a member, not a member
            (self.admin, "district=99.99"),
            (self.admin, "network=no-such-network"),
            (self.outsider, "facility=P1706001"),
        ]
        for user, query in cases:
            with self.subTest(user=user.username, query=query), self.assertRaises(Http404):
                self.resolve(user, query)

    def test_two_areas_at_once_is_an_error_and_empty_params_are_ignored(self):
        with self.assertRaisesMessage(AreaError, "Choose one area at a time"):
            self.resolve(self.admin, "district=17.06&facility=P1706001")
        area = resolve_area(self.admin, {"district": "", "facility": "P1706001"})
        self.assertEqual(area.level, "facility")

    def test_outsider_sees_nothing(self):
        area = self.resolve(self.outsider)
        self.assertEqual(list(area.facilities), [])
        self.assertEqual(list(area.whole_districts), [])
