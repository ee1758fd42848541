from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdminMixin, ReadOnlyAdmin
from households.models import AdminUnit, Assignment, EthnicGroup, Hamlet, Household, Member
from households.services import HOUSEHOLD_FIELDS, MEMBER_FIELDS


@admin.register(AdminUnit)
class AdminUnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "level", "kind", "area_type", "parent", "structure", "valid_from", "valid_to")
    list_filter = ("structure", "level", "kind", "area_type")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    filter_horizontal = ("successors",)


@admin.register(Hamlet)
class HamletAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "commune", "created_at")
    search_fields = ("name", "commune__name", "commune__code")
    list_select_related = ("commune",)
    raw_id_fields = ("commune",)


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = (
        "position", "full_name", "sex", "birth_year", "relation", "citizen_id", "ethnic_group", "ethnicity",
        "able_to_work", "social_protection", "merit", "disability",
    )
    # The text is the group's name, copied on save (Member.save); the group is what the reports count.
    readonly_fields = ("ethnicity",)


@admin.register(EthnicGroup)
class EthnicGroupAdmin(ReadOnlyAdmin):
    """The GSO's 54 groups (loaded by a migration): read here, changed by a migration only."""

    list_display = ("code", "name_vi", "name_en")
    search_fields = ("code", "name_vi", "name_en")


@admin.register(Household)
class HouseholdAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "head_name", "commune", "hamlet", "status", "member_count", "updated_at")
    list_filter = ("status", "commune__parent", "commune__area_type")
    search_fields = ("code", "head_name", "members__citizen_id", "members__full_name")
    list_select_related = ("commune", "hamlet")
    raw_id_fields = ("commune", "hamlet", "merged_into")
    readonly_fields = ("version", "created_at", "updated_at")
    inlines = [MemberInline]
    show_full_result_count = False
    # Admin edits leave the trail the household services leave: one event with fields and members before/after.
    audit_fields = HOUSEHOLD_FIELDS
    audit_related = {"members": ["position", *MEMBER_FIELDS]}

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)

    def after_audited_save(self, request, obj, changes, change):
        """Members changed: recompute the household's assessments in open, unlocked rounds, as the service does."""
        if "members" not in changes or not change:
            return
        from surveys.services import household_assessments_refresh

        try:
            household_assessments_refresh(household=obj, actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.warning(request, _("The household's open assessments were not recomputed: %(error)s") % {"error": exc})

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.members.count()

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).prefetch_related("members")

    def has_delete_permission(self, request, obj=None):
        return False  # households are never deleted: set their status


@admin.register(Assignment)
class AssignmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role", "unit", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "unit__name", "unit__code")
    raw_id_fields = ("user", "unit")
    list_select_related = ("user", "unit")
    # Who may do what where is itself audited: created, changed and removed assignments.
    audit_fields = ["user", "unit", "role"]
