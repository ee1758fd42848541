from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from households.models import AdminUnit, Assignment, Hamlet, Household, Member


@admin.register(AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "kind", "area_type", "parent", "structure", "valid_from", "valid_to")
    list_filter = ("structure", "level", "kind", "area_type")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    filter_horizontal = ("successors",)


@admin.register(Hamlet)
class HamletAdmin(admin.ModelAdmin):
    list_display = ("name", "commune", "created_at")
    search_fields = ("name", "commune__name", "commune__code")
    list_select_related = ("commune",)
    raw_id_fields = ("commune",)


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = (
        "position", "full_name", "sex", "birth_year", "relation", "citizen_id", "ethnicity",
        "able_to_work", "social_protection", "merit", "disability",
    )


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("code", "head_name", "commune", "hamlet", "status", "member_count", "updated_at")
    list_filter = ("status", "commune__parent", "commune__area_type")
    search_fields = ("code", "head_name", "members__citizen_id", "members__full_name")
    list_select_related = ("commune", "hamlet")
    raw_id_fields = ("commune", "hamlet", "merged_into")
    readonly_fields = ("version", "created_at", "updated_at")
    inlines = [MemberInline]
    show_full_result_count = False

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.members.count()

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).prefetch_related("members")

    def has_delete_permission(self, request, obj=None):
        return False  # households are never deleted: set their status


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "unit__name", "unit__code")
    raw_id_fields = ("user", "unit")
    list_select_related = ("user", "unit")
