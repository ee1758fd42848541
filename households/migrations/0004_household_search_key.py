"""Household.search_key: code, head's name, members' names and citizen IDs, folded (lower case, no tone marks,
đ → d), so the register's search ignores tone marks and case on SQLite and PostgreSQL alike. Existing
households get theirs here; the services and the importer keep it current from now on."""

import unicodedata

from django.db import migrations, models

BATCH = 2000


# A frozen copy of households.search.fold and household_search_key, as of this migration.
def fold(text):
    decomposed = unicodedata.normalize("NFD", (text or "").translate(str.maketrans({"đ": "d", "Đ": "d"})))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())


def search_key(code, head_name, members):
    parts = [code, head_name]
    for full_name, citizen_id in members:
        parts += [full_name, citizen_id]
    return " | ".join(folded for folded in dict.fromkeys(fold(p) for p in parts) if folded)


def fill_search_keys(apps, schema_editor):
    Household = apps.get_model("households", "Household")
    Member = apps.get_model("households", "Member")
    last = 0
    while True:
        batch = list(Household.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "code", "head_name")[:BATCH])
        if not batch:
            return
        last = batch[-1][0]
        people: dict[int, list[tuple[str, str]]] = {}
        for household_id, full_name, citizen_id in (
            Member.objects.filter(household_id__in=[pk for pk, _c, _h in batch])
            .order_by("household_id", "position", "id").values_list("household_id", "full_name", "citizen_id")
        ):
            people.setdefault(household_id, []).append((full_name, citizen_id))
        Household.objects.bulk_update(
            [Household(pk=pk, search_key=search_key(code, head, people.get(pk, []))) for pk, code, head in batch],
            ["search_key"],
        )


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0003_hamlet_name_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="search_key",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="search key"),
        ),
        migrations.RunPython(fill_search_keys, migrations.RunPython.noop, elidable=True),
    ]
