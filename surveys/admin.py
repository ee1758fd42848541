from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdminMixin, ReadOnlyAdmin
from surveys.models import (
    Appeal,
    Assessment,
    CommuneList,
    CriteriaSet,
    Denominator,
    HamletMeeting,
    Indicator,
    ListStatus,
    PublicPosting,
    RoundArea,
    Rule,
    SurveyRound,
)
from surveys.services import list_is_locked

RULE_FIELDS = [
    "area_type",
    "position",
    "category",
    "income_above",
    "income_upto",
    "upto_inclusive",
    "min_deprived",
    "max_deprived",
]
INDICATOR_FIELDS = ["position", "code", "dimension", "name_vi", "name_en", "threshold_vi", "threshold_en"]
# What decides a category: frozen once a list classified under the set has been approved.
CLASSIFYING_FIELDS = (
    "group_rule",
    "groups_for_near_poor",
    "income_period",
    "score_line_rural",
    "score_line_urban",
    "score_points_per_indicator",
    "score_poor_min_b",
    "low_income_line_rural",
    "low_income_line_urban",
)


def criteria_set_is_frozen(criteria_set) -> bool:
    """A criteria set whose rules decided an approved list: its rule table may no longer change, or the
    approved numbers could not be reproduced from it. Texts (names, thresholds, notes) stay editable."""
    if criteria_set is None or criteria_set.pk is None:
        return False
    return CommuneList.objects.filter(round__criteria_set=criteria_set, status=ListStatus.APPROVED).exists()


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("position", "code", "dimension", "name_vi", "name_en", "threshold_vi", "threshold_en")

    def get_readonly_fields(self, request, obj=None):
        return ("code", "dimension") if criteria_set_is_frozen(obj) else ()

    def has_add_permission(self, request, obj=None):
        return not criteria_set_is_frozen(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not criteria_set_is_frozen(obj) and super().has_delete_permission(request, obj)


class RuleInline(admin.TabularInline):
    model = Rule
    extra = 0
    fields = (
        "area_type",
        "position",
        "category",
        "income_above",
        "income_upto",
        "upto_inclusive",
        "min_deprived",
        "max_deprived",
    )

    def has_add_permission(self, request, obj=None):
        return not criteria_set_is_frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not criteria_set_is_frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not criteria_set_is_frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(CriteriaSet)
class CriteriaSetAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name_vi", "legal_basis", "valid_from", "valid_to", "is_official")
    list_filter = ("is_official",)
    search_fields = ("code", "name_vi", "name_en", "legal_basis")
    inlines = [IndicatorInline, RuleInline]
    audit_fields = [
        "code",
        "name_vi",
        "name_en",
        "legal_basis",
        "valid_from",
        "valid_to",
        "is_official",
        "based_on",
        "group_rule",
        "groups_for_near_poor",
        "income_period",
        "low_income_line_rural",
        "low_income_line_urban",
        "notes",
    ]
    audit_related = {"indicators": INDICATOR_FIELDS, "rules": RULE_FIELDS}

    def get_readonly_fields(self, request, obj=None):
        return ("version", "code", *CLASSIFYING_FIELDS) if criteria_set_is_frozen(obj) else ("version",)

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


class DenominatorInline(admin.TabularInline):
    model = Denominator
    extra = 0
    raw_id_fields = ("commune",)


class RoundAreaFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        from surveys.rounds import round_area_change_blocker

        for form in self.forms:
            if form.instance.pk and "area_type" in form.changed_data:
                blocker = round_area_change_blocker(round=form.instance.round, commune=form.instance.commune)
                if blocker:
                    form.add_error("area_type", blocker)


class RoundAreaInline(admin.TabularInline):
    """Urban or rural per commune as of the round; editable until the commune's first assessment."""

    model = RoundArea
    formset = RoundAreaFormSet
    extra = 0
    fields = ("commune", "area_type")
    readonly_fields = ("commune",)
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SurveyRoundAdminForm(forms.ModelForm):
    class Meta:
        model = SurveyRound
        fields = "__all__"  # noqa: DJ007 (the admin's own field set)

    def clean(self):
        data = super().clean()
        official = data.get("criteria_set")
        if official is not None and official in (data.get("additional_sets") or []):
            self.add_error("additional_sets", _("%(code)s is the round's official standard.") % {"code": official.code})
        return data


@admin.register(SurveyRound)
class SurveyRoundAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = SurveyRoundAdminForm
    list_display = ("code", "year", "kind", "criteria_set", "province", "starts_on", "ends_on", "is_open")
    list_filter = ("kind", "year", "is_open", "criteria_set")
    search_fields = ("code",)
    raw_id_fields = ("province", "previous_rounds")
    filter_horizontal = ("additional_sets",)
    inlines = [DenominatorInline, RoundAreaInline]
    audit_action = "round"
    audit_related = {"denominators": ["commune", "total_households", "total_persons"], "areas": ["commune", "area_type"]}
    actions = ["reclassify"]

    @admin.action(description=_("Reclassify the round's assessments (background job)"))
    def reclassify(self, request, queryset):
        """After a rule of the criteria set was corrected: every assessment recomputed, in the task worker."""
        from django.contrib import messages

        from core.jobs import job_start

        for survey_round in queryset:
            job_start(
                owner=request.user,
                kind="reclassify",
                label=_("Reclassify %(round)s") % {"round": survey_round.code},
                params={"round": survey_round.code},
            )
        messages.info(request, _("Reclassification runs in the background; its result is under My jobs."))

    def save_related(self, request, form, formsets, change):
        before = list(form.instance.additional_sets.all()) if change else []
        super().save_related(request, form, formsets, change)
        if not change:
            from surveys.round_areas import round_areas_fill

            round_areas_fill(round=form.instance)
        if "additional_sets" in form.changed_data:
            from surveys.rounds import round_standards_set

            # Through the service: its checks, the audit, and the round's assessments classified under the new sets.
            wanted = list(form.instance.additional_sets.all())
            form.instance.additional_sets.set(before)
            round_standards_set(actor=request.user, round=form.instance, additional_sets=wanted)


@admin.register(Denominator)
class DenominatorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("round", "commune", "total_households", "total_persons")
    list_filter = ("round",)
    search_fields = ("commune__name", "commune__code")
    list_select_related = ("round", "commune")
    raw_id_fields = ("commune",)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("household", "round", "commune", "category", "group", "income_per_capita", "deprived_count", "updated_at")
    list_filter = ("round", "category", "group", "area_type")
    search_fields = ("household__code", "household__head_name")
    list_select_related = ("household", "round", "commune")
    show_full_result_count = False
    # Assessments change only through the service, which classifies and audits; the admin only reads.
    readonly_fields = [f.name for f in Assessment._meta.fields] + ["deprived_list", "frozen"]
    exclude = ("deprived_indicators",)

    @admin.display(description=_("deprived indicators"))
    def deprived_list(self, obj):
        from django.utils.translation import get_language

        field = "name_vi" if (get_language() or "vi").startswith("vi") else "name_en"
        return ", ".join(f"{name} ({code})" for code, name in obj.deprived_indicators.values_list("code", field))

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # View only: the assessment service classifies and audits, and refuses changes once the commune's
        # list is submitted or approved (frozen).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("list frozen"), boolean=True)
    def frozen(self, obj):
        return list_is_locked(round=obj.round, commune=obj.commune)


class HamletMeetingInline(admin.TabularInline):
    model = HamletMeeting
    extra = 0
    fields = ("hamlet", "held_on", "attendees", "agreeing", "minutes_note", "recorded_by", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PublicPostingInline(admin.TabularInline):
    model = PublicPosting
    extra = 0
    fields = ("starts_on", "ends_on", "place", "recorded_by", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CommuneList)
class CommuneListAdmin(ReadOnlyAdmin):
    list_display = ("round", "commune", "revision", "status", "is_current", "poor", "near_poor", "approved_at")
    list_filter = ("round", "status", "is_current")
    search_fields = ("commune__name", "commune__code")
    list_select_related = ("round", "commune")
    readonly_fields = [f.name for f in CommuneList._meta.fields]
    inlines = [HamletMeetingInline, PublicPostingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("household", "round", "commune", "status", "category_before", "category_after", "lodged_at", "decided_at")
    list_filter = ("round", "status")
    search_fields = ("household__code", "household__head_name")
    list_select_related = ("household", "round", "commune")
    readonly_fields = [f.name for f in Appeal._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
