from django.test import TestCase

from tests.factories import WorldMixin


class FacilityApiTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def test_anonymous_is_refused(self):
        self.assertEqual(self.client.get("/api/v1/facilities/").status_code, 403)

    def test_list_is_scoped_and_filterable(self):
        self.client.force_login(self.dinkes_mukomuko)
        codes = {f["code"] for f in self.client.get("/api/v1/facilities/").json()["results"]}
        self.assertEqual(codes, {"P1706001", "P1706002", "RS1706001"})
        data = self.client.get("/api/v1/facilities/?type=rsud").json()
        self.assertEqual([f["code"] for f in data["results"]], ["RS1706001"])

    def test_detail_out_of_scope_is_404(self):
        self.client.force_login(self.dinkes_mukomuko)
        self.assertEqual(self.client.get("/api/v1/facilities/P1706001/").status_code, 200)
        self.assertEqual(self.client.get("/api/v1/facilities/P3672004/").status_code, 404)
        self.assertEqual(self.client.post("/api/v1/facilities/", {}).status_code, 405)

    def test_schema_is_served(self):
        self.client.force_login(self.dinkes_mukomuko)
        self.assertEqual(self.client.get("/api/schema/").status_code, 200)
