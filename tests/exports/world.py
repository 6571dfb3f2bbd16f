"""A small collaborative with known reports for the pack and chart tests.

Network "cqi-cilegon": Ciwandan, Cibeber (Cilegon) and Kota Mukomuko (Mukomuko), 18
approved months January 2024 – June 2025, except: Cibeber sent no report for May 2025
(the network's May is 2 of 3: incomplete) and Kota Mukomuko's June 2025 is submitted,
not approved (June is 2 of 3 approved, 3 of 3 with submitted reports). A maternal death
in May 2025 at Ciwandan carries a comment with a name, which no pack may show.
"""

import datetime as dt

from facilities.models import RoleAssignment
from improvement.models import Driver, GoodPractice, PDSACycle
from indicators.models import DataValue
from indicators.periods import add_months
from tests.factories import (
    CatchmentTargetFactory,
    MembershipFactory,
    NetworkFactory,
    ReportFactory,
    RoleFactory,
    WorldMixin,
    add_values,
)

NOW = dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC)  # last complete month: June 2025
FIRST = dt.date(2024, 1, 1)
MONTHS = [add_months(FIRST, i) for i in range(18)]
PERSONAL = "Ny. Siti Aminah NIK 1706015508900001"


class PackWorldMixin(WorldMixin):
    @classmethod
    def build_pack_world(cls):
        cls.build_world()
        for facility in (cls.pkm_ciwandan, cls.pkm_cibeber, cls.pkm_kota_mukomuko):
            for year in (2024, 2025):
                CatchmentTargetFactory(facility=facility, year=year, pregnant=120)
        for i, period in enumerate(MONTHS):
            for j, facility in enumerate(
                (cls.pkm_ciwandan, cls.pkm_cibeber, cls.pkm_kota_mukomuko)
            ):
                if facility == cls.pkm_cibeber and period == dt.date(2025, 5, 1):
                    continue
                status = "approved"
                if facility == cls.pkm_kota_mukomuko and period == dt.date(2025, 6, 1):
                    status = "submitted"
                report = ReportFactory(facility=facility, period=period, status=status)
                # K6 rises at Ciwandan from January 2025 (a run above the centre line)
                k6 = 6 + (j % 2) + (4 if facility == cls.pkm_ciwandan and i >= 12 else 0)
                add_values(
                    report,
                    {
                        "K1": 10 + (i % 3),
                        "K6": k6,
                        "LAHIR_HIDUP": 20,
                        "KEMATIAN_NEONATAL": 0,
                        "KEMATIAN_IBU": 0,
                        "RUJUK_IBU_KELUAR": 2,
                    },
                )
        death = DataValue.objects.get(
            report__facility=cls.pkm_ciwandan,
            report__period=dt.date(2025, 5, 1),
            element__code="KEMATIAN_IBU",
        )
        death.value, death.comment = 1, PERSONAL
        death.save()
        # improvement: a cycle and a practice in the action period (April – June 2025)
        from improvement.models import Aim

        aim = Aim.objects.create(
            network=cls.network_cilegon,
            statement="K6 to 80%",
            indicator_id=cls.k6_id(),
            baseline_value=40,
            baseline_start=dt.date(2024, 1, 1),
            baseline_end=dt.date(2024, 12, 1),
            target_value=80,
            target_date=dt.date(2025, 12, 31),
        )
        primary = Driver.objects.create(aim=aim, kind="primary", text="Early ANC")
        secondary = Driver.objects.create(aim=aim, kind="secondary", parent=primary, text="Kader")
        idea = Driver.objects.create(
            aim=aim, kind="change_idea", parent=secondary, text="Home visit list"
        )
        cls.cycle = PDSACycle.objects.create(
            facility=cls.pkm_ciwandan,
            change_idea=idea,
            title="Kader list in RW 01",
            plan="List pregnant women",
            prediction="Five new K1",
            start_date=dt.date(2025, 4, 14),
            status="running",
        )
        PDSACycle.objects.create(
            facility=cls.pkm_ciwandan,
            change_idea=idea,
            title="An old cycle of 2024",
            plan=".",
            prediction=".",
            start_date=dt.date(2024, 2, 1),
            end_date=dt.date(2024, 3, 1),
            status="done",
        )
        cls.practice = GoodPractice.objects.create(
            title="WhatsApp reminders for K6",
            facility=cls.pkm_cibeber,
            indicator_id=cls.k6_id(),
            story="Bidan desa send a reminder a week before the visit.",
            status="published",
        )
        GoodPractice.objects.filter(pk=cls.practice.pk).update(
            created_at=dt.datetime(2025, 5, 20, 8, tzinfo=dt.UTC)
        )
        # a coach of another network, who must not see this one
        other = NetworkFactory(name="Jejaring lain", slug="jejaring-lain")
        MembershipFactory(network=other, facility=cls.pkm_manna)
        cls.coach_other = RoleFactory(
            user__username="coach.lain", role=RoleAssignment.Role.COACH, network=other
        ).user

    @staticmethod
    def k6_id():
        from indicators.models import Indicator

        return Indicator.objects.get(code="K6_COV").pk


def pack_params(network, *, language="en", indicators=("K6_COV",), include_submitted=False):
    return {
        "network": network.pk,
        "start": "2025-04",
        "end": "2025-06",
        "language": language,
        "indicators": list(indicators),
        "include_submitted": include_submitted,
    }
