"""The assessment entry form: parses what the officer typed; classification and saving are the services' job."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from surveys.classification import MAX_SCORE_A
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


def implausible_income_warning(income: int) -> str:
    """Why an income per person per month looks implausible (a slip of a zero, a yearly or household total), or ""
    when it does not. The bounds are settings (POVREG_INCOME_WARN_ABOVE / _BELOW); 0 income is not warned about."""
    above, below = settings.POVREG_INCOME_WARN_ABOVE, settings.POVREG_INCOME_WARN_BELOW
    if above and income > above:
        return gettext(
            "%(income)s ₫ per person per month is more than %(bound)s ₫. Check that it is not a yearly or a household "
            "total, and that no zero slipped in."
        ) % {"income": format_amount(income), "bound": format_amount(above)}
    if below and 0 < income < below:
        return gettext("%(income)s ₫ per person per month is less than %(bound)s ₫. Check that no zero is missing.") % {
            "income": format_amount(income),
            "bound": format_amount(below),
        }
    return ""


class AssessmentForm(forms.Form):
    income_per_capita = VndField(label=_("Income per person per month (VND)"))
    total_income = VndField(
        label=_("or: total household income per month (VND)"), help_text=_("Divided by the number of members.")
    )
    deprived = forms.MultipleChoiceField(label=_("Deprived indicators"), required=False, widget=forms.CheckboxSelectMultiple)
    # The version the form was opened with (0 for a new assessment): required, so two saves never overwrite silently.
    expected_version = forms.IntegerField(required=False, min_value=0, max_value=2_000_000_000, widget=forms.HiddenInput)
    # The implausible income per person the officer confirmed (the checkbox's value is the amount it was shown for).
    confirm_income = forms.CharField(required=False, max_length=40)
    # Circular 07's score A, for a round whose criteria set has a score scale: instead of an income.
    score_a = forms.IntegerField(
        label=_("or: score A (points, Circular 07)"),
        required=False,
        min_value=0,
        max_value=MAX_SCORE_A,
        help_text=_("From the review form's income scoring; score B is counted from the ticked deprivations."),
    )

    def __init__(
        self, *args, indicators, member_count: int, score_scale: bool = False, income_also: tuple[str, ...] = (), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.member_count = member_count
        # Codes of the round's additional standards that classify from income only: a scored household needs its
        # income too (surveys.assessment_rules.income_test_errors).
        self.income_also = tuple(income_also) if score_scale else ()
        self.fields["deprived"].choices = [(i.code, i.code) for i in indicators]
        if not score_scale:
            del self.fields["score_a"]

    @property
    def has_score(self) -> bool:
        return "score_a" in self.fields and bool(str(self["score_a"].value() or "").strip())

    @property
    def has_income(self) -> bool:
        typed = (self["income_per_capita"].value() or "").strip() or (self["total_income"].value() or "").strip()
        return bool(typed) or self.has_score

    def clean(self):
        data = super().clean()
        per_capita, total = data.get("income_per_capita"), data.get("total_income")
        if "income_per_capita" in self.errors or "total_income" in self.errors or "score_a" in self.errors:
            return data
        data["score_a"] = data.get("score_a")
        if data["score_a"] is not None and not self.income_also:
            if per_capita is not None or total is not None:
                self.add_error("score_a", _("Enter either an income or score A, not both."))
            else:
                data["income"] = None
            return data
        if data["score_a"] is not None and per_capita is None and total is None:
            self.add_error(
                "income_per_capita",
                _("This round also classifies under %(codes)s, which uses the income per person: enter it beside score A.")
                % {"codes": ", ".join(self.income_also)},
            )
        elif per_capita is None and total is None:
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
    def income_warning(self) -> str:
        """The warning to confirm before saving: the income per person is implausible and not confirmed as it is."""
        income = self.cleaned_data.get("income")
        if income is None or self.cleaned_data.get("confirm_income") == str(income):  # (None: scored, not an income)
            return ""
        return implausible_income_warning(income)

    @property
    def income_field(self) -> str:
        """The field a service complaint about the income belongs beside."""
        return "total_income" if (self["total_income"].value() or "").strip() else "income_per_capita"
