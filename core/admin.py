from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit, diff, snapshot
from core.models import ApiToken, AuditEvent, WebhookDelivery, WebhookSubscription


def _fields_of(model, names=None) -> list[str]:
    if names is not None:
        return list(names)
    return [
        f.name
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that only reads: the records it shows change through their services (or migrations) only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
        changes = diff(
            {k: v for k, v in before.items() if k not in self.audit_related},
            {k: v for k, v in after.items() if k not in self.audit_related},
        )
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
        audit(
            actor=request.user,
            action=f"{self._audit_prefix()}.{'updated' if change else 'created'}",
            target=obj,
            changes=changes,
            reason="admin",
        )
        self.after_audited_save(request, obj, changes, change)

    def after_audited_save(self, request, obj, changes, change) -> None:
        """Hook for follow-up work once the change is recorded (e.g. recomputing assessments)."""

    def delete_model(self, request, obj):
        audit(
            actor=request.user,
            action=f"{self._audit_prefix()}.deleted",
            target=obj,
            changes={k: [v, None] for k, v in self._audit_state(obj).items()},
            reason="admin",
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_username", "action", "target_type", "target_repr")
    list_filter = ("action", "target_type")
    search_fields = ("actor_username", "target_repr", "target_id", "reason")
    date_hierarchy = "created_at"
    show_full_result_count = False


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


def _https_by_default(field, **kwargs):
    """A URL typed without a scheme is taken as https (Django 6's default, asked for now)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class WebhookSubscriptionForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("secret"),
        required=False,
        min_length=16,
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Shared with the receiver, who checks the X-Povreg-Signature header with it (at least 16 characters). "
            "Leave empty to keep the current one."
        ),
    )
    from_start = forms.BooleanField(
        label=_("send the changes made so far too"),
        required=False,
        help_text=_("Otherwise the webhook starts with the changes made after it is registered."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "secret", "is_active"]
        formfield_callback = _https_by_default

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "secret" in self.fields:
            self.fields["secret"].required = True
            self.fields["secret"].help_text = WebhookSubscription._meta.get_field("secret").help_text

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if not secret and self.instance.pk is None:
            raise forms.ValidationError(_("Enter a secret of at least 16 characters."))
        return secret or self.instance.secret


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Department staff register their systems' webhooks (core/webhooks.py); each sees and changes their own."""

    form = WebhookSubscriptionForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "url", "owner", "is_active", "last_success_at", "failures", "next_attempt_at")
    readonly_fields = ("owner", "cursor", "failures", "next_attempt_at", "last_success_at", "last_error", "created_at")
    actions = ["deliver_now"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("owner")
        return queryset if request.user.is_superuser else queryset.filter(owner=request.user)

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "secret", "is_active"]
        return [*fields, "from_start"] if obj is None else [*fields, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        from core.webhooks import webhook_subscription_save

        webhook_subscription_save(actor=request.user, subscription=obj, from_start=bool(form.cleaned_data.get("from_start")))

    def delete_model(self, request, obj):
        from core.webhooks import webhook_subscription_delete

        webhook_subscription_delete(actor=request.user, subscription=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(description=_("Deliver the waiting changes now"))
    def deliver_now(self, request, queryset):
        from django.db import transaction

        from core.webhooks import webhook_schedule

        for pk in queryset.filter(is_active=True).values_list("pk", flat=True):
            transaction.on_commit(lambda pk=pk: webhook_schedule(pk))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("attempted_at", "subscription", "attempt", "events", "ok", "status_code", "error", "duration_ms")
    list_filter = ("ok",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("subscription")
        return queryset if request.user.is_superuser else queryset.filter(subscription__owner=request.user)
