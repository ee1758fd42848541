"""Forms of the approval pages: they only collect input; surveys/approval.py decides and records."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import AppealStatus, SurveyRound


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class HamletMeetingForm(forms.Form):
    hamlet = forms.ModelChoiceField(label=_("Hamlet"), queryset=None)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
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
    starts_on = forms.DateField(label=_("Posted from"), widget=DateInput())
    ends_on = forms.DateField(label=_("Posted until"), widget=DateInput())
    place = forms.CharField(label=_("Place"), required=False, max_length=255)


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason or note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())


class AppealLodgeForm(forms.Form):
    household_code = forms.CharField(label=_("Household code"), max_length=40)
    round = forms.ModelChoiceField(label=_("Round"), queryset=SurveyRound.objects.none(), to_field_name="code")
    complaint = forms.CharField(label=_("Complaint"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, rounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds


class AppealDecideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"), choices=[(AppealStatus.UPHELD, AppealStatus.UPHELD.label), (AppealStatus.REJECTED, AppealStatus.REJECTED.label)]
    )
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())
