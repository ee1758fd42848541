"""One identity rule for hamlets: the name with spaces collapsed and case folded, unique per commune.
Existing duplicates ("Khu phố 1" and "khu phố 1" in one commune) are merged into the oldest: every row that
named a duplicate now names the kept hamlet."""

from django.db import migrations, models


def key(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def merge_duplicates(apps, schema_editor):
    Hamlet = apps.get_model("households", "Hamlet")
    kept: dict[tuple[int, str], int] = {}
    duplicates: dict[int, int] = {}  # duplicate id → kept id
    for hamlet in Hamlet.objects.order_by("id"):
        hamlet.name = " ".join(hamlet.name.split())
        hamlet.name_key = key(hamlet.name)
        slot = (hamlet.commune_id, hamlet.name_key)
        if slot in kept:
            duplicates[hamlet.pk] = kept[slot]
            continue
        kept[slot] = hamlet.pk
        hamlet.save(update_fields=["name", "name_key"])
    if not duplicates:
        return
    references = [
        ("households", "Household", "hamlet"), ("households", "Rehoming", "from_hamlet"), ("households", "Rehoming", "to_hamlet"),
        ("surveys", "Assessment", "hamlet"), ("surveys", "HamletMeeting", "hamlet"), ("surveys", "ListEntry", "hamlet"),
    ]
    for duplicate, target in duplicates.items():
        for app, model, field in references:
            apps.get_model(app, model).objects.filter(**{f"{field}_id": duplicate}).update(**{f"{field}_id": target})
    Hamlet.objects.filter(pk__in=list(duplicates)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0002_rehoming"),
        ("surveys", "0005_registry_across_time"),
    ]

    operations = [
        migrations.AddField(
            model_name="hamlet",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=120, verbose_name="name key"),
            preserve_default=False,
        ),
        migrations.RemoveConstraint(model_name="hamlet", name="hamlet_name_unique_in_commune"),
        migrations.RunPython(merge_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="hamlet",
            constraint=models.UniqueConstraint(fields=("commune", "name_key"), name="hamlet_name_key_unique_in_commune"),
        ),
    ]
