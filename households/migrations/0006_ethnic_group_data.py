"""Load the 54 ethnic groups and read every member's free-text ethnicity as one of them.

"Kinh", "Người Kinh", "Việt", "kinh", "KINH" are Kinh; other groups by name or code with tone marks, case and a
"người"/"dân tộc" prefix ignored (households.ethnicity.match_code); an empty text is Kinh (the import's documented
default). A member whose text names no group keeps its text and no group: the values are printed here and listed on
the data-quality page (/quality/) and by `manage.py check_data`, to be corrected in the household form.
"""

from django.db import migrations


def load_and_map(apps, schema_editor):
    from households.ethnicity import ethnic_key, match_code
    from households.ethnicity_data import install

    EthnicGroup = apps.get_model("households", "EthnicGroup")
    Member = apps.get_model("households", "Member")
    install(EthnicGroup, ethnic_key)
    groups = {g.code: g for g in EthnicGroup.objects.all()}
    unmapped: dict[str, int] = {}
    texts = Member.objects.filter(ethnic_group__isnull=True).values_list("ethnicity", flat=True).distinct()
    for text in list(texts):
        code = match_code(text) or (None if (text or "").strip() else "01")
        if code is None:
            unmapped[text] = Member.objects.filter(ethnic_group__isnull=True, ethnicity=text).count()
            continue
        group = groups[code]
        # The text becomes the group's name (the display copy); the group is what counts.
        Member.objects.filter(ethnic_group__isnull=True, ethnicity=text).update(ethnic_group=group, ethnicity=group.name_vi)
    if unmapped:
        print(f"\n  households.0006: {sum(unmapped.values())} member(s) with an ethnicity that names no group, left without "
              "one (see /quality/ or `manage.py check_data`):")
        for text, count in sorted(unmapped.items(), key=lambda item: (-item[1], item[0])):
            print(f"    {text!r}: {count}")


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0005_ethnic_group"),
    ]

    operations = [
        migrations.RunPython(load_and_map, migrations.RunPython.noop, elidable=False),
    ]
