"""Ethnic groups as data (the GSO's 54 groups, loaded by 0006) and each member's group."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0004_household_search_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="EthnicGroup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=2, unique=True, verbose_name="GSO code")),
                ("name_vi", models.CharField(max_length=60, verbose_name="name (Vietnamese)")),
                ("name_en", models.CharField(max_length=60, verbose_name="name (English)")),
                ("key", models.CharField(editable=False, max_length=60, unique=True, verbose_name="matching key")),
            ],
            options={
                "verbose_name": "ethnic group",
                "verbose_name_plural": "ethnic groups",
                "ordering": ["code"],
            },
        ),
        migrations.AddField(
            model_name="member",
            name="ethnic_group",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="members",
                to="households.ethnicgroup", verbose_name="ethnic group",
            ),
        ),
    ]
