"""Forms of the officers' household screens. They only parse and check input; writes go through services."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms.models import fields_for_model
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from households.ethnicity import CODES, match_code
from households.models import (
    MAX_MEMBERS,
    MEMBER_FIELDS,
    WORKING_AGE_FROM,
    AdminUnit,
    HouseholdStatus,
    Member,
    age_in,
    household_code_validator,
)
from households.services import MemberData, head_rule_errors

# Path segments under /households/ that are pages, not household codes.
RESERVED_CODES = {"new"}


class NamedMaxLengthValidator(MaxLengthValidator):
    """A text over its limit is refused with the field's name and both lengths, never cut short."""

    message = _("%(field)s can have at most %(limit_value)d characters; this one has %(show_value)d. Shorten it.")

    def __init__(self, limit_value, field_label):
        super().__init__(limit_value)
        self.field_label = field_label

    def __call__(self, value):
        if len(value) > self.limit_value:
            params = {"field": capfirst(str(self.field_label)), "limit_value": self.limit_value, "show_value": len(value)}
            raise forms.ValidationError(self.message, code="max_length", params=params)


def say_when_too_long(form: forms.BaseForm) -> None:
    """Browsers cut typed or pasted text at an input's maxlength without a word (a 13th digit, a long name's end):
    drop that attribute, so the server sees everything and names the field that is too long."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and field.max_length is not None:
            field.widget.attrs.pop("maxlength", None)
            field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)] + [
                NamedMaxLengthValidator(field.max_length, field.label)
            ]


class CommuneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AdminUnit) -> str:
        return f"{obj.name} ({obj.code})"


class HouseholdForm(forms.Form):
    code = forms.CharField(
        label=_("Household code"),
        max_length=40,
        validators=[household_code_validator],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    commune = CommuneChoiceField(label=_("Commune"), queryset=AdminUnit.objects.none())
    hamlet = forms.CharField(
        label=_("Hamlet"),
        max_length=120,
        required=False,
        help_text=_("Choose one of the commune's hamlets or type a new name."),
        widget=forms.TextInput(attrs={"list": "hamlet-options", "autocomplete": "off"}),
    )
    # No head_name: the household's head is the member row marked "Head", and its name is stored from there.
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Registration only. The one-time token of this rendering of the form (views keep them in the session).
    form_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # Registration only: the codes of the look-alike households the officer was shown and registers anyway.
    register_anyway = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, communes, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes
        # Changing the commune reloads the hamlet suggestions (htmx).
        self.fields["commune"].widget.attrs.update(
            {"hx-get": reverse("hamlet-options"), "hx-target": "#hamlet-options", "hx-swap": "outerHTML", "hx-trigger": "change"}
        )
        if editing:
            for name in ("code", "form_token", "register_anyway"):
                del self.fields[name]
        say_when_too_long(self)

    @property
    def acknowledged_duplicates(self) -> set[str]:
        """Codes of the similar households the officer ticked "register anyway" for."""
        return {c for c in (self.cleaned_data.get("register_anyway") or "").split(",") if c}

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if code.lower() in RESERVED_CODES:
            raise forms.ValidationError(_("This code is reserved; choose another one."))
        return code

    def clean_hamlet(self) -> str:
        return " ".join(self.cleaned_data["hamlet"].split())


_CITIZEN_ID = re.compile(r"\d{12}")


class MemberForm(forms.Form):
    """One member row; the fields, labels and validators are the Member model's own."""

    def __init__(self, *args, ethnic_choices: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The formset reads the groups once for all its rows (ethnic_group_choices otherwise asks per row).
        if ethnic_choices is not None:
            self.fields["ethnicity"].choices = ethnic_choices
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric", "min": 1900})
        self.fields["citizen_id"].widget.attrs.update({"inputmode": "numeric", "pattern": r"\d{12}", "autocomplete": "off"})
        say_when_too_long(self)
        # One clear message for a wrong citizen ID, whatever its length (clean_citizen_id).
        self.fields["citizen_id"].validators = []
        for field in self.fields.values():  # "— Chọn —" instead of Django's "---------"
            choices = list(getattr(field, "choices", []) or [])
            if choices and choices[0][0] == "":
                field.choices = [("", _("— Choose —")), *choices[1:]]

    def clean_citizen_id(self) -> str:
        value = self.cleaned_data["citizen_id"]
        if not value or _CITIZEN_ID.fullmatch(value):
            return value
        if value.isdigit():
            raise forms.ValidationError(
                _("A citizen ID has exactly 12 digits; this one has %(count)d."), code="citizen_id", params={"count": len(value)}
            )
        raise forms.ValidationError(_("A citizen ID has exactly 12 digits, and nothing else."), code="citizen_id")

    @property
    def child_marked_able(self) -> bool:
        """Ticked "able to work" although under working age: worth a warning, not a refusal."""
        data = getattr(self, "cleaned_data", {})
        birth_year = data.get("birth_year")
        return bool(data.get("able_to_work")) and birth_year is not None and age_in(birth_year) < WORKING_AGE_FROM

    def member_data(self) -> MemberData:
        return MemberData(**{name: self.cleaned_data[name] for name in MEMBER_FIELDS})


def ethnic_group_choices() -> list[tuple[str, str]]:
    """The 54 groups by GSO code, named in Vietnamese (and in English beside it when the page is in English)."""
    from households.models import EthnicGroup
    from households.templatetags.povreg_ui import ui_lang

    english = ui_lang() == "en"
    return [("", _("— Choose —"))] + [
        (g.code, f"{g.name_vi} ({g.name_en})" if english and g.name_en != g.name_vi else g.name_vi)
        for g in EthnicGroup.objects.order_by("code")
    ]


class EthnicGroupField(forms.ChoiceField):
    """A select of the GSO's groups sending the code; a name typed or posted instead ("Người Kinh") is read too."""

    default_error_messages = {"invalid_choice": _("Unknown ethnic group “%(value)s”: choose one of the list.")}

    def to_python(self, value):
        value = super().to_python(value)
        return match_code(value) or value

    def valid_value(self, value):
        return value in CODES


MemberForm.base_fields.update(fields_for_model(Member, fields=MEMBER_FIELDS))
# The ethnic group is chosen from the GSO's list (its code is sent); the service stores the group and its name.
MemberForm.base_fields["ethnicity"] = EthnicGroupField(label=_("Ethnicity"), choices=ethnic_group_choices, required=True)


class BaseMemberFormSet(forms.BaseFormSet):
    _ethnic_choices: list[tuple[str, str]] | None = None

    def get_form_kwargs(self, index):
        if self._ethnic_choices is None:
            self._ethnic_choices = ethnic_group_choices()
        return {**super().get_form_kwargs(index), "ethnic_choices": self._ethnic_choices}

    def kept_forms(self) -> list[MemberForm]:
        """The member rows to save: not removed, and not a blank row the officer added and left empty."""
        # Not `deleted_forms`: that is empty while any row is invalid, and the head rule is checked with the rest.
        return [
            f
            for i, f in enumerate(self.forms)
            if not (self.can_delete and self._should_delete_form(f)) and (i < self.initial_form_count() or f.has_changed())
        ]

    def clean(self):
        """Exactly one member is the head of household (the rule the service enforces, shown on the rows)."""
        super().clean()
        kept = self.kept_forms()
        errors = head_rule_errors([getattr(f, "cleaned_data", {}).get("relation") for f in kept])
        for key, messages in errors.items():
            if key.startswith("members["):
                index = int(key[len("members[") : key.index("]")])
                kept[index].add_error("relation", messages)
        if "members" in errors:
            raise forms.ValidationError(errors["members"], code="head")

    def children_marked_able(self) -> list[str]:
        return [f.cleaned_data["full_name"] for f in self.kept_forms() if f.child_marked_able]


MemberFormSet = forms.formset_factory(
    MemberForm,
    formset=BaseMemberFormSet,
    extra=0,
    can_delete=True,
    min_num=1,
    validate_min=True,
    max_num=MAX_MEMBERS,
    validate_max=True,
)


def member_initial(members) -> list[dict]:
    """The stored members as form rows; a member whose ethnicity names no group starts at "— Choose —", with the text
    that was entered shown beside it (`ethnicity_entered`)."""
    from households.models import EthnicGroup

    codes = dict(EthnicGroup.objects.values_list("pk", "code"))
    return [
        {
            **{name: getattr(m, name) for name in MEMBER_FIELDS},
            "ethnicity": codes.get(m.ethnic_group_id, ""),
            "ethnicity_entered": "" if m.ethnic_group_id else m.ethnicity,
        }
        for m in members
    ]


class HouseholdStatusForm(forms.Form):
    """Households are never deleted: they move away, merge into another household, dissolve, or return."""

    status = forms.ChoiceField(label=_("New status"), choices=HouseholdStatus.choices)
    merged_into = forms.CharField(
        label=_("Merged into (household code)"),
        max_length=40,
        required=False,
        help_text=_("Only when the household merged into another one."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    # The household's version when the page was opened: a change made meanwhile is not overwritten.
    expected_version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
