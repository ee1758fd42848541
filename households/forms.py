"""Forms of the officers' household screens. They only parse and check input; writes go through services."""

from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from households.models import MAX_MEMBERS, AdminUnit, HouseholdStatus, Member, household_code_validator
from households.services import MEMBER_FIELDS, MemberData

# Path segments under /households/ that are pages, not household codes.
RESERVED_CODES = {"new"}


class CommuneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AdminUnit) -> str:
        return f"{obj.name} ({obj.code})"


class HouseholdForm(forms.Form):
    code = forms.CharField(
        label=_("Household code"), max_length=40, validators=[household_code_validator],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    commune = CommuneChoiceField(label=_("Commune"), queryset=AdminUnit.objects.none())
    hamlet = forms.CharField(
        label=_("Hamlet"), max_length=120, required=False,
        help_text=_("Choose one of the commune's hamlets or type a new name."),
        widget=forms.TextInput(attrs={"list": "hamlet-options", "autocomplete": "off"}),
    )
    head_name = forms.CharField(label=_("Head of household"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, communes, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes
        # Changing the commune reloads the hamlet suggestions (htmx).
        self.fields["commune"].widget.attrs.update(
            {"hx-get": reverse("hamlet-options"), "hx-target": "#hamlet-options", "hx-swap": "outerHTML", "hx-trigger": "change"}
        )
        if editing:
            del self.fields["code"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if code.lower() in RESERVED_CODES:
            raise forms.ValidationError(_("This code is reserved; choose another one."))
        return code

    def clean_hamlet(self) -> str:
        return " ".join(self.cleaned_data["hamlet"].split())


class MemberForm(forms.Form):
    """One member row; the fields, labels and validators are the Member model's own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric", "min": 1900})
        self.fields["citizen_id"].widget.attrs.update({"inputmode": "numeric", "pattern": r"\d{12}", "autocomplete": "off"})

    def member_data(self) -> MemberData:
        return MemberData(**{name: self.cleaned_data[name] for name in MEMBER_FIELDS})


MemberForm.base_fields.update(fields_for_model(Member, fields=MEMBER_FIELDS))

MemberFormSet = forms.formset_factory(
    MemberForm, extra=0, can_delete=True, min_num=1, validate_min=True, max_num=MAX_MEMBERS, validate_max=True
)


def member_initial(members) -> list[dict]:
    return [{name: getattr(m, name) for name in MEMBER_FIELDS} for m in members]


class HouseholdStatusForm(forms.Form):
    """Households are never deleted: they move away, merge into another household, dissolve, or return."""

    status = forms.ChoiceField(label=_("New status"), choices=HouseholdStatus.choices)
    merged_into = forms.CharField(
        label=_("Merged into (household code)"), max_length=40, required=False,
        help_text=_("Only when the household merged into another one."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    # The household's version when the page was opened: a change made meanwhile is not overwritten.
    expected_version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
