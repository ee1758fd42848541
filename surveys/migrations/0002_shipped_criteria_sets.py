from django.db import migrations


def install_shipped_sets(apps, schema_editor):
    from surveys.criteria_data import install

    install(apps.get_model("surveys", "CriteriaSet"), apps.get_model("surveys", "Indicator"), apps.get_model("surveys", "Rule"))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(install_shipped_sets, migrations.RunPython.noop)]
