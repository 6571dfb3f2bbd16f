from django.test import TestCase

from facilities.models import District, Province, Subdistrict
from facilities.services import regions_load


class RegionsLoadTests(TestCase):
    def test_full_official_tree_loads_once(self):
        first = regions_load()
        self.assertEqual(first.created, {"provinces": 38, "districts": 514, "subdistricts": 7285})
        self.assertEqual(Province.objects.count(), 38)
        self.assertEqual(District.objects.count(), 514)
        self.assertEqual(Subdistrict.objects.count(), 7285)
        mukomuko = District.objects.get(code="17.06")
        self.assertEqual(mukomuko.province.code, "17")
        self.assertEqual(mukomuko.kind, District.Kind.KABUPATEN)
        self.assertEqual(mukomuko.subdistricts.count(), 15)
        self.assertEqual(District.objects.get(code="33.75").kind, District.Kind.KOTA)
        self.assertEqual(
            sorted(District.objects.get(code="33.75").subdistricts.values_list("name", flat=True)),
            ["Pekalongan Barat", "Pekalongan Selatan", "Pekalongan Timur", "Pekalongan Utara"],
        )

        second = regions_load()
        self.assertEqual(set(second.created.values()), {0})
        self.assertEqual(set(second.updated.values()), {0})
        self.assertEqual(Subdistrict.objects.count(), 7285)

    def test_renamed_region_is_corrected(self):
        regions_load()
        District.objects.filter(code="17.06").update(name="typo")
        result = regions_load()
        self.assertEqual(result.updated["districts"], 1)
        self.assertEqual(District.objects.get(code="17.06").name, "Kabupaten Mukomuko")
