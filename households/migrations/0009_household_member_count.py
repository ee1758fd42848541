"""Each household keeps its member count (the live persons denominator sums it): filled here from the members."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0008_household_commune_code'),
    ]

    operations = [
        migrations.AddField(
            model_name='household',
            name='member_count',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='members'),
        ),
        # One statement, on SQLite and PostgreSQL alike.
        migrations.RunSQL(
            "UPDATE households_household SET member_count = "
            "(SELECT COUNT(*) FROM households_member m WHERE m.household_id = households_household.id)",
            migrations.RunSQL.noop,
        ),
    ]
