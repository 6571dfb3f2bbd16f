from django.db import migrations


def load(apps, schema_editor):
    from indicators.catalogue import load_validation_rules

    load_validation_rules(apps.get_model("indicators", "ValidationRule"))


class Migration(migrations.Migration):
    dependencies = [("indicators", "0003_reporting")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
