"""The assessment entry form: parses what the officer typed; classification and saving are the services' job."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import MAX_INCOME_PER_CAPITA

# 1500000, 1.500.000, 1 500 000 or 1,500,000 (optionally followed by ₫, đ or VND).
_AMOUNT = re.compile(r"^(\d+|\d{1,3}([.,\s]\d{3})+)$")
_CURRENCY = re.compile(r"\s*(₫|đ|vnđ|vnd)\s*$", re.IGNORECASE)


def format_amount(amount: int | None) -> str:
    """1500000 -> '1.500.000', the way officers type it."""
    return "" if amount is None else f"{amount:,}".replace(",", ".")


class VndField(forms.CharField):
    """A whole amount of đồng per month."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = _CURRENCY.sub("", super().to_python(value)).strip()
        if value in self.empty_values:
            return None
        if value.startswith("-"):
            raise forms.ValidationError(_("An income cannot be negative."), code="negative")
        if not _AMOUNT.match(value):
            raise forms.ValidationError(_("Enter a whole amount of đồng, for example 1.500.000."), code="invalid")
        amount = int(re.sub(r"[.,\s]", "", value))
        if amount > MAX_INCOME_PER_CAPITA * 100:  # a household total may be many members' incomes
            raise forms.ValidationError(_("This amount is not plausible; check it."), code="max_value")
        return amount

    def prepare_value(self, value):
        return format_amount(value) if isinstance(value, int) else value


class AssessmentForm(forms.Form):
    income_per_capita = VndField(label=_("Income per person per month (VND)"))
    total_income = VndField(
        label=_("or: total household income per month (VND)"),
        help_text=_("Divided by the number of members."),
    )
    deprived = forms.MultipleChoiceField(label=_("Deprived indicators"), required=False, widget=forms.CheckboxSelectMultiple)
    # The version the form was opened with (0 for a new assessment): required, so two saves never overwrite silently.
    expected_version = forms.IntegerField(required=False, min_value=0, max_value=2_000_000_000, widget=forms.HiddenInput)

    def __init__(self, *args, indicators, member_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.member_count = member_count
        self.fields["deprived"].choices = [(i.code, i.code) for i in indicators]

    @property
    def has_income(self) -> bool:
        return bool((self["income_per_capita"].value() or "").strip() or (self["total_income"].value() or "").strip())

    def clean(self):
        data = super().clean()
        per_capita, total = data.get("income_per_capita"), data.get("total_income")
        if "income_per_capita" in self.errors or "total_income" in self.errors:
            return data
        if per_capita is None and total is None:
            self.add_error("income_per_capita", _("Enter the income per person, or the household's total monthly income."))
        elif per_capita is not None and total is not None:
            self.add_error("total_income", _("Enter either the income per person or the total income, not both."))
        elif per_capita is not None:
            data["income"] = per_capita
        elif self.member_count < 1:
            self.add_error("total_income", _("Register the household's members before dividing the income by them."))
        else:
            # Rounded half up to whole đồng.
            data["income"] = (total * 2 + self.member_count) // (2 * self.member_count)
        return data

    @property
    def income_field(self) -> str:
        """The field a service complaint about the income belongs beside."""
        return "total_income" if (self["total_income"].value() or "").strip() else "income_per_capita"
