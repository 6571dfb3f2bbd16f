"""Every model has an admin page with search; each change list answers for a superuser."""

from django.apps import apps
from django.contrib import admin
from django.test import TestCase
from django.urls import reverse

from tests.factories import ReportFactory, WorldMixin


class AdminTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        ReportFactory(facility=cls.pkm_lubuk_pinang)

    def test_every_model_is_registered_with_search(self):
        for app in ("facilities", "indicators"):
            for model in apps.get_app_config(app).get_models():
                with self.subTest(model=model.__name__):
                    self.assertIn(model, admin.site._registry)
                    self.assertTrue(admin.site._registry[model].search_fields)

    def test_change_lists_and_search_load(self):
        self.client.force_login(self.admin)
        for model in admin.site._registry:
            if model._meta.app_label not in ("facilities", "indicators"):
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)
                self.assertEqual(self.client.get(url, {"q": "Lubuk"}).status_code, 200)

    def test_non_staff_cannot_open_admin(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(reverse("admin:facilities_facility_changelist"))
        self.assertEqual(response.status_code, 302)
