"""Catalogue invariants: the shipped data elements and indicators are coherent."""

from django.test import TestCase

from facilities.models import CatchmentTarget
from indicators.catalogue import DATA_ELEMENTS, INDICATORS
from indicators.models import DataElement, Indicator, Section


class CatalogueTests(TestCase):
    def test_migration_loaded_every_element_and_indicator(self):
        self.assertGreaterEqual(DataElement.objects.count(), 35)
        self.assertGreaterEqual(Indicator.objects.count(), 18)
        self.assertEqual(DataElement.objects.count(), len(DATA_ELEMENTS))
        self.assertEqual(Indicator.objects.count(), len(INDICATORS))

    def test_every_element_is_bilingual_and_in_a_section(self):
        sections = set(Section.values)
        for element in DataElement.objects.all():
            self.assertTrue(element.name_id and element.name_en, element.code)
            self.assertIn(element.section, sections)
        self.assertEqual(set(DataElement.objects.values_list("section", flat=True)), sections)

    def test_every_indicator_has_a_numerator_and_exactly_one_kind_of_denominator(self):
        for indicator in Indicator.objects.prefetch_related("numerator", "denominator_elements"):
            self.assertTrue(indicator.numerator.exists(), indicator.code)
            has_elements = indicator.denominator_elements.exists()
            has_target = bool(indicator.denominator_target)
            self.assertTrue(has_elements != has_target, indicator.code)
            if has_target:
                self.assertIn(indicator.denominator_target, CatchmentTarget.Kind.values)
            self.assertTrue(indicator.name_id and indicator.name_en)

    def test_factors_and_directions_by_type(self):
        by_code = {i.code: i for i in Indicator.objects.all()}
        self.assertEqual((by_code["MMR"].factor, by_code["MMR"].direction), (100000, "down"))
        self.assertEqual((by_code["NMR"].factor, by_code["NMR"].direction), (1000, "down"))
        self.assertEqual(by_code["MMR"].denominator_elements.get().code, "LAHIR_HIDUP")
        self.assertGreater(by_code["MMR"].small_number_threshold, 0)
        for code in ("K1_COV", "K4_COV", "K6_COV", "PF_COV", "KN_LENGKAP_COV"):
            self.assertEqual((by_code[code].factor, by_code[code].direction), (100, "up"))
            self.assertTrue(by_code[code].is_coverage)
        for code in ("STUNTING_PREV", "WASTING_PREV", "BBLR_RATE"):
            self.assertEqual((by_code[code].factor, by_code[code].direction), (100, "down"))
        # expected complications: 20 % of pregnant women, 15 % of infants (domain.md §3)
        self.assertEqual(float(by_code["KOMP_IBU_COV"].denominator_target_fraction), 0.20)
        self.assertEqual(float(by_code["KOMP_NEO_COV"].denominator_target_fraction), 0.15)

    def test_names_follow_the_active_language(self):
        from django.utils import translation

        k1 = DataElement.objects.get(code="K1")
        with translation.override("en"):
            self.assertEqual(k1.name, "Pregnant women K1 (first ANC visit)")
        with translation.override("id"):
            self.assertEqual(k1.name, "Ibu hamil K1 (kunjungan pertama)")
