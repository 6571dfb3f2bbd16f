"""Drop the single-column indexes of three foreign keys that composite indexes cover.

``indicators_datavalue.report_id`` (the unique (report, element) index leads with it),
``indicators_datavalue.facility_id`` ((facility, period, element) leads with it) and
``indicators_districtmonthtotal.district_id`` (unique (district, period, element)). The
foreign-key constraints stay. Only the index is dropped (``DROP INDEX IF EXISTS``):
altering the fields the usual way would also drop and re-validate each constraint, a
full scan of the value table under lock."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [
    ("indicators_datavalue_facility_id_a4d00501", "indicators_datavalue", "facility_id"),
    ("indicators_datavalue_report_id_78adb33d", "indicators_datavalue", "report_id"),
    (
        "indicators_districtmonthtotal_district_id_08215f0c",
        "indicators_districtmonthtotal",
        "district_id",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0004_user_management"),
        ("indicators", "0007_report_event_on_behalf"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="datavalue",
                    name="facility",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="facilities.facility",
                    ),
                ),
                migrations.AlterField(
                    model_name="datavalue",
                    name="report",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="values",
                        to="indicators.monthlyreport",
                    ),
                ),
                migrations.AlterField(
                    model_name="districtmonthtotal",
                    name="district",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="month_totals",
                        to="facilities.district",
                    ),
                ),
            ],
        )
    ]
