from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from surveys.models import Assessment, CommuneList, CriteriaSet, Denominator, Indicator, Rule, SurveyRound


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("position", "code", "dimension", "name_vi", "name_en", "threshold_vi", "threshold_en")


class RuleInline(admin.TabularInline):
    model = Rule
    extra = 0
    fields = ("area_type", "position", "category", "income_above", "income_upto", "upto_inclusive", "min_deprived", "max_deprived")


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "legal_basis", "valid_from", "valid_to", "is_official")
    list_filter = ("is_official",)
    search_fields = ("code", "name_vi", "name_en", "legal_basis")
    inlines = [IndicatorInline, RuleInline]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


class DenominatorInline(admin.TabularInline):
    model = Denominator
    extra = 0
    raw_id_fields = ("commune",)


@admin.register(SurveyRound)
class SurveyRoundAdmin(admin.ModelAdmin):
    list_display = ("code", "year", "kind", "criteria_set", "province", "starts_on", "ends_on", "is_open")
    list_filter = ("kind", "year", "is_open", "criteria_set")
    search_fields = ("code",)
    raw_id_fields = ("province", "previous_round")
    inlines = [DenominatorInline]


@admin.register(Denominator)
class DenominatorAdmin(admin.ModelAdmin):
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
    readonly_fields = [f.name for f in Assessment._meta.fields] + ["deprived_list"]
    exclude = ("deprived_indicators",)

    @admin.display(description=_("deprived indicators"))
    def deprived_list(self, obj):
        return ", ".join(obj.deprived_indicators.values_list("code", flat=True))

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CommuneList)
class CommuneListAdmin(admin.ModelAdmin):
    list_display = ("round", "commune", "revision", "status", "is_current", "poor", "near_poor", "approved_at")
    list_filter = ("round", "status", "is_current")
    search_fields = ("commune__name", "commune__code")
    list_select_related = ("round", "commune")
    readonly_fields = [f.name for f in CommuneList._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
