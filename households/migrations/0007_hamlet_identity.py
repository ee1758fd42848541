"""The hamlet identity rule, once more and everywhere: names in composed Unicode (NFC) with spaces collapsed, keys
case folded from them. Hamlets whose names differed only in their Unicode form ("Khu phố 1" typed composed and
decomposed) or in spacing and case kept apart by an older path are merged into the oldest of each commune and key:
every row that named a duplicate (households, assessments, list entries, meetings, re-homings; found from the
models, so a later table is not missed) now names the kept hamlet, and the duplicates are deleted."""

import unicodedata

from django.db import migrations, models


def clean_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def name_key(name: str) -> str:
    return unicodedata.normalize("NFC", clean_name(name).casefold())


def hamlet_references(apps) -> list[tuple[type, str]]:
    """(model, field name) of every foreign key to Hamlet in the project's models at this point."""
    hamlet = apps.get_model("households", "Hamlet")
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.many_to_one and field.related_model is hamlet
    ]


def merge_duplicate_hamlets(apps, schema_editor=None) -> dict[int, int]:
    """Clean every hamlet's name and key; merge hamlets of one commune with one key into the oldest.
    Returns {duplicate id: kept id} (the merged ones, now deleted)."""
    Hamlet = apps.get_model("households", "Hamlet")
    kept: dict[tuple[int, str], int] = {}
    duplicates: dict[int, int] = {}
    changed = []
    for hamlet in Hamlet.objects.order_by("id").only("id", "commune_id", "name", "name_key"):
        name, key = clean_name(hamlet.name), name_key(hamlet.name)
        slot = (hamlet.commune_id, key)
        if slot in kept:
            duplicates[hamlet.pk] = kept[slot]
            continue
        kept[slot] = hamlet.pk
        if (hamlet.name, hamlet.name_key) != (name, key):
            hamlet.name, hamlet.name_key = name, key
            changed.append(hamlet)
    if duplicates:
        for model, field in hamlet_references(apps):
            for duplicate, target in duplicates.items():
                model._base_manager.filter(**{f"{field}_id": duplicate}).update(**{f"{field}_id": target})
        Hamlet.objects.filter(pk__in=list(duplicates)).delete()
    # After the deletes: a kept hamlet may take the key a duplicate held (the constraint checks each row).
    Hamlet.objects.bulk_update(changed, ["name", "name_key"], batch_size=1000)
    return duplicates


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0006_ethnic_group_data"),
        ("surveys", "0010_approval_stamp"),
    ]

    operations = [
        migrations.AlterField(
            model_name="hamlet",
            name="name_key",
            field=models.CharField(editable=False, max_length=255, verbose_name="name key"),
        ),
        migrations.RunPython(merge_duplicate_hamlets, migrations.RunPython.noop),
    ]
