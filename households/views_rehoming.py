"""The re-homing page for department staff: choose a legacy province (and a hamlet mapping for split
communes), preview the plan, confirm. Thin: the plan and the move are `households.rehoming`."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.policy import Action, can
from households.models import AdminUnit, Household, HouseholdStatus, Level, Structure
from households.rehoming import households_rehome, read_mapping, rehome_plan

MAX_MAPPING_BYTES = 2 * 1024 * 1024
SESSION_KEY = "rehome_mapping"


def _legacy_provinces_with_households():
    """Legacy provinces that still have active households and whose 2025 units are loaded."""
    active = Household.objects.filter(status=HouseholdStatus.ACTIVE, commune__structure=Structure.LEGACY)
    codes = set(active.values_list("commune__parent__parent__code", flat=True).distinct())
    return list(
        AdminUnit.objects.filter(structure=Structure.LEGACY, level=Level.PROVINCE, code__in=codes, successors__isnull=False)
        .distinct()
        .order_by("code")
    )


@login_required
def rehome(request):
    if not can(request.user, Action.REHOME):
        raise PermissionDenied(_("Only department staff can re-home households."))
    provinces = [p for p in _legacy_provinces_with_households() if can(request.user, Action.REHOME, p)]
    context = {"provinces": provinces, "plan": None, "mapping_issues": [], "mapping_rows": 0}
    code = request.POST.get("province") or request.GET.get("province") or (provinces[0].code if provinces else "")
    province = next((p for p in provinces if p.code == code), None)
    context["province"] = province
    if request.method != "POST" or province is None:
        if request.method == "POST":
            messages.error(request, _("Choose a province that still has households in the old units."))
        return render(request, "households/rehome.html", context)

    action = request.POST.get("action", "preview")
    if action == "preview":
        mapping = {}
        upload = request.FILES.get("mapping")
        if upload is not None:
            if upload.size > MAX_MAPPING_BYTES:
                raise ValidationError({"mapping": _("The mapping file is larger than 2 MB.")})
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
                handle.flush()
                mapping, issues = read_mapping(handle.name)
            context["mapping_issues"] = issues
        request.session[SESSION_KEY] = {"province": province.code, "rows": [[c, h, n] for (c, h), n in mapping.items()]}
        context["mapping_rows"] = len(mapping)
        if not context["mapping_issues"]:
            context["plan"] = rehome_plan(province=province, mapping=mapping)
        return render(request, "households/rehome.html", context)

    stored = request.session.get(SESSION_KEY) or {}
    if stored.get("province") != province.code:
        messages.error(request, _("Preview the plan again before confirming."))
        return redirect(f"{request.path}?province={province.code}")
    mapping = {(c, h): n for c, h, n in stored.get("rows", [])}
    try:
        plan = households_rehome(actor=request.user, province=province, mapping=mapping)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(f"{request.path}?province={province.code}")
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        _("%(n)s households of %(province)s were moved to their communes of 1 July 2025.")
        % {"n": len(plan.moves), "province": province.name},
    )
    return redirect(request.path)
