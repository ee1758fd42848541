from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdminMixin, ReadOnlyAdmin
from households.hooks import household_changed
from households.models import MEMBER_FIELDS, AdminUnit, Assignment, EthnicGroup, Hamlet, Household, Member
from households.services import HOUSEHOLD_FIELDS, household_search_key_refresh, household_set_status, household_status_errors


@admin.register(AdminUnit)
class AdminUnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "level", "kind", "area_type", "parent", "structure", "valid_from", "valid_to")
    list_filter = ("structure", "level", "kind", "area_type")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    filter_horizontal = ("successors",)


class HamletAdminForm(forms.ModelForm):
    """A name another hamlet of the commune already has (case, spacing and Unicode form aside: Hamlet.key) is
    refused beside the field, before the database's constraint would refuse it."""

    class Meta:
        model = Hamlet
        fields = ["commune", "name"]

    def clean(self):
        cleaned = super().clean()
        commune, name = cleaned.get("commune"), cleaned.get("name")
        if commune is not None and name:
            taken = Hamlet.objects.filter(commune=commune, name_key=Hamlet.key(name)).exclude(pk=self.instance.pk).first()
            if taken is not None:
                self.add_error("name", _("The commune already has this hamlet: %(name)s.") % {"name": taken.name})
        return cleaned


@admin.register(Hamlet)
class HamletAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = HamletAdminForm
    list_display = ("name", "commune", "created_at")
    search_fields = ("name", "commune__name", "commune__code")
    list_select_related = ("commune",)
    raw_id_fields = ("commune",)


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ("position", *MEMBER_FIELDS[:5], "ethnic_group", *MEMBER_FIELDS[5:])  # the group chosen, its name shown
    # The text is the group's name, copied on save (Member.save); the group is what the reports count.
    readonly_fields = ("ethnicity",)


@admin.register(EthnicGroup)
class EthnicGroupAdmin(ReadOnlyAdmin):
    """The GSO's 54 groups (loaded by a migration): read here, changed by a migration only."""

    list_display = ("code", "name_vi", "name_en")
    search_fields = ("code", "name_vi", "name_en")


class HouseholdAdminForm(forms.ModelForm):
    """The admin's household form: a change of status or merged-into needs a reason and goes through
    household_set_status (its checks, its audit event with the reason), as on the household page and in the API."""

    status_reason = forms.CharField(
        label=_("Reason for the status change"),
        required=False,
        max_length=500,
        help_text=_("Required when the status or the household it merged into changes."),
    )

    class Meta:
        model = Household
        fields = ["code", "commune", "hamlet", "head_name", "address", "status", "merged_into", "version"]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk or not ({"status", "merged_into"} & set(self.changed_data)):
            return cleaned
        if not (cleaned.get("status_reason") or "").strip():
            self.add_error("status_reason", _("Give a reason for the status change."))
        if "status" in cleaned:
            for field, message in household_status_errors(
                household=self.instance, status=cleaned["status"], merged_into=cleaned.get("merged_into")
            ).items():
                self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(Household)
class HouseholdAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Department staff correct a household here. Its code is its identity (no service changes it); its status
    and merged-into change through household_set_status, with a reason; households are registered on the
    registry pages, the API or an import (household_create), not here."""

    form = HouseholdAdminForm
    list_display = ("code", "head_name", "commune", "hamlet", "status", "member_count", "updated_at")
    list_filter = ("status", "commune__parent", "commune__area_type")
    search_fields = ("code", "head_name", "members__citizen_id", "members__full_name")
    list_select_related = ("commune", "hamlet")
    raw_id_fields = ("commune", "hamlet", "merged_into")
    readonly_fields = ("code", "version", "created_at", "updated_at")
    inlines = [MemberInline]
    show_full_result_count = False
    # Admin edits leave the trail the household services leave: one event with fields and members before/after.
    audit_fields = HOUSEHOLD_FIELDS
    audit_related = {"members": ["position", *MEMBER_FIELDS]}

    def has_add_permission(self, request):
        return False  # registering a household checks its members and head: household_create does

    def has_delete_permission(self, request, obj=None):
        return False  # households are never deleted: set their status

    def save_model(self, request, obj, form, change):
        # The status change is the service's (below, in save_related): this save keeps the stored status.
        stored = Household.objects.get(pk=obj.pk)
        request._status_change = None
        if (obj.status, obj.merged_into_id) != (stored.status, stored.merged_into_id):
            request._status_change = (obj.status, obj.merged_into, form.cleaned_data.get("status_reason", ""))
            obj.status, obj.merged_into = stored.status, stored.merged_into
        if not (form.changed_data and set(form.changed_data) <= {"status", "merged_into", "status_reason"}):
            obj.version += 1  # (a status change alone: the service counts it)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        status_change = getattr(request, "_status_change", None)
        if status_change is not None:
            status, merged_into, reason = status_change
            household_set_status(
                actor=request.user, household=form.instance, status=status, merged_into=merged_into, reason=reason
            )
            form.instance.refresh_from_db()

    def after_audited_save(self, request, obj, changes, change):
        """Members or the head changed: the search key follows, and the household_changed hooks run (its open
        assessments are recomputed), as after the service's update."""
        if not change or not ({"members", "head_name"} & set(changes)):
            return
        household_search_key_refresh(household=obj)
        if "members" not in changes:
            return
        try:
            household_changed(household=obj, actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.warning(request, _("The household's open assessments were not recomputed: %(error)s") % {"error": exc})

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.members.count()

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).prefetch_related("members")


@admin.register(Assignment)
class AssignmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role", "unit", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "unit__name", "unit__code")
    raw_id_fields = ("user", "unit")
    list_select_related = ("user", "unit")
    # Who may do what where is itself audited: created, changed and removed assignments.
    audit_fields = ["user", "unit", "role"]
