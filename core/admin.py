from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.audit import audit, diff, snapshot
from core.models import ApiToken, AuditEvent


def _fields_of(model, names=None) -> list[str]:
    if names is not None:
        return list(names)
    return [
        f.name for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
    ]


class AuditedAdminMixin:
    """Admin writes leave the same trail as service writes: one audit event per saved or deleted object,
    with before/after of the changed fields and of the rows edited in its inlines.

    `audit_fields`: the object's fields to compare (default: every concrete field but timestamps);
    `audit_related`: {related_name: [fields]} of inline rows to compare; `audit_action`: the action's prefix
    (default: the model name, e.g. "household" → "household.updated")."""

    audit_fields: list[str] | None = None
    audit_related: dict[str, list[str]] = {}
    audit_action: str | None = None

    def _audit_prefix(self) -> str:
        return self.audit_action or self.model._meta.model_name

    def _audit_state(self, obj) -> dict:
        state = snapshot(obj, _fields_of(self.model, self.audit_fields))
        for related, fields in self.audit_related.items():
            rows = getattr(obj, related).order_by("pk") if obj.pk else []
            state[related] = {str(r.pk): snapshot(r, fields) for r in rows}
        return state

    def _audit_changes(self, before: dict, after: dict) -> dict:
        changes = diff({k: v for k, v in before.items() if k not in self.audit_related},
                       {k: v for k, v in after.items() if k not in self.audit_related})
        for related in self.audit_related:
            old, new = before.get(related, {}), after.get(related, {})
            keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
            if keys:
                changes[related] = [[old.get(k) for k in keys], [new.get(k) for k in keys]]
        return changes

    def save_model(self, request, obj, form, change):
        before = {}
        if change and obj.pk:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = self._audit_state(stored) if stored is not None else {}
        request._audit_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_audit_before", {})
        changes = self._audit_changes(before, self._audit_state(obj))
        if change and not changes:
            return
        audit(actor=request.user, action=f"{self._audit_prefix()}.{'updated' if change else 'created'}", target=obj,
              changes=changes, reason="admin")
        self.after_audited_save(request, obj, changes, change)

    def after_audited_save(self, request, obj, changes, change) -> None:
        """Hook for follow-up work once the change is recorded (e.g. recomputing assessments)."""

    def delete_model(self, request, obj):
        audit(actor=request.user, action=f"{self._audit_prefix()}.deleted", target=obj,
              changes={k: [v, None] for k, v in self._audit_state(obj).items()}, reason="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_username", "action", "target_type", "target_repr")
    list_filter = ("action", "target_type")
    search_fields = ("actor_username", "target_repr", "target_id", "reason")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are read-only here (only their hash is stored); administrators revoke them."""

    list_display = ("prefix", "user", "name", "scope", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("prefix", "user__username", "name")
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        from django.utils import timezone

        queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
