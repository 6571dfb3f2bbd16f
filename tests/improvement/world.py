"""A small collaborative on top of ``WorldMixin``: a network aim with a driver diagram,
a facility aim, PDSA cycles, actions and good practices."""

import datetime as dt
from decimal import Decimal

from improvement.models import Action, Aim, Driver, GoodPractice, PDSACycle
from indicators.models import Indicator
from tests.factories import WorldMixin


class ImprovementWorldMixin(WorldMixin):
    @classmethod
    def build_improvement(cls):
        cls.build_world()
        cls.k6 = Indicator.objects.get(code="K6_COV")
        cls.aim = Aim.objects.create(
            network=cls.network_cilegon,
            statement="K6 coverage from 40% to 80% by December 2025",
            indicator=cls.k6,
            baseline_value=Decimal("40"),
            baseline_start=dt.date(2024, 1, 1),
            baseline_end=dt.date(2024, 12, 1),
            target_value=Decimal("80"),
            target_date=dt.date(2025, 12, 31),
            owner=cls.coach_cilegon,
        )
        cls.primary = Driver.objects.create(aim=cls.aim, kind="primary", text="Early ANC contact")
        cls.secondary = Driver.objects.create(
            aim=cls.aim, kind="secondary", parent=cls.primary, text="Kader find pregnant women"
        )
        cls.idea = Driver.objects.create(
            aim=cls.aim, kind="change_idea", parent=cls.secondary, text="Kader home visit list"
        )
        cls.facility_aim = Aim.objects.create(
            facility=cls.pkm_lubuk_pinang,
            statement="K6 at Lubuk Pinang to 70%",
            indicator=cls.k6,
            baseline_value=Decimal("40"),
            baseline_start=dt.date(2024, 7, 1),
            baseline_end=dt.date(2024, 12, 1),
            target_value=Decimal("80"),
            target_date=dt.date(2025, 12, 31),
        )
        cls.lp_primary = Driver.objects.create(
            aim=cls.facility_aim, kind="primary", text="Reminders"
        )
        cls.lp_secondary = Driver.objects.create(
            aim=cls.facility_aim, kind="secondary", parent=cls.lp_primary, text="SMS"
        )
        cls.lp_idea = Driver.objects.create(
            aim=cls.facility_aim, kind="change_idea", parent=cls.lp_secondary, text="WA reminder"
        )
        cls.cycle_ciwandan = PDSACycle.objects.create(
            facility=cls.pkm_ciwandan,
            change_idea=cls.idea,
            title="Kader list in RW 01",
            plan="List pregnant women",
            prediction="Five new K1",
            start_date=dt.date(2025, 3, 14),
            status="running",
        )
        cls.cycle_mukomuko = PDSACycle.objects.create(
            facility=cls.pkm_kota_mukomuko,
            change_idea=cls.idea,
            title="Kader list in Kota Mukomuko",
            plan="List pregnant women",
            prediction="Three new K1",
            start_date=dt.date(2025, 4, 2),
        )
        cls.action = Action.objects.create(
            title="Check K6 drop",
            owner=cls.coach_cilegon,
            due_date=dt.date(2025, 6, 1),
            facility=cls.pkm_kota_mukomuko,
            indicator=cls.k6,
            month=dt.date(2025, 4, 1),
            source="signal",
        )
        cls.draft = GoodPractice.objects.create(
            title="WhatsApp reminders for K6",
            facility=cls.pkm_lubuk_pinang,
            indicator=cls.k6,
            story="Bidan desa send a reminder a week before the visit.",
            tags="ANC, WhatsApp",
        )
        cls.published = GoodPractice.objects.create(
            title="Kader home visits",
            facility=cls.pkm_ciwandan,
            indicator=cls.k6,
            story="Every kader keeps a list of pregnant women in the RW.",
            tags="kader, ANC",
            status="published",
        )
