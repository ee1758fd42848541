"""The audit trail through the API: `GET …/{id}/audit/` on households, assessments and commune lists, one way."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import Pagination
from core.models import AuditEvent


class AuditEventSerializer(serializers.Serializer):
    time = serializers.DateTimeField(source="created_at")
    actor = serializers.CharField(source="actor_username")
    action = serializers.CharField()
    changes = serializers.JSONField(help_text=_("{field: [old, new]} for each changed field."))
    reason = serializers.CharField()
    request_id = serializers.CharField()


class AuditPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AuditEventSerializer(many=True)


class AuditTrailMixin:
    """`GET …/{id}/audit/`: the object's audit events, newest first, for callers who can see the object."""

    def audit_response(self, request, obj):
        events = AuditEvent.objects.for_object(obj).order_by("-created_at", "-id")
        paginator = Pagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(AuditEventSerializer(page, many=True).data)
