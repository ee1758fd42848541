from django.db import migrations


def install_shipped_sets(apps, schema_editor):
    from surveys.criteria_data import install

    install(apps.get_model("surveys", "CriteriaSet"), apps.get_model("surveys", "Indicator"), apps.get_model("surveys", "Rule"),
            codes=["VN-2016", "VN-2022", "VN-2027", "BD-2016"])  # the sets shipped then; later ones by later migrations


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(install_shipped_sets, migrations.RunPython.noop)]
