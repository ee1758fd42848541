"""Forms of the approval pages: they only collect input; the approval services decide and record."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import AppealStatus, SurveyRound

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class DateInput(forms.DateInput):
    """dd/mm/yyyy whatever the device's locale (a native date picker would show mm/dd/yyyy on an English
    tablet): a text box with the pattern, a numeric keyboard and a placeholder."""

    input_type = "text"

    def __init__(self, **kwargs):
        attrs = {
            "placeholder": "dd/mm/yyyy",
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": "10",
            "pattern": r"\d{1,2}/\d{1,2}/\d{4}",
            "class": "date-dmy",
            **kwargs.pop("attrs", {}),
        }
        super().__init__(format="%d/%m/%Y", attrs=attrs, **kwargs)


def date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label, widget=DateInput(), input_formats=DATE_FORMATS, help_text=_("Day/month/year, e.g. 05/10/2026.")
    )


class HamletMeetingForm(forms.Form):
    hamlet = forms.ModelChoiceField(label=_("Hamlet"), queryset=None, empty_label=_("— Choose —"))
    held_on = date_field(_("Held on"))
    attendees = forms.IntegerField(label=_("Attendees"), min_value=1)
    agreeing = forms.IntegerField(label=_("Agreeing"), min_value=0)
    minutes_note = forms.CharField(label=_("Minutes (summary)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, hamlets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hamlet"].queryset = hamlets

    def clean(self):
        data = super().clean()
        if data.get("attendees") is not None and data.get("agreeing") is not None and data["agreeing"] > data["attendees"]:
            self.add_error("agreeing", _("More people agreeing than attending."))
        return data


class PublicPostingForm(forms.Form):
    starts_on = date_field(_("Posted from"))
    ends_on = date_field(_("Posted until"))
    place = forms.CharField(label=_("Place"), required=False, max_length=255)


class RecognitionForm(forms.Form):
    number = forms.CharField(
        label=_("Decision number"), max_length=50, widget=forms.TextInput(attrs={"placeholder": "123/QĐ-UBND"})
    )
    date = date_field(_("Decision date"))
    signer = forms.CharField(label=_("Signed by"), max_length=120)


class RoundDecisionForm(forms.Form):
    number = forms.CharField(
        label=_("Decision number"), max_length=50, widget=forms.TextInput(attrs={"placeholder": "456/QĐ-UBND"})
    )
    date = date_field(_("Decision date"))
    signer = forms.CharField(label=_("Signed by"), max_length=120)
    document = forms.FileField(
        label=_("Scan (PDF, JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason or note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())


class AppealLodgeForm(forms.Form):
    household_code = forms.CharField(label=_("Household code"), max_length=40)
    round = forms.ModelChoiceField(
        label=_("Round"), queryset=SurveyRound.objects.none(), to_field_name="code", empty_label=_("— Choose —")
    )
    complaint = forms.CharField(label=_("Complaint"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, rounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds


class AppealDecideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[(AppealStatus.UPHELD, AppealStatus.UPHELD.label), (AppealStatus.REJECTED, AppealStatus.REJECTED.label)],
    )
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())
